/**
 * One retry policy for every user of the database and the broker: an error that a restart
 * or a moment's contention explains (connection refused or lost, server gone, deadlock, lock
 * wait timeout, read-only while restarting, broker unreachable) is retried with jittered
 * exponential backoff until a time budget runs out; anything else (out of range, syntax, a
 * TypeError: the same call would fail the same way) fails at once.
 */

/** Node socket errors and mysql2's connection-level codes. */
const RETRIABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_PACKETS_OUT_OF_ORDER',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_READ_ONLY_MODE',
]);

/**
 * MySQL/MariaDB server error numbers with the same meaning (the symbolic code is not set on
 * every path): deadlock, lock wait timeout, server shutdown, too many connections, read-only,
 * connection killed, query interrupted, server gone away, lost connection.
 */
const RETRIABLE_ERRNOS = new Set([1213, 1205, 1053, 1040, 1290, 1927, 1317, 1792, 1836, 2006, 2013, 4031]);

/** kafkajs error classes that a broker restart or a leader move explains. */
const RETRIABLE_KAFKA_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
]);

/** Marks an error as retriable across a boundary that drops its properties (a worker thread). */
export const RETRIABLE_MARK = '[retriable] ';

interface ErrorLike {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
  retriable?: unknown;
  name?: unknown;
  message?: unknown;
  originalError?: unknown;
  cause?: unknown;
  canRetry?: unknown;
  errors?: unknown;
}

/**
 * @platformatic/kafka's errors (code PLT_KFK_*): a network error, or a Kafka protocol error the
 * library marks retriable (Kafka's own classification); a MultipleErrors when all its parts are.
 */
function isRetriablePlatformatic(e: ErrorLike, depth: number): boolean {
  if (e.code === 'PLT_KFK_NETWORK' || e.canRetry === true) return true;
  const parts = Array.isArray(e.errors) ? e.errors.filter((x) => x) : [];
  return parts.length > 0 && parts.every((x) => isRetriable(x, depth + 1));
}

export function isRetriable(err: unknown, depth = 0): boolean {
  if (err === null || typeof err !== 'object' || depth > 4) return false;
  const e = err as ErrorLike;
  if (typeof e.code === 'string' && RETRIABLE_CODES.has(e.code)) return true;
  if (typeof e.errno === 'number' && RETRIABLE_ERRNOS.has(e.errno)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (message.startsWith(RETRIABLE_MARK)) return true;
  // mysql2 marks errors that closed the connection as fatal; the next connection may work.
  if (e.fatal === true && typeof e.code === 'string' && !e.code.startsWith('ER_')) return true;
  if (/connection is in closed state|Connection lost/i.test(message)) return true;
  if (typeof e.name === 'string' && e.name.startsWith('KafkaJS')) {
    if (e.retriable === true || RETRIABLE_KAFKA_NAMES.has(e.name)) return true;
  }
  if (typeof e.code === 'string' && e.code.startsWith('PLT_KFK_') && isRetriablePlatformatic(e, depth)) return true;
  return isRetriable(e.originalError, depth + 1) || isRetriable(e.cause, depth + 1);
}

/** A one-line description of an error for logs: its code when it has one, then its message. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as ErrorLike).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}

export interface RetryOptions {
  /** Total time to keep retrying a retriable error, ms (default 120 s: covers a server restart). */
  budgetMs?: number;
  /** First backoff, ms; it doubles up to maxDelayMs, each wait drawn from [half, full]. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  log?: (line: string) => void;
  /** Which errors are retried (default isRetriable). */
  retriable?: (err: unknown) => boolean;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

const DEFAULT_RETRY_BUDGET_MS = 120_000;

/** Run fn; retry retriable errors with jittered backoff within the budget; rethrow anything else at once. */
export async function withRetry<T>(what: string, fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const budget = opts.budgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  const initial = opts.initialDelayMs ?? 200;
  const maxDelay = opts.maxDelayMs ?? 5_000;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = opts.random ?? Math.random;
  const retriable = opts.retriable ?? isRetriable;
  const started = now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!retriable(err)) throw err;
      const elapsed = now() - started;
      if (elapsed >= budget) {
        throw new Error(
          `${what}: still failing after ${Math.round(elapsed / 1000)} s of retries: ${describeError(err)}`,
          { cause: err },
        );
      }
      const cap = Math.min(maxDelay, initial * 2 ** Math.min(attempt, 20));
      const delay = Math.min(budget - elapsed, Math.round(cap / 2 + random() * (cap / 2)));
      opts.log?.(`${what} failed (${describeError(err)}); retry ${attempt + 1} in ${delay} ms`);
      await sleep(delay);
    }
  }
}
