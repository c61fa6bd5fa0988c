import type { Kafka } from 'kafkajs';
import { SENT_AT_HEADER } from '../domain/reading.js';
import { kafkajsDriver, type KafkaClientDriver, type TopicRecords } from '../infra/kafka-client/index.js';
import { OpenLoopSender, type ProducerResult, type SenderOptions, type TopicMessages } from './open-loop-sender.js';

export type { ProducerProgress, ProducerResult, ReadingSource, TopicMessages } from './open-loop-sender.js';

export interface ProducerOptions extends Omit<SenderOptions, 'send'> {
  /** The default client's Kafka (kafkajs); not needed when `client` is given. */
  kafka?: Kafka;
  /** The client that sends (default: kafkajs over `kafka`). */
  client?: KafkaClientDriver;
}

/**
 * t_sent (METRICS.md "Stage latency") in a header of each message of one request: the time
 * the request was handed to the client. A resent copy carries the time of its own request.
 */
export function stampSentAt(topicMessages: TopicMessages[], sentAt: number): TopicRecords[] {
  const headers = { [SENT_AT_HEADER]: String(sentAt) };
  return topicMessages.map((t) => ({ topic: t.topic, messages: t.messages.map((m) => ({ ...m, headers })) }));
}

/**
 * Open-loop load over Kafka: the sender of open-loop-sender.ts, each request one send of the
 * client (acks from all in-sync replicas), on the system clock unless opts.clock is given.
 * Falling behind is never hidden: it is measured as send delay.
 */
export async function runOpenLoopProducer(opts: ProducerOptions): Promise<ProducerResult> {
  const { kafka, client, ...senderOpts } = opts;
  const driver = client ?? (kafka ? kafkajsDriver(kafka) : undefined);
  if (!driver) throw new Error('runOpenLoopProducer: give a client or a kafkajs Kafka');
  // Before the producer, so that invalid fault options fail without touching the broker.
  const sender = new OpenLoopSender({
    ...senderOpts,
    send: (topicMessages) => producer.send(stampSentAt(topicMessages, Date.now())),
  });
  const producer = await driver.createProducer();
  try {
    await sender.run();
  } finally {
    await producer.close();
  }
  return sender.finish();
}
