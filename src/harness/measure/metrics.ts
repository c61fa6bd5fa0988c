import type { Mode } from '../../domain/modes.js';
import type { ProducerResult } from '../../generators/producer.js';
import type { RuleSet } from '../../pipelines/rules/types.js';
import type { LateReadingNote } from '../../pipelines/stream.js';
import type { ModeFigures, RunFigures } from './collect.js';
import { histogramKey, LatencyHistogram } from '../../results/histogram.js';
import type { AgreementResult, ModeResult, RunResult, TimeseriesPoint } from '../../results/schema.js';
import type { ExternalFigures } from './external.js';
import type { PerSecondLatency } from './per-second.js';
import { storageFailures } from './storage.js';

export interface BacklogSample {
  /** Epoch ms. */
  at: number;
  backlog: Record<string, number>;
}

export interface RunInputs {
  runId: string;
  startedAt: Date;
  endedAt: Date;
  complete: boolean;
  incompleteReason?: string;
  parameters: Record<string, unknown>;
  environment: Record<string, unknown>;
  rate: number;
  warmupSeconds: number;
  batchIntervalSeconds: number;
  modes: readonly Mode[];
  ruleSet: RuleSet;
  producer: ProducerResult;
  /** What collection found, against the ground truth (collect.ts). */
  figures: RunFigures;
  backlog: BacklogSample[];
  streamLate: LateReadingNote[];
  batchPasses: NonNullable<RunResult['batch_passes']>;
  pipelineFailures: string[];
  /** Faults and outages, analysed by the harness (fault-report.ts). */
  faults?: RunResult['faults'];
  /** Seconds each mode spent processing (stream: from its own count; batch: its passes' durations when absent). */
  busySeconds?: Partial<Record<Mode, number>>;
  /** The cost side (cost.ts), when it was sampled. */
  cost?: RunResult['cost'];
  /** External modes' figures (external/external-modes.ts), when the run had any. */
  external?: ExternalFigures;
  /** Patients the generator spread the readings over (absent: not checked against the readings). */
  patients?: number;
}

/** How many batch intervals a measured phase needs before the batch latency stops depending on where the passes fell. */
const MIN_BATCH_INTERVALS = 3;

/** Settings that make a run too short to say much: each warning says what and how long to run instead. */
export function runLengthWarnings(
  x: Pick<RunInputs, 'modes' | 'batchIntervalSeconds' | 'ruleSet'>,
  measuredSeconds: number,
): string[] {
  const out: string[] = [];
  if (x.modes.includes('batch') && measuredSeconds < MIN_BATCH_INTERVALS * x.batchIntervalSeconds) {
    out.push(
      `the measured phase (${round1(measuredSeconds)} s) is shorter than ${MIN_BATCH_INTERVALS} batch intervals (${MIN_BATCH_INTERVALS} x ${x.batchIntervalSeconds} s): ` +
        `batch latency depends on where its few passes fell; measure at least ${MIN_BATCH_INTERVALS * x.batchIntervalSeconds} s (--duration)`,
    );
  }
  const windowS = Math.max(0, ...x.ruleSet.rules.map((r) => (r.kind === 'window' ? r.window_s : 0)));
  if (windowS > measuredSeconds) {
    out.push(
      `the rules' windows (${windowS} s) are longer than the measured phase (${round1(measuredSeconds)} s): window results are few and mostly half-filled; measure several windows (--duration ${windowS * 3})`,
    );
  }
  return out;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/**
 * What makes a run's agreement and detection figures say nothing ("agreement on nothing"): no
 * mode raised an alert, no mode detected an injected episode, or fewer readings than patients.
 * Such a run can pass; each warning says why its figures are empty and what to change.
 */
function vacuityWarnings(
  x: Pick<RunInputs, 'patients' | 'producer'> & { expectedAlerts: number },
  modes: ReadonlyArray<Pick<ModeResult, 'mode' | 'alerts' | 'episodes_injected' | 'episodes_detected'>>,
): string[] {
  const out: string[] = [];
  const names = (ms: typeof modes): string => ms.map((m) => m.mode).join(' and ');
  if (modes.length > 0 && modes.every((m) => m.alerts === 0)) {
    out.push(
      `agreement on nothing: ${modes.length > 1 ? 'no mode raised an alert' : `${names(modes)} raised no alert`} (the rule reference expects ${x.expectedAlerts}): ` +
        'the rules never fired on this data, so agreement and detection measure nothing (more readings per patient, or rules that fire)',
    );
  }
  const injected = Math.max(0, ...modes.map((m) => m.episodes_injected ?? 0));
  const blind = modes.filter((m) => (m.episodes_detected ?? 0) === 0);
  if (injected > 0 && blind.length > 0) {
    out.push(
      `agreement on nothing: ${names(blind)} detected none of the ${injected} anomaly episodes injected in the measured phase: detection latency has no sample`,
    );
  }
  if (x.patients !== undefined && x.producer.planned < x.patients) {
    out.push(
      `agreement on nothing: ${x.producer.planned} readings for ${x.patients} patients: most patients have one reading or none, ` +
        'so windows and episodes have next to no data (fewer --patients, or a longer --duration)',
    );
  }
  return out;
}

/** Thresholds of "the generator fell behind" (METRICS.md: send delay stays small). */
export const SEND_DELAY_P99_LIMIT_MS = 50;
export const ACHIEVED_RATE_MIN_RATIO = 0.99;

/** Turn what a run stored and what the generator knows into every figure of METRICS.md. */
export function computeRunResult(x: RunInputs): RunResult {
  const phase = measuredPhaseOf(x);
  const failures = [...x.pipelineFailures];
  const storage = x.figures.storage.figures(x.figures.counts.duplicateRows);
  failures.push(...storageFailures(storage));
  const measured = measureModes(x, phase, failures);
  measured.histograms[histogramKey('input', 'send_delay')] = x.producer.sendDelay.encode();
  const { agreement, diffs } = compareAlertSets(x, failures);
  if (x.external) {
    agreement.push(...x.external.agreement);
    failures.push(...x.external.failures);
    for (const [name, series] of Object.entries(x.external.series ?? {}))
      measured.histograms[histogramKey(name, 'result')] = series.histogram.encode();
  }
  const resultLatency = x.external ? resultLatencyOfModes(x) : undefined;
  if (resultLatency)
    for (const [mode, h] of resultLatency) measured.histograms[histogramKey(mode, 'result')] = h.encode();
  const warnings = runLengthWarnings(x, Math.max(0, (x.producer.endMs - phase.warmupEnd) / 1000));
  const vacuous = vacuityWarnings({ ...x, expectedAlerts: x.figures.expectedAlerts }, measured.modes);
  if (!x.complete) markIncomplete(failures, x.incompleteReason);
  const seconds = Math.max(1, Math.ceil((x.producer.endMs - phase.start) / 1000));
  const counts = x.figures.counts;

  return {
    schema_version: 1,
    run_id: x.runId,
    complete: x.complete,
    ...(x.incompleteReason ? { incomplete_reason: x.incompleteReason } : {}),
    started_at: x.startedAt.toISOString(),
    ended_at: x.endedAt.toISOString(),
    parameters: x.parameters,
    environment: x.environment,
    warmup: { seconds: x.warmupSeconds, excluded_readings: measured.excludedWarmup },
    input: inputFigures(x, phase),
    storage: {
      stored: x.figures.storage.stored,
      loss: storage.loss,
      duplicates: storage.duplicates,
      rejected: counts.rejected.ingest,
      foreign: counts.rejectedKinds.foreign,
      no_run_id: counts.rejectedKinds.noRunId,
      conflicting_duplicates: counts.rejectedKinds.conflicts,
      refused_by_database: counts.rejectedKinds.refused,
      substituted: storage.substituted,
      ...(x.modes.includes('stream')
        ? {
            stream_rejected: counts.rejected.stream,
            stream_conflicting_duplicates: counts.streamRejectedKinds.conflicts,
          }
        : {}),
    },
    modes: measured.modes,
    agreement,
    agreement_diffs: diffs,
    late_readings: x.streamLate.map((l) => ({ patient_id: l.patient_id, seq: l.seq, lateness_ms: l.lateness_ms })),
    timeseries: timeseries(seconds, x, measured.perSecond, phase),
    histograms: measured.histograms,
    verdict: { passed: failures.length === 0, failures },
    kafka_timestamp_type: 'LogAppendTime',
    ...(x.modes.includes('batch') ? { batch_passes: x.batchPasses } : {}),
    ...(x.faults?.length ? { faults: x.faults } : {}),
    ...(x.cost ? { cost: x.cost } : {}),
    ...(warnings.length ? { warnings } : {}),
    ...(vacuous.length ? { vacuous } : {}),
    ...stagesBlock(x),
    ...(x.external ? { external: externalBlock(x.external, resultLatency!) } : {}),
  };
}

/** The built-in modes' latency to their record results (the population an external job is measured on). */
function resultLatencyOfModes(x: RunInputs): Map<Mode, LatencyHistogram> {
  return new Map(x.modes.map((m) => [m, figuresOf(x, m).resultLatency]));
}

function figuresOf(x: Pick<RunInputs, 'figures'>, mode: Mode): ModeFigures {
  const f = x.figures.modes.get(mode);
  if (!f) throw new Error(`no figures were collected for mode ${mode}`);
  return f;
}

/** The external jobs' figures, with every mode's latency to its record results beside them. */
function externalBlock(e: ExternalFigures, builtIn: Map<Mode, LatencyHistogram>): NonNullable<RunResult['external']> {
  const resultLatency: NonNullable<RunResult['external']>['result_latency'] = {};
  for (const [m, h] of builtIn) resultLatency[m] = h.summary();
  for (const j of e.jobs) resultLatency[j.name] = j.result_latency;
  return { jobs: e.jobs, result_latency: resultLatency };
}

/** Where each mode's time goes (`stages`) over the measured phase's readings, for the modes the run had. */
function stagesBlock(x: RunInputs): Pick<RunResult, 'stages'> {
  const stages: NonNullable<RunResult['stages']> = {};
  if (x.modes.includes('stream')) stages.stream = figuresOf(x, 'stream').stages.breakdown();
  if (x.modes.includes('batch')) stages.batch = figuresOf(x, 'batch').stages.breakdown();
  return stages.stream || stages.batch ? { stages } : {};
}

/** The run's time frame (epoch ms) and what the measured phase is judged against. */
interface MeasuredPhase {
  /** The schedule's start: t_intended of reading 0. */
  start: number;
  warmupEnd: number;
}

function measuredPhaseOf(x: RunInputs): MeasuredPhase {
  const start = x.producer.startMs;
  const warmupEnd = start + x.warmupSeconds * 1000;
  return { start, warmupEnd };
}

interface MeasuredModes {
  modes: ModeResult[];
  perSecond: Map<Mode, PerSecondLatency>;
  /** Readings intended during the warm-up (counted in the first mode). */
  excludedWarmup: number;
  histograms: Record<string, string>;
}

/** Each mode's figures; a mode that left stored readings without a result adds a failure. */
function measureModes(x: RunInputs, phase: MeasuredPhase, failures: string[]): MeasuredModes {
  const out: MeasuredModes = { modes: [], perSecond: new Map(), excludedWarmup: 0, histograms: {} };
  for (const mode of x.modes) {
    const f = figuresOf(x, mode);
    const readings = f.latency;
    out.perSecond.set(mode, readings.perSecond);
    if (mode === x.modes[0]) out.excludedWarmup += readings.warmup;
    if (readings.unprocessed > 0)
      failures.push(`${mode}: ${readings.unprocessed} stored readings have no committed ${mode} result`);
    const late = x.figures.lateForClosedSecond.get(mode) ?? 0;
    if (late > 0)
      failures.push(
        `${mode}: ${late} results committed in a second the per-second series had already closed, more than ${CLOSED_SECONDS_MARGIN} s before their readings were intended (did the system clock go back?): that second's p99 leaves them out`,
      );
    if (f.windowResult.count > 0) out.histograms[histogramKey(mode, 'window_result')] = f.windowResult.encode();
    out.histograms[histogramKey(mode, 'event_time')] = readings.eventTime.encode();
    out.histograms[histogramKey(mode, 'processing_time')] = readings.processing.encode();
    out.histograms[histogramKey(mode, 'detection')] = f.detection.histogram.encode();
    out.modes.push(modeResult(x, mode, phase, f));
  }
  return out;
}

/** How far before its reading's t_intended a result may commit without missing its second's p99 (collect.ts). */
const CLOSED_SECONDS_MARGIN = 10;

function modeResult(x: RunInputs, mode: Mode, phase: MeasuredPhase, f: ModeFigures): ModeResult {
  const { latency: readings, detection, windowResult } = f;
  // Over the measured phase, or longer when results came after it: never shorter than the
  // phase the input was offered in, so output can never exceed the input.
  const scheduleEnd = phase.start + (x.producer.planned / x.rate) * 1000;
  const outputSpan = (Math.max(readings.lastCommit, scheduleEnd) - phase.warmupEnd) / 1000;
  const busy =
    x.busySeconds?.[mode] ??
    (mode === 'batch' ? x.batchPasses.reduce((t, p) => t + p.duration_ms, 0) / 1000 : undefined);
  const processedAll = x.figures.storage.stored;
  const count = readings.count;
  return {
    mode,
    event_time_latency: readings.eventTime.summary(),
    processing_time_latency: readings.processing.summary(),
    detection_latency: detection.histogram.summary(),
    ...(windowResult.count > 0 ? { window_result_latency: windowResult.summary() } : {}),
    output_rate: count > 0 && outputSpan > 0 ? count / outputSpan : 0,
    output_span_s: Math.round(outputSpan * 1000) / 1000,
    ...(busy !== undefined && busy > 0 ? { processing_rate_while_busy: processedAll / busy } : {}),
    results_committed: count,
    alerts: f.alerts,
    windows: f.windows,
    ...(mode === 'batch' ? { batch_interval_s: x.batchIntervalSeconds } : {}),
    episodes_injected: detection.injected,
    episodes_detected: detection.detected,
  };
}

/** Agreement: between the modes, and each mode against the reference evaluation; each disagreement that fails the run adds a failure. */
function compareAlertSets(
  x: RunInputs,
  failures: string[],
): { agreement: AgreementResult[]; diffs: NonNullable<RunResult['agreement_diffs']> } {
  const agreement: AgreementResult[] = [];
  const diffs: NonNullable<RunResult['agreement_diffs']> = [];
  for (const pair of x.figures.agreement) {
    const results = pair.results();
    agreement.push(...results);
    diffs.push({ a: pair.a, b: pair.b, ...pair.diff() });
    failures.push(...disagreementFailures(x, pair.a, pair.b, results));
  }
  return { agreement, diffs };
}

function disagreementFailures(x: RunInputs, a: string, b: string, results: AgreementResult[]): string[] {
  const failures: string[] = [];
  const record = results.find((r) => r.scope === 'record')!;
  if (record.jaccard < 1)
    failures.push(
      `record-rule alerts of ${a} and ${b} differ (Jaccard ${record.jaccard.toFixed(4)}, ${record.fp} only in ${a}, ${record.fn} only in ${b})`,
    );
  const window = results.find((r) => r.scope === 'window')!;
  // Late readings explain window differences only where the stream is one side.
  if (window.jaccard < 1 && (x.streamLate.length === 0 || (a !== 'stream' && b !== 'stream'))) {
    failures.push(
      `window-rule alerts of ${a} and ${b} differ${x.streamLate.length === 0 ? ' with no late readings' : ''} (Jaccard ${window.jaccard.toFixed(4)})`,
    );
  }
  return failures;
}

function inputFigures(x: RunInputs, phase: MeasuredPhase): RunResult['input'] {
  const sendDelay = x.producer.sendDelay.summary();
  // Acknowledged readings over the schedule's span, or longer when the last acknowledgement
  // came later (a generator or broker that fell behind).
  const scheduledSeconds = x.producer.planned / x.rate;
  const ackSeconds = (x.producer.lastAckMs - phase.start) / 1000;
  const achieved = x.producer.acknowledgedReadings / Math.max(scheduledSeconds, ackSeconds, 1e-9);
  return {
    offered_rate: x.rate,
    planned: x.producer.planned,
    sent: x.producer.sentReadings,
    acknowledged: x.producer.acknowledgedReadings,
    achieved_rate: achieved,
    measured_seconds: Math.max(0, (x.producer.endMs - phase.warmupEnd) / 1000),
    send_delay: sendDelay,
    generator_fell_behind: sendDelay.p99 > SEND_DELAY_P99_LIMIT_MS || achieved < ACHIEVED_RATE_MIN_RATIO * x.rate,
    malformed_sent: x.producer.sentMalformed,
    duplicates_sent: x.producer.sentDuplicates,
    start_ms: phase.start,
  };
}

/** Figures of an interrupted run describe what it reached, not what the pipelines can do. */
function markIncomplete(failures: string[], reason: string | undefined): void {
  for (let i = 0; i < failures.length; i++) failures[i] += ' (the run stopped before the pipelines drained)';
  failures.unshift(`run incomplete: ${reason ?? 'interrupted'}`);
}

function timeseries(
  seconds: number,
  x: RunInputs,
  perSecond: Map<Mode, PerSecondLatency>,
  phase: MeasuredPhase,
): TimeseriesPoint[] {
  const start = x.producer.startMs;
  let length = seconds;
  for (const s of perSecond.values()) length = Math.max(length, s.output.length);
  // The per-second results of every mode, kept only when the run has an external mode (which has no per-reading output).
  const results = x.external ? resultsPerSecond(x, phase) : undefined;
  const backlog = lastBacklogPerSecond(x.backlog, start);
  const externalP99 = externalP99PerSecond(x, start);
  for (const c of results?.values() ?? []) length = Math.max(length, c.length);
  const points: TimeseriesPoint[] = [];
  for (let second = 0; second < length; second++) {
    const output: Record<string, number> = {};
    const p99: Record<string, number | null> = {};
    for (const [mode, s] of perSecond) {
      output[mode] = s.output[second] ?? 0;
      p99[mode] = s.p99(second);
    }
    const sample = backlog.get(second);
    points.push({
      second,
      offered: x.producer.offeredPerSecond[second] ?? 0,
      achieved: x.producer.acknowledgedPerSecond[second] ?? 0,
      output,
      p99_ms: p99,
      backlog: sample?.backlog ?? {},
      ...(results ? { results: Object.fromEntries([...results].map(([m, c]) => [m, c[second] ?? 0])) } : {}),
      ...(externalP99
        ? {
            result_p99_ms: Object.fromEntries(
              [...externalP99].map(([m, hs]) => {
                const h = hs[second];
                return [m, h && h.count > 0 ? h.percentile(99) : null];
              }),
            ),
          }
        : {}),
    });
  }
  return points;
}

/** Per second since the schedule's start: how many of `times` (epoch ms) fall in it. */
function perSecondCounts(times: readonly number[], start: number): number[] {
  const out: number[] = [];
  for (const t of times) {
    const second = Math.max(0, Math.floor((t - start) / 1000));
    while (out.length <= second) out.push(0);
    out[second]!++;
  }
  return out;
}

/** Per second since the schedule's start, the last backlog sample taken within it. */
function lastBacklogPerSecond(samples: readonly BacklogSample[], start: number): Map<number, BacklogSample> {
  const out = new Map<number, BacklogSample>();
  for (const b of samples) if (b.at >= start) out.set(Math.floor((b.at - start) / 1000), b);
  return out;
}

/**
 * Results of the measured phase per second, for every mode (built-in: alerts by commit time, as
 * collected; external: results by the time the harness first saw them).
 */
function resultsPerSecond(x: RunInputs, phase: MeasuredPhase): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of x.modes) out.set(m, figuresOf(x, m).resultsPerSecond);
  for (const [name, series] of Object.entries(x.external?.series ?? {}))
    out.set(name, perSecondCounts(series.resultsVisibleAt, phase.start));
  return out;
}

/** External modes: per second since the schedule's start, the result latencies of the readings first seen in it. */
function externalP99PerSecond(x: RunInputs, start: number): Map<string, LatencyHistogram[]> | undefined {
  const series = Object.entries(x.external?.series ?? {});
  if (series.length === 0) return undefined;
  const out = new Map<string, LatencyHistogram[]>();
  for (const [name, s] of series) {
    const hs: LatencyHistogram[] = [];
    for (const r of s.readings)
      (hs[Math.max(0, Math.floor((r.visibleAt - start) / 1000))] ??= new LatencyHistogram()).record(r.latencyMs);
    out.set(name, hs);
  }
  return out;
}
