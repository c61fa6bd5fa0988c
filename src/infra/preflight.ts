import { connect } from 'node:net';
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

/**
 * Whether a server's port accepts a connection: the evidence that tells a server that is gone
 * (refused, unreachable) from one that is only slow to answer a loaded machine (it connects).
 * Resolves 'down' on a refusal or a timeout of the connect itself.
 */
export function portAnswers(hostPort: { host: string; port: number }, timeoutMs = 1000): Promise<'up' | 'down'> {
  return new Promise((resolve) => {
    const socket = connect({ host: hostPort.host, port: hostPort.port });
    const done = (v: 'up' | 'down'): void => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(timeoutMs, () => done('down'));
    socket.once('connect', () => done('up'));
    socket.once('error', () => done('down'));
  });
}

/** host:port of a broker address ("127.0.0.1:9092") or a mysql:// URL. */
export function hostPortOf(address: string): { host: string; port: number } {
  if (address.includes('://')) {
    const u = new URL(address);
    return { host: u.hostname, port: Number(u.port || 3306) };
  }
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}
