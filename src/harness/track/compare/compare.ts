/**
 * Comparing two sets of runs of the same workload, as benchstat and Bencher do: for each
 * headline metric the median of each side with its spread, the relative change of the median,
 * a two-sided Mann-Whitney U p-value, and a verdict. Hard invariants of the NEW runs (no loss,
 * no duplicates, full record-rule agreement) fail the comparison whatever the statistics say.
 */
import { partyName } from '../../report/format.js';
import { spread, type Spread } from '../../measure/spread.js';
import type { RunResult } from '../../../results/schema.js';
import { assertComparable, COMPARED_PARAMETERS, parameterValue } from './comparability.js';
import { mannWhitneyU } from '../../measure/mann-whitney.js';
import { extractSeries, type Direction } from './metrics.js';

export interface CompareOptions {
  /** A median change for the worse beyond this fraction (0.10: 10%) can be a regression. */
  threshold: number;
  /** ...when the Mann-Whitney p-value is below this. */
  alpha: number;
  /** ...and each side has at least this many runs with the metric; fewer: "too few samples". */
  minRuns: number;
  /** Compared parameters to leave out of the comparability check (an A/B of one option on purpose). */
  ignoreParameters?: readonly string[];
}

export const DEFAULT_COMPARE_OPTIONS: Readonly<CompareOptions> = { threshold: 0.1, alpha: 0.05, minRuns: 5 };

export type Verdict = 'regression' | 'improvement' | 'unchanged' | 'too few samples';

export interface MetricComparison {
  /** `<mode>.<metric>` or `input.<metric>`, e.g. stream.event_time_p99. */
  key: string;
  label: string;
  mode?: string;
  unit: string;
  better: Direction;
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
  /** The per-run values the figures come from. */
  values: { base: number[]; new: number[] };
}

export interface InvariantFailure {
  run_id: string;
  invariant: 'loss' | 'duplicates' | 'record_agreement';
  message: string;
}

export interface Comparison {
  options: { threshold: number; alpha: number; min_runs: number; ignored_parameters: string[] };
  /** The workload both sides ran: each compared parameter's value (of the first BASE run). */
  parameters: Record<string, string>;
  compared_parameters: readonly string[];
  base: { runs: number; run_ids: string[] };
  new: { runs: number; run_ids: string[] };
  metrics: MetricComparison[];
  /** Broken invariants of NEW runs; any fails the comparison. */
  invariants: InvariantFailure[];
  /** Keys of the metrics that regressed / improved. */
  regressions: string[];
  improvements: string[];
  /** Things to know that do not fail the comparison (incomplete runs, a generator that fell behind). */
  notes: string[];
  /** No regression and every invariant held. */
  passed: boolean;
}

/**
 * Latencies come from instants recorded in whole milliseconds (t_sent, t_appended, t_committed):
 * medians 1 ms apart or less are within one tick of each other. (A/A runs of the calibration test
 * had send delay p99 2.67 ms against 3.33 ms, p 0.008: a regression of +25% by share alone.)
 */
export const LATENCY_RESOLUTION_MS = 1;

/**
 * The verdict on one metric from its values on each side. A difference of medians no larger than
 * `resolution` (the figure's measurement resolution) is never a change, whatever its share.
 */
export function judge(
  base: readonly number[],
  next: readonly number[],
  better: Direction,
  options: Pick<CompareOptions, 'threshold' | 'alpha' | 'minRuns'>,
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

/** The hard invariants of one run: no loss, no duplicates, record rules agreeing completely. */
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
  return out;
}

/**
 * Compare the BASE runs with the NEW runs. Throws IncomparableError (naming the parameter) when
 * they did not all run the same workload.
 */
export function compareRuns(
  base: readonly RunResult[],
  next: readonly RunResult[],
  options: Partial<CompareOptions> = {},
): Comparison {
  const o: CompareOptions = { ...DEFAULT_COMPARE_OPTIONS, ...options };
  const ignored = [...(o.ignoreParameters ?? [])];
  assertComparable(base, next, ignored);
  const metrics: MetricComparison[] = extractSeries(base, next).map((s) => ({
    key: s.key,
    label: s.label,
    ...(s.mode ? { mode: s.mode } : {}),
    unit: s.metric.unit,
    better: s.metric.better,
    ...judge(s.base, s.next, s.metric.better, o, s.metric.unit === 'ms' ? LATENCY_RESOLUTION_MS : 0),
    values: { base: s.base, new: s.next },
  }));
  const invariants = next.flatMap(invariantFailures);
  const notes: string[] = [];
  for (const [side, runs] of [
    ['BASE', base],
    ['NEW', next],
  ] as const) {
    for (const r of runs) {
      if (!r.complete)
        notes.push(`${side} run ${r.run_id} is incomplete${r.incomplete_reason ? `: ${r.incomplete_reason}` : ''}`);
      if (r.input.generator_fell_behind) notes.push(`${side} run ${r.run_id}: the generator fell behind the schedule`);
    }
  }
  const parameters: Record<string, string> = {};
  const ref = base[0] ?? next[0];
  if (ref) for (const key of COMPARED_PARAMETERS) parameters[key] = parameterValue(ref, key).text;
  const regressions = metrics.filter((m) => m.verdict === 'regression').map((m) => m.key);
  const improvements = metrics.filter((m) => m.verdict === 'improvement').map((m) => m.key);
  return {
    options: { threshold: o.threshold, alpha: o.alpha, min_runs: o.minRuns, ignored_parameters: ignored },
    parameters,
    compared_parameters: COMPARED_PARAMETERS,
    base: { runs: base.length, run_ids: base.map((r) => r.run_id) },
    new: { runs: next.length, run_ids: next.map((r) => r.run_id) },
    metrics,
    invariants,
    regressions,
    improvements,
    notes,
    passed: regressions.length === 0 && invariants.length === 0,
  };
}

/** The exit code of the compare command: 0 passed, 1 a regression or a broken invariant. */
export function exitCode(c: Comparison): 0 | 1 {
  return c.passed ? 0 : 1;
}
