/**
 * What collection reads of a run, piece by piece (collect.ts walks it; mysql-source.ts reads it
 * from the database): every query returns a bounded part of the run, never all its readings.
 */
import type { Mode } from '../../domain/modes.js';
import type { AlertRecord } from '../../pipelines/rules/types.js';
import type { BatchTask, OffsetRangeSource } from './commit-attribution.js';

/** A stored reading as read back after the run. */
export interface StoredReading {
  patient_id: number;
  seq: number;
  ingest_id: number;
  event_time: number;
  appended_at: number;
  /** t_sent from the producer's header; null when the message carried none. */
  sent_at: number | null;
  topic: string;
  partition: number;
  offset: number;
  /** contentDigest of the stored row (source, event_time, vitals): compared with what the generator sent. */
  content: number;
}

export interface CommittedAlert extends AlertRecord {
  /** t_committed of the transaction that wrote it (null: its transaction is not recorded). */
  committed_at: number | null;
  /** Its id in insert order, by which the results observer saw it. */
  alert_id: number;
}

/** Rejections of one role by kind (rejected_readings reasons). */
export interface RejectedKinds {
  /** Stamped with another run's id, or (a bench) with none. */
  foreign: number;
  /** Of the foreign: with no run id at all. */
  noRunId: number;
  /** Later copies of a (patient_id, seq) with other content than the copy kept. */
  conflicts: number;
  /** Readings the database refused, isolated from their batch. */
  refused: number;
}

/** What the database counts of a run. */
export interface RunCounts {
  /** Rows in patient_vitals minus distinct (patient_id, seq): 0 unless the key were broken. */
  duplicateRows: number;
  rejected: { ingest: number; stream: number };
  /** Of ingest's rejections: another run's readings, conflicting duplicates, database refusals. */
  rejectedKinds: RejectedKinds;
  /** The same of the stream's rejections. */
  streamRejectedKinds: RejectedKinds;
  /** Per role: write transactions committed and rows they wrote (write_batches). */
  writes: Record<string, { transactions: number; rows: number }>;
}

/** One window result: its max event time and the commit time of the transaction that wrote it. */
export interface WindowCommit {
  maxEventTime: number;
  committedAt: number | null;
}

/** Which alerts of one mode a chunk reads: record alerts by seq, window alerts by window start (bounds inclusive). */
export interface AlertBounds {
  patientIds: readonly number[];
  seqLo: number;
  seqHi: number;
  windowLo: number;
  windowHi: number;
}

export interface RunSource extends OffsetRangeSource {
  counts(): Promise<RunCounts>;
  /** Stored readings of these patients with seq in [seqLo, seqHi], ordered by patient_id, then seq. */
  readings(patientIds: readonly number[], seqLo: number, seqHi: number): Promise<StoredReading[]>;
  /** How many stored readings have a patient_id in [lo, hi]. */
  countReadingsBetween(lo: number, hi: number): Promise<number>;
  /** One mode's alerts of the given patients within the bounds. */
  alerts(mode: Mode, bounds: AlertBounds): Promise<CommittedAlert[]>;
  /** One mode's alerts with a patient_id in [lo, hi]. */
  alertsBetween(mode: Mode, lo: number, hi: number): Promise<CommittedAlert[]>;
  /** Every batch task of the run, in the order they were written. */
  batchTasks(): Promise<BatchTask[]>;
  /** Every window result of one mode, a page at a time. */
  windows(mode: Mode): AsyncIterable<WindowCommit[]>;
}
