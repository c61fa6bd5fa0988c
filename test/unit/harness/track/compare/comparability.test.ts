import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../../../../src/harness/track/compare/compare.js';
import {
  acrossParameter,
  assertComparable,
  COMPARED_PARAMETERS,
  flagOf,
  IncomparableError,
  parameterValue,
  runsWithValue,
} from '../../../../../src/harness/track/compare/comparability.js';
import { makeRunResult } from '../../fixture.js';
import type { RunResult } from '../../../../../src/results/schema.js';
import { runsWithP99 } from './helpers.js';

const RULES = {
  name: 'clinical',
  rules: [{ kind: 'record', id: 'hr_high', vital: 'heart_rate', op: '>=', value: 111, severity: 'medium' }],
};

function withParams(runs: RunResult[], extra: Record<string, unknown>): RunResult[] {
  for (const r of runs)
    r.parameters = {
      ...r.parameters,
      duration: 90,
      warmup: 10,
      batchInterval: 10,
      modes: ['stream', 'batch'],
      faults: [],
      rules: 'clinical',
      rules_resolved: RULES,
      ...extra,
    };
  return runs;
}

function refusal(base: RunResult[], next: RunResult[], across?: string): IncomparableError {
  try {
    compareRuns(base, next, across ? { across } : {});
  } catch (err) {
    expect(err).toBeInstanceOf(IncomparableError);
    return err as IncomparableError;
  }
  throw new Error('expected the runs to be refused');
}

describe('comparability', () => {
  it('lists the compared parameters in one constant', () => {
    expect(COMPARED_PARAMETERS).toEqual([
      'rate',
      'duration',
      'warmup',
      'patients',
      'sources',
      'partitions',
      'rules',
      'batchInterval',
      'threads',
      'seed',
      'prevalence',
      'modes',
      'latenessMs',
      'idleMs',
      'faults',
      'externals',
    ]);
  });

  it('refuses runs with another batch interval, naming the parameter and both values', () => {
    const base = withParams(runsWithP99([1, 2], 'B'), {});
    const next = withParams(runsWithP99([1, 2], 'N'), {});
    next[1]!.parameters.batchInterval = 30;
    const e = refusal(base, next);
    expect(e.parameter).toBe('batchInterval');
    expect(e.message).toContain('"batchInterval" differs: 10 in BASE run B-1, 30 in NEW run N-2');
  });

  it('refuses runs that differ within one side', () => {
    const base = withParams(runsWithP99([1, 2], 'B'), {});
    base[1]!.parameters.seed = 2;
    expect(refusal(base, withParams(runsWithP99([1]), {})).parameter).toBe('seed');
  });

  it('compares the rules by the resolved rule set, not the name', () => {
    const base = withParams(runsWithP99([1], 'B'), {});
    const same = withParams(runsWithP99([1], 'N'), { rules: '/tmp/my-rules.json' });
    expect(() => assertComparable(base, same)).not.toThrow();
    const other = withParams(runsWithP99([1], 'N'), {
      rules_resolved: { ...RULES, rules: [{ ...RULES.rules[0], value: 120 }] },
    });
    const e = refusal(base, other);
    expect(e.parameter).toBe('rules');
    expect(e.message).toContain('with other content');
  });

  it('ignores run_id, outDir, label, topics, topicPrefix and swept; modes in any order', () => {
    const base = withParams(runsWithP99([1], 'B'), {
      outDir: '/a',
      label: 'x',
      topics: ['t1'],
      topicPrefix: 'p',
      swept: { option: 'rate', value: 1 },
      modes: ['batch', 'stream'],
    });
    const next = withParams(runsWithP99([1], 'N'), {
      outDir: '/b',
      label: 'y',
      topics: ['t2'],
      topicPrefix: 'q',
      swept: { option: 'seed', value: 2 },
    });
    expect(() => assertComparable(base, next)).not.toThrow();
  });

  it('compares faults by their spec text', () => {
    const fault = (text: string) => ({ text, kind: 'kill', role: 'stream', atS: 15 });
    const base = withParams(runsWithP99([1], 'B'), { faults: [fault('kill:stream@15s')] });
    expect(() =>
      assertComparable(base, withParams(runsWithP99([1], 'N'), { faults: [fault('kill:stream@15s')] })),
    ).not.toThrow();
    expect(refusal(base, withParams(runsWithP99([1], 'N'), { faults: [] })).message).toContain(
      'kill:stream@15s in BASE',
    );
  });

  it('a parameter recorded on one side only is a difference', () => {
    const base = withParams(runsWithP99([1], 'B'), { idleMs: 1000 });
    const next = withParams(runsWithP99([1], 'N'), {});
    expect(refusal(base, next).message).toContain('1000 in BASE run B-1, not recorded in NEW run N-1');
  });

  it('--across lets BASE and NEW differ in that one parameter, each side uniform, everything else still checked', () => {
    const base = withParams(runsWithP99([1, 2], 'B'), { batchInterval: 2 });
    const next = withParams(runsWithP99([1, 2], 'N'), { batchInterval: 10 });
    expect(refusal(base, next).parameter).toBe('batchInterval');
    const c = compareRuns(base, next, { across: 'batchInterval' });
    expect(c.across).toEqual({ parameter: 'batchInterval', flag: 'batch-interval', base: '2', new: '10' });
    expect(c.parameters).not.toHaveProperty('batchInterval');
    // Another parameter still may not differ.
    next[1]!.parameters.seed = 7;
    expect(refusal(base, next, 'batchInterval').parameter).toBe('seed');
    next[1]!.parameters.seed = base[0]!.parameters.seed;
    // A side whose runs differ in it among themselves is refused, with the way to pick one value.
    next[1]!.parameters.batchInterval = 30;
    expect(refusal(base, next, 'batchInterval').message).toMatch(
      /the NEW runs differ in "batchInterval" among themselves \(10, 30\): --across batch-interval=BASE_VALUE,NEW_VALUE/,
    );
  });

  it('--across names a compared parameter by its flag or its key', () => {
    expect(acrossParameter('batch-interval')).toBe('batchInterval');
    expect(acrossParameter('batchInterval')).toBe('batchInterval');
    expect(acrossParameter('fault')).toBe('faults');
    expect(acrossParameter('lateness-ms')).toBe('latenessMs');
    expect(() => acrossParameter('topic-prefix')).toThrow(/not a compared parameter; one of rate, duration/);
    expect(COMPARED_PARAMETERS.map(flagOf)).toContain('batch-interval');
  });

  it('runsWithValue picks the runs of one value (a sweep folder holds them all)', () => {
    const runs = withParams(runsWithP99([1, 2, 3], 'S'), {});
    runs[0]!.parameters.batchInterval = 2;
    runs[1]!.parameters.batchInterval = 10;
    runs[2]!.parameters.batchInterval = 2.5;
    expect(runsWithValue(runs, 'batchInterval', '2').map((r) => r.run_id)).toEqual(['S-1']);
    expect(runsWithValue(runs, 'batchInterval', '10.0').map((r) => r.run_id)).toEqual(['S-2']);
    expect(runsWithValue(runs, 'batchInterval', '2.5').map((r) => r.run_id)).toEqual(['S-3']);
    expect(runsWithValue(runs, 'rules', 'clinical')).toHaveLength(3);
    expect(runsWithValue(runs, 'batchInterval', '')).toEqual([]);
  });
});

describe('runs from before a parameter existed', () => {
  it('a run that recorded no faults compares equal to one with an empty fault list', () => {
    const older = makeRunResult({ runId: 'older' });
    const newer = makeRunResult({ runId: 'newer' });
    delete older.parameters.faults;
    newer.parameters.faults = [];
    expect(parameterValue(older, 'faults')).toEqual(parameterValue(newer, 'faults'));
  });
});
