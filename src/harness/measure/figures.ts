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
import type { LatencySummary, ModeResult, RunResult } from '../../results/schema.js';
import { median } from './spread.js';

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

export interface FigureDef {
  /** Stable id: the comparison's key is `<mode>.<id>` or `input.<id>` (stream.event_time_p99). */
  id: string;
  scope: FigureScope;
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
  value: (run: RunResult, mode: ModeResult | undefined) => number | undefined;
  /** What the value is out of, for a tracker's `extra` ("n=2400", "offered 500/s"). */
  basis?: (run: RunResult, mode: ModeResult | undefined) => string;
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
  value: (_, m) => pct(m?.event_time_latency, key),
  basis: (_, m) => `n=${m?.event_time_latency.count ?? 0}`,
});

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
    value: (_, m) => pct(m?.processing_time_latency, 'p99'),
    basis: (_, m) => `n=${m?.processing_time_latency.count ?? 0}`,
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
    value: (_, m) => finite(m?.output_rate),
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
    value: (_, m) => finite(m?.processing_rate_while_busy),
  },
  {
    id: 'cpu_ms_per_1000_readings',
    scope: 'mode',
    label: 'CPU per 1,000 readings',
    title: 'CPU per 1,000 readings',
    unit: 'CPU ms',
    better: 'smaller',
    gate,
    history: 'cpu_ms_per_1000_readings',
    column: 'CPU ms/1k',
    tracker: { measure: 'cpu-ms-per-1000-readings', name: 'CPU per 1000 readings' },
    value: (r, m) => (m ? finite(r.cost?.modes[m.mode]?.cpu_ms_per_1000_readings) : undefined),
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
    value: (r, m) => (m?.mode === 'batch' ? batchPassDuration(r) : undefined),
  },
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
