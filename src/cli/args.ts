import {
  DEFAULT_KAFKA_CLIENT,
  isKafkaClientName,
  KAFKA_CLIENTS,
  type KafkaClientName,
} from '../infra/kafka-client/types.js';

/** A bad command-line argument: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What the user typed, for an error message: `"abc"` rather than the NaN it parsed to. */
const got = (v: number, typed?: string): string => (typed === undefined ? String(v) : typed);

export function positiveInt(name: string, v: number, typed?: string): number {
  if (!Number.isInteger(v) || v <= 0)
    throw new UsageError(`--${name} must be a positive integer, got ${got(v, typed)}`);
  return v;
}

export function positiveNumber(name: string, v: number, typed?: string): number {
  if (!Number.isFinite(v) || v <= 0) throw new UsageError(`--${name} must be a positive number, got ${got(v, typed)}`);
  return v;
}

export function nonNegative(name: string, v: number, typed?: string): number {
  if (!Number.isFinite(v) || v < 0) throw new UsageError(`--${name} must be >= 0, got ${got(v, typed)}`);
  return v;
}

export function fraction(name: string, v: number, typed?: string): number {
  if (!(v >= 0 && v <= 1)) throw new UsageError(`--${name} must be between 0 and 1, got ${got(v, typed)}`);
  return v;
}

export function integer(name: string, v: number, typed?: string): number {
  if (!Number.isSafeInteger(v)) throw new UsageError(`--${name} must be an integer, got ${got(v, typed)}`);
  return v;
}

/** --kafka-client: kafkajs (the default) or platformatic. */
export function kafkaClientArg(value: string | undefined): KafkaClientName {
  const v = value ?? DEFAULT_KAFKA_CLIENT;
  if (!isKafkaClientName(v)) throw new UsageError(`--kafka-client must be ${KAFKA_CLIENTS.join(' or ')}, got ${v}`);
  return v;
}
