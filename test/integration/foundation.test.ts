import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { loadServiceConfig } from '../../src/config.js';
import { createKafka, ensureTopics } from '../../src/infra/kafka.js';
import { bulkInsert } from '../../src/infra/mysql.js';

// The real broker and the real database, no mocks: kafkajs 2.2.4 against the project's Kafka
// (4.1.x) must produce, consume in a consumer group and commit offsets.
describe('foundation: Kafka -> consumer group -> MySQL', () => {
  const config = loadServiceConfig();
  const kafka = createKafka(config.kafkaBrokers, 'foundation-test');
  const admin = kafka.admin();
  const suffix = randomUUID().slice(0, 8);
  const topic = `foundation_${suffix}`;
  const groupId = `foundation-group-${suffix}`;
  let db: mysql.Connection;

  beforeAll(async () => {
    await admin.connect();
    db = await mysql.createConnection({ uri: config.mysqlUrl });
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await db.end();
  });

  it('round-trips 300 keyed messages and commits the group offsets', async () => {
    await ensureTopics(admin, { topics: [topic], partitions: 3 });
    const sent = Array.from({ length: 300 }, (_, i) => ({
      key: `p${i % 7}`,
      value: JSON.stringify({ i, patient: i % 7 }),
    }));
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received: Array<{ partition: number; offset: string; key: string; value: string }> = [];
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        // resolveOffset and heartbeat are called on the payload, not destructured: they are methods.
        eachBatch: async (payload) => {
          const { batch } = payload;
          for (const m of batch.messages) {
            received.push({
              partition: batch.partition,
              offset: m.offset,
              key: m.key!.toString(),
              value: m.value!.toString(),
            });
            payload.resolveOffset(m.offset);
          }
          await consumer.commitOffsets([
            { topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) },
          ]);
          await payload.heartbeat();
          if (received.length >= sent.length) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();

    expect(received).toHaveLength(300);
    // Keyed by patient: all of one key's messages land in one partition, in send order.
    const partitionsByKey = new Map<string, Set<number>>();
    for (const r of received) partitionsByKey.set(r.key, (partitionsByKey.get(r.key) ?? new Set()).add(r.partition));
    for (const parts of partitionsByKey.values()) expect(parts.size).toBe(1);

    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedTotal = committed[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committedTotal).toBe(300);

    await db.query(
      `CREATE TEMPORARY TABLE foundation_rows (k VARCHAR(16) NOT NULL, i INT NOT NULL PRIMARY KEY, part INT NOT NULL)`,
    );
    const rows = received.map((r) => [r.key, (JSON.parse(r.value) as { i: number }).i, r.partition]);
    const inserted = await bulkInsert(db, 'INSERT INTO foundation_rows (k, i, part)', rows, '', 1000);
    expect(inserted).toBe(300);
    const [back] = await db.query('SELECT k, i FROM foundation_rows ORDER BY i');
    expect((back as Array<{ k: string; i: number }>).map((r) => `${r.k}:${r.i}`)).toEqual(
      sent.map((s, i) => `${s.key}:${i}`),
    );
  });
});
