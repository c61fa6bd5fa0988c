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
  /** Aborted by Ctrl-C/SIGTERM, and when the run ends however it ends. */
  signal: AbortSignal;
}

/**
 * The open-loop load in its own process(es), until everything is sent, the run is interrupted,
 * or a role gives up (which rejects). The result says whether the load completed.
 */
export async function runLoad(
  s: LoadSettings,
  plan: LoadPlan,
  p: Pipelines,
  tracker: RunProgress,
  recorder: RunRecorder,
): Promise<ProducerResult> {
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
    s.signal,
    tracker.onLoadProgress,
    // Started for the run: its CPU counts from zero (sampled once a second, so up to a second of its end is not seen).
    (pid) => recorder.costs.track('generator', pid, true),
  );
  loadProcess.catch(() => undefined);
  const producer = await Promise.race([loadProcess, p.gaveUp]);
  tracker.loadEnded(Date.now(), producer.acknowledgedReadings);
  return producer;
}
