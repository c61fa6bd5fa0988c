/**
 * An A/B comparison from start to verdict, its processes and worktrees left to the functions it is
 * given (so the decision can be tested with a stub bench): both commits prepared, the benches run
 * in an order that cannot favour a side, then the decision. A run that crashed is never compared
 * as it is: it is left out and named, and the comparison cannot pass (compare.ts).
 */
import { basename } from 'node:path';
import { measurementValidity } from '../measure/validity.js';
import { fmtMs } from '../report/format.js';
import type { RunResult } from '../../results/schema.js';
import type { AbSide } from './ab.js';
import type { AbRunRecord, BenchOutcome, BenchSpec } from './ab-bench.js';
import { compareRuns, type CompareOptions, type Comparison, type CrashedRun } from './compare/compare.js';
import { IncomparableError } from './compare/comparability.js';
import { EXIT_CODES, type Outcome } from './compare/outcome.js';
import { renderMarkdown } from './compare/render.js';

export type AbLabel = AbSide['label'];

/**
 * The order of the runs, in pairs that alternate which side goes first (base head, head base,
 * base head...: ABBA): neither side always runs first, and a drift of the machine that is
 * linear over a pair of pairs hits both sides alike.
 */
export function abOrder(repeat: number): AbLabel[] {
  const out: AbLabel[] = [];
  for (let i = 0; i < repeat; i++)
    out.push(...(i % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const)));
  return out;
}

export interface AbPlan {
  base: string;
  head: string;
  repeat: number;
  /** The A/B folder (fresh: the command refuses a folder that is not empty). */
  outDir: string;
  benchArgs: string[];
  /** A run still going after this many seconds is killed with its process group and counts as crashed. */
  timeoutS: number;
  gate: Pick<CompareOptions, 'threshold' | 'alpha' | 'minRuns'>;
}

export interface AbDeps {
  prepare(label: AbLabel, ref: string): Promise<AbSide>;
  /** Bring the services up (throws when they do not come up). */
  services(): void;
  bench(spec: Omit<BenchSpec, 'env'>): Promise<BenchOutcome>;
  log(line: string): void;
  signal: AbortSignal;
}

export interface AbReport {
  base: { ref: string; commit?: string };
  head: { ref: string; commit?: string };
  bench_args: string[];
  repeat: number;
  order: AbLabel[];
  runs: AbRunRecord[];
  outcome: Outcome;
  exit_code: number;
  /** What failed, for the error outcome. */
  error?: string;
  comparison?: Comparison;
}

/** A bench that refused its options (exit 2: a usage error, e.g. an option that commit lacks): every run of it would. */
const refusedOptions = (r: AbRunRecord): boolean => r.exit.code === 2 && !r.timed_out && !r.interrupted;

/** A run that measured something: it exited 0 (passed its verdict) or 1 (failed it) and wrote its results. */
const measured = (o: BenchOutcome): o is Required<BenchOutcome> =>
  o.result !== undefined && (o.record.exit.code === 0 || o.record.exit.code === 1) && !o.record.timed_out;

/** Why a run counts as crashed, in one line. */
export function crashReason(r: AbRunRecord, timeoutS?: number): string {
  let why: string;
  if (r.timed_out)
    why = `killed after ${r.seconds} s: past the run timeout${timeoutS ? ` of ${timeoutS} s` : ''} (--run-timeout-s)`;
  else if (r.exit.signal) why = `killed by ${r.exit.signal}`;
  else if (r.exit.code !== 0 && r.exit.code !== 1) why = `the bench exited with code ${r.exit.code}`;
  else if (!r.dir) why = `the bench exited with code ${r.exit.code} before it made a run folder`;
  else if (r.unreadable) why = r.unreadable;
  else why = `the bench exited with code ${r.exit.code} and wrote no results.json in ${r.dir}`;
  return `${why}${r.tail ? `; its last output: ${r.tail}` : ''} (output: ${r.log})`;
}

const toSide = (label: AbLabel): CrashedRun['side'] => (label === 'base' ? 'BASE' : 'NEW');

/** The decision on the runs: compare the measured ones, the crashed ones named; an error when the runs cannot be compared. */
export function abDecision(
  outcomes: readonly BenchOutcome[],
  gate: AbPlan['gate'],
  timeoutS?: number,
): Pick<AbReport, 'outcome' | 'exit_code' | 'error' | 'comparison'> {
  const error = (message: string) => ({ outcome: 'error' as const, exit_code: EXIT_CODES.error, error: message });
  const refused = outcomes.find((o) => refusedOptions(o.record));
  if (refused)
    return error(
      `the ${refused.record.side} commit's bench refused the options (exit 2)${refused.record.tail ? `: ${refused.record.tail}` : ''}`,
    );
  const ok = outcomes.filter(measured);
  const crashed: CrashedRun[] = outcomes
    .filter((o) => !measured(o))
    .map((o) => ({
      side: toSide(o.record.side),
      run: o.record.dir ? basename(o.record.dir) : `ab run ${o.record.index} (${o.record.side})`,
      problems: [crashReason(o.record, timeoutS)],
    }));
  const results = (label: AbLabel): RunResult[] => ok.filter((o) => o.record.side === label).map((o) => o.result);
  try {
    const comparison = compareRuns(results('base'), results('head'), gate, crashed);
    return { outcome: comparison.outcome, exit_code: EXIT_CODES[comparison.outcome], comparison };
  } catch (err) {
    if (err instanceof IncomparableError) return error(`the two commits' runs cannot be compared: ${err.message}`);
    throw err;
  }
}

/** "stream p50 4.33 ms p99 30.7 ms; batch p50 ...; spark result p50 ...; send delay p99 2.67 ms". */
function runFigures(r: RunResult): string {
  const ms = (v: number | undefined): string => (v === undefined ? 'n/a' : `${fmtMs(v)} ms`);
  const modes = r.modes.map((m) => {
    const et = m.event_time_latency;
    return `${m.mode} p50 ${ms(et.count ? et.p50 : undefined)} p99 ${ms(et.count ? et.p99 : undefined)}`;
  });
  for (const j of r.external?.jobs ?? []) {
    const rl = j.result_latency;
    modes.push(`${j.name} result p50 ${ms(rl.count ? rl.p50 : undefined)} p99 ${ms(rl.count ? rl.p99 : undefined)}`);
  }
  return [...modes, `send delay p99 ${ms(r.input.send_delay.count ? r.input.send_delay.p99 : undefined)}`].join('; ');
}

/** A run's line in the A/B log: how it ended, its verdict and validity, its figures. */
function runLogLine(o: BenchOutcome, of: number, timeoutS?: number): string {
  const r = o.record;
  const head = `run ${r.index}/${of} ${r.side} (${r.commit.slice(0, 12)}) ended after ${r.seconds} s`;
  if (!measured(o)) return `${head}: CRASHED: ${crashReason(r, timeoutS)}`;
  const v = measurementValidity(o.result);
  const verdict = o.result.verdict.passed
    ? 'verdict passed'
    : `verdict FAILED (${o.result.verdict.failures.join('; ')})`;
  return `${head}: exit ${r.exit.code}, ${verdict}, ${v.valid ? 'valid' : `NOT VALID (${v.problems.join('; ')})`}; ${runFigures(o.result)}${r.left_processes ? '; it left processes behind, ended' : ''}`;
}

/** The A/B as Markdown: what was compared, in which order, the comparison (or what failed), every run. */
export function renderAbMarkdown(report: AbReport, outcomes: readonly BenchOutcome[]): string {
  const commit = (s: AbReport['base']): string => (s.commit ? s.commit.slice(0, 12) : '(not resolved)');
  const lines = [
    `# A/B: ${commit(report.base)} (base, ${report.base.ref}) vs ${commit(report.head)} (head, ${report.head.ref})`,
    '',
    `Bench options: \`${report.bench_args.join(' ') || '(defaults)'}\`; ${report.repeat} run${report.repeat === 1 ? '' : 's'} a side in the order ${report.order.join(', ')} (pairs alternate which side runs first).`,
    '',
  ];
  if (report.outcome === 'error')
    lines.push(`**Result: ERROR** (exit ${EXIT_CODES.error}): ${report.error ?? 'unknown error'}.`, '');
  if (report.comparison) lines.push(renderMarkdown(report.comparison));
  if (outcomes.length) {
    lines.push(
      '### Runs',
      '',
      '| # | side | started (UTC) | took | exit | verdict | measurement | figures |',
      '|---:|---|---|---:|---|---|---|---|',
    );
    for (const o of outcomes) {
      const r = o.record;
      const exit = r.exit.signal ? r.exit.signal : String(r.exit.code);
      const cells = measured(o)
        ? [
            o.result.verdict.passed ? 'passed' : 'failed',
            measurementValidity(o.result).valid ? 'valid' : 'not valid',
            runFigures(o.result),
          ]
        : ['-', 'crashed', crashReason(r)];
      lines.push(
        `| ${r.index} | ${r.side} | ${r.started_at.slice(0, 19).replace('T', ' ')} | ${r.seconds} s | ${exit}${r.timed_out ? ' (timeout)' : ''} | ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * Prepare both commits, bring the services up, run the benches in ABBA order, decide. Never
 * throws for what a run or a commit does: a failure is the report's error outcome.
 */
export async function runAb(plan: AbPlan, deps: AbDeps): Promise<{ report: AbReport; outcomes: BenchOutcome[] }> {
  const order = abOrder(plan.repeat);
  const report: AbReport = {
    base: { ref: plan.base },
    head: { ref: plan.head },
    bench_args: plan.benchArgs,
    repeat: plan.repeat,
    order,
    runs: [],
    outcome: 'error',
    exit_code: EXIT_CODES.error,
  };
  const outcomes: BenchOutcome[] = [];
  const fail = (message: string) => ({ report: { ...report, error: message }, outcomes });
  const sides: Partial<Record<AbLabel, AbSide>> = {};
  for (const label of ['base', 'head'] as const) {
    try {
      const side = await deps.prepare(label, plan[label]);
      sides[label] = side;
      report[label].commit = side.commit;
    } catch (err) {
      return fail(`the ${label} commit (${plan[label]}) could not be prepared: ${(err as Error).message}`);
    }
  }
  try {
    deps.services();
  } catch (err) {
    return fail(`the services did not come up: ${(err as Error).message}`);
  }
  for (const [i, label] of order.entries()) {
    if (deps.signal.aborted) break;
    const side = sides[label]!;
    deps.log(`run ${i + 1}/${order.length}: ${label} (${side.commit.slice(0, 12)}) starts`);
    const o = await deps.bench({
      side,
      index: i + 1,
      benchArgs: plan.benchArgs,
      outDir: plan.outDir,
      timeoutS: plan.timeoutS,
      signal: deps.signal,
    });
    outcomes.push(o);
    report.runs.push(o.record);
    deps.log(runLogLine(o, order.length, plan.timeoutS));
    if (refusedOptions(o.record)) {
      deps.log(`the ${label} commit's bench refused the options: no further run`);
      break;
    }
  }
  if (deps.signal.aborted) return fail(`interrupted after ${outcomes.length} of ${order.length} runs`);
  return { report: { ...report, ...abDecision(outcomes, plan.gate, plan.timeoutS) }, outcomes };
}
