import type { Kafka, Producer, TopicMessages as KafkaTopicMessages } from 'kafkajs';
import { SENT_AT_HEADER } from '../domain/reading.js';
import { OpenLoopSender, type ProducerResult, type SenderOptions, type TopicMessages } from './open-loop-sender.js';

export type {
  OutgoingMessage,
  ProducerProgress,
  ProducerResult,
  ReadingSource,
  SendBatch,
  SenderClock,
  SenderOptions,
  TopicMessages,
} from './open-loop-sender.js';

export interface ProducerOptions extends Omit<SenderOptions, 'send'> {
  kafka: Kafka;
}

/**
 * t_sent (METRICS.md "Stage latency") in a header of each message of one request: the time
 * the request was handed to the client. A resent copy carries the time of its own request.
 */
export function stampSentAt(topicMessages: TopicMessages[], sentAt: number): KafkaTopicMessages[] {
  const headers = { [SENT_AT_HEADER]: String(sentAt) };
  return topicMessages.map((t) => ({ topic: t.topic, messages: t.messages.map((m) => ({ ...m, headers })) }));
}

/**
 * Open-loop load over Kafka: the sender of open-loop-sender.ts, each request one kafkajs
 * sendBatch with acks -1 (all in-sync replicas), on the system clock unless opts.clock is given.
 * Falling behind is never hidden: it is measured as send delay.
 */
export async function runOpenLoopProducer(opts: ProducerOptions): Promise<ProducerResult> {
  const { kafka, ...senderOpts } = opts;
  // Before the producer, so that invalid fault options fail without touching the broker.
  const sender = new OpenLoopSender({
    ...senderOpts,
    send: (topicMessages) => producer.sendBatch({ acks: -1, topicMessages: stampSentAt(topicMessages, Date.now()) }),
  });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 5 } });
  await producer.connect();
  try {
    await sender.run();
  } finally {
    await producer.disconnect();
  }
  return sender.finish();
}
