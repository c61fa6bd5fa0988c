import { describe, expect, it } from 'vitest';
import { medianInterval, runsNeeded, smallestP, stepTest } from '../../../../src/harness/measure/trend.js';

describe("the interval of a median from the runs' order statistics", () => {
  it('with 5 runs or fewer it is min..max, at the level it really has', () => {
    expect(medianInterval([3, 1])).toEqual({ lo: 1, hi: 3, level: 0.5, n: 2 });
    expect(medianInterval([5, 1, 3])).toMatchObject({ lo: 1, hi: 5, level: 0.75 });
    expect(medianInterval([1, 2, 3, 4, 5])!.level).toBeCloseTo(0.9375, 10);
    expect(medianInterval([7])).toEqual({ lo: 7, hi: 7, level: 0, n: 1 });
    expect(medianInterval([])).toBeUndefined();
  });

  it('from 6 runs up it is the narrowest with at least 95%', () => {
    // n = 10: [x(2), x(9)] holds the median with 1 - 2 * P(Bin(10, 1/2) <= 1) = 97.85%; [x(3), x(8)] only 89%.
    const i = medianInterval([10, 1, 9, 2, 8, 3, 7, 4, 6, 5])!;
    expect([i.lo, i.hi]).toEqual([2, 9]);
    expect(i.level).toBeCloseTo(1 - (2 * 11) / 1024, 10);
  });
});

describe('a step between neighbouring values of a sweep', () => {
  it('the smallest p an exact test can reach, and the runs a side it takes to reach 0.05', () => {
    expect(smallestP(2, 2)).toBeCloseTo(1 / 3, 10);
    expect(smallestP(3, 3)).toBeCloseTo(0.1, 10);
    expect(smallestP(4, 4)).toBeCloseTo(2 / 70, 10);
    expect(runsNeeded()).toBe(4);
  });

  it('overlapping spreads: no measurable change (the issue: stream p50 50 -> 31.5 ms, 24..76 ms)', () => {
    const t = stepTest([24, 76, 50, 40], [30, 31.5, 33, 35])!;
    expect(t.verdict).toBe('unchanged');
    expect(t.p).toBeGreaterThan(0.05);
    expect(t.separated).toBe(false);
  });

  it('separated spreads with enough runs: a change, with its p', () => {
    const t = stepTest([1000, 1100, 1050, 1080], [5000, 5200, 5100, 4900])!;
    expect(t.verdict).toBe('changed');
    expect(t.p).toBeCloseTo(2 / 70, 10);
    expect(t.from).toBe(1065);
    expect(t.to).toBe(5050);
  });

  it('too few runs: untested, never "unchanged", with a hint when two runs a side do not overlap', () => {
    const t = stepTest([1000, 1100], [5000, 5200])!;
    expect(t.verdict).toBe('untested');
    expect(t.separated).toBe(true);
    expect(stepTest([1000], [5000])!.separated).toBe(false);
    expect(stepTest([], [1])).toBeUndefined();
  });
});
