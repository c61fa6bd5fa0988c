import type { VitalName } from '../../domain/reading.js';

export type Comparison = '>' | '>=' | '<' | '<=';
export type Aggregation = 'avg' | 'min' | 'max' | 'count';
export type Severity = 'low' | 'medium' | 'high';

/** Fires on a single reading: `reading[vital] op value`. */
export interface RecordRule {
  kind: 'record';
  id: string;
  vital: VitalName;
  op: Comparison;
  value: number;
  severity: Severity;
}

/** Fires on a tumbling event-time window per patient: `agg(reading[vital]) op value`. */
export interface WindowRule {
  kind: 'window';
  id: string;
  vital: VitalName;
  agg: Aggregation;
  window_s: number;
  op: Comparison;
  value: number;
  severity: Severity;
}

export type Rule = RecordRule | WindowRule;

export interface RuleSet {
  /** Profile name, or the file the rules came from. */
  name: string;
  rules: Rule[];
}

/** Aggregates of one vital over a window. */
export interface VitalStats {
  avg: number;
  min: number;
  max: number;
}

/** One closed tumbling window of one patient. */
export interface WindowResult {
  patient_id: number;
  window_s: number;
  /** Epoch ms, multiple of window_s * 1000. */
  window_start: number;
  count: number;
  /** Largest event_time among the window's readings (METRICS.md: the window's event time). */
  max_event_time: number;
  stats: Record<VitalName, VitalStats>;
}

/** One alert as both modes produce it; its identity is (rule_id, patient_id, seq | window_start). */
export interface AlertRecord {
  rule_id: string;
  severity: Severity;
  patient_id: number;
  /** Sequence number of the reading, for record rules; null for window rules. */
  seq: number | null;
  /** Window start (epoch ms), for window rules; null for record rules. */
  window_start: number | null;
  /** Reading's event_time, or the window's max_event_time. */
  event_time: number;
}

/** Stable identity of an alert, for matching alert sets (METRICS.md: agreement). */
export function alertKey(a: Pick<AlertRecord, 'rule_id' | 'patient_id' | 'seq' | 'window_start'>): string {
  return a.seq !== null ? `${a.rule_id}|${a.patient_id}|r${a.seq}` : `${a.rule_id}|${a.patient_id}|w${a.window_start}`;
}
