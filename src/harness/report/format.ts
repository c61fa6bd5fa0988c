/**
 * How the reports write numbers: one module, so that a figure reads the same in every table,
 * summary sentence, chart caption and console line.
 *
 * The one rule: about three significant digits (no decimals from 100 up, one from 10, two from
 * 1, three below 1), no trailing zeros ("50", never "50.0" beside "300"), thousands separated
 * by commas ("16,630"). CSV and JSON keep the raw numbers.
 */
import type { Spread } from '../measure/spread.js';

function decimalsFor(abs: number): number {
  if (abs >= 100) return 0;
  if (abs >= 10) return 1;
  if (abs >= 1) return 2;
  return 3;
}

/** "50.0" -> "50", "2.50" -> "2.5", "-0" -> "0". */
function trimZeros(s: string): string {
  const t = s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  return t === '-0' ? '0' : t;
}

function groupThousands(s: string): string {
  const [int, frac] = s.split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/**
 * A number by the rule above; `maxDecimals` caps the decimals (0: whole numbers, as for
 * memory in MiB). "n/a" for NaN and infinities.
 */
export function fmtNum(v: number, maxDecimals?: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const d = Math.min(decimalsFor(Math.abs(v)), maxDecimals ?? Infinity);
  return groupThousands(trimZeros(v.toFixed(d)));
}

/** Milliseconds, by the same rule (the unit is the caller's: "12.5 ms" or a column titled in ms). */
export function fmtMs(v: number): string {
  return fmtNum(v);
}

/** A count: a whole number with thousands separators ("15,000"). */
export function fmtCount(n: number): string {
  return fmtNum(Math.round(n), 0);
}

/** "1 transaction", "3,000 transactions". */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${fmtCount(n)} ${n === 1 ? word : pluralWord}`;
}

/** "20 times", "1.5 times": how many times one figure is another's. */
export function fmtTimes(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return `${x >= 10 ? fmtCount(x) : fmtNum(x, 1)} times`;
}

/** A share in percent, one decimal at most: "99.5%", "0.5%", "100%". */
export function fmtPercent(v: number): string {
  return `${fmtNum(v, 1)}%`;
}

/** Seconds: "12.5 s". */
export function fmtSeconds(s: number): string {
  return `${fmtNum(s)} s`;
}

/** A ratio between 0 and 1 with four decimals (agreement: precision, recall, F1, Jaccard). */
export function fmtRatio(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : 'n/a';
}

/** A p value: "0.029", "< 0.001". */
export function fmtP(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** Who an agreement compares with: the reference evaluation of the rules is not the injected episodes. */
export function partyName(name: string): string {
  return name === 'ground_truth' ? 'rule reference' : name;
}

/**
 * "12.3 ms (10.1..15.2, n=3)"; "12.3 ms (n=1)" for one value; "n/a" for none. `of` is how many
 * runs there were: when fewer had the figure, the count says so ("n=2 of 3").
 */
export function fmtSpread(s: Spread | undefined, fmt: (v: number) => string = fmtNum, unit = '', of?: number): string {
  if (!s) return 'n/a';
  const count = `n=${s.n}${of !== undefined && of > s.n ? ` of ${of}` : ''}`;
  const range = s.n > 1 ? `${fmt(s.min)}..${fmt(s.max)}, ` : '';
  return `${fmt(s.median)}${unit} (${range}${count})`;
}

/** A value of a swept option as it reads on an axis, in a table or a folder name: 10, 2.5, 0.05 (no spurious decimals, no separators). */
export function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}
