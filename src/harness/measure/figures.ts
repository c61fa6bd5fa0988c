/**
 * The figures of a run that are followed across runs, declared once: the comparison (`compare`,
 * `ab`), the history (history.jsonl, history.md and its trend charts) and the tracker files
 * (github-action-benchmark, Bencher) all read this table. Each figure says what it is, which
 * way is better, how to read it from a results.json, and whether a regression gate may judge it:
 * only figures that measure what their name says gate; bounds and the generator's own figures
 * are shown as context, with the reason.
 *
 * The names kept in history lines and tracker files are part of their formats: changing one
 * starts a new series in every tracker, so they are declared here as they always were.
 */
import { isMode } from '../../domain/modes.js';
import type { ExternalModeResult, LatencySummary, ModeResult, RunResult } from '../../results/schema.js';
import { median } from './spread.js';
import { OBSERVER_RESOLUTION_TARGET_MS } from './visibility.js';

/** Which way is better: smaller for latencies and CPU, bigger for rates. */
export type Better = 'smaller' | 'bigger';

/**
 * The regression gate's rule (README "Tracking performance in CI" gives the reasons): a change
 * of a figure's median for the worse beyond `threshold`, with a two-sided Mann-Whitney p below
 * `alpha`, over at least `minRuns` valid runs a side. With 5 runs a side, p < 0.01 needs the two
 * sets not to overlap at all (2/252 = 0.8% by chance per figure); at 0.05 two sets of identical
 * runs would be flagged 3.2% of the time per figure, about one A/A comparison in six.
 */
export const GATE_DEFAULTS = { alpha: 0.01, threshold: 0.1, minRuns: 5 } as const;

/**
 * Latencies come from instants recorded in whole milliseconds (t_sent, t_appended, t_committed):
 * medians 1 ms apart or less are within one tick of each other. (A/A runs of the calibration test
 * had send delay p99 2.67 ms against 3.33 ms, p 0.008: a regression of +25% by share alone.)
 */
const LATENCY_RESOLUTION_MS = 1;

/**
 * Whether a gate judges the figure. A gated figure has its own threshold (a fraction of the
 * BASE median) and resolution (a difference of medians no larger is never a change, whatever
 * its share); a context figure says why it is not judged.
 */
type Gate = { gates: true; threshold: number; resolution: number } | { gates: false; why: string };

/** 'mode': one value per mode of a run; 'input': the load generator's; 'storage': the stored readings'. */
type FigureScope = 'mode' | 'input' | 'storage';

/** Which modes a 'mode' figure is of: the built-in ones, the external jobs (docs/EXTERNAL.md), or both. */
type ModeKind = 'built-in' | 'external' | 'any';

/**
 * A mode of a run as the figures read it: a built-in mode (its ModeResult) or an external job
 * (its ExternalModeResult). External modes are modes here like the built-in ones: compare, `ab`,
 * the history and the tracker files follow their figures under their names.
 */
export interface RunMode {
  name: string;
  builtIn?: ModeResult;
  external?: ExternalModeResult;
}

/** Every mode of a run: the built-in ones in their order, then the external jobs in theirs. */
export function modesOfRun(run: RunResult): RunMode[] {
  return [
    ...run.modes.map((m) => ({ name: m.mode, builtIn: m })),
    ...(run.external?.jobs ?? []).map((j) => ({ name: j.name, external: j })),
  ];
}

/** A mode of the run by its name (undefined: the run did not have it). */
export function modeOfRun(run: RunResult, name: string): RunMode | undefined {
  return modesOfRun(run).find((m) => m.name === name);
}

/** Whether a 'mode' figure is one of the mode named (built-in names are reserved: an external job never has one). */
export function figureOfMode(f: FigureDef, mode: string): boolean {
  const of = f.of ?? 'built-in';
  return of === 'any' || (of === 'built-in') === isMode(mode);
}

export interface FigureDef {
  /** Stable id: the comparison's key is `<mode>.<id>` or `input.<id>` (stream.event_time_p99). */
  id: string;
  scope: FigureScope;
  /** A 'mode' figure: which modes it is of (default: the built-in ones). */
  of?: ModeKind;
  /** Short name, for the compare table: "event-time p99". */
  label: string;
  /** Long name, for trend charts: "event-time latency p99". */
  title: string;
  unit: string;
  better: Better;
  gate: Gate;
  /**
   * Judged on every NEW run on its own (loss, duplicates: any is a failure), never across runs:
   * the comparison lists it under the invariants rather than as a row.
   */
  invariant?: boolean;
  /** Its key in a history line's `metrics` (per mode under `modes`). */
  history: string;
  /** Its column in the history table. */
  column: string;
  /** The tracker files: Bencher's measure slug, and the name's last words (default: `title`). */
  tracker: { measure: string; name?: string };
  /** The run's value (of `mode` for a 'mode' figure); undefined when the run did not record it. */
  value: (run: RunResult, mode: RunMode | undefined) => number | undefined;
  /** What the value is out of, for a tracker's `extra` ("n=2400", "offered 500/s"). */
  basis?: (run: RunResult, mode: RunMode | undefined) => string;
  /** A mode's invariant: what a value above 0 says ("lost 3 results of the ground truth"). */
  broken?: (value: number) => string;
}

/** A latency percentile, or undefined when the distribution is empty (count 0: every figure is 0). */
const pct = (s: LatencySummary | undefined, key: 'p50' | 'p99' | 'p999'): number | undefined =>
  s && s.count > 0 ? s[key] : undefined;

const finite = (v: number | undefined): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** Median duration of a run's batch passes, the final pass (after the load, usually empty) left out. */
export function batchPassDuration(run: RunResult): number | undefined {
  const d = (run.batch_passes ?? []).filter((p) => !p.final).map((p) => p.duration_ms);
  return d.length ? median(d) : undefined;
}

const latencyGate: Gate = {
  gates: true,
  threshold: GATE_DEFAULTS.threshold,
  resolution: LATENCY_RESOLUTION_MS,
};
const gate: Gate = { gates: true, threshold: GATE_DEFAULTS.threshold, resolution: 0 };

const eventTime = (key: 'p50' | 'p99' | 'p999', name: string, slug: string): FigureDef => ({
  id: `event_time_${key}`,
  scope: 'mode',
  label: `event-time ${name}`,
  title: `event-time latency ${name}`,
  unit: 'ms',
  better: 'smaller',
  gate: latencyGate,
  history: `event_time_${key}_ms`,
  column: key === 'p50' ? 'event-time p50' : name,
  tracker: { measure: `event-time-${slug}-ms` },
  value: (_, m) => pct(m?.builtIn?.event_time_latency, key),
  basis: (_, m) => `n=${m?.builtIn?.event_time_latency.count ?? 0}`,
});

/**
 * An external job's result latency (t_visible - t_intended of each measured reading's first
 * result, as the results observer saw it). Medians closer than the observer's target resolution
 * are within what the observer can tell apart.
 */
const resultLatency = (key: 'p50' | 'p99' | 'p999', name: string, slug: string): FigureDef => ({
  id: `result_latency_${key}`,
  scope: 'mode',
  of: 'external',
  label: `result latency ${name}`,
  title: `result latency ${name}`,
  unit: 'ms',
  better: 'smaller',
  gate: { gates: true, threshold: GATE_DEFAULTS.threshold, resolution: OBSERVER_RESOLUTION_TARGET_MS },
  history: `result_latency_${key}_ms`,
  column: `result ${name}`,
  tracker: { measure: `result-latency-${slug}-ms` },
  value: (_, m) => pct(m?.external?.result_latency, key),
  basis: (_, m) => `n=${m?.external?.result_latency.count ?? 0}`,
});

/** An external job's invariant: any in a NEW run fails the comparison (docs/EXTERNAL.md: they fail the run). */
const externalInvariant = (
  id: string,
  label: string,
  column: string,
  slug: string,
  read: (j: ExternalModeResult) => number,
  broken: (n: number) => string,
): FigureDef => ({
  id,
  scope: 'mode',
  of: 'external',
  label,
  title: label,
  unit: 'results',
  better: 'smaller',
  gate: { gates: false, why: `an invariant: any in a NEW run fails the comparison` },
  invariant: true,
  history: id,
  column,
  tracker: { measure: slug, name: label },
  value: (_, m) => (m?.external ? finite(read(m.external)) : undefined),
  broken,
});

/** An external job's CPU counts from the run's first sample (as the built-in roles'), only in runs that say so. */
function externalCpu(r: RunResult, name: string): number | undefined {
  return r.cost?.cpu_counted_from === 'ready' ? r.cost.external?.[name]?.cpu_ms_per_1000_readings : undefined;
}

/** Every figure, in the order tables list them (per mode, then the run's). */
export const FIGURES: readonly FigureDef[] = [
  eventTime('p50', 'p50', 'p50'),
  eventTime('p99', 'p99', 'p99'),
  eventTime('p999', 'p99.9', 'p99-9'),
  {
    id: 'processing_time_p99',
    scope: 'mode',
    label: 'processing-time p99',
    title: 'processing-time latency p99',
    unit: 'ms',
    better: 'smaller',
    gate: latencyGate,
    history: 'processing_time_p99_ms',
    column: 'processing-time p99',
    tracker: { measure: 'processing-time-p99-ms' },
    value: (_, m) => pct(m?.builtIn?.processing_time_latency, 'p99'),
    basis: (_, m) => `n=${m?.builtIn?.processing_time_latency.count ?? 0}`,
  },
  {
    id: 'output_rate',
    scope: 'mode',
    label: 'output rate',
    title: 'output rate',
    unit: 'readings/s',
    better: 'bigger',
    gate,
    history: 'output_rate',
    column: 'output/s',
    tracker: { measure: 'output-rate' },
    value: (_, m) => finite(m?.builtIn?.output_rate),
  },
  {
    id: 'processing_rate_while_busy',
    scope: 'mode',
    label: 'rate while busy',
    title: 'processing rate while busy',
    unit: 'readings/s',
    better: 'bigger',
    gate: {
      gates: false,
      why: "a lower bound: readings over the mode's busy time, and the stream's busy time (its write transactions' wall time) is an upper bound that fetching while a commit runs inflates",
    },
    history: 'processing_rate_while_busy',
    column: 'busy rate/s',
    tracker: { measure: 'processing-rate-while-busy' },
    value: (_, m) => finite(m?.builtIn?.processing_rate_while_busy),
  },
  {
    id: 'cpu_ms_per_1000_readings',
    scope: 'mode',
    of: 'any',
    label: 'CPU per 1,000 readings',
    title: 'CPU per 1,000 readings',
    unit: 'CPU ms',
    better: 'smaller',
    gate,
    history: 'cpu_ms_per_1000_readings',
    column: 'CPU ms/1k',
    tracker: { measure: 'cpu-ms-per-1000-readings', name: 'CPU per 1000 readings' },
    value: (r, m) =>
      m?.builtIn
        ? finite(r.cost?.modes[m.builtIn.mode]?.cpu_ms_per_1000_readings)
        : m?.external
          ? finite(externalCpu(r, m.name))
          : undefined,
  },
  {
    id: 'batch_pass_ms',
    scope: 'mode',
    label: 'pass duration (median of a run)',
    title: 'batch pass duration (median of a run)',
    unit: 'ms',
    better: 'smaller',
    gate: latencyGate,
    history: 'batch_pass_ms',
    column: 'pass ms',
    tracker: { measure: 'batch-pass-ms' },
    value: (r, m) => (m?.builtIn?.mode === 'batch' ? batchPassDuration(r) : undefined),
  },
  resultLatency('p50', 'p50', 'p50'),
  resultLatency('p99', 'p99', 'p99'),
  resultLatency('p999', 'p99.9', 'p99-9'),
  {
    id: 'visibility_resolution',
    scope: 'mode',
    of: 'external',
    label: 'visibility resolution',
    title: 'results observer resolution',
    unit: 'ms',
    better: 'smaller',
    gate: {
      gates: false,
      why: "the results observer's bound on how late t_visible may be (the p99 of each result's own bound), not the job's: it says how far the result latencies can be off, and a loaded machine raises it",
    },
    history: 'visibility_resolution_ms',
    column: 'resolution',
    tracker: { measure: 'visibility-resolution-ms' },
    value: (_, m) => finite(m?.external?.visibility_resolution_ms),
  },
  {
    id: 'result_rate',
    scope: 'mode',
    of: 'external',
    label: 'output rate (results)',
    title: 'output rate in results',
    unit: 'results/s',
    better: 'bigger',
    gate: {
      gates: false,
      why: 'the load and the rules set it (the results the ground truth has per second, when the job keeps up): a job that falls behind shows in its result latency, one that loses results fails the loss invariant, so judging it again would only add false alarms',
    },
    history: 'result_rate',
    column: 'results/s',
    tracker: { measure: 'result-rate' },
    value: (_, m) => finite(m?.external?.output_rate),
    basis: (_, m) => `expected ${m?.external?.expected_rate.toFixed(1) ?? '?'}/s`,
  },
  externalInvariant(
    'result_loss',
    'lost results',
    'lost',
    'result-loss',
    (j) => j.loss,
    (n) => `lost ${n} result(s) of the ground truth`,
  ),
  externalInvariant(
    'result_duplicates',
    'duplicate results',
    'dup. results',
    'result-duplicates',
    (j) => j.duplicates,
    (n) => `wrote ${n} result(s) more than once`,
  ),
  externalInvariant(
    'unexpected_results',
    'unexpected results',
    'unexpected',
    'unexpected-results',
    (j) => j.unexpected,
    (n) => `wrote ${n} result(s) the ground truth does not have`,
  ),
  {
    id: 'send_delay_p99',
    scope: 'input',
    label: 'send delay p99',
    title: 'generator send delay p99',
    unit: 'ms',
    better: 'smaller',
    gate: {
      gates: false,
      why: "the load generator's lag, not the pipelines': a run whose generator fell behind is left out as invalid, and a slower generator shows in the event-time latencies, which count from the intended send time",
    },
    history: 'send_delay_p99_ms',
    column: 'send delay p99',
    tracker: { measure: 'send-delay-p99-ms', name: 'send delay p99' },
    value: (r) => pct(r.input.send_delay, 'p99'),
    basis: (r) => `n=${r.input.send_delay.count}`,
  },
  {
    id: 'achieved_rate',
    scope: 'input',
    label: 'achieved input rate',
    title: 'achieved input rate',
    unit: 'readings/s',
    better: 'bigger',
    gate: {
      gates: false,
      why: 'the open-loop schedule sets it: a run that fell short of it is left out as invalid',
    },
    history: 'achieved_rate',
    column: 'achieved/s',
    tracker: { measure: 'achieved-rate', name: 'achieved rate' },
    value: (r) => finite(r.input.achieved_rate),
    basis: (r) => `offered ${r.input.offered_rate}/s`,
  },
  {
    id: 'loss',
    scope: 'storage',
    label: 'loss',
    title: 'storage loss',
    unit: 'readings',
    better: 'smaller',
    gate: { gates: false, why: 'an invariant: any loss in a NEW run fails the comparison' },
    invariant: true,
    history: 'loss',
    column: 'loss',
    tracker: { measure: 'loss', name: 'loss' },
    value: (r) => finite(r.storage.loss),
  },
  {
    id: 'duplicates',
    scope: 'storage',
    label: 'duplicates',
    title: 'storage duplicates',
    unit: 'readings',
    better: 'smaller',
    gate: { gates: false, why: 'an invariant: any duplicate in a NEW run fails the comparison' },
    invariant: true,
    history: 'duplicates',
    column: 'duplicates',
    tracker: { measure: 'duplicates', name: 'duplicates' },
    value: (r) => finite(r.storage.duplicates),
  },
];
