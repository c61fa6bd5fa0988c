/**
 * The Mann-Whitney U test (Wilcoxon rank-sum test), two-sided, as benchstat uses it to tell
 * whether two sets of runs differ: it needs no assumption about the distribution, only that
 * the runs of each side are independent.
 *
 * The p-value is exact when the samples are small: without ties from the null distribution
 * of U enumerated by dynamic programming over ranks; with ties from the permutation
 * distribution of the tied (mid)ranks, as R's coin::wilcox_test(distribution = "exact")
 * computes it (runs of a benchmark tie often: latencies are whole milliseconds). Larger
 * samples get the normal approximation with the tie correction of the variance and a
 * continuity correction of 0.5, which is what scipy.stats.mannwhitneyu(method='asymptotic')
 * and R's wilcox.test (correct = TRUE) compute.
 */

export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, ties counting 1/2. */
  u1: number;
  /** U of the second sample: n1 * n2 - u1. */
  u2: number;
  /** min(u1, u2), the statistic of the printed tables. */
  u: number;
  /** Two-sided p-value; NaN when a sample is empty. */
  p: number;
  /** How p was found: 'exact', 'normal' approximation, or 'none' (an empty sample). */
  method: 'exact' | 'normal' | 'none';
  n1: number;
  n2: number;
}

/** Samples up to this n1 * n2 without ties get the exact p-value (20 vs 20 at most, C(40, 20) ~ 1.4e11 fits a double exactly). */
const EXACT_MAX_PRODUCT = 400;

/** Average ranks (1-based) of `values`, ties sharing the mean of their ranks; plus the tie group sizes. */
export function ranks(values: readonly number[]): { ranks: number[]; ties: number[] } {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length);
  const ties: number[] = [];
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.v === order[start]!.v) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) out[order[k]!.i] = rank;
    if (end > start) ties.push(end - start + 1);
    start = end + 1;
  }
  return { ranks: out, ties };
}

/**
 * counts[u] = in how many of the C(m + n, m) equally likely orderings of m x's and n y's the
 * x's have U = u (the Gaussian binomial coefficient: partitions of u into at most m parts
 * of at most n). Recurrence on the largest value: it is an x (then it beats all n y's:
 * f(m - 1, n)[u - n]) or a y (f(m, n - 1)[u]).
 */
export function exactDistribution(m: number, n: number): number[] {
  // prev[j] = f(i - 1, j); row[j] = f(i, j), arrays of length (i * j + 1).
  let prev: number[][] = Array.from({ length: n + 1 }, () => [1]);
  for (let i = 1; i <= m; i++) {
    const row: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      const f = new Array<number>(i * j + 1).fill(0);
      const withY = row[j - 1]!; // f(i, j - 1)
      for (let u = 0; u < withY.length; u++) f[u] = f[u]! + withY[u]!;
      const withX = prev[j]!; // f(i - 1, j), shifted by j
      for (let u = 0; u < withX.length; u++) f[u + j] = f[u + j]! + withX[u]!;
      row.push(f);
    }
    prev = row;
  }
  return prev[n]!;
}

/** Standard normal upper tail P(Z > z). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function, accurate to ~1e-14 (series for small x, continued fraction for large). */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf by its Taylor series: 2/sqrt(pi) * sum (-1)^k x^(2k+1) / (k! (2k+1)).
    let term = x;
    let sum = x;
    for (let k = 1; k < 100; k++) {
      term *= (-x * x) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction (Lentz): erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/**
 * The two-sided Mann-Whitney U test of samples x and y. Non-finite values are left out.
 * `method` 'auto' (the default) is exact for small samples without ties, else the normal
 * approximation; 'normal' forces the approximation (for tests and comparison with tables).
 */
export function mannWhitneyU(
  xIn: readonly number[],
  yIn: readonly number[],
  method: 'auto' | 'normal' = 'auto',
): MannWhitneyResult {
  const x = xIn.filter(Number.isFinite);
  const y = yIn.filter(Number.isFinite);
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u1: NaN, u2: NaN, u: NaN, p: NaN, method: 'none', n1, n2 };
  const { ranks: r, ties } = ranks([...x, ...y]);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += r[i]!;
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const u = Math.min(u1, u2);
  const base = { u1, u2, u, n1, n2 };

  if (method === 'auto' && ties.length === 0 && n1 * n2 <= EXACT_MAX_PRODUCT) {
    const counts = exactDistribution(n1, n2);
    const total = counts.reduce((s, c) => s + c, 0);
    // The null distribution is symmetric: P(U <= min) doubled.
    let tail = 0;
    for (let k = 0; k <= u; k++) tail += counts[k]!;
    return { ...base, p: Math.min(1, (2 * tail) / total), method: 'exact' };
  }

  if (method === 'auto' && n1 * n2 <= EXACT_MAX_PRODUCT) {
    return { ...base, p: exactTiedP(r, n1, r1), method: 'exact' };
  }

  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const tieTerm = ties.reduce((s, t) => s + t ** 3 - t, 0);
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { ...base, p: 1, method: 'normal' }; // every value the same
  const distance = Math.max(0, Math.abs(Math.max(u1, u2) - mean) - 0.5);
  const z = distance / Math.sqrt(variance);
  return { ...base, p: Math.min(1, 2 * normalSf(z)), method: 'normal' };
}

/**
 * Two-sided exact p-value of a rank sum `r1` of the first n1 of the pooled (mid)ranks: the
 * share of all ways to pick n1 of the ranks whose sum lies at least as far from its mean.
 * Midranks are halves at most, so sums are counted over doubled ranks (integers) by dynamic
 * programming: ways[k][s] = subsets of k ranks with doubled sum s.
 */
function exactTiedP(pooledRanks: readonly number[], n1: number, r1: number): number {
  const doubled = pooledRanks.map((rank) => Math.round(rank * 2));
  const maxSum = doubled.reduce((t, v) => t + v, 0);
  const ways = Array.from({ length: n1 + 1 }, () => new Float64Array(maxSum + 1));
  ways[0]![0] = 1;
  doubled.forEach((v, seen) => {
    for (let k = Math.min(n1, seen + 1); k >= 1; k--) {
      const into = ways[k]!;
      const from = ways[k - 1]!;
      for (let sum = maxSum; sum >= v; sum--) into[sum]! += from[sum - v]!;
    }
  });
  const n = pooledRanks.length;
  const mean = n1 * (n + 1); // doubled expected rank sum
  const observed = Math.abs(Math.round(r1 * 2) - mean);
  let tail = 0;
  let total = 0;
  ways[n1]!.forEach((count, sum) => {
    total += count;
    if (Math.abs(sum - mean) >= observed) tail += count;
  });
  return Math.min(1, tail / total);
}

/**
 * The smallest two-sided p the exact test can give for samples of n1 and n2 values: two sets that
 * do not overlap at all, 2 / C(n1 + n2, n1) (2/252 = 0.0079 at 5 vs 5, 2/126 = 0.016 at 4 vs 5).
 * A rule with alpha at or below it can never call anything significant.
 */
export function smallestTwoSidedP(n1: number, n2: number): number {
  if (n1 < 1 || n2 < 1) return 1;
  let arrangements = 1;
  for (let k = 1; k <= n1; k++) arrangements = (arrangements * (n2 + k)) / k;
  return Math.min(1, 2 / arrangements);
}
