import type { Kafka } from 'kafkajs';
import { parseReading } from '../domain/reading.js';
import { bulkInsert, inTransaction, type Pool } from '../infra/mysql.js';
import { startConsumerLoop, type ConsumerLoop, type OffsetCommit, type PartitionBatch } from './consumer-loop.js';
import { GroupCommit, withRetry } from './group-commit.js';
import { REJECT_COLUMNS, VITALS_COLUMNS, vitalsRow } from './rows.js';
import { CommitRecorder, type OffsetRange } from './write-batches.js';

export interface IngestOptions {
  kafka: Kafka;
  pool: Pool;
  runId: string;
  topics: string[];
  groupId?: string;
  log?: (line: string) => void;
  onFatal: (err: Error) => void;
}

export interface IngestStats {
  stored: number;
  rejected: number;
  batches: number;
}

interface IngestWork {
  valid: unknown[][];
  rejected: unknown[][];
  range: OffsetRange;
}

/**
 * The master data set: every valid reading lands in patient_vitals once, every invalid
 * message in rejected_readings with its reason. Partition batches are group-committed by one
 * writer, so ingest_id order is commit order (the batch layer relies on it).
 */
export async function startIngest(opts: IngestOptions): Promise<{ loop: ConsumerLoop; stats: IngestStats; stop: () => Promise<void> }> {
  const stats: IngestStats = { stored: 0, rejected: 0, batches: 0 };
  const recorder = new CommitRecorder(opts.pool, opts.runId, 'ingest', opts.onFatal);
  const writer = new GroupCommit<IngestWork>(async (items) => {
    const valid = items.flatMap((w) => w.valid);
    const rejected = items.flatMap((w) => w.rejected);
    await withRetry('ingest write', () => inTransaction(opts.pool, async (conn) => {
      // A redelivered reading (or a duplicate send) keeps its first row.
      if (valid.length) await bulkInsert(conn, `INSERT INTO patient_vitals ${VITALS_COLUMNS}`, valid, 'ON DUPLICATE KEY UPDATE seq = seq');
      if (rejected.length) await bulkInsert(conn, `INSERT INTO rejected_readings ${REJECT_COLUMNS}`, rejected, 'ON DUPLICATE KEY UPDATE reason = reason');
    }), opts.log);
    recorder.committed(Date.now(), valid.length, items.map((w) => w.range));
    stats.stored += valid.length;
    stats.rejected += rejected.length;
    stats.batches += 1;
  });
  const onBatch = async (batch: PartitionBatch): Promise<OffsetCommit[]> => {
    const valid: unknown[][] = [];
    const rejected: unknown[][] = [];
    for (const m of batch.messages) {
      const parsed = parseReading(m.value);
      if (parsed.ok) valid.push(vitalsRow(opts.runId, parsed.reading, batch.topic, batch.partition, m.offset, m.timestamp));
      else rejected.push([opts.runId, batch.topic, batch.partition, m.offset, 'ingest', parsed.reason.slice(0, 512), m.value]);
    }
    const first = batch.messages[0]!.offset;
    const last = batch.messages[batch.messages.length - 1]!.offset;
    await writer.submit({ valid, rejected, range: { topic: batch.topic, partition: batch.partition, firstOffset: first, lastOffset: last } });
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
