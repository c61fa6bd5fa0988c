// The old in-memory path (before issue 20 item 3), kept unchanged as the oracle of the streaming collection (test/oracle/metrics.ts).
/**
 * Commit-time attribution: which write transaction committed each reading's result, and when
 * (t_committed, METRICS.md). Pure: rows read back from write_batch_ranges / write_batches and
 * patient_vitals in, one commit time per reading out (NaN: not processed, or its commit unknown).
 */
import { partitionKey } from '../../src/domain/keys.js';
import type { Mode, Role } from '../../src/domain/modes.js';
import type { BatchInstant, StageTimes } from './stages.js';

/** What attribution needs of a stored reading (collect.ts StoredReading has more). */
export interface AttributedReading {
  patient_id: number;
  ingest_id: number;
  topic: string;
  partition: number;
  offset: number;
}

/**
 * One row of write_batch_ranges joined with its write_batches commit time. A stream or ingest
 * range covers [first_offset, last_offset] of one partition (its ingest/patient columns are 0);
 * a batch range covers (ingest_lo, ingest_hi] x [patient_lo, patient_hi] (its Kafka columns
 * are '' and -1).
 */
export interface WriteBatchRange {
  role: Role;
  committed_at: number;
  kafka_topic: string;
  kafka_partition: number;
  first_offset: number;
  last_offset: number;
  ingest_lo: number;
  ingest_hi: number;
  patient_lo: number;
  patient_hi: number;
  /** t_fetched of a stream range (null: recorded before migration 3, or not a stream range). */
  fetched_at?: number | null;
  /** t_commit_start of the range's transaction (null: not recorded). */
  commit_started_at?: number | null;
  /** Batch (migration 5): t_pass_start of the pass that dispatched the task (null: not recorded). */
  pass_started_at?: number | null;
  /** Batch (migration 5): t_task_start, when a worker thread began the task (null: not recorded). */
  task_started_at?: number | null;
  /** Batch (migration 5): t_read_done, when the task had read its readings (null: not recorded). */
  read_done_at?: number | null;
}

/** Each reading's commit time per mode, from the ranges of both roles. */
export function commitTimes(readings: AttributedReading[], ranges: WriteBatchRange[]): Record<Mode, Float64Array> {
  return {
    stream: streamCommitTimes(
      readings,
      ranges.filter((r) => r.role === 'stream'),
    ),
    batch: batchCommitTimes(
      readings,
      ranges.filter((r) => r.role === 'batch'),
    ),
  };
}

/**
 * A stream write batch covers an offset range of one partition; a reading's result committed
 * with the first batch that covered its offset (a replay after a crash covers it again later).
 */
export function streamCommitTimes(readings: AttributedReading[], ranges: WriteBatchRange[]): Float64Array {
  return Float64Array.from(offsetCommitRanges(readings, ranges), (r) => r?.committed_at ?? NaN);
}

/**
 * Of offset ranges of one role (stream, or ingest), the one whose transaction first committed
 * each reading (undefined: none).
 */
function offsetCommitRanges(
  readings: AttributedReading[],
  ranges: WriteBatchRange[],
): Array<WriteBatchRange | undefined> {
  const byPartition = new Map<string, { list: WriteBatchRange[]; maxSpan: number }>();
  for (const r of ranges) {
    const key = partitionKey(r.kafka_topic, r.kafka_partition);
    const entry = byPartition.get(key) ?? { list: [], maxSpan: 0 };
    entry.list.push(r);
    entry.maxSpan = Math.max(entry.maxSpan, r.last_offset - r.first_offset);
    byPartition.set(key, entry);
  }
  for (const { list } of byPartition.values()) list.sort((a, b) => a.first_offset - b.first_offset);
  return readings.map((reading) => {
    const entry = byPartition.get(partitionKey(reading.topic, reading.partition));
    if (!entry) return undefined;
    let best: WriteBatchRange | undefined;
    // Candidates start at or before the offset and no further back than the longest range.
    for (let j = upperBound(entry.list, reading.offset, (r) => r.first_offset) - 1; j >= 0; j--) {
      const r = entry.list[j]!;
      if (r.first_offset < reading.offset - entry.maxSpan) break;
      if (r.last_offset >= reading.offset && !(best && r.committed_at >= best.committed_at)) best = r;
    }
    return best;
  });
}

/** A batch task covers (ingest_lo, ingest_hi] x [patient_lo, patient_hi]. */
export function batchCommitTimes(readings: AttributedReading[], ranges: WriteBatchRange[]): Float64Array {
  return Float64Array.from(batchCommitRanges(readings, ranges), (r) => r?.committed_at ?? NaN);
}

/** The batch task whose transaction committed each reading's batch result (undefined: none). */
function batchCommitRanges(
  readings: AttributedReading[],
  ranges: WriteBatchRange[],
): Array<WriteBatchRange | undefined> {
  const passes = new Map<number, WriteBatchRange[]>();
  for (const r of ranges) passes.set(r.ingest_hi, [...(passes.get(r.ingest_hi) ?? []), r]);
  const his = [...passes.keys()].sort((a, b) => a - b);
  return readings.map((reading) => {
    // The pass whose (lo, hi] holds the reading's ingest_id: the first hi >= ingest_id. A pass
    // cut short by a restart covered only some patient ranges; a later pass covered the rest.
    for (let idx = lowerBound(his, reading.ingest_id, (x) => x); idx < his.length; idx++) {
      const task = passes
        .get(his[idx]!)!
        .find(
          (t) =>
            reading.ingest_id > t.ingest_lo && reading.patient_id >= t.patient_lo && reading.patient_id <= t.patient_hi,
        );
      if (task) return task;
    }
    return undefined;
  });
}

function upperBound<T>(list: T[], value: number, key: (t: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]!) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lowerBound<T>(list: T[], value: number, key: (t: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]!) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What stage attribution needs of a stored reading beyond AttributedReading. */
export interface TimedReading extends AttributedReading {
  event_time: number;
  appended_at: number;
  /** null: the message carried no t_sent header. */
  sent_at: number | null;
}

/** The stream's instants per reading (stages.ts), NaN where unknown. */
export function streamStageTimes(readings: TimedReading[], ranges: WriteBatchRange[]): StageTimes {
  const chosen = offsetCommitRanges(
    readings,
    ranges.filter((r) => r.role === 'stream'),
  );
  const of = (f: (r: TimedReading, range: WriteBatchRange | undefined) => number | null | undefined): Float64Array =>
    Float64Array.from(readings, (r, i) => f(r, chosen[i]) ?? NaN);
  return {
    intended: of((r) => r.event_time),
    sent: of((r) => r.sent_at),
    appended: of((r) => r.appended_at),
    fetched: of((_, range) => range?.fetched_at),
    commitStart: of((_, range) => range?.commit_started_at),
    committed: of((_, range) => range?.committed_at),
  };
}

/**
 * The batch's instants per reading (stages.ts), NaN where unknown. t_stored is the commit of
 * the ingest transaction that first stored the reading (ingest's ranges are offset ranges like
 * the stream's); the others come from the batch task that committed its result, the same one
 * batchCommitTimes takes, so that the stages end at the reading's batch t_committed.
 */
export function batchStageTimes(readings: TimedReading[], ranges: WriteBatchRange[]): StageTimes<BatchInstant> {
  const ingest = offsetCommitRanges(
    readings,
    ranges.filter((r) => r.role === 'ingest'),
  );
  const tasks = batchCommitRanges(
    readings,
    ranges.filter((r) => r.role === 'batch'),
  );
  const ofTask = (f: (task: WriteBatchRange) => number | null | undefined): Float64Array =>
    Float64Array.from(tasks, (task) => (task ? f(task) : null) ?? NaN);
  return {
    intended: Float64Array.from(readings, (r) => r.event_time),
    stored: Float64Array.from(ingest, (range) => range?.committed_at ?? NaN),
    passStart: ofTask((t) => t.pass_started_at),
    taskStart: ofTask((t) => t.task_started_at),
    readDone: ofTask((t) => t.read_done_at),
    commitStart: ofTask((t) => t.commit_started_at),
    committed: ofTask((t) => t.committed_at),
  };
}
