/** Settings of every client: retried as kafkajs's (8 retries from 200 ms there; 1 s apart here). */
export const baseOptions = (brokers: string[], clientId: string) => ({
  clientId,
  bootstrapBrokers: brokers,
  retries: 8,
  retryDelay: 1_000,
});
