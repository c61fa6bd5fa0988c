import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/args.js';
import { checkRoleArgs, type RoleArgs } from '../../../src/cli/roles.js';

/** argv as yargs gives it for a role with its defaults. */
function argv(over: Partial<RoleArgs> = {}): RoleArgs {
  return {
    runId: 'default',
    requireRunId: false,
    sources: 3,
    partitions: 3,
    topicPrefix: '',
    rules: 'clinical',
    latenessMs: 2000,
    idleMs: 1000,
    threads: 2,
    every: 0,
    once: false,
    maxFutureMs: 60_000,
    injectDelayMs: 0,
    fetchIntervalMs: 5,
    waitForServicesS: 0,
    windowOriginMs: 0,
    kafkaClient: 'kafkajs',
    ...over,
  };
}

describe('role options', () => {
  it('accepts the defaults', () => {
    expect(() => checkRoleArgs(argv())).not.toThrow();
  });

  it.each([
    [{ sources: 0 }, '--sources must be a positive integer, got 0'],
    [{ partitions: 1.5 }, '--partitions must be a positive integer, got 1.5'],
    [{ threads: 0 }, '--threads must be a positive integer, got 0'],
    [{ latenessMs: -1 }, '--lateness-ms must be >= 0, got -1'],
    [{ idleMs: 0 }, '--idle-ms must be > 0, got 0'],
    [{ every: -1 }, '--every must be >= 0, got -1'],
    [{ maxFutureMs: Number.NaN }, '--max-future-ms must be >= 0, got NaN'],
    [{ waitForServicesS: -1 }, '--wait-for-services-s must be >= 0, got -1'],
    [{ injectDelayMs: -5 }, '--inject-delay-ms must be >= 0, got -5'],
    [{ fetchIntervalMs: -1 }, '--fetch-interval-ms must be >= 0, got -1'],
    [{ kafkaClient: 'rdkafka' }, '--kafka-client must be kafkajs or platformatic, got rdkafka'],
  ] as Array<[Partial<RoleArgs>, string]>)('refuses %o', (over, message) => {
    expect(() => checkRoleArgs(argv(over))).toThrow(new UsageError(message));
  });
});
