/**
 * What is derived from the run parameters' declarations (src/harness/report/parameters.ts):
 * params_hash, the roles' argv, the commands' options.
 */
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { UsageError } from '../../../../src/cli/args.js';
import { datasetOptions } from '../../../../src/cli/generator-commands.js';
import { decl, declareOptions, OPTIONS, optionKeys, type OptionKey } from '../../../../src/cli/options.js';
import { roleOptions } from '../../../../src/cli/roles.js';
import { ROLES } from '../../../../src/domain/modes.js';
import { DEFAULT_RESTART_POLICY } from '../../../../src/harness/processes/supervisor.js';
import {
  comparableKeys,
  PARAMETER_KEYS,
  paramName,
  parameterDecl,
  type ParameterKey,
} from '../../../../src/harness/report/parameters.js';
import { roleArgs } from '../../../../src/harness/run/pipelines.js';
import type { RunOptions } from '../../../../src/harness/run/run-options.js';
import { COMPARABLE_PARAMETER_KEYS, parameterHash } from '../../../../src/harness/track/history.js';

/** A run's parameters as results.json records them (the same set as history.test.ts's). */
const PARAMS: Record<string, unknown> = {
  rate: 500,
  duration: 60,
  warmup: 10,
  patients: 500,
  sources: 3,
  partitions: 3,
  rules: 'clinical',
  rules_resolved: { name: 'clinical', rules: [{ id: 'r1', value: 40 }] },
  batchInterval: 10,
  threads: 2,
  seed: 42,
  prevalence: 0.05,
  modes: ['stream', 'batch'],
  latenessMs: 2000,
  idleMs: 1000,
  faults: [],
  topicPrefix: '',
  outDir: '/somewhere',
  run_id: 'x',
  topics: ['a'],
  maxRestarts: 3,
};

/** yargs' key of a flag: batch-interval -> batchInterval. */
const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Another value of a parameter, of its type. */
function otherValue(key: ParameterKey): unknown {
  const d = parameterDecl(key);
  if (typeof d.comparable === 'object') return { name: 'other', rules: [] };
  if (d.array) return ['kill:stream@20'];
  if (key === 'modes') return ['stream'];
  if (d.choices) return d.choices.find((c) => c !== d.default);
  return d.type === 'number' ? 12345 : d.type === 'boolean' ? true : 'other';
}

/** The key of the run's parameters a change of `key` touches (the rules: the rule set they resolved to). */
function recordedKey(key: ParameterKey): string {
  const c = parameterDecl(key).comparable;
  return typeof c === 'object' ? c.by : paramName(key);
}

describe('params_hash: derived from the declarations', () => {
  it('is the hash main computed before the declarations moved (same parameters, same hash)', () => {
    // Computed with main's src/harness/track/history.ts at cdcda70, when the keys were a literal list.
    expect(parameterHash(PARAMS)).toBe('c778db2a9103719f8e094e5040bfa7a359ede666e67dd2259ff7fb46fbb0444b');
    expect(parameterHash({ ...PARAMS, injectDelayMs: 0, generators: 1, kafkaClient: 'kafkajs' })).toBe(
      parameterHash(PARAMS),
    );
  });

  it('holds every parameter declared comparable, and none other', () => {
    expect(COMPARABLE_PARAMETER_KEYS).toEqual(comparableKeys());
    for (const key of PARAMETER_KEYS) {
      const changed = parameterHash({ ...PARAMS, [recordedKey(key)]: otherValue(key) }) !== parameterHash(PARAMS);
      expect([key, changed]).toEqual([key, parameterDecl(key).comparable !== false]);
    }
  });
});

/** RunOptions with every parameter at its declared default (the role argv reads them all). */
function runOptions(over: Partial<RunOptions> = {}): RunOptions {
  const values: Record<string, unknown> = {};
  for (const key of PARAMETER_KEYS) values[paramName(key)] = parameterDecl(key).default;
  return {
    ...(values as unknown as RunOptions),
    patients: 500,
    modes: ['stream', 'batch'],
    faults: [],
    outDir: '/tmp',
    batchInterval: 7,
    threads: 3,
    injectDelayMs: 40,
    topicPrefix: 'pfx_',
    ...over,
  };
}

describe('the role argv: derived from the declarations', () => {
  const opts = runOptions();

  it.each(ROLES)('%s: every parameter passed to it, under its role flag, parses back to its value', (role) => {
    const argv = roleArgs(role, 'run-1', opts);
    const parsed = roleOptions(yargs(argv)).strict().parseSync() as Record<string, unknown>;
    expect(parsed.runId).toBe('run-1');
    expect(parsed.requireRunId).toBe(true);
    for (const key of PARAMETER_KEYS) {
      const d = parameterDecl(key);
      const passed = d.roles !== 'not passed' && d.roles.to.includes(role);
      const flag = passed && d.roles !== 'not passed' ? (d.roles.flag ?? d.flag) : d.flag;
      expect([key, argv.includes(`--${flag}`)]).toEqual([key, passed]);
      if (passed) {
        expect([key, parsed[camel(flag)]]).toEqual([key, (opts as unknown as Record<string, unknown>)[paramName(key)]]);
      }
    }
  });

  it('a parameter declared not passed is in no role argv', () => {
    const notPassed = PARAMETER_KEYS.filter((k) => parameterDecl(k).roles === 'not passed');
    expect(notPassed).toEqual(expect.arrayContaining(['rate', 'duration', 'seed', 'fault', 'maxRestarts']));
    for (const role of ROLES)
      for (const key of notPassed) expect(roleArgs(role, 'r', opts)).not.toContain(`--${parameterDecl(key).flag}`);
  });

  it('the batch interval reaches the batch role as --every; the stream alone gets --inject-delay-ms', () => {
    expect(roleArgs('batch', 'r', opts).join(' ')).toContain('--every 7');
    expect(roleArgs('batch', 'r', opts).join(' ')).toContain('--threads 3');
    expect(roleArgs('stream', 'r', opts).join(' ')).toContain('--inject-delay-ms 40');
    expect(roleArgs('ingest', 'r', opts)).not.toContain('--inject-delay-ms');
  });

  it('every role flag a parameter is passed under is a declared option of the role commands', () => {
    const roleFlags = new Set(optionKeys('role').map((k) => decl(k).flag));
    for (const key of PARAMETER_KEYS) {
      const r = parameterDecl(key).roles;
      if (r !== 'not passed') expect([key, roleFlags.has(r.flag ?? parameterDecl(key).flag)]).toEqual([key, true]);
    }
  });
});

describe('one name, one meaning', () => {
  it("the run's --max-restarts defaults as the supervisor does", () => {
    expect(parameterDecl('maxRestarts').default).toBe(DEFAULT_RESTART_POLICY.maxRestarts);
  });

  it("produce refuses --lateness-ms (the pipelines' allowed lateness), pointing to --late-by-ms", () => {
    const produce = (argv: string[]) =>
      declareOptions(datasetOptions(yargs(argv)), 'produce')
        .exitProcess(false)
        .fail((msg, err) => {
          throw err ?? new Error(msg);
        })
        .parseSync();
    expect(() => produce(['--lateness-ms', '500'])).toThrow(UsageError);
    expect(() => produce(['--lateness-ms', '500'])).toThrow(/--late-by-ms/);
    expect(produce(['--late-by-ms', '500']).lateByMs).toBe(500);
    expect(optionKeys('produce')).not.toContain('latenessMs');
  });

  it('each option key is the camel case of its flag (yargs keys the arguments so)', () => {
    for (const key of Object.keys(OPTIONS) as OptionKey[]) expect(camel(decl(key).flag)).toBe(key);
  });
});
