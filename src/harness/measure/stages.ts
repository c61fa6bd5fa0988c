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
import { LatencyHistogram } from '../../results/histogram.js';
import type { StageBreakdown } from '../../results/schema.js';

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

/**
 * The stage figures of readings added one at a time: what a stage breakdown adds up, in memory
 * that does not depend on how many readings there are.
 */
export class StageTally<I extends string> {
  private readonly chain: I[];
  private readonly histograms: LatencyHistogram[];
  private readonly sums: number[];
  private readings = 0;
  private incomplete = 0;
  /** Sum of the readings' first-to-last latencies. */
  private total = 0;

  constructor(private readonly stages: readonly StageDef<I>[]) {
    this.chain = stageChain(stages);
    this.histograms = stages.map(() => new LatencyHistogram());
    this.sums = stages.map(() => 0);
  }

  /** The instants of the chain (stageChain order) that can be added, for a caller filling them in place. */
  get instants(): readonly I[] {
    return this.chain;
  }

  /** One reading's instants, in stageChain order (NaN: not known, and the reading counts as incomplete). */
  add(instants: ArrayLike<number>): void {
    const n = this.chain.length;
    for (let k = 0; k < n; k++) {
      if (Number.isNaN(instants[k]!)) {
        this.incomplete++;
        return;
      }
    }
    this.readings++;
    this.total += instants[n - 1]! - instants[0]!;
    for (let j = 0; j < n - 1; j++) {
      const d = instants[j + 1]! - instants[j]!;
      this.sums[j]! += d;
      this.histograms[j]!.record(d);
    }
  }

  breakdown(): StageBreakdown {
    return summarise(this.stages, this.readings, this.incomplete, this.total, this.sums, this.histograms);
  }
}

/** The stage figures of the readings `include` selects (the measured phase, for instance). */
export function stageBreakdown<I extends string>(
  times: StageTimes<I>,
  include: (index: number) => boolean,
  stages: readonly StageDef<I>[],
): StageBreakdown {
  const tally = new StageTally(stages);
  const columns = tally.instants.map((k) => times[k]);
  const instants = new Float64Array(columns.length);
  for (let i = 0; i < columns[0]!.length; i++) {
    if (!include(i)) continue;
    columns.forEach((c, k) => (instants[k] = c[i]!));
    tally.add(instants);
  }
  return tally.breakdown();
}

function summarise<I extends string>(
  stages: readonly StageDef<I>[],
  readings: number,
  incomplete: number,
  total: number,
  sums: readonly number[],
  histograms: readonly LatencyHistogram[],
): StageBreakdown {
  const meanTotal = readings ? total / readings : 0;
  return {
    readings,
    incomplete,
    mean_total_ms: meanTotal,
    stages: stages.map((s, j) => {
      const mean = readings ? sums[j]! / readings : 0;
      return {
        id: s.id,
        label: s.label,
        latency: histograms[j]!.summary(),
        mean_ms: mean,
        share: meanTotal ? mean / meanTotal : 0,
      };
    }),
  };
}
