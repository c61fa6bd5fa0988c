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
import { headlineMetrics, parameterHash, shortHash, type Headline, type ModeHeadline } from './history.js';
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

/** The name prefix of a run's figures: its label (a profile) or "vitals-bench", and the short parameter hash. */
export function trackerPrefix(r: RunResult): string {
  const label = typeof r.parameters.label === 'string' ? r.parameters.label : 'vitals-bench';
  return `${label} ${shortHash(parameterHash(r.parameters))}`;
}

interface Figure {
  bench: string;
  measure: string;
  name: string;
  unit: string;
  value: number | null | undefined;
  smaller: boolean;
  extra?: string;
}

function figures(r: RunResult, prefix: string): Figure[] {
  const h = headlineMetrics(r);
  const out: Figure[] = [];
  for (const m of r.modes) out.push(...modeFigures(m, h.modes[m.mode]!, `${prefix} ${m.mode}`));
  out.push(...inputFigures(r, h, `${prefix} input`), ...storageFigures(h, prefix));
  return out.filter((f) => f.value != null && Number.isFinite(f.value));
}

/** A mode's figures: its latencies and CPU (smaller is better), its rates (bigger is better). */
function modeFigures(m: RunResult['modes'][number], x: ModeHeadline, bench: string): Figure[] {
  const n = `n=${m.event_time_latency.count}`;
  return [
    {
      bench,
      measure: 'event-time-p50-ms',
      name: `${bench} event-time latency p50`,
      unit: 'ms',
      value: x.event_time_p50_ms,
      smaller: true,
      extra: n,
    },
    {
      bench,
      measure: 'event-time-p99-ms',
      name: `${bench} event-time latency p99`,
      unit: 'ms',
      value: x.event_time_p99_ms,
      smaller: true,
      extra: n,
    },
    {
      bench,
      measure: 'event-time-p99-9-ms',
      name: `${bench} event-time latency p99.9`,
      unit: 'ms',
      value: x.event_time_p999_ms,
      smaller: true,
      extra: n,
    },
    {
      bench,
      measure: 'processing-time-p99-ms',
      name: `${bench} processing-time latency p99`,
      unit: 'ms',
      value: x.processing_time_p99_ms,
      smaller: true,
      extra: `n=${m.processing_time_latency.count}`,
    },
    {
      bench,
      measure: 'cpu-ms-per-1000-readings',
      name: `${bench} CPU per 1000 readings`,
      unit: 'CPU ms',
      value: x.cpu_ms_per_1000_readings,
      smaller: true,
    },
    {
      bench,
      measure: 'output-rate',
      name: `${bench} output rate`,
      unit: 'readings/s',
      value: x.output_rate,
      smaller: false,
    },
    {
      bench,
      measure: 'processing-rate-while-busy',
      name: `${bench} processing rate while busy`,
      unit: 'readings/s',
      value: x.processing_rate_while_busy,
      smaller: false,
    },
  ];
}

/** The input's figures: the send delay and the achieved rate. */
function inputFigures(r: RunResult, h: Headline, bench: string): Figure[] {
  return [
    {
      bench,
      measure: 'send-delay-p99-ms',
      name: `${bench} send delay p99`,
      unit: 'ms',
      value: h.send_delay_p99_ms,
      smaller: true,
      extra: `n=${r.input.send_delay.count}`,
    },
    {
      bench,
      measure: 'achieved-rate',
      name: `${bench} achieved rate`,
      unit: 'readings/s',
      value: h.achieved_rate,
      smaller: false,
      extra: `offered ${r.input.offered_rate}/s`,
    },
  ];
}

/** Storage's figures: loss and duplicates. */
function storageFigures(h: Headline, prefix: string): Figure[] {
  return [
    {
      bench: `${prefix} storage`,
      measure: 'loss',
      name: `${prefix} storage loss`,
      unit: 'readings',
      value: h.loss,
      smaller: true,
    },
    {
      bench: `${prefix} storage`,
      measure: 'duplicates',
      name: `${prefix} storage duplicates`,
      unit: 'readings',
      value: h.duplicates,
      smaller: true,
    },
  ];
}

function runExtra(r: RunResult): string {
  const commit = typeof r.environment.git_commit === 'string' ? r.environment.git_commit : 'unknown';
  return `run ${r.run_id}, commit ${commit}`;
}

function benchmarkAction(r: RunResult, smaller: boolean, prefix: string): BenchmarkActionEntry[] {
  const extra = runExtra(r);
  return figures(r, prefix)
    .filter((f) => f.smaller === smaller)
    .map((f) => ({ name: f.name, unit: f.unit, value: f.value!, extra: f.extra ? `${f.extra}; ${extra}` : extra }));
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
  for (const f of figures(r, prefix)) (out[f.bench] ??= {})[f.measure] = { value: f.value! };
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
