/**
 * The bench's numeric options, parsed from what was typed: one value, or for the sweepable
 * ones a comma list ("--batch-interval 2,10,30") that runs a sweep. yargs would read such a
 * list as NaN, so these options are declared as strings and parsed here, each value checked
 * on its own, and every message shows the text as typed.
 */
import { fraction, integer, nonNegative, positiveInt, positiveNumber, UsageError } from './args.js';
import { decl, LIMITS, optionKeys, type BenchDefaults, type OptionKey, type Rule } from './options.js';

export { LIMITS };

/** A numeric bench option as option-list parses it: its declaration (options.ts) with its key. */
export interface NumericOption {
  /** The command-line name without dashes: "batch-interval". */
  flag: string;
  /** The name in RunOptions and in a run's parameters: "batchInterval". */
  key: string;
  rule: Rule;
  max?: number;
  /** Said after the bound in the message ("readings/s (what one machine ... can take)"). */
  maxWhy?: string;
  /** A comma list of it runs a sweep. */
  sweep: boolean;
  /** Unit for axis titles and tables. */
  unit?: string;
}

/** The numeric options of `bench` (every bench option with a numeric rule), in declaration order: the order they are parsed. */
const BENCH_NUMERIC_KEYS = optionKeys('bench').filter((k) => decl(k).rule !== undefined);

function numericOf(key: OptionKey): NumericOption {
  const d = decl(key);
  if (d.rule === undefined) throw new Error(`option --${d.flag} has no numeric rule`);
  return {
    flag: d.flag,
    key,
    rule: d.rule,
    ...(d.max !== undefined ? { max: d.max } : {}),
    ...(d.maxWhy !== undefined ? { maxWhy: d.maxWhy } : {}),
    sweep: d.sweep ?? false,
    ...(d.unit !== undefined ? { unit: d.unit } : {}),
  };
}

export const BENCH_NUMERIC_OPTIONS: readonly NumericOption[] = BENCH_NUMERIC_KEYS.map(numericOf);

/** The defaults `bench` falls back on for its numeric options (all but --patients: one per reading/s). */
export const BENCH_DEFAULTS = Object.fromEntries(
  BENCH_NUMERIC_KEYS.flatMap((k) => {
    const d = decl(k);
    return typeof d.default === 'number' && !d.noDefaultIn?.includes('bench') ? [[k, d.default]] : [];
  }),
) as BenchDefaults;

const SWEEPABLE_FLAGS = BENCH_NUMERIC_OPTIONS.filter((o) => o.sweep).map((o) => `--${o.flag}`);

export function numericOption(flagOrKey: string): NumericOption | undefined {
  return BENCH_NUMERIC_OPTIONS.find((o) => o.flag === flagOrKey || o.key === flagOrKey);
}

/** A plain decimal number as people type it: 10, 2.5, .5, -3, 1e3 (not "0x10", "Infinity" or ""). */
const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** The text of a value as given: a number (a default, --config) or a string (the command line). */
function textOf(raw: unknown): string {
  return typeof raw === 'string' ? raw : String(raw);
}

function check(opt: NumericOption, v: number, typed: string): void {
  const { flag } = opt;
  switch (opt.rule) {
    case 'positive':
      positiveNumber(flag, v, typed);
      break;
    case 'positiveInt':
      positiveInt(flag, v, typed);
      break;
    case 'nonNegative':
      nonNegative(flag, v, typed);
      break;
    case 'integer':
      integer(flag, v, typed);
      break;
    case 'fraction':
      fraction(flag, v, typed);
      break;
    case 'nonNegativeInt':
      if (!Number.isInteger(v) || v < 0) throw new UsageError(`--${flag} must be a whole number >= 0, got ${typed}`);
      break;
  }
  if (opt.max !== undefined && v > opt.max)
    throw new UsageError(`--${flag} must be at most ${opt.max}${opt.maxWhy ?? ''}, got ${typed}`);
}

/**
 * The values of one option: [] when absent, one value, or for a sweepable option a comma list
 * of distinct values (in the order typed). Throws a UsageError quoting what was typed.
 */
export function parseNumberList(opt: NumericOption, raw: unknown): number[] {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) {
    throw new UsageError(
      `--${opt.flag} given more than once (${raw.map(textOf).join(' and ')}): give it once${opt.sweep ? ', with a comma list to sweep it (--' + opt.flag + ' ' + raw.map(textOf).join(',') + ')' : ''}`,
    );
  }
  const text = textOf(raw);
  if (typeof raw !== 'string' && typeof raw !== 'number')
    throw new UsageError(`--${opt.flag} must be a number, got ${JSON.stringify(raw)}`);
  if (text.trim() === '') throw new UsageError(`--${opt.flag} needs a value`);
  const items = text.split(',').map((s) => s.trim());
  if (items.length > 1 && !opt.sweep) {
    throw new UsageError(
      `--${opt.flag} takes one value, got "${text}" (a comma list runs a sweep only for ${SWEEPABLE_FLAGS.join(', ')})`,
    );
  }
  const values: number[] = [];
  for (const item of items) {
    if (item === '') throw new UsageError(`--${opt.flag} has an empty value in "${text}"`);
    const typed = items.length > 1 ? `"${item}" (in "${text}")` : `"${text}"`;
    const v = NUMBER_TEXT.test(item) ? Number(item) : Number.NaN;
    check(opt, v, typed);
    if (values.includes(v))
      throw new UsageError(
        `--${opt.flag} lists ${item} twice in "${text}": to run a value more than once, use --repeat N`,
      );
    values.push(v);
  }
  return values;
}

export interface ParsedNumbers {
  /** Each numeric option's value by key (the listed option: its first value); absent options are left out. */
  values: Record<string, number>;
  /** The option given as a comma list of two or more values, if any. */
  list?: { option: NumericOption; values: number[] };
  /** A second option given as a list: the two make a grid (every value of `list` with every value of this one). */
  grid?: { option: NumericOption; values: number[] };
}

/**
 * All numeric bench options of `args` (keyed as yargs camel-cases them: batchInterval). At most
 * two may be lists: one list is a sweep, two are a grid of every pair of values (a trade-off
 * map); --repeat repeats each value.
 */
export function parseBenchNumbers(args: Record<string, unknown>): ParsedNumbers {
  const values: Record<string, number> = {};
  const lists: Array<{ option: NumericOption; values: number[]; text: string }> = [];
  for (const opt of BENCH_NUMERIC_OPTIONS) {
    const raw = args[opt.key];
    const vs = parseNumberList(opt, raw);
    if (vs.length === 0) continue;
    values[opt.key] = vs[0]!;
    if (vs.length > 1) lists.push({ option: opt, values: vs, text: textOf(raw) });
  }
  if (lists.length > 2) {
    throw new UsageError(
      `at most two options can be comma lists (one is a sweep, two a grid of every pair), got ${lists.map((l) => `--${l.option.flag} ${l.text}`).join(', ')}: ` +
        'fix all but two (--repeat N repeats each value)',
    );
  }
  const [l, g] = lists;
  return {
    values,
    ...(l ? { list: { option: l.option, values: l.values } } : {}),
    ...(g ? { grid: { option: g.option, values: g.values } } : {}),
  };
}
