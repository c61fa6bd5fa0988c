import { randomInt } from 'node:crypto';
import type { Role } from '../domain/modes.js';
import { insertStatements, writeAtomically, type Pool } from '../infra/mysql.js';
import { withRetry } from '../infra/retry.js';

/**
 * Ids of write transactions: unique across processes (random 31-bit instance prefix) and
 * increasing within one process.
 */
export class WriteBatchIds {
  private readonly prefix = BigInt(randomInt(1, 2 ** 31)) << 22n;
  private counter = 0n;
  next(): bigint {
    this.counter += 1n;
    return this.prefix | this.counter;
  }
}

export interface OffsetRange {
  topic: string;
  partition: number;
  firstOffset: number;
  lastOffset: number;
  /** t_fetched: when the consumer received this batch (epoch ms). */
  fetchedAt?: number;
}

interface IngestRange {
  ingestLo: number;
  ingestHi: number;
  patientLo: number;
  patientHi: number;
}

/** A batch task's instants before its write transaction (METRICS.md "Stage latency"), epoch ms. */
export interface BatchTaskInstants {
  /** t_pass_start: the pass that dispatched the task began. */
  passStartedAt: number;
  /** t_task_start: a worker thread began the task. */
  taskStartedAt: number;
  /** t_read_done: the task had read its readings. */
  readDoneAt: number;
}

/** One committed write transaction: when, how many rows, and what it covered. */
export interface CommitRecord {
  batch: bigint;
  committedAt: number;
  /** t_commit_start: when the transaction began. */
  commitStartedAt?: number;
  rowCount: number;
  /** Database transactions the write made: 0 when it had nothing to write (absent: one). */
  transactions?: number;
  ranges: OffsetRange[];
  ingestRange?: IngestRange;
  batchInstants?: BatchTaskInstants;
}

/**
 * Record t_committed (the writer's clock right after COMMIT returned) and what the
 * transaction covered. Written after the data commit, in its own statement: it is the
 * measurement, not the data, and must not delay the data's commit.
 */
export async function recordCommit(pool: Pool, runId: string, role: Role, commit: CommitRecord): Promise<void> {
  await pool.query(`${WRITE_BATCH_INSERT} VALUES (?) ${WRITE_BATCH_UPSERT}`, [writeBatchRow(runId, role, commit)]);
  const rows = rangeRows(runId, role, commit);
  if (rows.length > 0) await pool.query(`${RANGE_INSERT} VALUES ? ${RANGE_UPSERT}`, [rows]);
}

/**
 * Record several commits at once: their write_batches rows and their ranges, in one transaction
 * (one fsync however many commits it records).
 */
async function recordCommits(pool: Pool, runId: string, role: Role, commits: CommitRecord[]): Promise<void> {
  const batches = commits.map((c) => writeBatchRow(runId, role, c));
  const ranges = commits.flatMap((c) => rangeRows(runId, role, c));
  await writeAtomically(pool, [
    ...insertStatements(WRITE_BATCH_INSERT, batches, WRITE_BATCH_UPSERT),
    ...insertStatements(RANGE_INSERT, ranges, RANGE_UPSERT),
  ]);
}

const WRITE_BATCH_INSERT = `INSERT INTO write_batches (run_id, role, write_batch, committed_at, row_count, commit_started_at,
   pass_started_at, task_started_at, read_done_at, db_transactions)`;
// Idempotent, so that a retry after a lost acknowledgement does not fail on its own first try.
const WRITE_BATCH_UPSERT = 'ON DUPLICATE KEY UPDATE committed_at = committed_at';
const RANGE_INSERT = `INSERT INTO write_batch_ranges (run_id, role, write_batch, kafka_topic, kafka_partition, first_offset, last_offset,
   ingest_lo, ingest_hi, patient_lo, patient_hi, fetched_at)`;
const RANGE_UPSERT = 'ON DUPLICATE KEY UPDATE first_offset = first_offset';

function writeBatchRow(runId: string, role: Role, commit: CommitRecord): unknown[] {
  const { batch, committedAt, rowCount, commitStartedAt, batchInstants, transactions } = commit;
  return [
    runId,
    role,
    batch.toString(),
    committedAt,
    rowCount,
    commitStartedAt ?? null,
    batchInstants?.passStartedAt ?? null,
    batchInstants?.taskStartedAt ?? null,
    batchInstants?.readDoneAt ?? null,
    transactions ?? 1,
  ];
}

function rangeRows(runId: string, role: Role, commit: CommitRecord): unknown[][] {
  const { batch, ranges, ingestRange } = commit;
  const rows = ranges.map((r) => [
    runId,
    role,
    batch.toString(),
    r.topic,
    r.partition,
    r.firstOffset,
    r.lastOffset,
    0,
    0,
    0,
    0,
    r.fetchedAt ?? null,
  ]);
  if (ingestRange) {
    rows.push([
      runId,
      role,
      batch.toString(),
      '',
      -1,
      -1,
      -1,
      ingestRange.ingestLo,
      ingestRange.ingestHi,
      ingestRange.patientLo,
      ingestRange.patientHi,
      null,
    ]);
  }
  return rows;
}

/**
 * Records each data commit's t_committed off the critical path: committed() keeps the record
 * (the instants were taken when the data transaction began and right after its COMMIT returned)
 * and flush() writes every record kept so far in one transaction. The consumer loop flushes
 * before it commits offsets, so a committed offset never passes an unrecorded commit: a
 * restart re-reads, and records again, only what it could not have recorded. A failure is
 * fatal (never swallowed).
 */
export class CommitRecorder {
  private readonly ids = new WriteBatchIds();
  private kept: CommitRecord[] = [];
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    private readonly runId: string,
    private readonly role: Role,
    private readonly onFatal: (err: Error) => void,
    private readonly log?: (line: string) => void,
  ) {}

  /** A fresh id for the next data transaction (to stamp on its rows). */
  nextId(): bigint {
    return this.ids.next();
  }

  committed(commit: {
    startedAt: number;
    committedAt: number;
    rowCount: number;
    ranges: OffsetRange[];
    batch?: bigint;
    transactions?: number;
  }): void {
    const { committedAt, rowCount, ranges, startedAt, transactions } = commit;
    this.kept.push({
      batch: commit.batch ?? this.ids.next(),
      committedAt,
      commitStartedAt: startedAt,
      rowCount,
      ranges,
      ...(transactions !== undefined ? { transactions } : {}),
    });
  }

  /** Writes every record kept so far (after any flush in flight); resolves once they are durable. */
  flush(): Promise<void> {
    const written = this.flushing.then(() => this.writeKept());
    this.flushing = written.catch(() => undefined);
    return written;
  }

  private async writeKept(): Promise<void> {
    const records = this.kept;
    if (records.length === 0) return;
    this.kept = [];
    try {
      await withRetry('recording commit times', () => recordCommits(this.pool, this.runId, this.role, records), {
        log: this.log,
      });
    } catch (err) {
      const fatal = new Error(`recording commit time failed: ${(err as Error).message}`);
      this.onFatal(fatal);
      throw fatal;
    }
  }
}
