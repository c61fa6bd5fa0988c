/**
 * The figures of an external mode (docs/EXTERNAL.md, "What the harness measures"), from the rows
 * its job wrote, as the harness saw them, against the generator's ground truth and the
 * built-in modes' alerts. Pure: no database, no clock.
 */
import { readingKey } from '../../domain/keys.js';
import { alertKey, type AlertRecord } from '../../pipelines/rules/types.js';
import { compareAlerts } from './agreement.js';
import { LatencyHistogram } from '../../results/histogram.js';
import type { AgreementResult, ExternalModeResult } from '../../results/schema.js';
import type { ExternalResultRow } from './external-rows.js';
import { visibilityOf, type IntendedOf } from './visibility.js';

/** What the external modes of a run came to: each job's figures, their agreement, and what failed the run. */
export interface ExternalFigures {
  jobs: ExternalModeResult[];
  agreement: AgreementResult[];
  failures: string[];
  /** (optional) Per job: its result-latency histogram and when each measured result became visible, for the charts. */
  series?: Record<string, ExternalSeries>;
}

/** When a job's measured results became visible, and each reading's result latency by the time it became visible. */
interface ExternalSeries {
  histogram: LatencyHistogram;
  /** t_visible (epoch ms) of each distinct result of the measured phase. */
  resultsVisibleAt: number[];
  /** Per reading with a record result: when its first result became visible (epoch ms) and its latency (ms). */
  readings: Array<{ visibleAt: number; latencyMs: number }>;
}

/** What a job's rows are: per-rule alerts, or flagged readings without a rule (docs/EXTERNAL.md). */
export type ExternalKind = ExternalModeResult['kind'];

/** The rule id flagged readings are compared under: one per reading, whichever rules fired. */
const FLAGGED = '*';

/** What the run's ground truth and built-in modes say, to judge a job by. */
export interface ExternalJudgement {
  /** t_intended of a reading the generator sent (undefined: any other key). */
  intendedOf: IntendedOf;
  expectedAlerts: readonly AlertRecord[];
  /** Per rule id, its window in seconds (0: a record rule). */
  windowSizeOf: ReadonlyMap<string, number>;
  warmupEnd: number;
  /** t_intended of the last reading of the schedule (epoch ms). */
  scheduleEnd: number;
  /** The built-in modes' alerts, to compare with. */
  others: ReadonlyArray<{ name: string; alerts: readonly AlertRecord[] }>;
}

export interface ExternalInputs extends ExternalJudgement {
  name: string;
  command: string;
  rows: ExternalResultRow[];
  startupMs: number | undefined;
  /** CPU seconds its process group used until its ready line. */
  startupCpuS?: number | undefined;
  /** The rule ids the job said it evaluates (absent: all): the comparisons keep to them. */
  rules?: readonly string[];
  pollIntervalMs: number;
  exit: string;
}

export interface ExternalMeasurement {
  result: ExternalModeResult;
  agreement: AgreementResult[];
  failures: string[];
  histograms: { result: LatencyHistogram; atInsert: LatencyHistogram };
  series: ExternalSeries;
}

/** Flagged rows have no rule id; a job that mixes both kinds is judged as flagged readings (and told so). */
export function kindOf(rows: readonly ExternalResultRow[]): ExternalKind {
  return rows.some((r) => r.rule_id === null) ? 'flagged_readings' : 'alerts';
}

/** The job's rows as alert records, the first sighting of each result kept (later rows are duplicates). */
function firstOfEach(
  rows: readonly ExternalResultRow[],
  kind: ExternalKind,
): Map<string, ExternalResultRow & { key: string }> {
  const out = new Map<string, ExternalResultRow & { key: string }>();
  for (const r of [...rows].sort((a, b) => a.visible_at - b.visible_at || a.result_id - b.result_id)) {
    const key = alertKey(asAlert(r, kind));
    if (!out.has(key)) out.set(key, { ...r, key });
  }
  return out;
}

function asAlert(
  r: Pick<ExternalResultRow, 'rule_id' | 'patient_id' | 'seq' | 'window_start'>,
  kind: ExternalKind,
): AlertRecord {
  return {
    rule_id: kind === 'flagged_readings' ? FLAGGED : r.rule_id!,
    severity: 'high',
    patient_id: r.patient_id,
    seq: r.seq,
    window_start: r.seq === null ? r.window_start : null,
    event_time: 0,
  };
}

/** Record alerts collapsed to one per reading (for a flagged-readings job). */
export function asFlaggedReadings(alerts: readonly AlertRecord[]): AlertRecord[] {
  const out = new Map<string, AlertRecord>();
  for (const a of alerts) {
    if (a.seq === null) continue;
    const f = { ...a, rule_id: FLAGGED, window_start: null };
    out.set(alertKey(f), f);
  }
  return [...out.values()];
}

export function measureExternal(input: ExternalInputs): ExternalMeasurement {
  const x = keptToDeclaredRules(input);
  const kind = kindOf(x.rows);
  const distinct = firstOfEach(x.rows, kind);
  const reference = (alerts: readonly AlertRecord[]): AlertRecord[] =>
    kind === 'flagged_readings' ? asFlaggedReadings(alerts) : [...alerts];
  const mine = [...distinct.values()].map((r) => asAlert(r, kind));
  const truth = reference(x.expectedAlerts);
  const truthKeys = new Set(truth.map(alertKey));
  const latency = latencies(x, distinct);
  const observed = visibilityOf(
    [...distinct.values()].filter((r) => !r.final_scan),
    x.intendedOf,
    x.warmupEnd,
  );
  const skipped = scopesNotEvaluated(input);
  const agreement = comparisons(x, kind, mine, truth, reference).filter(
    (a) => !(skipped as readonly string[]).includes(a.scope),
  );
  const loss = [...truthKeys].filter((k) => !distinct.has(k)).length;
  const unexpected = [...distinct.keys()].filter((k) => !truthKeys.has(k)).length;
  const measuredS = Math.max(1e-9, (x.scheduleEnd - x.warmupEnd) / 1000);
  const outputSpanS = Math.max(1e-9, (Math.max(latency.lastVisible, x.scheduleEnd) - x.warmupEnd) / 1000);
  const result: ExternalModeResult = {
    name: x.name,
    command: x.command,
    kind,
    ...(x.startupMs !== undefined ? { startup_s: x.startupMs / 1000 } : {}),
    ...(x.startupCpuS !== undefined ? { startup_cpu_s: Math.round(x.startupCpuS * 1000) / 1000 } : {}),
    rows: x.rows.length,
    results: distinct.size,
    duplicates: x.rows.length - distinct.size,
    loss,
    unexpected,
    result_latency: latency.result.summary(),
    result_latency_at_insert: latency.atInsert.summary(),
    ...(latency.window.count > 0 ? { window_result_latency: latency.window.summary() } : {}),
    seen_only_by_final_scan: x.rows.filter((r) => r.final_scan).length,
    ...(latency.firstThird.count > 0 && latency.lastThird.count > 0
      ? { p99_by_third_ms: { first: latency.firstThird.percentile(99), last: latency.lastThird.percentile(99) } }
      : {}),
    poll_interval_ms: x.pollIntervalMs,
    visibility_resolution_ms: observed.bound.p99,
    visibility_bound: observed.bound,
    output_rate: latency.measured / outputSpanS,
    expected_rate: latency.expectedMeasured(truth) / measuredS,
    exit: x.exit,
    ...(input.rules ? { rules_evaluated: [...input.rules], rules_not_evaluated: notEvaluated(input) } : {}),
    ...(skipped.length ? { scopes_not_evaluated: skipped } : {}),
  };
  return {
    result,
    agreement,
    failures: failuresOf(result, agreement, truth.length),
    histograms: { result: latency.result, atInsert: latency.atInsert },
    series: { histogram: latency.result, resultsVisibleAt: latency.visibleAt, readings: latency.readings },
  };
}

/**
 * Result latency per reading (its first record result to become visible, whichever rule) and
 * per window result, over the measured phase.
 */
/** What the job did not say it evaluates is left out of its comparisons, on every side. */
function keptToDeclaredRules(x: ExternalInputs): ExternalInputs {
  if (!x.rules) return x;
  const keep = new Set(x.rules);
  const kept = (alerts: readonly AlertRecord[]): AlertRecord[] => alerts.filter((a) => keep.has(a.rule_id));
  return {
    ...x,
    expectedAlerts: kept(x.expectedAlerts),
    others: x.others.map((o) => ({ name: o.name, alerts: kept(o.alerts) })),
  };
}

/**
 * The rule scopes (record, window) of which the run has rules and the job declared none: its
 * comparisons in that scope would be of two empty sets (0/0 reads as full agreement) and are left out.
 */
function scopesNotEvaluated(x: ExternalInputs): Array<'record' | 'window'> {
  if (!x.rules) return [];
  const declared = new Set(x.rules);
  const ids = [...x.windowSizeOf.entries()];
  return (['record', 'window'] as const).filter((scope) => {
    const ofScope = ids.filter(([, size]) => size > 0 === (scope === 'window')).map(([id]) => id);
    return ofScope.length > 0 && !ofScope.some((id) => declared.has(id));
  });
}

function notEvaluated(x: ExternalInputs): string[] {
  return [...x.windowSizeOf.keys()].filter((id) => !x.rules!.includes(id));
}

function latencies(x: ExternalInputs, distinct: Map<string, ExternalResultRow & { key: string }>) {
  const result = new LatencyHistogram();
  const atInsert = new LatencyHistogram();
  const window = new LatencyHistogram();
  const perReading = new Map<string, { from: number; visible: number; inserted: number }>();
  let lastVisible = -Infinity;
  let measured = 0;
  const visibleAt: number[] = [];
  for (const r of distinct.values()) {
    const from = originOf(x, r);
    if (from === undefined || from < x.warmupEnd) continue;
    measured++;
    visibleAt.push(r.visible_at);
    lastVisible = Math.max(lastVisible, r.visible_at);
    if (r.seq === null) {
      window.record(r.visible_at - from);
      continue;
    }
    const key = readingKey(r.patient_id, r.seq);
    const seen = perReading.get(key);
    perReading.set(key, {
      from,
      visible: Math.min(seen?.visible ?? Infinity, r.visible_at),
      inserted: Math.min(seen?.inserted ?? Infinity, r.inserted_at),
    });
  }
  const third = (x.scheduleEnd - x.warmupEnd) / 3;
  const firstThird = new LatencyHistogram();
  const lastThird = new LatencyHistogram();
  const readings: ExternalSeries['readings'] = [];
  for (const p of perReading.values()) {
    result.record(p.visible - p.from);
    readings.push({ visibleAt: p.visible, latencyMs: p.visible - p.from });
    atInsert.record(p.inserted - p.from);
    if (p.from < x.warmupEnd + third) firstThird.record(p.visible - p.from);
    else if (p.from >= x.scheduleEnd - third) lastThird.record(p.visible - p.from);
  }
  const expectedMeasured = (truth: AlertRecord[]): number =>
    truth.filter((a) => (originOf(x, a) ?? -Infinity) >= x.warmupEnd).length;
  return {
    result,
    atInsert,
    window,
    lastVisible,
    measured,
    expectedMeasured,
    firstThird,
    lastThird,
    visibleAt,
    readings,
  };
}

/** Where a result's latency starts: its reading's t_intended, or its window's end. */
function originOf(
  x: ExternalInputs,
  r: Pick<ExternalResultRow, 'rule_id' | 'patient_id' | 'seq' | 'window_start'>,
): number | undefined {
  if (r.seq !== null) return x.intendedOf(r.patient_id, r.seq);
  if (r.window_start === null) return undefined;
  const size = x.windowSizeOf.get(r.rule_id ?? '') ?? 0;
  return r.window_start + size * 1000;
}

function comparisons(
  x: ExternalInputs,
  kind: ExternalKind,
  mine: AlertRecord[],
  truth: AlertRecord[],
  reference: (alerts: readonly AlertRecord[]) => AlertRecord[],
): AgreementResult[] {
  const scoped = (rs: AgreementResult[]): AgreementResult[] =>
    kind === 'flagged_readings' ? rs.filter((r) => r.scope === 'record') : rs;
  const out = scoped(compareAlerts(x.name, mine, 'ground_truth', truth));
  for (const o of x.others) out.push(...scoped(compareAlerts(x.name, mine, o.name, reference(o.alerts))));
  return out;
}

function failuresOf(r: ExternalModeResult, agreement: AgreementResult[], expected: number): string[] {
  const out: string[] = [];
  if (r.rows === 0 && expected > 0)
    return [
      `external job ${r.name} wrote no results (table external_results, mode ${r.name}; the ground truth has ${expected})`,
    ];
  if (r.loss > 0) out.push(`${r.name}: ${r.loss} results of the ground truth are missing from its table`);
  if (r.duplicates > 0) out.push(`${r.name}: ${r.duplicates} results written more than once`);
  if (r.unexpected > 0) out.push(`${r.name}: ${r.unexpected} results the ground truth does not have`);
  const vsTruth = agreement.find((a) => a.b === 'ground_truth' && a.scope === 'record');
  if (vsTruth && vsTruth.jaccard < 1 && r.loss === 0 && r.unexpected === 0)
    out.push(`${r.name}: record results differ from the ground truth (Jaccard ${vsTruth.jaccard.toFixed(4)})`);
  return out;
}

/**
 * A built-in mode's latency to its record results (the population an external job is measured
 * on): per reading intended after the warm-up, its first committed record alert. Adds to `into`
 * when given: the alerts may come a chunk at a time, where all alerts of one reading are in one chunk.
 */
export function recordResultHistogram(
  alerts: ReadonlyArray<AlertRecord & { committed_at: number | null }>,
  intendedOf: IntendedOf,
  warmupEnd: number,
  into = new LatencyHistogram(),
): LatencyHistogram {
  const firstPerReading = new Map<string, { patient: number; seq: number; at: number }>();
  for (const a of alerts) {
    if (a.seq === null || a.committed_at === null) continue;
    const key = readingKey(a.patient_id, a.seq);
    const seen = firstPerReading.get(key);
    if (!seen) firstPerReading.set(key, { patient: a.patient_id, seq: a.seq, at: a.committed_at });
    else if (a.committed_at < seen.at) seen.at = a.committed_at;
  }
  for (const { patient, seq, at } of firstPerReading.values()) {
    const t = intendedOf(patient, seq);
    if (t !== undefined && t >= warmupEnd) into.record(at - t);
  }
  return into;
}
