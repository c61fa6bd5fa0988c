import type { ProducerResult } from '../../generators/producer.js';
import { OpenLoopSchedule } from '../../generators/schedule.js';
import { DEFAULT_KAFKA_CLIENT } from '../../infra/kafka-client/types.js';
import { runLoadProcesses } from '../processes/producer-process.js';
import type { Pipelines } from './pipelines.js';
import type { RunProgress } from './progress-state.js';
import type { RunRecorder } from './recorder.js';
import type { RunOptions } from './run-options.js';

/** When reading 0 is due (epoch ms) and how many readings the load sends. */
export interface LoadPlan {
  startMs: number;
  total: number;
}

export function planLoad(opts: RunOptions): LoadPlan {
  const total = Math.round(opts.rate * (opts.warmup + opts.duration));
  // Started a moment ahead, so the load process is connected when reading 0 is due.
  const schedule = new OpenLoopSchedule({ start: Date.now() + 1500, rate: opts.rate, total });
  return { startMs: schedule.start, total };
}

interface LoadSettings {
  runId: string;
  brokers: string[];
  opts: RunOptions;
  /** Aborted by Ctrl-C/SIGTERM, and when the run ends however it ends; aborted here when the run gives up. */
  stop: AbortController;
  /** The run's log: the load generators' output lines (a broker away makes its client log many). */
  log: (line: string) => void;
}

/** How long a stopped load process has to report what it sent. */
const LOAD_REPORT_MS = 15_000;

/** What the load sent, and what stopped it before its end (a role that gave up, a server gone). */
export interface LoadOutcome {
  producer: ProducerResult | undefined;
  stoppedBy?: Error;
}

/**
 * The open-loop load in its own process(es), until everything is sent, the run is interrupted,
 * or the run gives up (a role that could not be restarted, a server gone): then the load is
 * stopped and what it had sent is still returned, so the run can be reported as far as it went.
 */
export async function runLoad(
  s: LoadSettings,
  plan: LoadPlan,
  p: Pipelines,
  tracker: RunProgress,
  recorder: RunRecorder,
): Promise<LoadOutcome> {
  const { opts } = s;
  const loadProcess = runLoadProcesses(
    {
      brokers: s.brokers,
      seed: opts.seed,
      patients: opts.patients,
      sources: opts.sources,
      prevalence: opts.prevalence,
      rate: opts.rate,
      total: plan.total,
      startMs: plan.startMs,
      warmupCount: Math.round(opts.rate * opts.warmup),
      topicPrefix: opts.topicPrefix,
      runId: s.runId,
      kafkaClient: opts.kafkaClient ?? DEFAULT_KAFKA_CLIENT,
    },
    opts.generators ?? 1,
    s.stop.signal,
    tracker.onLoadProgress,
    // Started for the run: its CPU counts from zero (sampled once a second, so up to a second of its end is not seen).
    (pid) => recorder.costs.track('generator', pid, true),
    s.log,
  );
  loadProcess.catch(() => undefined);
  try {
    const producer = await Promise.race([loadProcess, p.gaveUp]);
    tracker.loadEnded(Date.now(), producer.acknowledgedReadings);
    return { producer };
  } catch (err) {
    s.stop.abort((err as Error).message);
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), LOAD_REPORT_MS).unref());
    const producer = await Promise.race([loadProcess.catch(() => undefined), timeout]);
    if (producer) tracker.loadEnded(Date.now(), producer.acknowledgedReadings);
    return { producer, stoppedBy: err as Error };
  }
}
