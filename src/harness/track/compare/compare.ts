/**
 * Comparing two sets of runs of the same workload, as benchstat and Bencher do: for each figure
 * of the figure table (measure/figures.ts) the median of each side with its spread, the relative
 * change of the median, a two-sided Mann-Whitney U p-value, and a verdict. Only valid runs are
 * judged: a run that crashed, or whose measurement was not valid (incomplete, the load generator
 * fell behind), is left out and named, and makes the comparison inconclusive rather than a pass.
 * Hard invariants of the NEW runs (no loss, no duplicates, full record-rule agreement) fail the
 * comparison whatever the statistics say.
 */
import { partyName } from '../../report/format.js';
import { FIGURES, figureOfMode, GATE_DEFAULTS, modesOfRun, type Better } from '../../measure/figures.js';
import { mannWhitneyU, smallestTwoSidedP } from '../../measure/mann-whitney.js';
import { spread, type Spread } from '../../measure/spread.js';
import { measurementValidity } from '../../measure/validity.js';
import type { RunResult } from '../../../results/schema.js';
import { assertComparable, COMPARED_PARAMETERS, flagOf, parameterValue } from './comparability.js';
import { extractSeries } from './metrics.js';
import { EXIT_CODES, type Outcome } from './outcome.js';
import { compareStages, type StageComparison } from './stages.js';

export interface CompareOptions {
  /** A median change for the worse beyond this fraction (0.10: 10%) can be a regression; default: each figure's own. */
  threshold?: number;
  /** ...when the Mann-Whitney p-value is below this. */
  alpha: number;
  /** ...and each side has at least this many valid runs with the figure; fewer: inconclusive. */
  minRuns: number;
  /** The one compared parameter BASE and NEW may differ in (compare --across). */
  across?: string;
}

export type Side = 'BASE' | 'NEW';

/**
 * The verdict on one row. 'not gated': a context figure (its reason in the figure table);
 * 'not recorded': one side has no value at all (a figure an older commit does not record).
 */
export type Verdict = 'regression' | 'improvement' | 'unchanged' | 'too few samples' | 'not gated' | 'not recorded';

export interface MetricComparison {
  /** `<mode>.<id>` or `input.<id>`, e.g. stream.event_time_p99. */
  key: string;
  label: string;
  mode?: string;
  unit: string;
  better: Better;
  /** Whether the gate judges it; when not, why (a bound, the generator's own figure). */
  gates: boolean;
  not_gated_because?: string;
  /** The threshold it was judged with. */
  threshold: number;
  base: Spread | null;
  new: Spread | null;
  /** (NEW median - BASE median) / |BASE median|; null when BASE's median is 0 and NEW's is not, or a side has no value. */
  change: number | null;
  /** Two-sided Mann-Whitney U p-value; null when a side has no value. */
  p: number | null;
  p_method: 'exact' | 'normal' | 'none';
  /** U of the NEW sample (pairs where NEW's value is the larger). */
  u: number | null;
  verdict: Verdict;
  /** The per-run values the figures come from (valid runs only). */
  values: { base: number[]; new: number[] };
}

export interface InvariantFailure {
  run_id: string;
  /** loss, duplicates, record_agreement; or an external mode's invariant figure (result_loss, result_duplicates, unexpected_results). */
  invariant: string;
  /** The mode it is of (an external mode's invariant). */
  mode?: string;
  message: string;
}

/** A run that could not finish (`ab` knows them: a bench that exited otherwise, or wrote no results.json). */
export interface CrashedRun {
  side: Side;
  /** Its run id, or what names it ("ab run 3 (head)"). */
  run: string;
  problems: string[];
}

/** A run the comparison did not judge, and why. */
interface LeftOutRun {
  side: Side;
  run: string;
  why: 'crashed' | 'invalid';
  problems: string[];
}

/** A side's runs: given (crashed ones included), valid (judged), complete (held to the invariants). */
interface SideSummary {
  runs: number;
  valid: number;
  complete: number;
  run_ids: string[];
}

export interface Comparison {
  options: { threshold: number | null; alpha: number; min_runs: number };
  /** compare --across: the parameter BASE and NEW differ in, and each side's value. */
  across?: { parameter: string; flag: string; base: string; new: string };
  /** The workload both sides ran: each compared parameter's value (of the first BASE run). */
  parameters: Record<string, string>;
  compared_parameters: readonly string[];
  /** Runs given (valid, invalid and crashed) and the valid ones judged. */
  base: SideSummary;
  new: SideSummary;
  /** Runs left out of the judgement, with the reason: any makes the comparison inconclusive. */
  left_out: LeftOutRun[];
  metrics: MetricComparison[];
  /** Where the time went, per mode with stage breakdowns on both sides (valid runs). */
  stages: StageComparison[];
  /** Broken invariants of complete NEW runs; any fails the comparison. */
  invariants: InvariantFailure[];
  /** Keys of the gated metrics that regressed / improved (among the valid runs). */
  regressions: string[];
  improvements: string[];
  /** Why nothing could be judged a pass (empty unless the outcome is inconclusive). */
  inconclusive: string[];
  /** Things to know that change no outcome (figures one side does not record). */
  notes: string[];
  outcome: Exclude<Outcome, 'error'>;
  /** outcome === 'pass'. */
  passed: boolean;
}

/**
 * The verdict on one metric from its values on each side. A difference of medians no larger than
 * `resolution` (the figure's measurement resolution) is never a change, whatever its share.
 */
export function judge(
  base: readonly number[],
  next: readonly number[],
  better: Better,
  options: { threshold: number; alpha: number; minRuns: number },
  resolution = 0,
): {
  base: Spread | null;
  new: Spread | null;
  change: number | null;
  p: number | null;
  p_method: MetricComparison['p_method'];
  u: number | null;
  verdict: Verdict;
} {
  const b = spread(base) ?? null;
  const n = spread(next) ?? null;
  const test = mannWhitneyU(next, base);
  const p = Number.isFinite(test.p) ? test.p : null;
  const u = Number.isFinite(test.u1) ? test.u1 : null;
  let change: number | null = null;
  let beyond = false;
  let worse = false;
  let better_ = false;
  if (b && n) {
    const diff = n.median - b.median;
    change = b.median === 0 ? (diff === 0 ? 0 : null) : diff / Math.abs(b.median);
    // From a median of 0 any change is beyond any threshold.
    beyond = Math.abs(diff) > resolution && (change === null ? diff !== 0 : Math.abs(change) > options.threshold);
    worse = better === 'smaller' ? diff > 0 : diff < 0;
    better_ = better === 'smaller' ? diff < 0 : diff > 0;
  }
  let verdict: Verdict;
  if (!b || !n || b.n < options.minRuns || n.n < options.minRuns) verdict = 'too few samples';
  else if (p !== null && p < options.alpha && beyond && worse) verdict = 'regression';
  else if (p !== null && p < options.alpha && beyond && better_) verdict = 'improvement';
  else verdict = 'unchanged';
  return { base: b, new: n, change, p, p_method: test.method, u, verdict };
}

/** The invariants of a mode (an external job's loss, duplicates, unexpected results). */
const MODE_INVARIANTS = FIGURES.filter((f) => f.scope === 'mode' && f.invariant);

/**
 * The hard invariants of one run: no loss, no duplicates, record rules agreeing completely (an
 * external job's with the ground truth and the built-in modes too), and each mode's own (an
 * external job: no lost, duplicate or unexpected results).
 */
export function invariantFailures(run: RunResult): InvariantFailure[] {
  const out: InvariantFailure[] = [];
  const id = run.run_id;
  if (run.storage.loss > 0)
    out.push({ run_id: id, invariant: 'loss', message: `run ${id} lost ${run.storage.loss} reading(s)` });
  if (run.storage.duplicates > 0)
    out.push({
      run_id: id,
      invariant: 'duplicates',
      message: `run ${id} stored ${run.storage.duplicates} duplicate reading(s)`,
    });
  for (const a of run.agreement ?? []) {
    if (a.scope === 'record' && a.jaccard < 1) {
      out.push({
        run_id: id,
        invariant: 'record_agreement',
        message: `run ${id}: record-rule alerts of ${partyName(a.a)} and ${partyName(a.b)} agree to Jaccard ${a.jaccard.toFixed(4)} < 1 (TP ${a.tp}, FP ${a.fp}, FN ${a.fn})`,
      });
    }
  }
  for (const m of modesOfRun(run))
    for (const f of MODE_INVARIANTS.filter((x) => figureOfMode(x, m.name))) {
      const v = f.value(run, m);
      if (v !== undefined && v > 0)
        out.push({
          run_id: id,
          invariant: f.id,
          mode: m.name,
          message: `run ${id}: ${m.name} ${f.broken?.(v) ?? `${f.label} ${v}`}`,
        });
    }
  return out;
}

/** "p 0.016": a p as a reason writes it. */
const pText = (p: number): string => (p < 0.01 ? p.toFixed(4) : p.toFixed(3));

/** Why `valid` runs of a side are too few, with what the test could give at these sizes. */
function tooFewRuns(side: Side, valid: number, given: number, o: CompareOptions, other: number): string {
  const floor = smallestTwoSidedP(valid, other);
  const why =
    valid > 1 && other > 1 && floor >= o.alpha
      ? `; at ${valid} vs ${other} runs the smallest p the test can give is ${pText(floor)}, not below alpha ${o.alpha}`
      : '';
  return `${side} has ${valid} valid run${valid === 1 ? '' : 's'}${given !== valid ? ` of ${given}` : ''}, ${o.minRuns} needed (--min-runs)${why}`;
}

/** Every run of a side that is judged, and every one left out with its reason. */
function sortRuns(
  side: Side,
  runs: readonly RunResult[],
  crashed: readonly CrashedRun[],
): { valid: RunResult[]; leftOut: LeftOutRun[] } {
  const valid: RunResult[] = [];
  const leftOut: LeftOutRun[] = crashed
    .filter((c) => c.side === side)
    .map((c) => ({ side, run: c.run, why: 'crashed' as const, problems: c.problems }));
  for (const r of runs) {
    const v = measurementValidity(r);
    if (v.valid) valid.push(r);
    else leftOut.push({ side, run: r.run_id, why: 'invalid', problems: v.problems });
  }
  return { valid, leftOut };
}

/** One figure judged: its series on both sides, the rule it is judged by, and what cannot be judged. */
function judgeSeries(
  s: ReturnType<typeof extractSeries>[number],
  o: CompareOptions,
  sides: { base: number; next: number },
  out: { inconclusive: string[]; notes: string[] },
): MetricComparison {
  const g = s.figure.gate;
  const threshold = o.threshold ?? (g.gates ? g.threshold : GATE_DEFAULTS.threshold);
  const j = judge(
    s.base,
    s.next,
    s.figure.better,
    { threshold, alpha: o.alpha, minRuns: o.minRuns },
    g.gates ? g.resolution : 0,
  );
  let verdict = j.verdict;
  if (!g.gates) verdict = 'not gated';
  else if ((s.next.length === 0 && sides.next > 0) || (s.base.length === 0 && sides.base > 0)) {
    // Valid runs on a side and none with the figure: that code does not record it.
    verdict = 'not recorded';
    // A figure the new code no longer records is not a pass; one the base did not record yet is news.
    if (s.next.length === 0) out.inconclusive.push(`${s.label}: recorded by the BASE runs, by none of the NEW runs`);
    else out.notes.push(`${s.label}: not recorded by the BASE runs (shown, not judged)`);
  } else if (j.verdict === 'too few samples' && sides.base >= o.minRuns && sides.next >= o.minRuns) {
    out.inconclusive.push(
      `${s.label}: recorded by ${s.base.length} of ${sides.base} valid BASE and ${s.next.length} of ${sides.next} valid NEW runs, ${o.minRuns} a side needed`,
    );
  }
  return {
    key: s.key,
    label: s.label,
    ...(s.mode ? { mode: s.mode } : {}),
    unit: s.figure.unit,
    better: s.figure.better,
    gates: g.gates,
    ...(g.gates ? {} : { not_gated_because: g.why }),
    threshold,
    ...j,
    verdict,
    values: { base: s.base, new: s.next },
  };
}

/** Why the runs cannot be judged as a whole: too few valid runs a side, runs left out. */
function shortfalls(
  o: CompareOptions,
  valid: { base: number; next: number },
  given: { BASE: number; NEW: number },
  leftOut: readonly LeftOutRun[],
): string[] {
  const out = [
    valid.base < o.minRuns ? tooFewRuns('BASE', valid.base, given.BASE, o, valid.next) : '',
    valid.next < o.minRuns ? tooFewRuns('NEW', valid.next, given.NEW, o, valid.base) : '',
  ].filter(Boolean);
  if (leftOut.length) {
    const crashes = leftOut.filter((x) => x.why === 'crashed').length;
    const invalid = leftOut.length - crashes;
    out.unshift(
      `${leftOut.length} run${leftOut.length === 1 ? '' : 's'} left out (${[crashes ? `${crashes} crashed` : '', invalid ? `${invalid} not a valid measurement` : ''].filter(Boolean).join(', ')})`,
    );
  }
  return out;
}

/** The workload both sides ran (each compared parameter's text) and, with --across, the one they differ in. */
function workloadOf(
  base: readonly RunResult[],
  next: readonly RunResult[],
  across: string | undefined,
): Pick<Comparison, 'parameters' | 'across'> {
  const parameters: Record<string, string> = {};
  const ref = base[0] ?? next[0];
  if (ref) for (const key of COMPARED_PARAMETERS) parameters[key] = parameterValue(ref, key).text;
  if (!(across && base[0] && next[0])) return { parameters };
  delete parameters[across];
  return {
    parameters,
    across: {
      parameter: across,
      flag: flagOf(across),
      base: parameterValue(base[0], across).text,
      new: parameterValue(next[0], across).text,
    },
  };
}

/**
 * Compare the BASE runs with the NEW runs; `crashed` names runs that left no results (ab).
 * Throws IncomparableError (naming the parameter) when they did not all run the same workload.
 */
export function compareRuns(
  base: readonly RunResult[],
  next: readonly RunResult[],
  options: Partial<CompareOptions> = {},
  crashed: readonly CrashedRun[] = [],
): Comparison {
  const o: CompareOptions = { alpha: GATE_DEFAULTS.alpha, minRuns: GATE_DEFAULTS.minRuns, ...options };
  assertComparable(base, next, o.across);
  const b = sortRuns('BASE', base, crashed);
  const n = sortRuns('NEW', next, crashed);
  const leftOut = [...b.leftOut, ...n.leftOut];
  const judged = { inconclusive: [] as string[], notes: [] as string[] };
  const valid = { base: b.valid.length, next: n.valid.length };
  const metrics = extractSeries(b.valid, n.valid).map((s) => judgeSeries(s, o, valid, judged));
  const given = {
    BASE: base.length + crashed.filter((c) => c.side === 'BASE').length,
    NEW: next.length + crashed.filter((c) => c.side === 'NEW').length,
  };
  const inconclusive = [...shortfalls(o, valid, given, leftOut), ...judged.inconclusive];
  // Loss in a run that did not finish is the run's, not the code's: only complete NEW runs are held to them.
  const invariants = next.filter((r) => r.complete).flatMap(invariantFailures);
  const regressions = metrics.filter((m) => m.verdict === 'regression').map((m) => m.key);
  const improvements = metrics.filter((m) => m.verdict === 'improvement').map((m) => m.key);
  const outcome: Comparison['outcome'] =
    invariants.length > 0
      ? 'fail'
      : inconclusive.length > 0
        ? 'inconclusive'
        : regressions.length > 0
          ? 'fail'
          : 'pass';
  const ids = (runs: readonly RunResult[], side: Side): string[] => [
    ...runs.map((r) => r.run_id),
    ...crashed.filter((c) => c.side === side).map((c) => c.run),
  ];
  const sideOf = (runs: readonly RunResult[], side: Side, nValid: number) => ({
    runs: given[side],
    valid: nValid,
    complete: runs.filter((r) => r.complete).length,
    run_ids: ids(runs, side),
  });
  return {
    options: { threshold: o.threshold ?? null, alpha: o.alpha, min_runs: o.minRuns },
    ...workloadOf(base, next, o.across),
    compared_parameters: COMPARED_PARAMETERS,
    base: sideOf(base, 'BASE', valid.base),
    new: sideOf(next, 'NEW', valid.next),
    left_out: leftOut,
    metrics,
    stages: compareStages(b.valid, n.valid, o.alpha),
    invariants,
    regressions,
    improvements,
    inconclusive,
    notes: judged.notes,
    outcome,
    passed: outcome === 'pass',
  };
}

/** The exit code of a comparison's outcome (outcome.ts): 0 pass, 1 fail, 3 inconclusive. */
export function exitCode(c: Comparison): number {
  return EXIT_CODES[c.outcome];
}
