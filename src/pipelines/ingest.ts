import type { Kafka } from 'kafkajs';
import { readingKey } from '../domain/keys.js';
import { parseReading, VITAL_NAMES, type ParseContext, type Reading } from '../domain/reading.js';
import { inTransaction, type Pool, type PoolConnection } from '../infra/mysql.js';
import { withRetry } from '../infra/retry.js';
import { startConsumerLoop, type ConsumerLoop, type OffsetCommit, type PartitionBatch } from './consumer-loop.js';
import { GroupCommit } from './group-commit.js';
import { isDataError, writeIsolating } from './isolate.js';
import { REJECT_COLUMNS, rejectedRow, VITALS_COLUMNS, vitalsRow } from './rows.js';
import { CommitRecorder, type OffsetRange } from './write-batches.js';

export interface IngestOptions {
  kafka: Kafka;
  pool: Pool;
  runId: string;
  topics: string[];
  groupId?: string;
  /** An event_time further ahead of the receiving clock than this is refused (default 5 min). */
  maxFutureMs?: number;
  log?: (line: string) => void;
  onFatal: (err: Error) => void;
}

export interface IngestStats {
  stored: number;
  rejected: number;
  /** Of the rejected: copies of a stored (patient_id, seq) with other content. */
  conflicts: number;
  /** Of the rejected: readings the database refused, isolated from their batch. */
  refused: number;
  batches: number;
  /** Milliseconds spent in write transactions (wall time). */
  busyMs: number;
}

/** A valid reading with where it came from. */
interface Incoming {
  reading: Reading;
  topic: string;
  partition: number;
  offset: number;
  appendedAt: number;
  sentAt: number | null;
  payload: Buffer | null;
}

interface IngestWork {
  valid: Incoming[];
  rejected: unknown[][];
  range: OffsetRange;
}

const CHUNK = 2000;

/**
 * The master data set: every valid reading lands in patient_vitals once, every invalid
 * message in rejected_readings with its reason. Partition batches are group-committed by one
 * writer, so ingest_id order is commit order (the batch layer relies on it). A reading the
 * database still refuses is isolated from its batch and rejected with the database's message;
 * the first copy of a (patient_id, seq) wins and a later copy with other content is rejected.
 */
export async function startIngest(
  opts: IngestOptions,
): Promise<{ loop: ConsumerLoop; stats: IngestStats; stop: () => Promise<void> }> {
  const stats: IngestStats = { stored: 0, rejected: 0, conflicts: 0, refused: 0, batches: 0, busyMs: 0 };
  const recorder = new CommitRecorder(opts.pool, opts.runId, 'ingest', opts.onFatal, opts.log);
  const write = (valid: Incoming[], rejected: unknown[][]): Promise<number> =>
    withRetry(
      'ingest write',
      () =>
        inTransaction(opts.pool, async (conn) => {
          const conflicts = await insertReadings(conn, opts.runId, valid);
          const all = [...rejected, ...conflicts];
          for (let i = 0; i < all.length; i += CHUNK) {
            await conn.query(
              `INSERT INTO rejected_readings ${REJECT_COLUMNS} VALUES ? ON DUPLICATE KEY UPDATE reason = reason`,
              [all.slice(i, i + CHUNK)],
            );
          }
          return conflicts.length;
        }),
      { log: opts.log },
    );

  const writer = new GroupCommit<IngestWork>(async (items) => {
    const valid = items.flatMap((w) => w.valid);
    const rejected = items.flatMap((w) => w.rejected);
    let conflicts = 0;
    let refusedCount = 0;
    const began = performance.now();
    const startedAt = Date.now();
    try {
      conflicts = await write(valid, rejected);
    } catch (err) {
      if (!isDataError(err)) throw err;
      opts.log?.(`ingest write refused (${(err as Error).message}): isolating the refused readings`);
      conflicts = 0;
      const refused = await writeIsolating(valid, async (part) => {
        conflicts += await write(part, []);
      });
      refusedCount = refused.length;
      for (const r of refused)
        opts.log?.(`database refused reading ${r.item.topic}:${r.item.partition}@${r.item.offset}: ${r.message}`);
      await write(
        [],
        [
          ...rejected,
          ...refused.map((r) => rejectedRow(opts.runId, r.item, 'ingest', `database refused: ${r.message}`)),
        ],
      );
    }
    stats.busyMs += performance.now() - began;
    recorder.committed({
      startedAt,
      committedAt: Date.now(),
      rowCount: valid.length - refusedCount - conflicts,
      ranges: items.map((w) => w.range),
    });
    stats.stored += valid.length - refusedCount - conflicts;
    stats.rejected += rejected.length + refusedCount + conflicts;
    stats.refused += refusedCount;
    stats.conflicts += conflicts;
    stats.batches += 1;
  });
  const onBatch = async (batch: PartitionBatch): Promise<OffsetCommit[]> => {
    const valid: Incoming[] = [];
    const rejected: unknown[][] = [];
    const ctx: ParseContext = {
      now: Date.now(),
      topic: batch.topic,
      runId: opts.runId,
      ...(opts.maxFutureMs !== undefined ? { maxFutureMs: opts.maxFutureMs } : {}),
    };
    for (const m of batch.messages) {
      const parsed = parseReading(m.value, ctx);
      const where = { topic: batch.topic, partition: batch.partition, offset: m.offset, payload: m.value };
      if (parsed.ok) valid.push({ ...where, reading: parsed.reading, appendedAt: m.timestamp, sentAt: m.sentAt });
      else rejected.push(rejectedRow(opts.runId, where, 'ingest', parsed.reason));
    }
    const first = batch.messages[0]!.offset;
    const last = batch.messages[batch.messages.length - 1]!.offset;
    await writer.submit({
      valid,
      rejected,
      range: {
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: first,
        lastOffset: last,
        fetchedAt: batch.fetchedAt,
      },
    });
    return [{ topic: batch.topic, partition: batch.partition, offset: last + 1 }];
  };
  const loop = await startConsumerLoop({
    kafka: opts.kafka,
    groupId: opts.groupId ?? `vitals-ingest-${opts.runId}`,
    topics: opts.topics,
    onBatch,
    onFatal: opts.onFatal,
    log: opts.log,
  });
  const stop = async (): Promise<void> => {
    await loop.stop();
    await writer.idle();
    await recorder.flush();
  };
  return { loop, stats, stop };
}

interface StoredCopy {
  patient_id: number;
  seq: number;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number | string;
  source: string;
  event_time: number | string;
  heart_rate: number;
  body_temperature: number;
  blood_pressure_systolic: number;
  blood_pressure_diastolic: number;
  spo2_level: number;
}

/**
 * Insert readings; a (patient_id, seq) already stored keeps its first row. When the server
 * reports duplicates, the copies that differ in content from the stored row are returned as
 * rejected rows ("duplicate with different content"); identical copies (a redelivery, a
 * duplicate send) are simply not stored again.
 */
async function insertReadings(conn: PoolConnection, runId: string, rows: Incoming[]): Promise<unknown[][]> {
  const conflicts: unknown[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const [result] = await conn.query(
      `INSERT INTO patient_vitals ${VITALS_COLUMNS} VALUES ? ON DUPLICATE KEY UPDATE seq = seq`,
      [chunk.map((r) => vitalsRow(runId, r.reading, r.topic, r.partition, r.offset, r.appendedAt, r.sentAt))],
    );
    const duplicates = Number(/Duplicates:\s*(\d+)/.exec((result as { info?: string }).info ?? '')?.[1] ?? 0);
    if (duplicates === 0) continue;
    const [stored] = await conn.query(
      `SELECT patient_id, seq, kafka_topic, kafka_partition, kafka_offset, source, event_time, ${VITAL_NAMES.join(', ')}
         FROM patient_vitals WHERE run_id = ? AND (patient_id, seq) IN (?)`,
      [runId, chunk.map((r) => [r.reading.patient_id, r.reading.seq])],
    );
    const byKey = new Map((stored as StoredCopy[]).map((s) => [readingKey(s.patient_id, s.seq), s]));
    for (const r of chunk) {
      const s = byKey.get(readingKey(r.reading.patient_id, r.reading.seq));
      if (!s || (s.kafka_topic === r.topic && s.kafka_partition === r.partition && Number(s.kafka_offset) === r.offset))
        continue;
      if (sameContent(s, r.reading)) continue;
      conflicts.push(
        rejectedRow(
          runId,
          r,
          'ingest',
          `duplicate with different content: (patient_id ${r.reading.patient_id}, seq ${r.reading.seq}) first stored from ${s.kafka_topic}:${s.kafka_partition}@${s.kafka_offset}`,
        ),
      );
    }
  }
  return conflicts;
}

function sameContent(s: StoredCopy, r: Reading): boolean {
  return (
    s.source === r.source && Number(s.event_time) === r.event_time && VITAL_NAMES.every((v) => Number(s[v]) === r[v])
  );
}
