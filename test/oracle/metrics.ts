/**
 * The old in-memory path of metrics (before issue 20 item 3), kept as the oracle the streaming
 * collection is tested against: every reading, its truth and its alerts in memory at once, each
 * figure computed over whole arrays, the simplest reading of METRICS.md. Not used by the harness.
 */
import type { Mode } from '../../src/domain/modes.js';
import { readingKey } from '../../src/domain/keys.js';
import type { ProducerResult } from '../../src/generators/producer.js';
import type { EpisodeTruth } from '../../src/generators/dataset.js';
import type { AlertRecord, RuleSet } from '../../src/pipelines/rules/types.js';
import type { LateReadingNote } from '../../src/pipelines/stream.js';
import { compareAlerts, diffAlerts } from './agreement.js';
import type { CommittedAlert, RunData } from './collect.js';
import type { GroundTruth } from './ground-truth.js';
import { histogramKey, LatencyHistogram } from '../../src/results/histogram.js';
import type {
  AgreementResult,
  ModeResult,
  RunResult,
  StageBreakdown,
  TimeseriesPoint,
} from '../../src/results/schema.js';
import { BATCH_STAGES, stageBreakdown, STREAM_STAGES, type StageDef, type StageTimes } from './stages.js';
import type { ExternalFigures } from '../../src/harness/measure/external.js';

import type { BacklogSample } from '../../src/harness/measure/metrics.js';

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
  data: RunData;
  truth: GroundTruth;
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
export function vacuityWarnings(
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
  const storage = storageFigures(x);
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
  const resultLatency = x.external ? resultLatencyOfModes(x, phase) : undefined;
  if (resultLatency)
    for (const [mode, h] of resultLatency) measured.histograms[histogramKey(mode, 'result')] = h.encode();
  const warnings = runLengthWarnings(x, Math.max(0, (x.producer.endMs - phase.warmupEnd) / 1000));
  const vacuous = vacuityWarnings({ ...x, expectedAlerts: x.truth.expectedAlerts.length }, measured.modes);
  if (!x.complete) markIncomplete(failures, x.incompleteReason);
  const seconds = Math.max(1, Math.ceil((x.producer.endMs - phase.start) / 1000));

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
      stored: x.data.readings.length,
      loss: storage.loss,
      duplicates: storage.duplicates,
      rejected: x.data.rejected.ingest,
      foreign: x.data.rejectedKinds.foreign,
      no_run_id: x.data.rejectedKinds.noRunId,
      conflicting_duplicates: x.data.rejectedKinds.conflicts,
      refused_by_database: x.data.rejectedKinds.refused,
      substituted: storage.substituted,
      ...(x.modes.includes('stream')
        ? {
            stream_rejected: x.data.rejected.stream,
            stream_conflicting_duplicates: x.data.streamRejectedKinds.conflicts,
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
    ...stagesBlock(x, phase),
    ...(x.external ? { external: externalBlock(x.external, resultLatency!) } : {}),
  };
}

/** The built-in modes' latency to their record results (the population an external job is measured on). */
function resultLatencyOfModes(x: RunInputs, phase: MeasuredPhase): Map<Mode, LatencyHistogram> {
  return new Map(x.modes.map((m) => [m, recordResultHistogram(x.data.alerts[m], x.truth.intended, phase.warmupEnd)]));
}

/** The external jobs' figures, with every mode's latency to its record results beside them. */
function externalBlock(e: ExternalFigures, builtIn: Map<Mode, LatencyHistogram>): NonNullable<RunResult['external']> {
  const resultLatency: NonNullable<RunResult['external']>['result_latency'] = {};
  for (const [m, h] of builtIn) resultLatency[m] = h.summary();
  for (const j of e.jobs) resultLatency[j.name] = j.result_latency;
  return { jobs: e.jobs, result_latency: resultLatency };
}

/** Where each mode's time goes (`stages`), for the modes the run had. */
function stagesBlock(x: RunInputs, phase: MeasuredPhase): Pick<RunResult, 'stages'> {
  const stages: NonNullable<RunResult['stages']> = {};
  if (x.modes.includes('stream')) stages.stream = measuredStages(x, phase, x.data.streamStages, STREAM_STAGES);
  if (x.modes.includes('batch')) stages.batch = measuredStages(x, phase, x.data.batchStages, BATCH_STAGES);
  return stages.stream || stages.batch ? { stages } : {};
}

/**
 * A mode's stages over the measured phase's readings. t_intended is the generator's (as in the
 * event-time latency), and t_committed the one that latency takes, so that each reading's
 * stages add up to exactly the latency the report gives for it.
 */
function measuredStages<I extends string>(
  x: RunInputs,
  phase: MeasuredPhase,
  modeTimes: StageTimes<I | 'intended'>,
  stages: readonly StageDef<I | 'intended'>[],
): StageBreakdown {
  const intended = Float64Array.from(
    x.data.readings,
    (r) => x.truth.intended.get(readingKey(r.patient_id, r.seq)) ?? NaN,
  );
  const times = { ...modeTimes, intended };
  return stageBreakdown(times, (i) => intended[i]! >= phase.warmupEnd, stages);
}

/** The run's time frame (epoch ms) and what the measured phase is judged against. */
interface MeasuredPhase {
  /** The schedule's start: t_intended of reading 0. */
  start: number;
  warmupEnd: number;
  /** Injected episodes that began after the warm-up. */
  episodes: EpisodeTruth[];
  /** Per rule id, its window in seconds (0: a record rule). */
  windowSizeOf: Map<string, number>;
}

function measuredPhaseOf(x: RunInputs): MeasuredPhase {
  const start = x.producer.startMs;
  const warmupEnd = start + x.warmupSeconds * 1000;
  return {
    start,
    warmupEnd,
    episodes: x.truth.episodes.filter(
      (e) => (x.truth.intended.get(readingKey(e.patient_id, e.start_seq)) ?? -Infinity) >= warmupEnd,
    ),
    windowSizeOf: new Map(x.ruleSet.rules.map((r) => [r.id, r.kind === 'window' ? r.window_s : 0])),
  };
}

export interface StorageFigures {
  loss: number;
  duplicates: number;
  /** Stored readings the generator never sent. */
  unexpected: number;
  /** Stored readings whose content differs from what the generator sent with their (patient_id, seq). */
  substituted: number;
  /** The first substituted reading, described for the failure line. */
  substitutedExample?: string;
}

/**
 * Storage against the generator's list of sent valid readings: loss, duplicates, and stored
 * readings that are not what it sent (an unknown key, or a known key with other content).
 */
export function storageFigures(x: Pick<RunInputs, 'data' | 'truth'>): StorageFigures {
  const stored = new Set<string>();
  let unexpected = 0;
  let substituted = 0;
  let substitutedExample: string | undefined;
  for (const r of x.data.readings) {
    const key = readingKey(r.patient_id, r.seq);
    stored.add(key);
    const sent = x.truth.content.get(key);
    if (sent === undefined) unexpected++;
    else if (sent !== r.content) {
      substituted++;
      substitutedExample ??= describeSubstituted(r, x.truth.intended.get(key));
    }
  }
  let loss = 0;
  for (const key of x.truth.intended.keys()) if (!stored.has(key)) loss++;
  return {
    loss,
    duplicates: x.data.duplicateRows,
    unexpected,
    substituted,
    ...(substitutedExample ? { substitutedExample } : {}),
  };
}

/** Where a substituted reading came from: its Kafka origin, its event time against the generator's, its t_sent header. */
function describeSubstituted(r: RunData['readings'][number], intended: number | undefined): string {
  const eventTime =
    intended !== undefined && r.event_time !== Math.floor(intended)
      ? `event_time ${r.event_time} (the generator's ${Math.floor(intended)})`
      : `event_time ${r.event_time} as sent`;
  return `(patient_id ${r.patient_id}, seq ${r.seq}) stored from ${r.topic}:${r.partition}@${r.offset}, ${eventTime}, ${r.sent_at === null ? 'without' : 'with'} a t_sent header`;
}

export function storageFailures({
  loss,
  duplicates,
  unexpected,
  substituted,
  substitutedExample,
}: StorageFigures): string[] {
  const failures: string[] = [];
  if (loss > 0) failures.push(`loss: ${loss} valid readings sent but not stored`);
  if (duplicates > 0) failures.push(`duplicates: ${duplicates} readings stored more than once`);
  if (unexpected > 0) failures.push(`${unexpected} stored readings were never sent by the generator`);
  if (substituted > 0)
    failures.push(
      `substituted: ${substituted} stored readings differ in content from what the generator sent with their (patient_id, seq), e.g. ${substitutedExample ?? 'not described'}`,
    );
  return failures;
}

/** One mode's output count and event-time latencies, per second since the schedule's start. */
interface PerSecond {
  output: number[];
  p99: LatencyHistogram[];
}

interface MeasuredModes {
  modes: ModeResult[];
  perSecond: Map<Mode, PerSecond>;
  /** Readings intended during the warm-up (counted in the first mode). */
  excludedWarmup: number;
  histograms: Record<string, string>;
}

/** Each mode's figures; a mode that left stored readings without a result adds a failure. */
function measureModes(x: RunInputs, phase: MeasuredPhase, failures: string[]): MeasuredModes {
  const out: MeasuredModes = { modes: [], perSecond: new Map(), excludedWarmup: 0, histograms: {} };
  for (const mode of x.modes) {
    const readings = readingLatencies(x, mode, phase);
    out.perSecond.set(mode, readings.series);
    if (mode === x.modes[0]) out.excludedWarmup += readings.warmup;
    if (readings.unprocessed > 0)
      failures.push(`${mode}: ${readings.unprocessed} stored readings have no committed ${mode} result`);
    const detection = detectionLatency(phase.episodes, x.data.alerts[mode], x.truth, phase.windowSizeOf);
    const windowResult = windowResultLatency(x, mode, phase.warmupEnd);
    if (windowResult.count > 0) out.histograms[histogramKey(mode, 'window_result')] = windowResult.encode();
    out.histograms[histogramKey(mode, 'event_time')] = readings.eventTime.encode();
    out.histograms[histogramKey(mode, 'processing_time')] = readings.processing.encode();
    out.histograms[histogramKey(mode, 'detection')] = detection.histogram.encode();
    out.modes.push(modeResult(x, mode, phase, readings, detection, windowResult));
  }
  return out;
}

/** What the readings of one mode say: their latencies, when their results committed, which had none. */
interface ReadingLatencies {
  eventTime: LatencyHistogram;
  processing: LatencyHistogram;
  series: PerSecond;
  /** Stored readings with no committed result. */
  unprocessed: number;
  /** Readings with a result, intended during the warm-up (not measured). */
  warmup: number;
  /** The latest commit of a measured reading's result (epoch ms; -Infinity: none). */
  lastCommit: number;
  /** Measured readings with a committed result. */
  count: number;
}

function readingLatencies(x: RunInputs, mode: Mode, phase: MeasuredPhase): ReadingLatencies {
  const out: ReadingLatencies = {
    eventTime: new LatencyHistogram(),
    processing: new LatencyHistogram(),
    series: { output: [], p99: [] },
    unprocessed: 0,
    warmup: 0,
    lastCommit: -Infinity,
    count: 0,
  };
  const committed = x.data.committedAt[mode];
  x.data.readings.forEach((r, i) => {
    const intended = x.truth.intended.get(readingKey(r.patient_id, r.seq));
    if (intended === undefined) return;
    const t = committed[i]!;
    if (Number.isNaN(t)) {
      out.unprocessed++;
      return;
    }
    if (intended < phase.warmupEnd) {
      out.warmup++;
      return;
    }
    const latency = t - intended;
    out.eventTime.record(latency);
    out.processing.record(t - r.appended_at);
    const second = Math.max(0, Math.floor((t - phase.start) / 1000));
    while (out.series.output.length <= second) out.series.output.push(0);
    out.series.output[second]!++;
    (out.series.p99[second] ??= new LatencyHistogram()).record(latency);
    if (t > out.lastCommit) out.lastCommit = t;
    out.count++;
  });
  return out;
}

function windowResultLatency(x: RunInputs, mode: Mode, warmupEnd: number): LatencyHistogram {
  const windowResult = new LatencyHistogram();
  for (const w of x.data.windowCommits[mode]) {
    if (w.committedAt !== null && w.maxEventTime >= warmupEnd) windowResult.record(w.committedAt - w.maxEventTime);
  }
  return windowResult;
}

function modeResult(
  x: RunInputs,
  mode: Mode,
  phase: MeasuredPhase,
  readings: ReadingLatencies,
  detection: { histogram: LatencyHistogram; detected: number },
  windowResult: LatencyHistogram,
): ModeResult {
  // Over the measured phase, or longer when results came after it: never shorter than the
  // phase the input was offered in, so output can never exceed the input.
  const scheduleEnd = phase.start + (x.producer.planned / x.rate) * 1000;
  const outputSpan = (Math.max(readings.lastCommit, scheduleEnd) - phase.warmupEnd) / 1000;
  const busy =
    x.busySeconds?.[mode] ??
    (mode === 'batch' ? x.batchPasses.reduce((t, p) => t + p.duration_ms, 0) / 1000 : undefined);
  const processedAll = x.data.readings.length;
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
    alerts: x.data.alerts[mode].length,
    windows: x.data.windows[mode],
    ...(mode === 'batch' ? { batch_interval_s: x.batchIntervalSeconds } : {}),
    episodes_injected: phase.episodes.length,
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
  const sets: Array<[string, CommittedAlert[] | typeof x.truth.expectedAlerts]> = x.modes.map((m) => [
    m,
    x.data.alerts[m],
  ]);
  const pairs: Array<[string, string]> = [];
  if (x.modes.includes('stream') && x.modes.includes('batch')) pairs.push(['stream', 'batch']);
  for (const m of x.modes) pairs.push([m, 'ground_truth']);
  const byName = new Map<string, CommittedAlert[] | typeof x.truth.expectedAlerts>([
    ...sets,
    ['ground_truth', x.truth.expectedAlerts],
  ]);
  for (const [a, b] of pairs) {
    const results = compareAlerts(a, byName.get(a)!, b, byName.get(b)!);
    agreement.push(...results);
    diffs.push({ a, b, ...diffAlerts(byName.get(a)!, byName.get(b)!) });
    failures.push(...disagreementFailures(x, a, b, results));
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

function detectionLatency(
  episodes: EpisodeTruth[],
  alerts: CommittedAlert[],
  truth: GroundTruth,
  windowSizeOf: Map<string, number>,
): { histogram: LatencyHistogram; detected: number } {
  const byPatient = new Map<number, CommittedAlert[]>();
  for (const a of alerts) {
    if (a.committed_at === null) continue;
    const list = byPatient.get(a.patient_id);
    if (list) list.push(a);
    else byPatient.set(a.patient_id, [a]);
  }
  const histogram = new LatencyHistogram();
  let detected = 0;
  for (const e of episodes) {
    const t0 = truth.intended.get(readingKey(e.patient_id, e.start_seq))!;
    const tEnd = truth.intended.get(readingKey(e.patient_id, e.end_seq)) ?? t0;
    let first = Infinity;
    for (const a of byPatient.get(e.patient_id) ?? []) {
      const belongs =
        a.seq !== null
          ? a.seq >= e.start_seq && a.seq <= e.end_seq
          : a.window_start! + (windowSizeOf.get(a.rule_id) ?? 0) * 1000 > t0 && a.window_start! <= tEnd;
      if (belongs && a.committed_at! < first) first = a.committed_at!;
    }
    if (first < Infinity) {
      detected++;
      histogram.record(first - t0);
    }
  }
  return { histogram, detected };
}

function timeseries(
  seconds: number,
  x: RunInputs,
  perSecond: Map<Mode, PerSecond>,
  phase: MeasuredPhase,
): TimeseriesPoint[] {
  const start = x.producer.startMs;
  let length = seconds;
  for (const s of perSecond.values()) length = Math.max(length, s.output.length);
  // The per-second results of every mode, kept only when the run has an external mode (which has no per-reading output).
  const results = x.external ? resultsPerSecond(x, phase) : undefined;
  const externalP99 = externalP99PerSecond(x, start);
  for (const c of results?.values() ?? []) length = Math.max(length, c.length);
  const points: TimeseriesPoint[] = [];
  for (let second = 0; second < length; second++) {
    const output: Record<string, number> = {};
    const p99: Record<string, number | null> = {};
    for (const [mode, s] of perSecond) {
      output[mode] = s.output[second] ?? 0;
      const h = s.p99[second];
      p99[mode] = h && h.count > 0 ? h.percentile(99) : null;
    }
    // The last backlog sample taken within this second.
    const sample = [...x.backlog]
      .reverse()
      .find((b) => b.at < start + (second + 1) * 1000 && b.at >= start + second * 1000);
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

/**
 * Results of the measured phase per second, for every mode (built-in: alerts by commit time;
 * external: results by the time the harness first saw them). A record alert belongs to the
 * measured phase when its reading was intended after the warm-up, a window alert when its window
 * ended after it (as for an external job's results).
 */
function resultsPerSecond(x: RunInputs, phase: MeasuredPhase): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of x.modes) {
    const times: number[] = [];
    for (const a of x.data.alerts[m]) {
      if (a.committed_at === null) continue;
      const origin =
        a.seq !== null
          ? x.truth.intended.get(readingKey(a.patient_id, a.seq))
          : a.window_start === null
            ? undefined
            : a.window_start + (phase.windowSizeOf.get(a.rule_id) ?? 0) * 1000;
      if (origin !== undefined && origin >= phase.warmupEnd) times.push(a.committed_at);
    }
    out.set(m, perSecondCounts(times, phase.start));
  }
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

/** The old recordResultHistogram (external.ts), over a map of every reading's t_intended. */
function recordResultHistogram(
  alerts: ReadonlyArray<AlertRecord & { committed_at: number | null }>,
  intended: ReadonlyMap<string, number>,
  warmupEnd: number,
): LatencyHistogram {
  const h = new LatencyHistogram();
  const firstPerReading = new Map<string, number>();
  for (const a of alerts) {
    if (a.seq === null || a.committed_at === null) continue;
    const key = readingKey(a.patient_id, a.seq);
    firstPerReading.set(key, Math.min(firstPerReading.get(key) ?? Infinity, a.committed_at));
  }
  for (const [key, at] of firstPerReading) {
    const t = intended.get(key);
    if (t !== undefined && t >= warmupEnd) h.record(at - t);
  }
  return h;
}
