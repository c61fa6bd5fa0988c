/**
 * Trends against noise in a sweep: a figure's runs at one value of an option against its runs at
 * the neighbouring value, and what can be said of each value's median. Runs are the unit: the
 * readings of one run are not independent of each other, the runs are.
 *
 * - The interval of a median is distribution-free, from the runs' order statistics: with n runs
 *   the interval [x(k), x(n+1-k)] holds the true median with probability 1 - 2 P(Bin(n, 1/2) < k).
 *   The narrowest one holding it with at least 95% is taken; with 5 runs or fewer even min..max
 *   holds it less often (n=2: 50%, 3: 75%, 4: 87.5%, 5: 93.75%), and its level is said.
 * - A step between neighbouring values is a change when a two-sided Mann-Whitney U test over the
 *   runs (exact for small samples, ties included) gives p < 0.05. With too few runs no outcome
 *   can reach that (2 and 2 runs: the smallest p is 1/3): then the step is untested, not unchanged.
 */
import { mannWhitneyU } from './mann-whitney.js';

/** The significance level of a step. */
export const TREND_ALPHA = 0.05;

/** The level an interval of the median must reach. */
const INTERVAL_LEVEL = 0.95;

function binomialCdfHalf(n: number, k: number): number {
  // P(Bin(n, 1/2) <= k)
  let term = 0.5 ** n;
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += term;
    term *= (n - i) / (i + 1);
  }
  return sum;
}

export interface MedianInterval {
  lo: number;
  hi: number;
  /** How often such an interval holds the true median: at least 0.95, or less with 5 runs or fewer. */
  level: number;
  n: number;
}

/** The distribution-free interval of the median of `values` (undefined for none). */
export function medianInterval(values: readonly number[]): MedianInterval | undefined {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = xs.length;
  if (n === 0) return undefined;
  if (n === 1) return { lo: xs[0]!, hi: xs[0]!, level: 0, n };
  // Largest k (narrowest interval) whose level still reaches INTERVAL_LEVEL; k = 1 (min..max) otherwise.
  let k = 1;
  for (let j = 1; j <= Math.floor(n / 2); j++) {
    if (1 - 2 * binomialCdfHalf(n, j - 1) >= INTERVAL_LEVEL) k = j;
  }
  return { lo: xs[k - 1]!, hi: xs[n - k]!, level: 1 - 2 * binomialCdfHalf(n, k - 1), n };
}

/** The smallest two-sided p an exact Mann-Whitney test of n1 against n2 runs can give: 2 / C(n1 + n2, n1). */
export function smallestP(n1: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1;
  let c = 1;
  for (let i = 1; i <= n1; i++) c = (c * (n2 + i)) / i;
  return Math.min(1, 2 / c);
}

/** Runs per side at which a step can reach p < alpha (with as many runs on each side). */
export function runsNeeded(alpha = TREND_ALPHA): number {
  let n = 1;
  while (smallestP(n, n) >= alpha) n++;
  return n;
}

export interface StepTest {
  /** 'changed': p < alpha; 'unchanged': a change could have shown and did not; 'untested': too few runs for any p < alpha. */
  verdict: 'changed' | 'unchanged' | 'untested';
  p: number;
  /** The medians of each side. */
  from: number;
  to: number;
  n1: number;
  n2: number;
  /** Two runs or more a side, and they do not overlap at all (said of untested steps: a hint, not a test). */
  separated: boolean;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One step of a sweep: the runs of a figure at one value against those at the next. */
export function stepTest(a: readonly number[], b: readonly number[], alpha = TREND_ALPHA): StepTest | undefined {
  const x = a.filter(Number.isFinite);
  const y = b.filter(Number.isFinite);
  if (x.length === 0 || y.length === 0) return undefined;
  const p = mannWhitneyU(x, y).p;
  // Said of two runs or more a side: single runs always "do not overlap".
  const separated =
    x.length > 1 && y.length > 1 && (Math.max(...x) < Math.min(...y) || Math.max(...y) < Math.min(...x));
  const testable = smallestP(x.length, y.length) < alpha;
  return {
    verdict: !testable ? 'untested' : p < alpha ? 'changed' : 'unchanged',
    p,
    from: median(x),
    to: median(y),
    n1: x.length,
    n2: y.length,
    separated,
  };
}
