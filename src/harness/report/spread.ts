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

/**
 * "12.3 ms (10.1..15.2, n=3)"; "12.3 ms (n=1)" for one value; "n/a" for none. `of` is how many
 * runs there were: when fewer had the figure, the count says so ("n=2 of 3").
 */
export function fmtSpread(s: Spread | undefined, fmt: (v: number) => string, unit = '', of?: number): string {
  if (!s) return 'n/a';
  const count = `n=${s.n}${of !== undefined && of > s.n ? ` of ${of}` : ''}`;
  const range = s.n > 1 ? `${fmt(s.min)}..${fmt(s.max)}, ` : '';
  return `${fmt(s.median)}${unit} (${range}${count})`;
}

/** A value of a swept option as it reads on an axis or in a table: 10, 2.5, 0.05 (no spurious decimals). */
export function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}
