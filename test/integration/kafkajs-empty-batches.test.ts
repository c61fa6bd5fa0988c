import { createRequire } from 'node:module';
import type { Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, deleteTopics, isolation, kafkaClient, waitUntil } from './helpers.js';

/** kafkajs's Runner (internal), whose handleBatch sees every batch a fetch yields. */
const Runner = createRequire(import.meta.url)('kafkajs/src/consumer/runner.js') as {
  prototype: { handleBatch: (this: unknown, batch: { rawMessages: unknown[] }) => Promise<void> };
};

// src/infra/kafkajs-empty-batches.ts (loaded with every kafkajs client of the project): the
// runner never sees a partition the broker returned nothing for, and a consumer whose
// partitions stay empty still heartbeats (it keeps its group membership past the session timeout).
describe('kafkajs with the empty-batch filter', () => {
  const { prefix, tag } = isolation('empty');
  const topic = `${prefix}t`;
  const kafka = kafkaClient(`it-empty-${tag}`);
  const admin = kafka.admin();
  const sessionTimeout = 6_000;
  let producer: Producer;
  let consumer: Consumer;
  const handled = { withRecords: 0, empty: 0 };
  const received: string[] = [];
  let joins = 0;
  const original = Runner.prototype.handleBatch;

  beforeAll(async () => {
    Runner.prototype.handleBatch = function (batch) {
      if (batch.rawMessages.length > 0) handled.withRecords++;
      else handled.empty++;
      return original.call(this, batch);
    };
    await admin.connect();
    await createTopics(admin, [topic], 3);
    producer = kafka.producer();
    await producer.connect();
    consumer = kafka.consumer({
      groupId: `it-empty-${tag}`,
      sessionTimeout,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
    });
    consumer.on(consumer.events.GROUP_JOIN, () => joins++);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ message }) => void received.push(message.value!.toString()),
    });
    await waitUntil('the consumer joins', () => joins > 0, 30_000);
  }, 60_000);

  afterAll(async () => {
    Runner.prototype.handleBatch = original;
    await consumer?.disconnect();
    await producer?.disconnect();
    await deleteTopics(admin, [topic]);
    await admin.disconnect();
  });

  it('hands over only the partitions with records, and keeps the session alive while all are empty', async () => {
    // Only partition 1 ever has data: every fetch answers for partitions 0 and 2 with nothing.
    await producer.send({ topic, messages: [{ partition: 1, value: 'first' }] });
    await waitUntil('the first message', () => received.length === 1, 20_000);
    // Idle for longer than the session timeout: only heartbeats keep this member in the group.
    await new Promise((r) => setTimeout(r, sessionTimeout + 2_000));
    await producer.send({ topic, messages: [{ partition: 1, value: 'second' }] });
    await waitUntil('the second message', () => received.length === 2, 20_000);
    expect(received).toEqual(['first', 'second']);
    expect(handled.withRecords).toBeGreaterThanOrEqual(2);
    expect(handled.empty).toBe(0);
    expect(joins).toBe(1);
  }, 60_000);
});
