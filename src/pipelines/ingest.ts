import type { Kafka } from 'kafkajs';
import { parseReading } from '../domain/reading.js';
import { bulkInsert, inTransaction, type Pool } from '../infra/mysql.js';
import { startConsumerLoop, type ConsumerLoop, type OffsetCommit, type PartitionBatch } from './consumer-loop.js';
import { REJECT_COLUMNS, VITALS_COLUMNS, vitalsRow } from './rows.js';
import { recordCommit, WriteBatchIds } from './write-batches.js';

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

/**
 * The master data set: every valid reading lands in patient_vitals once, every invalid
 * message in rejected_readings with its reason. One transaction per partition batch, written
 * serially, so ingest_id order is commit order (the batch layer relies on it).
 */
export async function startIngest(opts: IngestOptions): Promise<{ loop: ConsumerLoop; stats: IngestStats }> {
  const stats: IngestStats = { stored: 0, rejected: 0, batches: 0 };
  const ids = new WriteBatchIds();
  const onBatch = async (batch: PartitionBatch): Promise<OffsetCommit[]> => {
    const valid: unknown[][] = [];
    const rejected: unknown[][] = [];
    for (const m of batch.messages) {
      const parsed = parseReading(m.value);
      if (parsed.ok) valid.push(vitalsRow(opts.runId, parsed.reading, batch.topic, batch.partition, m.offset, m.timestamp));
      else rejected.push([opts.runId, batch.topic, batch.partition, m.offset, 'ingest', parsed.reason.slice(0, 512), m.value]);
    }
    const writeBatch = ids.next();
    await inTransaction(opts.pool, async (conn) => {
      // A redelivered reading (or a duplicate send) keeps its first row.
      if (valid.length) await bulkInsert(conn, `INSERT INTO patient_vitals ${VITALS_COLUMNS}`, valid, 'ON DUPLICATE KEY UPDATE seq = seq');
      if (rejected.length) await bulkInsert(conn, `INSERT INTO rejected_readings ${REJECT_COLUMNS}`, rejected, 'ON DUPLICATE KEY UPDATE reason = reason');
    });
    const committedAt = Date.now();
    const first = batch.messages[0]!.offset;
    const last = batch.messages[batch.messages.length - 1]!.offset;
    await recordCommit(opts.pool, opts.runId, 'ingest', writeBatch, committedAt, valid.length,
      [{ topic: batch.topic, partition: batch.partition, firstOffset: first, lastOffset: last }]);
    stats.stored += valid.length;
    stats.rejected += rejected.length;
    stats.batches += 1;
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
  return { loop, stats };
}
