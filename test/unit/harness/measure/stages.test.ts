import { describe, expect, it } from 'vitest';
import {
  BATCH_INSTANTS,
  BATCH_STAGES,
  STREAM_INSTANTS,
  STREAM_STAGES,
  stageBreakdown,
  stageChain,
  type StageTimes,
} from '../../../../src/harness/measure/stages.js';

/** A hand-made run: rows of [intended, sent, appended, fetched, commitStart, committed]. */
function times(rows: number[][]): StageTimes {
  const out = {} as StageTimes;
  STREAM_INSTANTS.forEach((k, j) => (out[k] = Float64Array.from(rows.map((r) => r[j]!))));
  return out;
}

describe('stageBreakdown', () => {
  const run = times([
    // stages: send 1, produce 2, delivery 3, processing 4, commit 10 -> 20 ms
    [1000, 1001, 1003, 1006, 1010, 1020],
    // stages: send 0, produce 1, delivery 1, processing 2, commit 6 -> 10 ms
    [2000, 2000, 2001, 2002, 2004, 2010],
    // stages: send 5, produce 5, delivery 20, processing 0, commit 0 -> 30 ms
    [3000, 3005, 3010, 3030, 3030, 3030],
  ]);

  it('gives each stage its mean and percentiles, and the means add up to the mean event-time latency', () => {
    const b = stageBreakdown(run, () => true, STREAM_STAGES);
    expect(b.readings).toBe(3);
    expect(b.incomplete).toBe(0);
    expect(b.mean_total_ms).toBe(20); // (20 + 10 + 30) / 3
    expect(b.stages.map((s) => s.id)).toEqual(['send_delay', 'produce', 'delivery', 'processing', 'commit']);
    expect(b.stages.map((s) => s.mean_ms)).toEqual([2, 8 / 3, 8, 2, 16 / 3]);
    expect(b.stages.reduce((sum, s) => sum + s.mean_ms, 0)).toBeCloseTo(b.mean_total_ms, 12);
    expect(b.stages.reduce((sum, s) => sum + s.share, 0)).toBeCloseTo(1, 12);
    expect(b.stages[2]!.share).toBeCloseTo(8 / 20, 12);
    const delivery = b.stages[2]!.latency;
    expect(delivery.count).toBe(3);
    // HDR histogram, 3 significant digits: a value reads back within 0.1 %.
    [
      [delivery.min, 1],
      [delivery.p50, 3],
      [delivery.max, 20],
    ].forEach(([got, want]) => expect(Math.abs(got! - want!)).toBeLessThanOrEqual(want! * 0.001));
  });

  it('describes only the readings selected, and leaves out (and counts) those with an unknown instant', () => {
    const withGap = times([
      [1000, 1001, 1003, 1006, 1010, 1020],
      [2000, NaN, 2001, 2002, 2004, 2010],
      [3000, 3005, 3010, 3030, 3030, 3030],
    ]);
    const b = stageBreakdown(withGap, (i) => i !== 0, STREAM_STAGES);
    expect(b.readings).toBe(1);
    expect(b.incomplete).toBe(1);
    expect(b.mean_total_ms).toBe(30);
    expect(b.stages.map((s) => s.mean_ms)).toEqual([5, 5, 20, 0, 0]);
  });

  it('reports zeros, not NaN, when no reading has every instant', () => {
    const b = stageBreakdown(times([[1, NaN, 3, 4, 5, 6]]), () => true, STREAM_STAGES);
    expect(b.readings).toBe(0);
    expect(b.mean_total_ms).toBe(0);
    expect(b.stages.every((s) => s.mean_ms === 0 && s.share === 0 && s.latency.count === 0)).toBe(true);
  });
});

describe('stageChain', () => {
  it("each mode's stages run from t_intended to t_committed without a gap, so a reading's stages add up to its latency", () => {
    expect(stageChain(STREAM_STAGES)).toEqual([...STREAM_INSTANTS]);
    expect(stageChain(BATCH_STAGES)).toEqual([...BATCH_INSTANTS]);
  });

  it('refuses stages that leave a gap or overlap', () => {
    const gap = [
      { id: 'a', label: 'a', from: 'intended', to: 'sent' },
      { id: 'b', label: 'b', from: 'appended', to: 'committed' },
    ] as const;
    expect(() => stageChain(gap)).toThrow(/stage b starts at appended, not where a ended \(sent\)/);
    expect(() => stageBreakdown(times([[1, 2, 3, 4, 5, 6]]), () => true, gap)).toThrow(/stage b/);
  });
});
