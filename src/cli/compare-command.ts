import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Argv } from 'yargs';
import { compareRuns, DEFAULT_COMPARE_OPTIONS, exitCode } from '../harness/track/compare/compare.js';
import { IncomparableError } from '../harness/track/compare/comparability.js';
import { CompareInputError, loadRuns } from '../harness/track/compare/load.js';
import { renderJson, renderMarkdown } from '../harness/track/compare/render.js';
import { UsageError } from './args.js';

export function compareOptions<T>(y: Argv<T>) {
  return y
    .positional('base', {
      type: 'string',
      demandOption: true,
      describe: 'BASE: a run folder, a folder of runs (sweep, --repeat) or a results.json',
    })
    .positional('new', { type: 'string', demandOption: true, describe: 'NEW: the same kinds of path' })
    .option('threshold', {
      type: 'number',
      default: DEFAULT_COMPARE_OPTIONS.threshold,
      describe: 'a median change for the worse beyond this fraction can be a regression',
    })
    .option('alpha', {
      type: 'number',
      default: DEFAULT_COMPARE_OPTIONS.alpha,
      describe: '...when the Mann-Whitney U p-value is below this',
    })
    .option('min-runs', {
      type: 'number',
      default: DEFAULT_COMPARE_OPTIONS.minRuns,
      describe: '...and each side has at least this many runs (fewer: "too few samples")',
    })
    .option('json', { type: 'string', describe: 'also write the comparison as JSON to this file' })
    .option('markdown', { type: 'string', describe: 'also write the Markdown table to this file' });
}

export interface CompareArgs {
  base: string;
  new: string;
  threshold: number;
  alpha: number;
  minRuns: number;
  json?: string;
  markdown?: string;
}

/** Exit code 0: no regression and the invariants hold; 1: a regression or a broken invariant. Usage problems throw UsageError (exit 2). */
export function compareCommand(a: CompareArgs): number {
  if (!(Number.isFinite(a.threshold) && a.threshold >= 0))
    throw new UsageError(`--threshold must be a fraction >= 0 (0.10 for 10%), got ${a.threshold}`);
  if (!(a.alpha > 0 && a.alpha <= 1)) throw new UsageError(`--alpha must be in (0, 1], got ${a.alpha}`);
  if (!(Number.isInteger(a.minRuns) && a.minRuns >= 1))
    throw new UsageError(`--min-runs must be a positive integer, got ${a.minRuns}`);
  let comparison;
  try {
    const base = loadRuns(a.base).map((r) => r.result);
    const next = loadRuns(a.new).map((r) => r.result);
    comparison = compareRuns(base, next, { threshold: a.threshold, alpha: a.alpha, minRuns: a.minRuns });
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
