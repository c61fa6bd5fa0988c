import type { Kafka } from 'kafkajs';
import { contentKey } from '../domain/content.js';
import { readingKey } from '../domain/keys.js';
import { parseReading, VITAL_NAMES, type ParseContext, type Reading } from '../domain/reading.js';
import type { KafkaClientDriver } from '../infra/kafka-client/index.js';
import {
  bulkInsert,
  inTransaction,
  numberOf,
  queryRows,
  stringOf,
  type Pool,
  type PoolConnection,
} from '../infra/mysql.js';
import { withRetry } from '../infra/retry.js';
import { chunkBy, readMaxAllowedPacket, rowBytes, statementBudget } from '../infra/statement-size.js';
import { startConsumerLoop, type ConsumerLoop, type OffsetCommit, type PartitionBatch } from './consumer-loop.js';
import { GroupCommit } from './group-commit.js';
import { isDataError, writeIsolating, writeRejectedIsolating } from './isolate.js';
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
  /** A reading without a run id is foreign (a bench: only its generator writes to its topics). */
  requireRunId?: boolean;
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
  /** Its patient_vitals row, and that row's bytes in a statement. */
  row: unknown[];
  rowBytes: number;
  topic: string;
  partition: number;
  offset: number;
  payload: Buffer | null;
}

interface IngestWork {
  valid: Incoming[];
  rejected: unknown[][];
  range: OffsetRange;
}

const CHUNK = 2000;

/**
 * The least time between two fetches that bring data (consumer-loop.ts fetchIntervalMs): at
 * most 50 ingest transactions per second whatever the rate. Nothing waits for ingest but the
 * batch passes, seconds apart; its transactions (each an fsync) and fetches were the batch
 * mode's cost per reading.
 */
const FETCH_INTERVAL_MS = 20;

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
  const maxAllowedPacket = await withRetry('reading max_allowed_packet', () => readMaxAllowedPacket(opts.pool), {
    log: opts.log,
  });
  const pipeline = new IngestPipeline(opts, statementBudget(maxAllowedPacket));
  const loop = await startConsumerLoop({
    kafka: opts.kafka,
    client: opts.client,
    groupId: opts.groupId ?? `vitals-ingest-${opts.runId}`,
    topics: opts.topics,
    onBatch: (batch) => pipeline.onBatch(batch),
    onFatal: opts.onFatal,
    fetchIntervalMs: FETCH_INTERVAL_MS,
    // An offset never passes a commit whose t_committed is not recorded yet (write-batches.ts).
    beforeOffsetCommit: () => pipeline.flushCommitRecords(),
    log: opts.log,
  });
  const stop = async (): Promise<void> => {
    await loop.stop();
    await pipeline.drain();
    opts.log?.(`ingest: ${pipeline.stats.batches} transactions`);
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

  /**
   * @param statementBytes the largest statement to send (statement-size.ts): a group commit
   * larger than that is written in several statements of one transaction.
   */
  constructor(
    private readonly opts: IngestOptions,
    private readonly statementBytes: number,
  ) {
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

  flushCommitRecords(): Promise<void> {
    return this.recorder.flush();
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

  /**
   * The database refused the group: write it again with the refused readings isolated and
   * rejected, and the rejected rows isolated too (a refused one is kept without its payload).
   */
  private async writeIsolatingRefused(valid: Incoming[], rejected: unknown[][], err: Error): Promise<GroupOutcome> {
    const { log, runId } = this.opts;
    log?.(`ingest write refused (${err.message}): isolating the refused readings`);
    let conflicts = 0;
    const refused = await writeIsolating(valid, async (part) => {
      conflicts += await this.write(part, []);
    });
    for (const r of refused)
      log?.(`database refused reading ${r.item.topic}:${r.item.partition}@${r.item.offset}: ${r.message}`);
    const refusedRows = await writeRejectedIsolating(
      [...rejected, ...refused.map((r) => rejectedRow(runId, r.item, 'ingest', `database refused: ${r.message}`))],
      async (rows) => {
        await this.write([], rows);
      },
    );
    for (const r of refusedRows) log?.(`database refused a rejected_readings row (kept without payload): ${r.message}`);
    return { conflicts, refusedCount: refused.length };
  }

  /** One transaction: the valid readings, then the rejected rows and the conflicting copies; returns the conflicts. */
  private write(valid: Incoming[], rejected: unknown[][]): Promise<number> {
    const { pool, runId, log } = this.opts;
    return withRetry(
      'ingest write',
      () =>
        inTransaction(pool, async (conn) => {
          const conflicts = await insertReadings(conn, runId, valid, this.statementBytes);
          const all = [...rejected, ...conflicts];
          if (all.length > 0)
            await bulkInsert(
              conn,
              `INSERT INTO rejected_readings ${REJECT_COLUMNS}`,
              all,
              'ON DUPLICATE KEY UPDATE reason = reason',
              CHUNK,
              this.statementBytes,
            );
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
  opts: Pick<IngestOptions, 'runId' | 'maxFutureMs' | 'requireRunId'>,
): Pick<IngestWork, 'valid' | 'rejected'> {
  const valid: Incoming[] = [];
  const rejected: unknown[][] = [];
  const ctx: ParseContext = {
    now: Date.now(),
    topic: batch.topic,
    runId: opts.runId,
    requireRunId: opts.requireRunId ?? false,
    ...(opts.maxFutureMs !== undefined ? { maxFutureMs: opts.maxFutureMs } : {}),
  };
  for (const m of batch.messages) {
    const parsed = parseReading(m.value, ctx);
    const where = { topic: batch.topic, partition: batch.partition, offset: m.offset, payload: m.value };
    if (!parsed.ok) {
      rejected.push(rejectedRow(opts.runId, where, 'ingest', parsed.reason));
      continue;
    }
    const row = vitalsRow(
      opts.runId,
      parsed.reading,
      where.topic,
      where.partition,
      where.offset,
      m.timestamp,
      m.sentAt,
    );
    valid.push({ ...where, reading: parsed.reading, row, rowBytes: rowBytes(row) });
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
  key: string;
  origin: { topic: string; partition: number; offset: number };
  content: string;
}

/**
 * Insert readings; a (patient_id, seq) already stored keeps its first row. A later copy bumps
 * the stored row's `copies` counter instead, which makes the server count it as 2 affected
 * rows (1 for a row inserted), in single-row and multi-row statements alike: when a statement
 * affected more rows than it had, its keys are read back in the same transaction, and the
 * copies whose content differs from the stored row are returned as rejected rows ("duplicate
 * with different content"); identical copies (a redelivery, a duplicate send) are simply not
 * stored again.
 */
async function insertReadings(
  conn: PoolConnection,
  runId: string,
  rows: Incoming[],
  statementBytes: number,
): Promise<unknown[][]> {
  const conflicts: unknown[][] = [];
  const textBytes = VITALS_COLUMNS.length + 128;
  for (const chunk of chunkBy(rows, CHUNK, statementBytes - textBytes, (r) => r.rowBytes)) {
    const [result] = await conn.query(
      `INSERT INTO patient_vitals ${VITALS_COLUMNS} VALUES ? ON DUPLICATE KEY UPDATE copies = copies + 1`,
      [chunk.map((r) => r.row)],
    );
    const copies = (result as { affectedRows: number }).affectedRows - chunk.length;
    if (copies <= 0) continue;
    const stored = await readStoredCopies(conn, runId, chunk);
    for (const r of chunk) {
      const s = stored.get(readingKey(r.reading.patient_id, r.reading.seq));
      if (!s || (s.origin.topic === r.topic && s.origin.partition === r.partition && s.origin.offset === r.offset))
        continue;
      if (s.content === contentKey(r.reading)) continue;
      conflicts.push(
        rejectedRow(
          runId,
          r,
          'ingest',
          `duplicate with different content: (patient_id ${r.reading.patient_id}, seq ${r.reading.seq}) first stored from ${s.origin.topic}:${s.origin.partition}@${s.origin.offset}`,
        ),
      );
    }
  }
  return conflicts;
}

/** The stored rows of a chunk's keys (read in the writing transaction): where each came from, and its content. */
async function readStoredCopies(
  conn: PoolConnection,
  runId: string,
  chunk: Incoming[],
): Promise<Map<string, StoredCopy>> {
  const rows = await queryRows(
    conn,
    `SELECT patient_id, seq, kafka_topic, kafka_partition, kafka_offset, source, event_time, ${VITAL_NAMES.join(', ')}
       FROM patient_vitals WHERE run_id = ? AND (patient_id, seq) IN (?)`,
    [runId, chunk.map((r) => [r.reading.patient_id, r.reading.seq])],
    (s): StoredCopy => ({
      key: readingKey(numberOf(s.patient_id), numberOf(s.seq)),
      origin: {
        topic: stringOf(s.kafka_topic),
        partition: numberOf(s.kafka_partition),
        offset: numberOf(s.kafka_offset),
      },
      content: contentKey({
        source: stringOf(s.source),
        event_time: numberOf(s.event_time),
        heart_rate: numberOf(s.heart_rate),
        body_temperature: numberOf(s.body_temperature),
        blood_pressure_systolic: numberOf(s.blood_pressure_systolic),
        blood_pressure_diastolic: numberOf(s.blood_pressure_diastolic),
        spo2_level: numberOf(s.spo2_level),
      }),
    }),
  );
  return new Map(rows.map((s) => [s.key, s]));
}
