import { createKafka } from '../kafka.js';
import { kafkajsDriver } from './kafkajs.js';
import type { KafkaClientDriver, KafkaClientName } from './types.js';

export * from './types.js';
export { kafkajsDriver } from './kafkajs.js';

/** The named client's driver over these brokers. */
export function createKafkaClient(name: KafkaClientName, brokers: string[], clientId: string): KafkaClientDriver {
  if (name === 'platformatic') return platformaticOnDemand(brokers, clientId);
  return kafkajsDriver(createKafka(brokers, clientId));
}

/** @platformatic/kafka is loaded only by the processes that use it. */
function platformaticOnDemand(brokers: string[], clientId: string): KafkaClientDriver {
  const load = async (): Promise<KafkaClientDriver> =>
    (await import('./platformatic.js')).platformaticDriver(brokers, clientId);
  return {
    name: 'platformatic',
    createProducer: async () => (await load()).createProducer(),
    createConsumer: async (settings, handlers) => (await load()).createConsumer(settings, handlers),
  };
}
