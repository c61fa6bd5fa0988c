import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../../../../src/harness/track/compare/compare.js';
import {
  assertComparable,
  COMPARED_PARAMETERS,
  IncomparableError,
  parameterValue,
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

function refusal(base: RunResult[], next: RunResult[], ignore?: string[]): IncomparableError {
  try {
    compareRuns(base, next, ignore ? { ignoreParameters: ignore } : {});
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

  it('ignoreParameters lets an A/B of one option through', () => {
    const base = withParams(runsWithP99([1], 'B'), { batchInterval: 2 });
    const next = withParams(runsWithP99([1], 'N'), { batchInterval: 10 });
    expect(refusal(base, next).parameter).toBe('batchInterval');
    expect(compareRuns(base, next, { ignoreParameters: ['batchInterval'] }).options.ignored_parameters).toEqual([
      'batchInterval',
    ]);
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
