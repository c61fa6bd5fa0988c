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
  const keepAlive = new KeepAlive(settings.heartbeatIntervalMs);
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
    eachBatch: (payload) => eachBatch(payload, handlers, keepAlive),
  });
  return {
    commit: (offsets) => commit(consumer, offsets),
    stop: async () => {
      keepAlive.stop();
      await consumer.disconnect();
    },
  };
}

/**
 * kafkajs heartbeats only between batches (the runner does after each one): while a handler
 * holds the fetch loop back (a slow database write), one timer per consumer keeps the session
 * alive, not one per batch.
 */
class KeepAlive {
  private holding = 0;
  private heartbeat: (() => Promise<void>) | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => {
      // Fails while the group rebalances; the next batch or heartbeat rejoins.
      if (this.holding > 0) this.heartbeat?.().catch(() => undefined);
    }, intervalMs);
    this.timer.unref();
  }

  async during(heartbeat: () => Promise<void>, handled: Promise<void>): Promise<void> {
    this.heartbeat = heartbeat;
    this.holding++;
    try {
      await handled;
    } finally {
      this.holding--;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function eachBatch(payload: EachBatchPayload, handlers: ConsumerHandlers, keepAlive: KeepAlive): Promise<void> {
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
  // what is committed is the caller's business. Resolving the last offset resolves the batch.
  payload.resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
  await keepAlive.during(() => payload.heartbeat(), handled);
}

function commit(consumer: Consumer, offsets: OffsetCommit[]): Promise<void> {
  return consumer.commitOffsets(
    offsets.map((c) => ({ topic: c.topic, partition: c.partition, offset: String(c.offset) })),
  );
}
