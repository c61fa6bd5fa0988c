import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { cacheDir, PROJECT_ROOT } from '../config.js';
import { GATE_DEFAULTS } from '../harness/measure/figures.js';
import { prepareWorktree, pruneWorktrees } from '../harness/track/ab.js';
import { runBench } from '../harness/track/ab-bench.js';
import { renderAbMarkdown, runAb, type AbPlan, type AbReport } from '../harness/track/ab-session.js';
import { EXIT_CODES, EXIT_CODES_HELP } from '../harness/track/compare/outcome.js';
import { renderJson } from '../harness/track/compare/render.js';
import { ensureServices } from '../harness/run/run.js';
import { createProgress } from '../harness/run/progress.js';
import { UsageError } from './args.js';
import { benchOptions, explicitOptions, planBench, type BenchArgs } from './bench-command.js';
import { checkGateOptions, gateOptions, type GateArgs } from './compare-command.js';

/** Worktrees kept after an A/B by default: the last base and head (150-190 MB each). */
const DEFAULT_KEEP_WORKTREES = 2;

export function abOptions<T>(y: Argv<T>) {
  return gateOptions(
    y
      .option('base', { type: 'string', demandOption: true, describe: 'the commit (any git ref) to compare against' })
      .option('head', { type: 'string', default: 'HEAD', describe: 'the commit under test' })
      .option('repeat', {
        type: 'number',
        default: GATE_DEFAULTS.minRuns,
        describe: 'runs per side, in pairs that alternate which side runs first (base head, head base, ...)',
      }),
  )
    .option('out', {
      type: 'string',
      describe: 'folder for the runs and the comparison, new or empty (default results/runs/ab_<time>)',
    })
    .option('run-timeout-s', {
      type: 'number',
      describe:
        'a run still going after this many seconds is killed with its process group and counts as crashed (default: 3 x the planned warm-up + duration, + 300)',
    })
    .option('keep-worktrees', {
      type: 'number',
      default: DEFAULT_KEEP_WORKTREES,
      describe: 'after the A/B, keep only this many most recently used worktrees under .cache/ab (0: remove them all)',
    })
    .option('services', { type: 'boolean', default: true, describe: 'bring Kafka and MySQL up first' })
    .epilog(EXIT_CODES_HELP)
    .strict(false);
}

export interface AbArgs extends GateArgs {
  base: string;
  head: string;
  repeat: number;
  out?: string;
  runTimeoutS?: number;
  keepWorktrees: number;
  services: boolean;
  /** Everything after `--`: the bench options both sides run with. */
  '--'?: Array<string | number>;
}

/**
 * The bench options checked by this checkout's bench: one run per bench (ab repeats it), no --out
 * (ab places the runs). Returns the seconds of load a run plans (warm-up + duration).
 */
async function plannedLoadSeconds(benchArgs: string[]): Promise<number> {
  let argv: BenchArgs;
  try {
    argv = await benchOptions(yargs(benchArgs))
      .strict()
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseAsync();
  } catch (err) {
    throw new UsageError(`the bench options after --: ${(err as Error).message}`);
  }
  const explicit = explicitOptions(benchArgs);
  if (explicit.has('out'))
    throw new UsageError('the bench options after -- may not set --out: ab places the runs (use ab --out)');
  const plan = await planBench(argv, explicit);
  if (plan.swept.values.length > 1 || plan.repeat > 1 || plan.findMax)
    throw new UsageError(
      'the bench options after -- must make one run (no comma list, --repeat or --find-max): ab repeats the bench itself (ab --repeat)',
    );
  return plan.base.warmup + plan.base.duration;
}

/** The A/B folder: --out if new or empty, else a new timestamped folder under results/runs. */
function freshOutDir(out: string | undefined): string {
  if (out !== undefined) {
    const dir = resolve(out);
    const entries = existsSync(dir) ? readdirSync(dir) : [];
    if (entries.length)
      throw new UsageError(
        `--out ${out} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}): an A/B writes a fresh folder, so that no earlier run is compared; remove it or choose another`,
      );
    return dir;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  let dir = resolve(join('results', 'runs', `ab_${stamp}`));
  for (let i = 2; existsSync(dir); i++) dir = resolve(join('results', 'runs', `ab_${stamp}_${i}`));
  return dir;
}

const shown = (p: string): string => (p.startsWith(PROJECT_ROOT) ? relative(PROJECT_ROOT, p) : p);

/**
 * `vitals-bench ab`: build both commits in worktrees, run the same bench in ABBA order on the same
 * services, compare. Exit codes as compare's (outcome.ts): 0 pass, 1 regression, 2 usage or
 * harness error, 3 inconclusive. compare.md and compare.json say what happened, errors included.
 */
export async function abCommand(a: AbArgs): Promise<number> {
  try {
    return await abCommandUnchecked(a);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    process.stderr.write(`vitals-bench ab: harness error: ${(err as Error).message}\n`);
    return EXIT_CODES.error;
  }
}

/** The options ab adds to compare's, each checked (a UsageError names the bad one). */
function checkAbOptions(a: AbArgs): void {
  if (!Number.isInteger(a.repeat) || a.repeat < 1)
    throw new UsageError(`--repeat must be a positive integer, got ${a.repeat}`);
  if (!Number.isInteger(a.keepWorktrees) || a.keepWorktrees < 0)
    throw new UsageError(`--keep-worktrees must be an integer >= 0, got ${a.keepWorktrees}`);
  if (a.runTimeoutS !== undefined && !(Number.isFinite(a.runTimeoutS) && a.runTimeoutS > 0))
    throw new UsageError(`--run-timeout-s must be a positive number of seconds, got ${a.runTimeoutS}`);
}

/** compare.md and compare.json in the output folder, the table on stdout, an error on stderr. */
function writeAbReport(
  outDir: string,
  result: { report: AbReport; outcomes: Parameters<typeof renderAbMarkdown>[1] },
): void {
  const { report, outcomes } = result;
  const md = renderAbMarkdown(report, outcomes);
  writeFileSync(join(outDir, 'compare.md'), md);
  const { comparison, ...ab } = report;
  writeFileSync(join(outDir, 'compare.json'), renderJson({ ...(comparison ?? {}), outcome: report.outcome, ab }));
  process.stdout.write(`${md}\ncomparison: ${shown(join(outDir, 'compare.md'))}\n`);
  if (report.error) process.stderr.write(`vitals-bench ab: ${report.error}\n`);
}

async function abCommandUnchecked(a: AbArgs): Promise<number> {
  checkAbOptions(a);
  const gate = checkGateOptions(a);
  const benchArgs = (a['--'] ?? []).map(String);
  const loadS = await plannedLoadSeconds(benchArgs);
  const timeoutS = a.runTimeoutS ?? 3 * loadS + 300;
  const outDir = freshOutDir(a.out);
  mkdirSync(outDir, { recursive: true });

  const progress = createProgress({ tty: false, quiet: true });
  const logFile = join(outDir, 'ab.log');
  const log = (line: string): void => {
    const stamped = `[ab ${new Date().toISOString()}] ${line}`;
    progress.log(stamped);
    appendFileSync(logFile, `${stamped}\n`);
  };
  if (a.repeat < gate.minRuns)
    log(
      `WARNING: --repeat ${a.repeat} is below --min-runs ${gate.minRuns}: the comparison will be inconclusive (exit 3) whatever the runs show`,
    );
  log(`A/B of ${a.base} (base) and ${a.head} (head) into ${shown(outDir)}; run timeout ${timeoutS} s`);

  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping the running bench and its processes`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const plan: AbPlan = { base: a.base, head: a.head, repeat: a.repeat, outDir, benchArgs, timeoutS, gate };
  const env = {
    ...process.env,
    VITALS_ENV_FILE: process.env.VITALS_ENV_FILE ?? join(cacheDir(), 'services.env'),
    // A/B runs are not this checkout's history.
    VITALS_BENCH_HISTORY: 'off',
  };
  let result: Awaited<ReturnType<typeof runAb>>;
  try {
    result = await runAb(plan, {
      prepare: (label, ref) => prepareWorktree(label, ref, (line) => log(line)),
      services: () => {
        if (a.services) ensureServices(progress);
      },
      bench: (spec) => runBench({ ...spec, env }),
      log,
      signal: abort.signal,
    });
  } catch (err) {
    // A fault of the harness itself: said in one line (the stack goes to ab.log), never a regression.
    appendFileSync(logFile, `${(err as Error).stack ?? String(err)}\n`);
    const report: AbReport = {
      base: { ref: a.base },
      head: { ref: a.head },
      bench_args: benchArgs,
      repeat: a.repeat,
      order: [],
      runs: [],
      outcome: 'error',
      exit_code: EXIT_CODES.error,
      error: `harness error: ${(err as Error).message} (stack in ${shown(logFile)})`,
    };
    result = { report, outcomes: [] };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const removed = await pruneWorktrees(a.keepWorktrees).catch((err: Error) => {
      log(`WARNING: could not prune the worktrees: ${err.message}`);
      return [];
    });
    if (removed.length) log(`removed ${removed.length} worktree(s): ${removed.map(shown).join(', ')}`);
  }
  writeAbReport(outDir, result);
  log(`outcome: ${result.report.outcome} (exit ${result.report.exit_code})`);
  return result.report.exit_code;
}
