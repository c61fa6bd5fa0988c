import { compatibilityPartitioner } from '@platformatic/kafka';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { applyLogAppendTime } from '../../../src/infra/kafka-client/log-append-time.js';

describe('the two clients partition keys alike', () => {
  it("platformatic's compatibilityPartitioner puts every patient_id key where kafkajs's default partitioner does", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 2, 3, 7, 12, 64]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
        partitionId: i,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      for (let id = 1000; id < 66_000; id += 37) {
        const key = String(id);
        const expected = kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } });
        // The library takes the partitioner's number modulo the partition count.
        const got = compatibilityPartitioner({ topic: 't' }, Buffer.from(key)) % partitions;
        if (got !== expected) expect([key, partitions, got]).toEqual([key, partitions, expected]);
      }
    }
  });
});

describe('applyLogAppendTime', () => {
  const batch = (attributes: number) => ({
    attributes,
    firstTimestamp: 100n,
    maxTimestamp: 500n,
    records: [{ timestampDelta: 0n }, { timestampDelta: 7n }],
  });

  it("stamps every record of a LogAppendTime batch with the batch's maxTimestamp, leaves CreateTime batches alone", () => {
    const append = batch(0x08);
    const create = batch(0x00);
    applyLogAppendTime({ responses: [{ partitions: [{ records: [append, create] }, { records: null }] }] });
    expect(append.records.map((r) => append.firstTimestamp + r.timestampDelta)).toEqual([500n, 500n]);
    expect(create.records.map((r) => create.firstTimestamp + r.timestampDelta)).toEqual([100n, 107n]);
  });
});
