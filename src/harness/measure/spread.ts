/**
 * Median and spread of one figure across the repeats of a sweep value (--repeat N): the sweep
 * report prints "median (min..max, n=count)" rather than one run's figure as if it were the value's.
 */

export interface Spread {
  /** Values the figure had (missing ones left out). */
  n: number;
  median: number;
  min: number;
  max: number;
}

/** The median of numbers (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median, min, max and count of the finite values; undefined when there is none. */
export function spread(values: ReadonlyArray<number | null | undefined>): Spread | undefined {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return undefined;
  return { n: xs.length, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}
