/**
 * Which stages moved with an event-time latency (METRICS.md "Stage latency"): per mode and stage,
 * the median across runs of each side of the stage's mean and of its p50, the difference, and the
 * Mann-Whitney p of each. A reading's stages add up to its event-time latency exactly, so the
 * stages' means add up to the mean event-time latency: the change of each stage's mean is its share
 * of the change of the mean ("stream +25 ms: all of it in processing and group-commit wait").
 */
import { mannWhitneyU } from '../../measure/mann-whitney.js';
import { median } from '../../measure/spread.js';
import type { RunResult, StageBreakdown } from '../../../results/schema.js';

export interface StageStat {
  /** Median across the side's runs; null when no run had it. */
  base: number | null;
  new: number | null;
  /** new - base. */
  diff: number | null;
  /** Two-sided Mann-Whitney U p over the runs' values. */
  p: number | null;
}

interface StageRow {
  id: string;
  label: string;
  /** The stage's mean duration (ms). */
  mean: StageStat;
  /** The stage's p50 (ms). */
  p50: StageStat;
  /** The change of its mean as a share of the change of the mean event-time latency; null when that did not change. */
  share: number | null;
  /** Its mean moved: p below alpha and a difference beyond the resolution. */
  moved: boolean;
}

export interface StageComparison {
  mode: 'stream' | 'batch';
  /** Runs with a breakdown on each side. */
  runs: { base: number; new: number };
  /** The mean event-time latency of the readings the stages describe. */
  total: StageStat;
  stages: StageRow[];
}

const STAGED_MODES = ['stream', 'batch'] as const;

function stat(base: readonly number[], next: readonly number[]): StageStat {
  const b = base.length ? median(base) : null;
  const n = next.length ? median(next) : null;
  const p = mannWhitneyU(next, base).p;
  return { base: b, new: n, diff: b !== null && n !== null ? n - b : null, p: Number.isFinite(p) ? p : null };
}

const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The stage comparison of every mode whose breakdown both sides recorded. `resolution`: a
 * difference of medians no larger (the instants are whole milliseconds) never counts as moved.
 */
export function compareStages(
  base: readonly RunResult[],
  next: readonly RunResult[],
  alpha: number,
  resolution = 1,
): StageComparison[] {
  const out: StageComparison[] = [];
  for (const mode of STAGED_MODES) {
    const of = (runs: readonly RunResult[]): StageBreakdown[] =>
      runs.map((r) => r.stages?.[mode]).filter((s): s is StageBreakdown => s !== undefined && s.readings > 0);
    const b = of(base);
    const n = of(next);
    if (!b.length || !n.length) continue;
    const total = stat(
      b.map((s) => s.mean_total_ms),
      n.map((s) => s.mean_total_ms),
    );
    const ids = [...new Map([...b, ...n].flatMap((s) => s.stages.map((x) => [x.id, x.label] as const))).entries()];
    const values = (side: StageBreakdown[], id: string, pick: 'mean' | 'p50'): number[] =>
      side
        .map((s) => s.stages.find((x) => x.id === id))
        .map((x) =>
          x === undefined ? undefined : pick === 'mean' ? x.mean_ms : x.latency.count > 0 ? x.latency.p50 : undefined,
        )
        .filter(finite);
    const stages = ids.map(([id, label]): StageRow => {
      const mean = stat(values(b, id, 'mean'), values(n, id, 'mean'));
      return {
        id,
        label,
        mean,
        p50: stat(values(b, id, 'p50'), values(n, id, 'p50')),
        share: mean.diff !== null && total.diff ? mean.diff / total.diff : null,
        moved: mean.p !== null && mean.p < alpha && mean.diff !== null && Math.abs(mean.diff) > resolution,
      };
    });
    out.push({ mode, runs: { base: b.length, new: n.length }, total, stages });
  }
  return out;
}
