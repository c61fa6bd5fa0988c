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
    createProducer: () => createProducer(brokers, clientId),
    createConsumer: (settings, handlers) => startPlatformaticConsumer(brokers, clientId, settings, handlers),
  };
}

async function createProducer(brokers: string[], clientId: string): Promise<ClientProducer> {
  const producer = new Producer({
    ...baseOptions(brokers, clientId),
    serializers: stringSerializers,
    partitioner: compatibilityPartitioner,
    acks: ProduceAcks.ALL,
    idempotent: false,
    autocreateTopics: false,
  });
  // Connected when returned, as kafkajs's: otherwise the first send pays for the connections and
  // the metadata while its readings are already due, and the load starts behind its schedule.
  try {
    await producer.connectToBrokers();
  } catch (err) {
    await producer.close().catch(() => undefined);
    throw err;
  }
  return {
    send: async (topicRecords) => void (await producer.send({ messages: flatten(topicRecords) })),
    close: () => producer.close(),
  };
}

function flatten(topicRecords: TopicRecords[]): Array<{ topic: string } & TopicRecords['messages'][number]> {
  return topicRecords.flatMap((t) => t.messages.map((m) => ({ topic: t.topic, ...m })));
}
