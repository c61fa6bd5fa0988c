import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Argv } from 'yargs';
import { GATE_DEFAULTS } from '../harness/measure/figures.js';
import { smallestTwoSidedP } from '../harness/measure/mann-whitney.js';
import {
  compareRuns,
  exitCode,
  type CompareOptions,
  type CrashedRun,
  type Side,
} from '../harness/track/compare/compare.js';
import {
  acrossParameter,
  flagOf,
  IncomparableError,
  parameterValue,
  runsWithValue,
} from '../harness/track/compare/comparability.js';
import { CompareInputError, loadRuns, unfinishedRuns } from '../harness/track/compare/load.js';
import { EXIT_CODES, EXIT_CODES_HELP } from '../harness/track/compare/outcome.js';
import { renderJson, renderMarkdown } from '../harness/track/compare/render.js';
import type { RunResult } from '../results/schema.js';
import { UsageError } from './args.js';
import { fmtP } from '../harness/report/format.js';

/** The options of the gate's rule, shared by compare and ab; their defaults are GATE_DEFAULTS. */
export function gateOptions<T>(y: Argv<T>) {
  return y
    .option('threshold', {
      type: 'number',
      describe: `a median change for the worse beyond this fraction can be a regression (default: each gated figure's own, ${GATE_DEFAULTS.threshold} today)`,
    })
    .option('alpha', {
      type: 'number',
      default: GATE_DEFAULTS.alpha,
      describe: '...when the two-sided Mann-Whitney U p-value is below this',
    })
    .option('min-runs', {
      type: 'number',
      default: GATE_DEFAULTS.minRuns,
      describe: '...over at least this many valid runs a side (fewer: inconclusive, exit 3)',
    });
}

export interface GateArgs {
  threshold?: number;
  alpha: number;
  minRuns: number;
}

/** The smallest runs a side at which the exact test can give a p below alpha. */
function smallestUsefulRuns(alpha: number): number {
  let n = 1;
  while (smallestTwoSidedP(n, n) >= alpha && n < 1000) n++;
  return n;
}

/** The rule's options, checked: a rule that could never flag anything is refused, not run. */
export function checkGateOptions(a: GateArgs): Pick<CompareOptions, 'threshold' | 'alpha' | 'minRuns'> {
  if (a.threshold !== undefined && !(Number.isFinite(a.threshold) && a.threshold >= 0))
    throw new UsageError(`--threshold must be a fraction >= 0 (0.10 for 10%), got ${a.threshold}`);
  if (!(a.alpha > 0 && a.alpha <= 1)) throw new UsageError(`--alpha must be in (0, 1], got ${a.alpha}`);
  if (!(Number.isInteger(a.minRuns) && a.minRuns >= 1))
    throw new UsageError(`--min-runs must be a positive integer, got ${a.minRuns}`);
  const floor = smallestTwoSidedP(a.minRuns, a.minRuns);
  if (floor >= a.alpha)
    throw new UsageError(
      `--min-runs ${a.minRuns} with --alpha ${a.alpha} could never flag a change: at ${a.minRuns} runs a side the smallest p the test can give is ${fmtP(floor)}; use --min-runs ${smallestUsefulRuns(a.alpha)} or more, or a larger --alpha`,
    );
  return { ...(a.threshold !== undefined ? { threshold: a.threshold } : {}), alpha: a.alpha, minRuns: a.minRuns };
}

export function compareOptions<T>(y: Argv<T>) {
  return gateOptions(
    y
      .positional('base', {
        type: 'string',
        demandOption: true,
        describe: 'BASE: a run folder, a folder of runs (sweep, --repeat) or a results.json',
      })
      .positional('new', { type: 'string', demandOption: true, describe: 'NEW: the same kinds of path' }),
  )
    .option('across', {
      type: 'string',
      describe:
        'OPTION or OPTION=BASE_VALUE,NEW_VALUE: BASE and NEW may differ in this one bench option (batch-interval, rate...); with values, each side keeps its runs of that value (two values of one sweep folder)',
    })
    .option('json', { type: 'string', describe: 'also write the comparison as JSON to this file' })
    .option('markdown', { type: 'string', describe: 'also write the Markdown table to this file' })
    .epilog(EXIT_CODES_HELP);
}

export interface CompareArgs extends GateArgs {
  base: string;
  new: string;
  across?: string;
  json?: string;
  markdown?: string;
}

/** "batch-interval=2,10" -> the parameter and the value each side keeps (none: each side's runs as they are). */
function parseAcross(text: string): { key: string; values?: [string, string] } {
  const [name, list] = text.split('=', 2) as [string, string | undefined];
  const key = acrossParameter(name.trim());
  if (list === undefined) return { key };
  const values = list.split(',').map((v) => v.trim());
  if (values.length !== 2 || values.some((v) => v === ''))
    throw new UsageError(`--across ${text}: give two values, BASE's and NEW's (--across ${name}=2,10)`);
  return { key, values: values as [string, string] };
}

/** The values runs have of a parameter, in order: "2, 10, 30". */
const valuesOf = (runs: readonly RunResult[], key: string): string =>
  [...new Set(runs.map((r) => parameterValue(r, key).text))]
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
    .join(', ');

/** A side's runs and the run folders it holds that never finished. */
function loadSide(
  path: string,
  side: Side,
  across: { key: string; value?: string; flag: string } | undefined,
): { runs: RunResult[]; crashed: CrashedRun[] } {
  let runs = loadRuns(path, { allowEmpty: true }).map((r) => r.result);
  let unfinished = unfinishedRuns(path);
  if (across?.value !== undefined) {
    const all = runs;
    runs = runsWithValue(all, across.key, across.value);
    if (runs.length === 0)
      throw new UsageError(
        `no ${side} run at ${path} has ${across.flag} ${across.value} (its runs have ${valuesOf(all, across.key) || 'none'})`,
      );
    // A sweep's run folders end with their label: "..._batch-interval-10".
    unfinished = unfinished.filter((d) => basename(d).endsWith(`${across.flag}-${across.value}`));
  }
  if (runs.length === 0 && unfinished.length === 0) loadRuns(path); // throws: the path holds no run
  return {
    runs,
    crashed: unfinished.map((d) => ({
      side,
      run: basename(d),
      problems: [`no results.json in ${d}: the run started and never finished (see its pipelines.log)`],
    })),
  };
}

/** The comparison of two paths' runs; usage problems throw UsageError (exit 2). */
function compareCommandUnchecked(a: CompareArgs): number {
  const gate = checkGateOptions(a);
  let comparison;
  try {
    const across = a.across !== undefined ? parseAcross(a.across) : undefined;
    const sideAcross = (i: 0 | 1) =>
      across ? { key: across.key, flag: flagOf(across.key), value: across.values?.[i] } : undefined;
    const base = loadSide(a.base, 'BASE', sideAcross(0));
    const next = loadSide(a.new, 'NEW', sideAcross(1));
    comparison = compareRuns(base.runs, next.runs, { ...gate, ...(across ? { across: across.key } : {}) }, [
      ...base.crashed,
      ...next.crashed,
    ]);
  } catch (err) {
    if (err instanceof CompareInputError || err instanceof IncomparableError) throw new UsageError(err.message);
    throw err;
  }
  const markdown = renderMarkdown(comparison);
  process.stdout.write(markdown);
  const write = (file: string, text: string): void => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  if (a.json) write(a.json, renderJson(comparison));
  if (a.markdown) write(a.markdown, markdown);
  return exitCode(comparison);
}

/**
 * `vitals-bench compare`: exit 0 pass, 1 a regression or a broken invariant, 3 inconclusive
 * (outcome.ts). Usage errors throw UsageError (exit 2); any other error is a harness error: one
 * line on stderr, exit 2, never a stack trace that reads like a regression.
 */
export function compareCommand(a: CompareArgs): number {
  try {
    return compareCommandUnchecked(a);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    process.stderr.write(`vitals-bench compare: harness error: ${(err as Error).message}\n`);
    return EXIT_CODES.error;
  }
}
