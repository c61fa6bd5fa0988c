// The old in-memory path (before issue 20 item 3), kept unchanged as the oracle of the streaming collection (test/oracle/metrics.ts).
/**
 * Where a reading's time goes (METRICS.md "Stage latency"). Each reading's event-time latency
 * t_committed - t_intended is cut at the instants it passes on the way. The stream's:
 *
 *   t_intended -> t_sent -> t_appended -> t_fetched -> t_commit_start -> t_committed
 *
 * the batch's (t_committed: the commit of the batch task that covered the reading):
 *
 *   t_intended -> t_stored -> t_pass_start -> t_task_start -> t_read_done -> t_commit_start -> t_committed
 *
 * A mode's stages form a chain, each starting at the instant the previous one ended, so the
 * stage durations of one reading add up to its event-time latency exactly (all whole
 * milliseconds on the machine's one clock). Percentiles of stages do not add up, so each
 * stage also gets its mean, and the means do add up to the mean event-time latency: their
 * shares are what the stacked chart shows.
 */
import { LatencyHistogram } from '../../src/results/histogram.js';
import type { StageBreakdown } from '../../src/results/schema.js';

export const STREAM_INSTANTS = ['intended', 'sent', 'appended', 'fetched', 'commitStart', 'committed'] as const;
export type StreamInstant = (typeof STREAM_INSTANTS)[number];

export const BATCH_INSTANTS = [
  'intended',
  'stored',
  'passStart',
  'taskStart',
  'readDone',
  'commitStart',
  'committed',
] as const;
export type BatchInstant = (typeof BATCH_INSTANTS)[number];

export interface StageDef<I extends string = StreamInstant> {
  id: string;
  label: string;
  from: I;
  to: I;
}

/** The stream's stages, in the order a reading passes them. */
export const STREAM_STAGES: readonly StageDef<StreamInstant>[] = [
  { id: 'send_delay', label: 'send delay (generator)', from: 'intended', to: 'sent' },
  { id: 'produce', label: 'produce (to the broker log)', from: 'sent', to: 'appended' },
  { id: 'delivery', label: 'delivery to the consumer', from: 'appended', to: 'fetched' },
  { id: 'processing', label: 'processing and group-commit wait', from: 'fetched', to: 'commitStart' },
  { id: 'commit', label: 'database commit', from: 'commitStart', to: 'committed' },
];

/** The batch's stages, in the order a reading passes them. */
export const BATCH_STAGES: readonly StageDef<BatchInstant>[] = [
  { id: 'ingest', label: 'ingest (generator to patient_vitals)', from: 'intended', to: 'stored' },
  { id: 'pass_wait', label: 'wait for the pass', from: 'stored', to: 'passStart' },
  { id: 'dispatch', label: 'pass planning and queue for a worker', from: 'passStart', to: 'taskStart' },
  { id: 'read', label: 'read (the task reads its readings)', from: 'taskStart', to: 'readDone' },
  { id: 'evaluate', label: 'evaluate (rules and windows)', from: 'readDone', to: 'commitStart' },
  { id: 'write', label: 'write (database transaction)', from: 'commitStart', to: 'committed' },
];

/** Per reading, each instant in epoch ms; NaN where it is not known. */
export type StageTimes<I extends string = StreamInstant> = Record<I, Float64Array>;

/**
 * The instants a chain of stages passes, first to last. Throws unless each stage starts where
 * the previous one ended: only then do a reading's stages add up to first-to-last exactly.
 */
export function stageChain<I extends string>(stages: readonly StageDef<I>[]): I[] {
  if (stages.length === 0) throw new Error('a stage breakdown needs at least one stage');
  stages.forEach((s, j) => {
    const previous = stages[j - 1];
    if (previous && previous.to !== s.from)
      throw new Error(`stage ${s.id} starts at ${s.from}, not where ${previous.id} ended (${previous.to})`);
  });
  return [stages[0]!.from, ...stages.map((s) => s.to)];
}

/** What stageBreakdown adds up over the readings, before the means are taken. */
interface StageTally {
  histograms: LatencyHistogram[];
  sums: number[];
  readings: number;
  incomplete: number;
  /** Sum of the readings' first-to-last latencies. */
  total: number;
}

/** The stage figures of the readings `include` selects (the measured phase, for instance). */
export function stageBreakdown<I extends string>(
  times: StageTimes<I>,
  include: (index: number) => boolean,
  stages: readonly StageDef<I>[],
): StageBreakdown {
  const chain = stageChain(stages);
  const first = times[chain[0]!];
  const last = times[chain[chain.length - 1]!];
  const tally: StageTally = {
    histograms: stages.map(() => new LatencyHistogram()),
    sums: stages.map(() => 0),
    readings: 0,
    incomplete: 0,
    total: 0,
  };
  for (let i = 0; i < first.length; i++) {
    if (!include(i)) continue;
    if (chain.some((k) => Number.isNaN(times[k][i]!))) {
      tally.incomplete++;
      continue;
    }
    tally.readings++;
    tally.total += last[i]! - first[i]!;
    stages.forEach((s, j) => {
      const d = times[s.to][i]! - times[s.from][i]!;
      tally.sums[j]! += d;
      tally.histograms[j]!.record(d);
    });
  }
  return summarise(stages, tally);
}

function summarise<I extends string>(stages: readonly StageDef<I>[], tally: StageTally): StageBreakdown {
  const { readings, incomplete } = tally;
  const meanTotal = readings ? tally.total / readings : 0;
  return {
    readings,
    incomplete,
    mean_total_ms: meanTotal,
    stages: stages.map((s, j) => {
      const mean = readings ? tally.sums[j]! / readings : 0;
      return {
        id: s.id,
        label: s.label,
        latency: tally.histograms[j]!.summary(),
        mean_ms: mean,
        share: meanTotal ? mean / meanTotal : 0,
      };
    }),
  };
}
