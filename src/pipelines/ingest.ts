import type { Kafka } from 'kafkajs';
import { readingKey } from '../domain/keys.js';
import { parseReading, VITAL_NAMES, type ParseContext, type Reading } from '../domain/reading.js';
import type { KafkaClientDriver } from '../infra/kafka-client/index.js';
import { inTransaction, type Pool, type PoolConnection } from '../infra/mysql.js';
import { withRetry } from '../infra/retry.js';
import { startConsumerLoop, type ConsumerLoop, type OffsetCommit, type PartitionBatch } from './consumer-loop.js';
import { GroupCommit } from './group-commit.js';
import { isDataError, writeIsolating } from './isolate.js';
import { REJECT_COLUMNS, rejectedRow, VITALS_COLUMNS, vitalsRow } from './rows.js';
import { CommitRecorder, type OffsetRange } from './write-batches.js';

export interface IngestOptions {
  kafka: Kafka;
  /** The client that consumes (default: kafkajs over `kafka`). */
  client?: KafkaClientDriver;
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
  const pipeline = new IngestPipeline(opts);
  const loop = await startConsumerLoop({
    kafka: opts.kafka,
    client: opts.client,
    groupId: opts.groupId ?? `vitals-ingest-${opts.runId}`,
    topics: opts.topics,
    onBatch: (batch) => pipeline.onBatch(batch),
    onFatal: opts.onFatal,
    log: opts.log,
  });
  const stop = async (): Promise<void> => {
    await loop.stop();
    await pipeline.drain();
  };
  return { loop, stats: pipeline.stats, stop };
}

/** What one group commit wrote: conflicts and refused readings are rejected, not stored. */
interface GroupOutcome {
  conflicts: number;
  refusedCount: number;
}

/**
 * The state the ingest pipeline's steps share: its statistics, the commit recorder and the one
 * group-committing writer.
 */
class IngestPipeline {
  readonly stats: IngestStats = { stored: 0, rejected: 0, conflicts: 0, refused: 0, batches: 0, busyMs: 0 };
  private readonly recorder: CommitRecorder;
  private readonly writer: GroupCommit<IngestWork>;

  constructor(private readonly opts: IngestOptions) {
    this.recorder = new CommitRecorder(opts.pool, opts.runId, 'ingest', opts.onFatal, opts.log);
    this.writer = new GroupCommit<IngestWork>((items) => this.commitGroup(items));
  }

  /** A partition batch: parsed, written with the batches submitted alongside it, its offset committed. */
  async onBatch(batch: PartitionBatch): Promise<OffsetCommit[]> {
    const { valid, rejected } = parseBatch(batch, this.opts);
    const range = offsetRange(batch);
    await this.writer.submit({ valid, rejected, range });
    return [{ topic: batch.topic, partition: batch.partition, offset: range.lastOffset + 1 }];
  }

  /** Once the consumer loop has stopped: waits for the writes in flight, then records their commits. */
  async drain(): Promise<void> {
    await this.writer.idle();
    await this.recorder.flush();
  }

  /** One group commit: the batches' rows in one transaction, then its commit recorded and counted. */
  private async commitGroup(items: IngestWork[]): Promise<void> {
    const valid = items.flatMap((w) => w.valid);
    const rejected = items.flatMap((w) => w.rejected);
    const began = performance.now();
    const startedAt = Date.now();
    const { conflicts, refusedCount } = await this.writeGroup(valid, rejected);
    this.stats.busyMs += performance.now() - began;
    this.recorder.committed({
      startedAt,
      committedAt: Date.now(),
      rowCount: valid.length - refusedCount - conflicts,
      ranges: items.map((w) => w.range),
    });
    this.count(valid.length, rejected.length, { conflicts, refusedCount });
  }

  private async writeGroup(valid: Incoming[], rejected: unknown[][]): Promise<GroupOutcome> {
    try {
      return { conflicts: await this.write(valid, rejected), refusedCount: 0 };
    } catch (err) {
      if (!isDataError(err)) throw err;
      return this.writeIsolatingRefused(valid, rejected, err as Error);
    }
  }

  /** The database refused the group: write it again with the refused readings isolated and rejected. */
  private async writeIsolatingRefused(valid: Incoming[], rejected: unknown[][], err: Error): Promise<GroupOutcome> {
    const { log, runId } = this.opts;
    log?.(`ingest write refused (${err.message}): isolating the refused readings`);
    let conflicts = 0;
    const refused = await writeIsolating(valid, async (part) => {
      conflicts += await this.write(part, []);
    });
    for (const r of refused)
      log?.(`database refused reading ${r.item.topic}:${r.item.partition}@${r.item.offset}: ${r.message}`);
    await this.write(
      [],
      [...rejected, ...refused.map((r) => rejectedRow(runId, r.item, 'ingest', `database refused: ${r.message}`))],
    );
    return { conflicts, refusedCount: refused.length };
  }

  /** One transaction: the valid readings, then the rejected rows and the conflicting copies; returns the conflicts. */
  private write(valid: Incoming[], rejected: unknown[][]): Promise<number> {
    const { pool, runId, log } = this.opts;
    return withRetry(
      'ingest write',
      () =>
        inTransaction(pool, async (conn) => {
          const conflicts = await insertReadings(conn, runId, valid);
          const all = [...rejected, ...conflicts];
          for (let i = 0; i < all.length; i += CHUNK) {
            await conn.query(
              `INSERT INTO rejected_readings ${REJECT_COLUMNS} VALUES ? ON DUPLICATE KEY UPDATE reason = reason`,
              [all.slice(i, i + CHUNK)],
            );
          }
          return conflicts.length;
        }),
      { log },
    );
  }

  private count(validCount: number, rejectedCount: number, { conflicts, refusedCount }: GroupOutcome): void {
    this.stats.stored += validCount - refusedCount - conflicts;
    this.stats.rejected += rejectedCount + refusedCount + conflicts;
    this.stats.refused += refusedCount;
    this.stats.conflicts += conflicts;
    this.stats.batches += 1;
  }
}

/** A batch's messages parsed: valid readings with where they came from, invalid ones as rejected rows. */
function parseBatch(
  batch: PartitionBatch,
  opts: Pick<IngestOptions, 'runId' | 'maxFutureMs'>,
): Pick<IngestWork, 'valid' | 'rejected'> {
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
  return { valid, rejected };
}

function offsetRange(batch: PartitionBatch): OffsetRange {
  return {
    topic: batch.topic,
    partition: batch.partition,
    firstOffset: batch.messages[0]!.offset,
    lastOffset: batch.messages[batch.messages.length - 1]!.offset,
    fetchedAt: batch.fetchedAt,
  };
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
