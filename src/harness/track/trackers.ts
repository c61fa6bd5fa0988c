/**
 * A run's figures in the formats existing benchmark trackers read (pure):
 * - github-action-benchmark's `customSmallerIsBetter` and `customBiggerIsBetter` tools: a JSON
 *   array of {name, unit, value, range?, extra?}; one file per direction
 *   (benchmark-action.smaller.json: latencies, CPU, loss; benchmark-action.bigger.json: rates);
 * - Bencher Metric Format (BMF): {"<benchmark>": {"<measure slug>": {value, lower_value?, upper_value?}}},
 *   one benchmark per mode plus one for the input and storage (bencher.json).
 *
 * Names carry a prefix naming the parameter set ("profile-ci 3fa2b1c0"), so a tracker never
 * puts runs of different parameters in one series.
 */
import { shortHash, workloadHash } from './history.js';
import { FIGURES, figureOfMode, modesOfRun, type FigureDef, type RunMode } from '../measure/figures.js';
import type { RunResult } from '../../results/schema.js';

export interface BenchmarkActionEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}
interface BmfMetric {
  value: number;
  lower_value?: number;
  upper_value?: number;
}
export type Bmf = Record<string, Record<string, BmfMetric>>;

export const TRACKER_FILES = {
  smaller: 'benchmark-action.smaller.json',
  bigger: 'benchmark-action.bigger.json',
  bencher: 'bencher.json',
} as const;

/**
 * The name prefix of a run's figures: its label (a profile) or "vitals-bench", and the short
 * workload hash (the parameter hash of a run without external modes).
 */
export function trackerPrefix(r: RunResult): string {
  const label = typeof r.parameters.label === 'string' ? r.parameters.label : 'vitals-bench';
  return `${label} ${shortHash(workloadHash(r))}`;
}

interface TrackedFigure {
  bench: string;
  measure: string;
  name: string;
  unit: string;
  value: number;
  smaller: boolean;
  extra?: string;
}

/** Every figure of FIGURES the run recorded: a benchmark per mode (external ones too), one for the input and one for storage. */
function figures(r: RunResult, prefix: string): TrackedFigure[] {
  const out: TrackedFigure[] = [];
  const add = (f: FigureDef, bench: string, mode?: RunMode): void => {
    const value = f.value(r, mode);
    if (value === undefined || !Number.isFinite(value)) return;
    const extra = f.basis?.(r, mode);
    out.push({
      bench,
      measure: f.tracker.measure,
      name: `${bench} ${f.tracker.name ?? f.title}`,
      unit: f.unit,
      value,
      smaller: f.better === 'smaller',
      ...(extra ? { extra } : {}),
    });
  };
  for (const m of modesOfRun(r))
    for (const f of FIGURES.filter((x) => x.scope === 'mode' && figureOfMode(x, m.name)))
      add(f, `${prefix} ${m.name}`, m);
  for (const scope of ['input', 'storage'] as const)
    for (const f of FIGURES.filter((x) => x.scope === scope)) add(f, `${prefix} ${scope}`);
  return out;
}

function runExtra(r: RunResult): string {
  const commit = typeof r.environment.git_commit === 'string' ? r.environment.git_commit : 'unknown';
  return `run ${r.run_id}, commit ${commit}`;
}

function benchmarkAction(r: RunResult, smaller: boolean, prefix: string): BenchmarkActionEntry[] {
  const extra = runExtra(r);
  return figures(r, prefix)
    .filter((f) => f.smaller === smaller)
    .map((f) => ({ name: f.name, unit: f.unit, value: f.value, extra: f.extra ? `${f.extra}; ${extra}` : extra }));
}

/** github-action-benchmark `customSmallerIsBetter`: latencies, CPU per 1,000 readings, loss and duplicates. */
export function benchmarkActionSmaller(r: RunResult, prefix = trackerPrefix(r)): BenchmarkActionEntry[] {
  return benchmarkAction(r, true, prefix);
}

/** github-action-benchmark `customBiggerIsBetter`: output rate, processing rate while busy, achieved input rate. */
export function benchmarkActionBigger(r: RunResult, prefix = trackerPrefix(r)): BenchmarkActionEntry[] {
  return benchmarkAction(r, false, prefix);
}

/**
 * Bencher Metric Format: a benchmark per mode ("<prefix> stream"), one for the input and one for
 * storage, each with its measures (slugs such as "event-time-p99-ms"; Bencher creates a measure
 * the first time it sees its slug). One run gives one value: no lower or upper value.
 */
export function bencherMetricFormat(r: RunResult, prefix = trackerPrefix(r)): Bmf {
  const out: Bmf = {};
  for (const f of figures(r, prefix)) (out[f.bench] ??= {})[f.measure] = { value: f.value };
  return out;
}

/** The three files' contents, keyed by file name (JSON text, newline-terminated). */
export function trackerFiles(r: RunResult, prefix = trackerPrefix(r)): Record<string, string> {
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  return {
    [TRACKER_FILES.smaller]: json(benchmarkActionSmaller(r, prefix)),
    [TRACKER_FILES.bigger]: json(benchmarkActionBigger(r, prefix)),
    [TRACKER_FILES.bencher]: json(bencherMetricFormat(r, prefix)),
  };
}
