/**
 * How the reports write numbers: one module, so that a figure reads the same in every table,
 * summary sentence and comparison.
 */
import type { Spread } from '../measure/spread.js';

/** Milliseconds with sensible precision. */
export function fmtMs(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

export function fmtNum(v: number, digits = 1): string {
  return Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : 'n/a';
}

export function fmtRatio(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : 'n/a';
}

/** Who an agreement compares with: the reference evaluation of the rules is not the injected episodes. */
export function partyName(name: string): string {
  return name === 'ground_truth' ? 'rule reference' : name;
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
