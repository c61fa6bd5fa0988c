import type { ProducerResult } from '../../generators/producer.js';
import type { RuleSet } from '../../pipelines/rules/types.js';
import type { FaultInjector } from '../faults/injector.js';
import { DrainDeadline } from './drain-deadline.js';
import type { ExternalModes } from './external-modes.js';
import type { Pipelines } from './pipelines.js';
import type { RunRecorder } from './recorder.js';
import type { RunOptions } from './run-options.js';

/** "interrupted (Ctrl-C)", "interrupted (SIGTERM)": what stopped the run, from the signal's reason. */
export function interruption(signal: AbortSignal): string {
  return `interrupted${typeof signal.reason === 'string' ? ` (${signal.reason})` : ''}`;
}

/** How a phase ended: complete, or not and why. */
export type PhaseEnd = { complete: true } | { complete: false; reason: string };

/** Past the windows' deadline, how long a backlog may stand still before the drain gives up. */
const STALL_MS = 60_000;

interface DrainSettings {
  opts: RunOptions;
  ruleSet: RuleSet;
  signal: AbortSignal;
  progress: { log(line: string): void };
}

/**
 * Drain: every fault over, every consumer caught up, every stream window closed, then the
 * external jobs' last results (a final batch pass follows). Rejects when a role gave up.
 */
export async function drain(
  s: DrainSettings,
  p: Pipelines,
  recorder: RunRecorder,
  producer: ProducerResult,
  injector: FaultInjector | undefined,
  externals: ExternalModes | undefined,
  observer: { lastNewAt(mode: string): number | undefined },
): Promise<PhaseEnd> {
  const { opts } = s;
  const maxWindowS = Math.max(0, ...s.ruleSet.rules.map((r) => (r.kind === 'window' ? r.window_s : 0)));
  const deadline = Date.now() + (maxWindowS * 1000 + opts.latenessMs + opts.idleMs) * 2 + 120_000;
  const giveUp = new DrainDeadline(deadline, STALL_MS, Date.now());
  s.progress.log(`[bench] load done (${producer.acknowledgedReadings} readings acknowledged); draining`);
  if (injector) await Promise.race([injector.done(), p.gaveUp]);
  while (!s.signal.aborted) {
    const b = recorder.latestBacklog();
    if (isDrained(p, recorder, b, producer.acknowledgedReadings)) break;
    const now = Date.now();
    if (giveUp.passed((b.ingest ?? 0) + (b.stream ?? 0), now))
      return {
        complete: false,
        reason: `pipelines did not drain: ${giveUp.reason(now, producer.endMs)} (backlog ${JSON.stringify(b)})`,
      };
    await Promise.race([new Promise((r) => setTimeout(r, 500)), p.gaveUp]);
  }
  if (s.signal.aborted) return { complete: false, reason: `${interruption(s.signal)} while draining` };
  if (externals) {
    s.progress.log(`[bench] built-in modes drained; waiting for the external job(s) to write their last results`);
    if (
      !(await externals.drain(Math.max(deadline, Date.now()) + 300_000, s.signal, (mode) => observer.lastNewAt(mode)))
    )
      return {
        complete: false,
        reason: s.signal.aborted
          ? `${interruption(s.signal)} while draining`
          : `external job(s) ${externals.names.join(', ')} still writing new results at the drain deadline`,
      };
  }
  return { complete: true };
}

/** Whether every consumer has caught up with `acknowledged` readings (as of the latest backlog sample `b`) and the stream has closed its windows. */
function isDrained(p: Pipelines, recorder: RunRecorder, b: Record<string, number>, acknowledged: number): boolean {
  const s = p.streamStats();
  // A restarted role's counters start again from zero: then its consumer lag alone says it is done.
  const ingestDone = (b.ingest ?? 1) === 0 && (p.ingest.restarted || (p.ingestStats()?.stored ?? 0) >= acknowledged);
  const streamDone =
    !p.stream || ((b.stream ?? 1) === 0 && s?.openWindows === 0 && (p.stream.restarted || s.processed >= acknowledged));
  return ingestDone && streamDone && recorder.kafkaAnswering();
}
