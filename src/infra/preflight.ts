import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import { redactUrl, type ServiceConfig } from '../config.js';
import { describeError } from './retry.js';

/** A service did not answer at start: one line naming it and what to do. */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
}

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout])
    .finally(() => clearTimeout(timer))
    .catch((err: unknown) => {
      throw new ServiceUnavailableError(`${what} ${describeError(err)}`);
    });
}

/** One metadata round trip, no retries and no client logging: fails in seconds when nothing listens. */
export async function checkKafka(brokers: string[], timeoutMs = 8000): Promise<void> {
  const kafka = new Kafka({
    clientId: 'vitals-preflight',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 3000,
    requestTimeout: 5000,
  });
  const admin = kafka.admin();
  const hint = 'start it with "npm run services:up", or set KAFKA_BROKERS to a broker that runs';
  try {
    await within(
      timeoutMs,
      `Kafka at ${brokers.join(',')} does not answer (${hint}):`,
      admin.connect().then(() => admin.listTopics()),
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function checkDatabase(url: string, timeoutMs = 8000): Promise<void> {
  const hint = 'start it with "npm run services:up", or set MYSQL_URL to a server that runs';
  await within(
    timeoutMs,
    `database at ${redactUrl(url)} does not answer (${hint}):`,
    (async () => {
      const conn = await mysql.createConnection({ uri: url, connectTimeout: Math.min(5000, timeoutMs) });
      try {
        await conn.query('SELECT 1');
      } finally {
        await conn.end().catch(() => undefined);
      }
    })(),
  );
}

/** Both services answer, or a ServiceUnavailableError names the one that does not (in under timeoutMs). */
export async function checkServices(config: ServiceConfig, timeoutMs = 8000): Promise<void> {
  await Promise.all([checkKafka(config.kafkaBrokers, timeoutMs), checkDatabase(config.mysqlUrl, timeoutMs)]);
}
