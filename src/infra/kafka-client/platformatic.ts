/**
 * The @platformatic/kafka driver. Where it differs from kafkajs, and why:
 * - partitioner: compatibilityPartitioner (Java's murmur2 & 0x7fffffff, as kafkajs's default);
 *   the library's defaultPartitioner (murmur2 >>> 0) would put a key on another partition.
 * - the consumer hands over single messages from a stream, not partition batches: the messages
 *   that arrive together (one fetch response, pushed synchronously) are grouped back into
 *   partition batches (platformatic-consumer.ts).
 * - the record timestamp it reports ignores the LogAppendTime flag: see log-append-time.ts.
 */
import { compatibilityPartitioner, ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { baseOptions } from './platformatic-base.js';
import { startPlatformaticConsumer } from './platformatic-consumer.js';
import type { ClientProducer, KafkaClientDriver, TopicRecords } from './types.js';

export function platformaticDriver(brokers: string[], clientId: string): KafkaClientDriver {
  return {
    name: 'platformatic',
    createProducer: () => Promise.resolve(createProducer(brokers, clientId)),
    createConsumer: (settings, handlers) => startPlatformaticConsumer(brokers, clientId, settings, handlers),
  };
}

function createProducer(brokers: string[], clientId: string): ClientProducer {
  // Connects on the first send (the library has no connect step).
  const producer = new Producer({
    ...baseOptions(brokers, clientId),
    serializers: stringSerializers,
    partitioner: compatibilityPartitioner,
    acks: ProduceAcks.ALL,
    idempotent: false,
    autocreateTopics: false,
  });
  return {
    send: async (topicRecords) => void (await producer.send({ messages: flatten(topicRecords) })),
    close: () => producer.close(),
  };
}

function flatten(topicRecords: TopicRecords[]): Array<{ topic: string } & TopicRecords['messages'][number]> {
  return topicRecords.flatMap((t) => t.messages.map((m) => ({ topic: t.topic, ...m })));
}
