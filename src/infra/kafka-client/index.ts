import { createKafka } from '../kafka.js';
import { kafkajsDriver } from './kafkajs.js';
import { loadInBackground } from './load-in-background.js';
import type { KafkaClientDriver, KafkaClientName } from './types.js';

export * from './types.js';
export { kafkajsDriver } from './kafkajs.js';

/** The named client's driver over these brokers. */
export function createKafkaClient(name: KafkaClientName, brokers: string[], clientId: string): KafkaClientDriver {
  if (name === 'platformatic') return platformaticOnDemand(brokers, clientId);
  return kafkajsDriver(createKafka(brokers, clientId));
}

/**
 * @platformatic/kafka is loaded only by the processes that use it, from the moment they name it:
 * a process that creates the driver ahead of its load does not load the library on the clock.
 */
function platformaticOnDemand(brokers: string[], clientId: string): KafkaClientDriver {
  const load = loadInBackground(async () => (await import('./platformatic.js')).platformaticDriver(brokers, clientId));
  return {
    name: 'platformatic',
    createProducer: async () => (await load()).createProducer(),
    createConsumer: async (settings, handlers) => (await load()).createConsumer(settings, handlers),
  };
}
