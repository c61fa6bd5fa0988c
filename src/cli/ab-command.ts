import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { benchSide, interleave, loadSideRuns, prepareWorktree } from '../harness/track/ab.js';
import { compareRuns, DEFAULT_COMPARE_OPTIONS, exitCode } from '../harness/track/compare/compare.js';
import { IncomparableError } from '../harness/track/compare/comparability.js';
import { renderJson, renderMarkdown } from '../harness/track/compare/render.js';
import { ensureServices } from '../harness/run/run.js';
import { createProgress } from '../harness/run/progress.js';
import { UsageError } from './args.js';

export function abOptions<T>(y: Argv<T>) {
  return y
    .option('base', { type: 'string', demandOption: true, describe: 'the commit (any git ref) to compare against' })
    .option('head', { type: 'string', default: 'HEAD', describe: 'the commit under test' })
    .option('repeat', {
      type: 'number',
      default: 5,
      describe: 'runs per side, alternating base and head (A B A B ...)',
    })
    .option('out', {
      type: 'string',
      describe: 'folder for the runs and the comparison (default results/runs/ab_<time>)',
    })
    .option('threshold', { type: 'number', default: DEFAULT_COMPARE_OPTIONS.threshold, describe: 'see compare' })
    .option('alpha', { type: 'number', default: DEFAULT_COMPARE_OPTIONS.alpha, describe: 'see compare' })
    .option('min-runs', { type: 'number', default: DEFAULT_COMPARE_OPTIONS.minRuns, describe: 'see compare' })
    .option('services', { type: 'boolean', default: true, describe: 'bring Kafka and MySQL up first' })
    .strict(false);
}

export interface AbArgs {
  base: string;
  head: string;
  repeat: number;
  out?: string;
  threshold: number;
  alpha: number;
  minRuns: number;
  services: boolean;
  /** Everything after `--`: the bench options both sides run with. */
  '--'?: Array<string | number>;
}

/**
 * Build both commits in their own worktrees, run the same bench alternately on the same
 * services, then compare (exit 0: no regression; 1: a regression or a broken invariant).
 */
export async function abCommand(a: AbArgs): Promise<number> {
  if (!Number.isInteger(a.repeat) || a.repeat < 1)
    throw new UsageError(`--repeat must be a positive integer, got ${a.repeat}`);
  const benchArgs = (a['--'] ?? []).map(String);
  const progress = createProgress({ tty: false, quiet: true });
  const log = (line: string): void => progress.log(line);
  const outDir = resolve(
    a.out ?? join('results', 'runs', `ab_${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`),
  );
  let sides;
  try {
    sides = { base: await prepareWorktree('base', a.base, log), head: await prepareWorktree('head', a.head, log) };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (a.services) ensureServices(progress);
  const order = interleave(a.repeat);
  for (const [i, label] of order.entries()) {
    log(`[ab] run ${i + 1}/${order.length}: ${label}`);
    await benchSide(sides[label], benchArgs, outDir, log);
  }
  let comparison;
  try {
    comparison = compareRuns(loadSideRuns(outDir, 'base'), loadSideRuns(outDir, 'head'), {
      threshold: a.threshold,
      alpha: a.alpha,
      minRuns: a.minRuns,
    });
  } catch (err) {
    if (err instanceof IncomparableError) throw new UsageError(err.message);
    throw err;
  }
  const md =
    `# A/B: ${sides.base.commit.slice(0, 12)} (base, ${a.base}) vs ${sides.head.commit.slice(0, 12)} (head, ${a.head})\n\n` +
    `Bench options: \`${benchArgs.join(' ') || '(defaults)'}\`; ${a.repeat} runs a side, alternating.\n\n${renderMarkdown(comparison)}`;
  writeFileSync(join(outDir, 'compare.md'), md);
  writeFileSync(join(outDir, 'compare.json'), renderJson(comparison));
  process.stdout.write(`${md}\ncomparison: ${join(outDir, 'compare.md')}\n`);
  return exitCode(comparison);
}
