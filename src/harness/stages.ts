/**
 * Where a reading's time goes (METRICS.md "Stage latency"). For the stream, each reading's
 * event-time latency t_committed - t_intended is cut at four instants it passes on the way:
 *
 *   t_intended -> t_sent -> t_appended -> t_fetched -> t_commit_start -> t_committed
 *
 * The five stage durations of one reading add up to its event-time latency exactly (each is
 * the difference of two of the instants, all whole milliseconds on the machine's one clock).
 * Percentiles of stages do not add up, so each stage also gets its mean, and the means do add
 * up to the mean event-time latency: their shares are what the stacked chart shows.
 */
import { LatencyHistogram } from './histogram.js';
import type { LatencySummary } from './results.js';

export const STAGE_INSTANTS = ['intended', 'sent', 'appended', 'fetched', 'commitStart', 'committed'] as const;
export type StageInstant = (typeof STAGE_INSTANTS)[number];

export interface StageDef {
  id: string;
  label: string;
  from: StageInstant;
  to: StageInstant;
}

/** The stream's stages, in the order a reading passes them. */
export const STREAM_STAGES: readonly StageDef[] = [
  { id: 'send_delay', label: 'send delay (generator)', from: 'intended', to: 'sent' },
  { id: 'produce', label: 'produce (to the broker log)', from: 'sent', to: 'appended' },
  { id: 'delivery', label: 'delivery to the consumer', from: 'appended', to: 'fetched' },
  { id: 'processing', label: 'processing and group-commit wait', from: 'fetched', to: 'commitStart' },
  { id: 'commit', label: 'database commit', from: 'commitStart', to: 'committed' },
];

/** Per reading, each instant in epoch ms; NaN where it is not known. */
export type StageTimes = Record<StageInstant, Float64Array>;

export interface StageSummary {
  id: string;
  label: string;
  latency: LatencySummary;
  /** Mean duration (ms), of the exact differences (a negative one, from clock granularity, counts as it is). */
  mean_ms: number;
  /** mean_ms / the mean event-time latency of the same readings. */
  share: number;
}

export interface StageBreakdown {
  /** Readings with every instant known, the ones the figures describe. */
  readings: number;
  /** Readings left out because an instant was unknown (e.g. sent by a producer without the t_sent header). */
  incomplete: number;
  /** Mean event-time latency of those readings: the sum of the stages' means. */
  mean_total_ms: number;
  stages: StageSummary[];
}

/** The stage figures of the readings `include` selects (the measured phase, for instance). */
export function stageBreakdown(
  times: StageTimes,
  include: (index: number) => boolean,
  stages: readonly StageDef[] = STREAM_STAGES,
): StageBreakdown {
  const n = times.intended.length;
  const histograms = stages.map(() => new LatencyHistogram());
  const sums = stages.map(() => 0);
  let readings = 0;
  let incomplete = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!include(i)) continue;
    if (STAGE_INSTANTS.some((k) => Number.isNaN(times[k][i]!))) {
      incomplete++;
      continue;
    }
    readings++;
    total += times.committed[i]! - times.intended[i]!;
    stages.forEach((s, j) => {
      const d = times[s.to][i]! - times[s.from][i]!;
      sums[j]! += d;
      histograms[j]!.record(d);
    });
  }
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
