import { randomInt } from 'node:crypto';
import type { Role } from '../domain/modes.js';
import type { Pool } from '../infra/mysql.js';
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
  const { batch, committedAt, rowCount, ranges, ingestRange, commitStartedAt, batchInstants } = commit;
  await pool.query(
    // Idempotent, so that a retry after a lost acknowledgement does not fail on its own first try.
    `INSERT INTO write_batches (run_id, role, write_batch, committed_at, row_count, commit_started_at,
       pass_started_at, task_started_at, read_done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE committed_at = committed_at`,
    [
      runId,
      role,
      batch.toString(),
      committedAt,
      rowCount,
      commitStartedAt ?? null,
      batchInstants?.passStartedAt ?? null,
      batchInstants?.taskStartedAt ?? null,
      batchInstants?.readDoneAt ?? null,
    ],
  );
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
  if (rows.length > 0) {
    await pool.query(
      `INSERT INTO write_batch_ranges (run_id, role, write_batch, kafka_topic, kafka_partition, first_offset, last_offset,
         ingest_lo, ingest_hi, patient_lo, patient_hi, fetched_at) VALUES ? ON DUPLICATE KEY UPDATE first_offset = first_offset`,
      [rows],
    );
  }
}

/**
 * Records each data commit's t_committed off the critical path: the measurement row is
 * written right after the data commit returns, without the pipeline waiting for it. A failure
 * is fatal (never swallowed); flush() waits for the outstanding ones.
 */
export class CommitRecorder {
  private readonly ids = new WriteBatchIds();
  private readonly inFlight = new Set<Promise<void>>();

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
  }): void {
    const { committedAt, rowCount, ranges, startedAt } = commit;
    const batch = commit.batch ?? this.ids.next();
    const record = (): Promise<void> =>
      recordCommit(this.pool, this.runId, this.role, {
        batch,
        committedAt,
        commitStartedAt: startedAt,
        rowCount,
        ranges,
      });
    const p = withRetry('recording commit time', record, { log: this.log })
      .catch((err: Error) => this.onFatal(new Error(`recording commit time failed: ${err.message}`)))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
