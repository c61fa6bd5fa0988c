/**
 * The event-time p99 of the readings intended during an interval (a fault, up to its recovery)
 * against that of every other measured reading, per mode. The intervals are known before the
 * readings are read (from the run's record: faults, outages, backlog), so each reading is added
 * once to a histogram per interval, never kept.
 */
import { LatencyHistogram } from '../../results/histogram.js';
import type { FaultReport } from '../../results/schema.js';

export type LatencySplit = Pick<FaultReport, 'p99_during_ms' | 'p99_outside_ms' | 'readings_during'>;

/** An interval of t_intended, both ends included (epoch ms). */
export interface Interval {
  from: number;
  to: number;
}

interface Split {
  during: LatencyHistogram;
  outside: LatencyHistogram;
}

export class IntervalLatencies {
  /** Per interval (its key), per mode. */
  private readonly splits = new Map<string, { interval: Interval; byMode: Map<string, Split> }>();

  constructor(
    intervals: Iterable<Interval>,
    private readonly modes: readonly string[],
  ) {
    for (const interval of intervals) {
      const key = intervalKey(interval);
      if (this.splits.has(key)) continue;
      const byMode = new Map(
        modes.map((m) => [m, { during: new LatencyHistogram(), outside: new LatencyHistogram() }] as const),
      );
      this.splits.set(key, { interval, byMode });
    }
  }

  /** One measured reading of a mode: its t_intended and its result's t_committed. */
  add(mode: string, intended: number, committed: number): void {
    for (const { interval, byMode } of this.splits.values()) {
      const split = byMode.get(mode);
      if (!split) continue;
      (intended >= interval.from && intended <= interval.to ? split.during : split.outside).record(
        committed - intended,
      );
    }
  }

  /** The p99 during [from, to] and outside it, per mode (null: no reading), and the readings during it. */
  split(from: number, to: number): LatencySplit {
    const entry = this.splits.get(intervalKey({ from, to }));
    if (!entry) throw new Error(`no latencies were kept for the interval ${from}..${to}`);
    const during: Record<string, number | null> = {};
    const outside: Record<string, number | null> = {};
    const counts: Record<string, number> = {};
    for (const mode of this.modes) {
      const { during: inH, outside: outH } = entry.byMode.get(mode)!;
      during[mode] = inH.count > 0 ? inH.summary().p99 : null;
      outside[mode] = outH.count > 0 ? outH.summary().p99 : null;
      counts[mode] = inH.count;
    }
    return { p99_during_ms: during, p99_outside_ms: outside, readings_during: counts };
  }
}

function intervalKey(i: Interval): string {
  return `${i.from}|${i.to}`;
}
