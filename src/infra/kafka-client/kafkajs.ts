/** The kafkajs driver: the project's client so far, its settings unchanged. */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type {
  ClientConsumer,
  ClientProducer,
  ConsumedBatch,
  ConsumerHandlers,
  ConsumerSettings,
  KafkaClientDriver,
  OffsetCommit,
} from './types.js';

export function kafkajsDriver(kafka: Kafka): KafkaClientDriver {
  return {
    name: 'kafkajs',
    createProducer: () => createProducer(kafka),
    createConsumer: (settings, handlers) => createConsumer(kafka, settings, handlers),
  };
}

async function createProducer(kafka: Kafka): Promise<ClientProducer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 5 } });
  await producer.connect();
  return {
    // One sendBatch is one request; kafkajs's default partitioner is Java's (murmur2 of the key).
    send: async (topicMessages) => void (await producer.sendBatch({ acks: -1, topicMessages })),
    close: () => producer.disconnect(),
  };
}

async function createConsumer(
  kafka: Kafka,
  settings: ConsumerSettings,
  handlers: ConsumerHandlers,
): Promise<ClientConsumer> {
  const consumer = kafka.consumer({
    groupId: settings.groupId,
    maxWaitTimeInMs: settings.maxWaitMs,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    retry: { retries: 10 },
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => handlers.onGroupJoin(e.payload.memberAssignment));
  consumer.on(consumer.events.REBALANCING, () => handlers.onRebalancing?.());
  consumer.on(consumer.events.CRASH, (e) => {
    // kafkajs restarts the consumer itself on retriable errors; otherwise it would sit idle.
    if (!e.payload.restart) handlers.onCrash(e.payload.error);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: settings.topics, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
    eachBatch: (payload) => eachBatch(payload, handlers),
  });
  return {
    commit: (offsets) => commit(consumer, offsets),
    stop: () => consumer.disconnect(),
  };
}

async function eachBatch(payload: EachBatchPayload, handlers: ConsumerHandlers): Promise<void> {
  const { batch } = payload;
  if (batch.messages.length === 0) return;
  const consumed: ConsumedBatch = {
    topic: batch.topic,
    partition: batch.partition,
    messages: batch.messages.map((m) => ({
      offset: Number(m.offset),
      timestamp: Number(m.timestamp),
      headers: m.headers ?? {},
      value: m.value,
    })),
  };
  const handled = handlers.eachBatch(consumed);
  // The read position moves on (the next fetch starts once this fetch's batches returned);
  // what is committed is the caller's business.
  for (const m of batch.messages) payload.resolveOffset(m.offset);
  // kafkajs heartbeats only between batches: keep the session alive while the handler holds
  // the fetch loop back (a slow database write), so that it does not expire.
  const keepAlive = setInterval(() => {
    // Fails while the group rebalances; the next batch or heartbeat rejoins.
    payload.heartbeat().catch(() => undefined);
  }, 1_000);
  try {
    await handled;
  } finally {
    clearInterval(keepAlive);
  }
  await payload.heartbeat();
}

function commit(consumer: Consumer, offsets: OffsetCommit[]): Promise<void> {
  return consumer.commitOffsets(
    offsets.map((c) => ({ topic: c.topic, partition: c.partition, offset: String(c.offset) })),
  );
}
