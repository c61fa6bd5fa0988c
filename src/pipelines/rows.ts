import { createHash } from 'node:crypto';
import type { Mode } from '../domain/modes.js';
import { VITAL_NAMES, type Reading } from '../domain/reading.js';
import type { AlertRecord, WindowResult } from './rules/types.js';

/** Column lists and row shapes for the bulk writers, in one place. */

export const VITALS_COLUMNS = `(run_id, patient_id, seq, source, event_time, heart_rate, body_temperature,
  blood_pressure_systolic, blood_pressure_diastolic, spo2_level, kafka_topic, kafka_partition, kafka_offset, appended_at, sent_at)`;

/** `sentAt`: t_sent from the message's t_sent header, null when the message carried none. */
export function vitalsRow(
  runId: string,
  r: Reading,
  topic: string,
  partition: number,
  offset: number,
  appendedAt: number,
  sentAt: number | null = null,
): unknown[] {
  return [
    runId,
    r.patient_id,
    r.seq,
    r.source,
    r.event_time,
    r.heart_rate,
    r.body_temperature,
    r.blood_pressure_systolic,
    r.blood_pressure_diastolic,
    r.spo2_level,
    topic,
    partition,
    offset,
    appendedAt,
    sentAt,
  ];
}

export const ALERT_COLUMNS =
  '(run_id, mode, rule_id, patient_id, subject_kind, subject, severity, seq, window_start, event_time, write_batch)';

export function alertRow(runId: string, mode: Mode, a: AlertRecord, batch: bigint): unknown[] {
  const isRecord = a.seq !== null;
  return [
    runId,
    mode,
    a.rule_id,
    a.patient_id,
    isRecord ? 'reading' : 'window',
    isRecord ? a.seq : a.window_start,
    a.severity,
    a.seq,
    a.window_start,
    a.event_time,
    batch.toString(),
  ];
}

/** Re-delivered results keep the first commit's row: an upsert that changes nothing. */
export const ALERT_UPSERT = 'ON DUPLICATE KEY UPDATE run_id = run_id';

export const WINDOW_COLUMNS = `(run_id, mode, patient_id, window_s, window_start, reading_count, max_event_time,
  ${VITAL_NAMES.map((v) => `avg_${v}, min_${v}, max_${v}`).join(', ')}, write_batch)`;

export function windowRow(runId: string, mode: Mode, w: WindowResult, batch: bigint): unknown[] {
  const stats = VITAL_NAMES.flatMap((v) => [w.stats[v].avg, w.stats[v].min, w.stats[v].max]);
  return [runId, mode, w.patient_id, w.window_s, w.window_start, w.count, w.max_event_time, ...stats, batch.toString()];
}

/** A recomputed window (batch, after late data) replaces its earlier figures. */
export const WINDOW_UPSERT = `ON DUPLICATE KEY UPDATE reading_count = VALUES(reading_count), max_event_time = VALUES(max_event_time),
  ${VITAL_NAMES.map((v) => `avg_${v} = VALUES(avg_${v}), min_${v} = VALUES(min_${v}), max_${v} = VALUES(max_${v})`).join(', ')},
  write_batch = VALUES(write_batch)`;

export const REJECT_COLUMNS =
  '(run_id, kafka_topic, kafka_partition, kafka_offset, role, reason, payload, payload_bytes, payload_sha256)';

/**
 * The part of a rejected message's value kept in rejected_readings: enough to see what it was,
 * never so much that a burst of large messages makes an insert the server refuses (its size
 * and digest are kept whole).
 */
export const REJECTED_PAYLOAD_MAX_BYTES = 4096;

/** The longest reason kept (rejected_readings.reason is VARCHAR(512)). */
const MAX_REASON_CHARS = 512;

/**
 * A rejected_readings row: where the message came from, which role refused it, and why; its
 * value truncated to REJECTED_PAYLOAD_MAX_BYTES, with its original size and SHA-256.
 */
export function rejectedRow(
  runId: string,
  m: { topic: string; partition: number; offset: number; payload: Buffer | null },
  role: 'ingest' | 'stream',
  reason: string,
): unknown[] {
  const payload = m.payload;
  return [
    runId,
    m.topic,
    m.partition,
    m.offset,
    role,
    Array.from(reason).slice(0, MAX_REASON_CHARS).join(''),
    payload && payload.length > REJECTED_PAYLOAD_MAX_BYTES ? payload.subarray(0, REJECTED_PAYLOAD_MAX_BYTES) : payload,
    payload?.length ?? null,
    payload ? createHash('sha256').update(payload).digest('hex') : null,
  ];
}

/**
 * The row that replaces a rejected_readings row the database refused: the same key, no
 * payload (its size and digest kept), the database's message as the reason.
 */
export function refusedRejectionRow(row: readonly unknown[], message: string): unknown[] {
  const copy = [...row];
  // Not the original reason: it may be what the database refused.
  copy[5] = Array.from(`database refused its rejected_readings row: ${message}`).slice(0, MAX_REASON_CHARS).join('');
  copy[6] = null;
  return copy;
}
