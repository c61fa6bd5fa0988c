import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { benchOptions } from '../../../src/cli/bench-command.js';
import { datasetOptions } from '../../../src/cli/generator-commands.js';
import { BENCH_DEFAULTS, BENCH_NUMERIC_OPTIONS } from '../../../src/cli/option-list.js';
import { decl, OPTIONS, optionKeys, type OptionKey } from '../../../src/cli/options.js';
import { checkRoleArgs, roleOptions, type RoleArgs } from '../../../src/cli/roles.js';
import { Dataset } from '../../../src/generators/dataset.js';

/** What a command's options parse to when none is given: its defaults, by camel-case key. */
function parsedDefaults(build: (y: ReturnType<typeof yargs>) => unknown): Record<string, unknown> {
  const y = build(yargs([])) as ReturnType<typeof yargs>;
  return y.parseSync();
}

const BENCH_OPTION_KEYS = optionKeys('bench');
const ROLE_OPTION_KEYS = optionKeys('role');
const DATASET_OPTION_KEYS = optionKeys('dataset');

const bench = parsedDefaults((y) => benchOptions(y));
const role = parsedDefaults((y) => roleOptions(y));
const dataset = parsedDefaults((y) => datasetOptions(y));

/** bench reads numbers as text (a comma list sweeps): its default "2000" is the number 2000. */
const benchValue = (key: OptionKey): unknown => (decl(key).type === 'number' ? Number(bench[key]) : bench[key]);

describe('options: each declared once', () => {
  const shared = (keys: readonly OptionKey[]): OptionKey[] =>
    keys.filter((k) => (BENCH_OPTION_KEYS as readonly OptionKey[]).includes(k) && bench[k] !== undefined);

  it('the role commands default as bench does for the options they share', () => {
    const keys = shared(ROLE_OPTION_KEYS);
    expect(keys).toEqual(
      expect.arrayContaining(['sources', 'partitions', 'latenessMs', 'idleMs', 'threads', 'rules', 'topicPrefix']),
    );
    for (const k of keys) expect([k, role[k]]).toEqual([k, benchValue(k)]);
  });

  it('the generator commands default as bench does for the options they share', () => {
    const keys = shared(DATASET_OPTION_KEYS);
    expect(keys).toEqual(expect.arrayContaining(['sources', 'seed', 'prevalence']));
    for (const k of keys) expect([k, dataset[k]]).toEqual([k, benchValue(k)]);
  });

  it('the defaults are the declared ones: lateness 2000 ms, idle 1000 ms, 3 sources, 3 partitions', () => {
    expect([role.latenessMs, role.idleMs, role.sources, role.partitions]).toEqual([2000, 1000, 3, 3]);
    expect([bench.latenessMs, bench.idleMs, bench.sources, bench.partitions]).toEqual(['2000', '1000', '3', '3']);
    for (const [key, value] of Object.entries(BENCH_DEFAULTS))
      expect([key, value]).toEqual([key, benchValue(key as OptionKey)]);
  });

  it('bench has no --patients default (one per reading/s); the generator and the data set default alike', () => {
    expect(bench.patients).toBeUndefined();
    expect('patients' in BENCH_DEFAULTS).toBe(false);
    const d = new Dataset({ seed: 1 });
    expect([dataset.patients, dataset.sources]).toEqual([d.patients, d.sources]);
  });

  it("each command's options parse to their declared type, and the role defaults pass the role's checks", () => {
    for (const [keys, parsed, numbersAsText] of [
      [BENCH_OPTION_KEYS, bench, true],
      [ROLE_OPTION_KEYS, role, false],
      [DATASET_OPTION_KEYS, dataset, false],
    ] as const) {
      for (const k of keys) {
        const d = decl(k);
        if (parsed[k] === undefined) continue;
        const type = d.array ? 'object' : numbersAsText && d.type === 'number' ? 'string' : d.type;
        expect([k, typeof parsed[k]]).toEqual([k, type]);
      }
    }
    expect(() => checkRoleArgs(role as unknown as RoleArgs)).not.toThrow();
  });

  it('the numeric bench options take their bound and rule from the declarations', () => {
    for (const o of BENCH_NUMERIC_OPTIONS) {
      const d = OPTIONS[o.key as OptionKey] as { flag: string; max?: number; rule?: string };
      expect([o.flag, o.max, o.rule]).toEqual([d.flag, d.max, d.rule]);
    }
  });
});

describe('options: help texts', () => {
  // The help of each command as before the declarations moved to options.ts (same texts, same defaults).
  it.each([
    ['bench', (y: ReturnType<typeof yargs>) => benchOptions(y)],
    ['role', (y: ReturnType<typeof yargs>) => roleOptions(y)],
    ['dataset', (y: ReturnType<typeof yargs>) => datasetOptions(y)],
  ] as const)('%s', async (_, build) => {
    const y = build(yargs([]).scriptName('vitals-bench').wrap(160)) as ReturnType<typeof yargs>;
    expect(await y.getHelp()).toMatchSnapshot();
  });
});
