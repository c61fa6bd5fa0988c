import { describe, expect, it } from 'vitest';
import {
  erfc,
  exactDistribution,
  mannWhitneyU,
  normalSf,
  ranks,
} from '../../../../src/harness/measure/mann-whitney.js';

const binom = (n: number, k: number): number => {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
};

describe('exact null distribution of U', () => {
  it('counts C(m+n, m) orderings, symmetric about m*n/2', () => {
    for (const [m, n] of [
      [1, 1],
      [3, 3],
      [2, 5],
      [5, 5],
      [4, 7],
      [20, 20],
    ] as const) {
      const c = exactDistribution(m, n);
      expect(c).toHaveLength(m * n + 1);
      expect(c.reduce((s, x) => s + x, 0)).toBe(binom(m + n, m));
      expect(c).toEqual([...c].reverse());
    }
  });

  it('matches the table for n1 = n2 = 3', () => {
    // U = 0..9 for 3 vs 3: 1 1 2 3 3 3 3 2 1 1 (20 orderings).
    expect(exactDistribution(3, 3)).toEqual([1, 1, 2, 3, 3, 3, 3, 2, 1, 1]);
  });
});

describe('mannWhitneyU', () => {
  it('n1 = n2 = 5, complete separation: exact two-sided p = 2/252', () => {
    const r = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(r.method).toBe('exact');
    expect(r.u1).toBe(0);
    expect(r.u2).toBe(25);
    expect(r.p).toBeCloseTo(2 / 252, 12);
    expect(r.p).toBeCloseTo(0.00794, 5);
    // Either order, same p.
    expect(mannWhitneyU([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).p).toBeCloseTo(2 / 252, 12);
  });

  it('n1 = n2 = 3, complete separation: exact two-sided p = 0.1 (the smallest possible)', () => {
    const r = mannWhitneyU([10, 11, 12], [1, 2, 3]);
    expect(r.u1).toBe(9);
    expect(r.u).toBe(0);
    expect(r.p).toBeCloseTo(0.1, 12);
  });

  it('scipy.stats.mannwhitneyu documentation example (males vs females): U1 = 17, exact p = 0.1111, asymptotic p = 0.11134688653314041', () => {
    // From the scipy.stats.mannwhitneyu documentation; the asymptotic value (continuity
    // correction, no ties) is also reproduced by hand: z = (17 - 10 - 0.5) / sqrt(5*4*10/12).
    const males = [19, 22, 16, 29, 24];
    const females = [20, 11, 17, 12];
    const exact = mannWhitneyU(males, females);
    expect(exact.method).toBe('exact');
    expect(exact.u1).toBe(17);
    expect(exact.p).toBeCloseTo(0.1111111111111111, 12);
    const normal = mannWhitneyU(males, females, 'normal');
    expect(normal.method).toBe('normal');
    expect(normal.p).toBeCloseTo(0.11134688653314041, 10);
  });

  it("R's wilcox.test example (x vs y, W = 35, one-sided p = 0.1272): two-sided exact p = 0.2544", () => {
    // ?wilcox.test: x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46);
    // y <- c(1.15, 0.88, 0.90, 0.74, 1.21); wilcox.test(x, y, alternative = "g"): W = 35, p-value = 0.1272.
    // Two-sided exact: 2 * 382 / 3003 (enumerated by brute force in Python).
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const r = mannWhitneyU(x, y);
    expect(r.u1).toBe(35);
    expect(r.method).toBe('exact');
    expect(r.p).toBeCloseTo((2 * 382) / 3003, 12);
    expect(r.p).toBeCloseTo(0.2544, 4);
  });

  it('ties: average ranks, normal approximation with tie and continuity correction', () => {
    // Reference values computed by hand with scipy's asymptotic formula (python3 math.erfc,
    // scipy not installed): sigma^2 = n1 n2 / 12 * ((n + 1) - sum(t^3 - t) / (n (n - 1))),
    // z = (max(U1, U2) - n1 n2 / 2 - 0.5) / sigma, p = erfc(z / sqrt 2).
    const a = mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 3, 5, 6], 'normal');
    expect(a.method).toBe('normal');
    expect(a.u1).toBe(6);
    expect(a.p).toBeCloseTo(0.19882894401644238, 10);
    const b = mannWhitneyU([3, 3, 3, 5], [3, 5, 5, 5, 7], 'normal');
    expect(b.u1).toBe(4);
    expect(b.p).toBeCloseTo(0.13999628431554118, 10);
  });

  it('small samples with ties get the exact permutation p-value (checked against enumerating every split)', () => {
    // Brute force: every way to choose which n1 of the pooled values are the first sample.
    const bruteForce = (x: number[], y: number[]): number => {
      const pooled = [...x, ...y];
      const r = ranks(pooled).ranks;
      const n1 = x.length;
      const mean = (n1 * (pooled.length + 1)) / 2;
      const observed = Math.abs(r.slice(0, n1).reduce((t, v) => t + v, 0) - mean);
      let tail = 0;
      let total = 0;
      const choose = (start: number, left: number, sum: number): void => {
        if (left === 0) {
          total++;
          if (Math.abs(sum - mean) >= observed - 1e-9) tail++;
          return;
        }
        for (let i = start; i <= pooled.length - left; i++) choose(i + 1, left - 1, sum + r[i]!);
      };
      choose(0, n1, 0);
      return tail / total;
    };
    const cases: Array<[number[], number[]]> = [
      [
        [1, 2, 2, 3, 4],
        [2, 3, 3, 5, 6],
      ],
      [
        [3, 3, 3, 5],
        [3, 5, 5, 5, 7],
      ],
      [
        [4, 4, 5, 9, 4],
        [28, 29, 30, 31, 39],
      ],
      [
        [7, 7, 8],
        [7, 8, 8, 9],
      ],
    ];
    for (const [x, y] of cases) {
      const r = mannWhitneyU(x, y);
      expect(r.method).toBe('exact');
      expect(r.p).toBeCloseTo(bruteForce(x, y), 12);
    }
  });

  it('two sets of 5 that do not overlap give p = 2/252 even when values tie within a set', () => {
    // Whole-millisecond latencies tie often; ties inside one side do not change the ordering.
    const r = mannWhitneyU([3.67, 4.33, 4.33, 9.01, 3.67], [29.3, 28.3, 39.4, 29.3, 30.1]);
    expect(r.method).toBe('exact');
    expect(r.p).toBeCloseTo(2 / 252, 12);
  });

  it('large samples use the normal approximation', () => {
    const x = Array.from({ length: 22 }, (_, i) => i + 1);
    const y = Array.from({ length: 22 }, (_, i) => 2 * i + 10);
    const r = mannWhitneyU(x, y);
    expect(r.method).toBe('normal'); // ties (10, 12, ... in both) and 22*22 > 400
    expect(r.u1).toBe(45.5);
    expect(r.p).toBeCloseTo(4.189157738158974e-6, 12);
  });

  it('the normal approximation is close to the exact p for moderate samples', () => {
    const x = [1.1, 2.3, 3.2, 4.8, 5.5, 6.1, 7.9, 8.4];
    const y = [3.5, 5.1, 6.6, 7.2, 8.8, 9.3, 10.4, 11.7];
    expect(Math.abs(mannWhitneyU(x, y).p - mannWhitneyU(x, y, 'normal').p)).toBeLessThan(0.01);
  });

  it('tiny samples: 1 vs 1 gives p = 1', () => {
    expect(mannWhitneyU([1], [2]).p).toBe(1);
    expect(mannWhitneyU([5], [1, 2, 3]).p).toBeCloseTo(0.5, 12); // U = 3 of 3: P(U >= 3) = 1/4, two-sided 1/2
  });

  it('identical samples give p = 1', () => {
    expect(mannWhitneyU([7, 7, 7], [7, 7, 7]).p).toBe(1);
    expect(mannWhitneyU([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]).p).toBe(1);
  });

  it('an empty sample gives no p-value', () => {
    const r = mannWhitneyU([], [1, 2]);
    expect(r.method).toBe('none');
    expect(r.p).toBeNaN();
  });

  it('ranks average ties', () => {
    expect(ranks([10, 20, 20, 30])).toEqual({ ranks: [1, 2.5, 2.5, 4], ties: [2] });
  });

  it('erfc and the normal tail match known values', () => {
    // Python's math.erfc.
    expect(erfc(0.5)).toBeCloseTo(0.4795001221869535, 14);
    expect(erfc(1.5)).toBeCloseTo(0.033894853524689274, 14);
    expect(erfc(3) / 2.2090496998585438e-5).toBeCloseTo(1, 10);
    expect(erfc(-1)).toBeCloseTo(1.842700792949715, 14);
    expect(normalSf(1.959963984540054)).toBeCloseTo(0.025, 12);
  });
});
