import { describe, expect, it } from 'vitest';
import {
  observerResolutionWarnings,
  OBSERVER_RESOLUTION_TARGET_MS,
} from '../../../../src/harness/measure/visibility.js';
import type { LatencySummary, ObservationResult } from '../../../../src/results/schema.js';
import { EMPTY } from '../fixture.js';

const bound = (p99: number, count = 500): LatencySummary => ({
  ...EMPTY,
  count,
  p50: p99 / 2,
  p95: p99 / 2,
  p99,
  max: p99 * 2,
});

function observation(bounds: Record<string, LatencySummary>): ObservationResult {
  return {
    poll_interval_ms: 2,
    priority: 'nice -5',
    rounds: 20000,
    queries_per_s: 330,
    cpu_ms: 9000,
    round_gap_ms: { p50: 3, p99: 9.04, max: 40 },
    swept_late: 0,
    failed_rounds: 0,
    visibility_latency: {},
    visibility_bound: bounds,
    commit_latency: {},
  };
}

describe("the results observer's resolution in the run's warnings", () => {
  it('above its 5 ms target: says so, with the reached resolution (p99, with p95 and the widest) and each mode above it', () => {
    const w = observerResolutionWarnings(observation({ stream: bound(6.31), spark: bound(8.46), batch: bound(3) }));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(
      /^the results observer's resolution was 8\.5 ms \(p99\), above its 5 ms target: the machine was loaded \(spark 8\.5 ms, p95 4\.2, widest 16\.9; stream 6\.3 ms, p95 3\.2, widest 12\.6; /,
    );
    expect(w[0]).toContain('its rounds started 9 ms apart at p99 and 40 ms at most, 2 ms pause asked');
    expect(w[0]).not.toContain('batch');
  });

  it('at or below the target, or with no result to bound, no warning', () => {
    expect(OBSERVER_RESOLUTION_TARGET_MS).toBe(5);
    expect(observerResolutionWarnings(observation({ stream: bound(5), spark: bound(2.5) }))).toEqual([]);
    expect(observerResolutionWarnings(observation({ spark: { ...EMPTY } }))).toEqual([]);
  });
});
