import { randomInt } from 'node:crypto';
import type { Pool } from '../infra/mysql.js';

export type Role = 'ingest' | 'stream' | 'batch';

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
}

export interface IngestRange {
  ingestLo: number;
  ingestHi: number;
  patientLo: number;
  patientHi: number;
}

/**
 * Record t_committed (the writer's clock right after COMMIT returned) and what the
 * transaction covered. Written after the data commit, in its own statement: it is the
 * measurement, not the data, and must not delay the data's commit.
 */
export async function recordCommit(
  pool: Pool,
  runId: string,
  role: Role,
  batch: bigint,
  committedAt: number,
  rowCount: number,
  ranges: OffsetRange[],
  ingestRange?: IngestRange,
): Promise<void> {
  await pool.query(
    'INSERT INTO write_batches (run_id, role, write_batch, committed_at, row_count) VALUES (?, ?, ?, ?, ?)',
    [runId, role, batch.toString(), committedAt, rowCount],
  );
  const rows = ranges.map((r) => [runId, role, batch.toString(), r.topic, r.partition, r.firstOffset, r.lastOffset, 0, 0, 0, 0]);
  if (ingestRange) {
    rows.push([runId, role, batch.toString(), '', -1, -1, -1, ingestRange.ingestLo, ingestRange.ingestHi, ingestRange.patientLo, ingestRange.patientHi]);
  }
  if (rows.length > 0) {
    await pool.query(
      `INSERT INTO write_batch_ranges (run_id, role, write_batch, kafka_topic, kafka_partition, first_offset, last_offset,
         ingest_lo, ingest_hi, patient_lo, patient_hi) VALUES ?`,
      [rows],
    );
  }
}
