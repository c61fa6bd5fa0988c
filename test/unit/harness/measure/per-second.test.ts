import { describe, expect, it } from 'vitest';
import { PerSecondLatency } from '../../../../src/harness/measure/per-second.js';
import { LatencyHistogram } from '../../../../src/results/histogram.js';

describe('PerSecondLatency', () => {
  it('counts the results of every second, gaps included', () => {
    const s = new PerSecondLatency();
    for (const [second, n] of [
      [0, 3],
      [2, 1],
      [5, 2],
    ] as const)
      for (let k = 0; k < n; k++) s.record(second, 10);
    expect(s.output).toEqual([3, 0, 1, 0, 0, 2]);
  });

  it('gives a closed second the p99 of its own results, as one histogram of them would', () => {
    const s = new PerSecondLatency();
    const expected = [new LatencyHistogram(), new LatencyHistogram()];
    for (let k = 1; k <= 200; k++) {
      s.record(0, k);
      expected[0]!.record(k);
      s.record(1, 1000 + k * 3);
      expected[1]!.record(1000 + k * 3);
    }
    s.closeBefore(2);
    expect(s.p99(0)).toBe(expected[0]!.percentile(99));
    expect(s.p99(1)).toBe(expected[1]!.percentile(99));
  });

  it('keeps histograms only for the seconds still open: closing compacts them to their p99', () => {
    const s = new PerSecondLatency();
    for (let second = 0; second < 100; second++) s.record(second, second);
    expect(s.openSeconds).toBe(100);
    s.closeBefore(90);
    expect(s.openSeconds).toBe(10);
    expect(s.p99(89)).toBeCloseTo(89, 1);
    s.closeBefore(50); // never reopens
    expect(s.openSeconds).toBe(10);
    s.closeBefore(Infinity);
    expect(s.openSeconds).toBe(0);
    expect(s.p99(99)).toBeCloseTo(99, 1);
  });

  it('gives null for a closed second without results, and refuses the p99 of an open one', () => {
    const s = new PerSecondLatency();
    s.record(3, 5);
    expect(() => s.p99(3)).toThrow(/not closed/);
    s.closeBefore(4);
    expect(s.p99(1)).toBeNull();
    expect(s.p99(3)).toBeCloseTo(5, 1);
  });

  it("counts a result of a closed second without changing that second's p99", () => {
    const s = new PerSecondLatency();
    s.record(0, 5);
    s.closeBefore(1);
    s.record(0, 5000);
    expect(s.output[0]).toBe(2);
    expect(s.lateForClosed).toBe(1);
    expect(s.p99(0)).toBeCloseTo(5, 1);
    expect(s.openSeconds).toBe(0);
  });
});
