import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleSet, parseRuleSet } from '../../../src/pipelines/rules/parse.js';
import { DEFAULT_PROFILE, PROFILES } from '../../../src/pipelines/rules/profiles.js';

const hr = { id: 'hr_high', vital: 'heart_rate', op: '>', value: 80, severity: 'high' };
const win = { id: 'hr_avg', vital: 'heart_rate', op: '>', value: 110, severity: 'medium', agg: 'avg', window_s: 30 };

function parseError(json: unknown): string {
  try {
    parseRuleSet(json, 'test.json');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected parseRuleSet to throw');
}

describe('parseRuleSet', () => {
  it('accepts {"rules": [...]} and a bare array, inferring kind', () => {
    const a = parseRuleSet({ rules: [hr, win] }, 'a');
    const b = parseRuleSet([hr, win], 'b');
    expect(a.rules).toEqual(b.rules);
    expect(a.name).toBe('a');
    expect(a.rules[0]).toEqual({ kind: 'record', ...hr });
    expect(a.rules[1]).toEqual({ kind: 'window', ...win });
  });

  it('accepts an explicit kind that matches and a description', () => {
    const rs = parseRuleSet(
      {
        description: 'x',
        rules: [
          { kind: 'record', ...hr },
          { kind: 'window', ...win },
        ],
      },
      'a',
    );
    expect(rs.rules.map((r) => r.kind)).toEqual(['record', 'window']);
  });

  it('accepts every op, agg and severity', () => {
    const rules = [];
    let i = 0;
    for (const op of ['>', '>=', '<', '<='])
      for (const severity of ['low', 'medium', 'high']) {
        rules.push({ ...hr, id: `r${i++}`, op, severity });
      }
    for (const agg of ['avg', 'min', 'max', 'count']) rules.push({ ...win, id: `w${i++}`, agg, window_s: 3600 });
    expect(parseRuleSet(rules, 'all').rules).toHaveLength(16);
  });

  it('names the rule index, id and field for a bad op', () => {
    const msg = parseError({ rules: [hr, { ...hr, id: 'b' }, { ...hr, op: '=>' }] });
    expect(msg).toContain('rule set "test.json"');
    expect(msg).toContain('rule 2 (hr_high): field "op" must be one of >, >=, <, <=, got "=>"');
  });

  it.each([
    [{ ...hr, vital: 'pulse' }, 'field "vital" must be one of heart_rate'],
    [{ ...hr, severity: 'critical' }, 'field "severity" must be one of low, medium, high'],
    [{ ...hr, value: '80' }, 'field "value" must be a finite number'],
    [{ ...hr, id: 'HR-High' }, 'field "id" must match'],
    [{ ...hr, id: 'x'.repeat(65) }, 'field "id" must match'],
    [{ ...win, agg: 'median' }, 'field "agg" must be one of avg, min, max, count'],
    [{ ...win, window_s: 0 }, 'field "window_s" must be a positive integer'],
    [{ ...win, window_s: -30 }, 'field "window_s" must be a positive integer'],
    [{ ...win, window_s: 1.5 }, 'field "window_s" must be a positive integer'],
    [{ ...win, window_s: 3601 }, 'field "window_s" must be a positive integer number of seconds <= 3600'],
    [{ ...win, window_s: '30' }, 'field "window_s" must be a positive integer'],
    [{ ...hr, kind: 'stream' }, 'field "kind" must be one of record, window'],
  ])('refuses %j', (rule, expected) => {
    const msg = parseError([hr.id === (rule as { id?: string }).id ? { ...hr, id: 'other' } : hr, rule]);
    expect(msg).toMatch(/rule 1( \([^)]*\))?: /);
    expect(msg).toContain(expected);
  });

  it('names the id in the message when the rule has one', () => {
    expect(parseError([{ ...win, window_s: 0 }])).toContain('rule 0 (hr_avg): field "window_s"');
  });

  it('refuses missing fields, naming them', () => {
    const { op: _op, ...noOp } = hr;
    expect(parseError([noOp])).toContain('rule 0 (hr_high): missing field "op"');
    const { id: _id, ...noId } = hr;
    expect(parseError([noId])).toContain('rule 0: missing field "id"');
    const { window_s: _w, ...noWindow } = win;
    expect(parseError([noWindow])).toContain('rule 0 (hr_avg): missing field "window_s"');
    const { agg: _a, ...noAgg } = win;
    expect(parseError([noAgg])).toContain('rule 0 (hr_avg): missing field "agg"');
    expect(parseError([{ kind: 'window', ...hr }])).toContain('missing field "agg"');
  });

  it('refuses unknown fields (typos)', () => {
    expect(parseError([{ ...hr, severty: 'high' }])).toContain('rule 0 (hr_high): unknown field "severty"');
    expect(parseError([{ ...hr, kind: 'record', window_s: 30 }])).toContain(
      'unknown field "window_s" for a record rule',
    );
    expect(parseError({ rules: [hr], rulez: [] })).toContain('unknown top-level field "rulez"');
  });

  it('refuses duplicate ids', () => {
    expect(parseError([hr, { ...hr, value: 90 }])).toContain('rule 1 (hr_high): field "id" duplicates rule 0');
  });

  it('refuses a non-object rule, a bad shape and an empty list', () => {
    expect(parseError([hr, 42])).toContain('rule 1: must be a JSON object');
    expect(parseError('rules')).toContain('must be a JSON object');
    expect(parseError({ rules: {} })).toContain('field "rules" must be an array');
    expect(parseError({})).toContain('missing top-level field "rules"');
    expect(parseError([])).toContain('empty');
  });
});

describe('profiles', () => {
  it('default is clinical', () => {
    expect(DEFAULT_PROFILE).toBe('clinical');
    expect(PROFILES[DEFAULT_PROFILE]).toBeDefined();
  });

  it.each(Object.keys(PROFILES))('profile %s round-trips through parseRuleSet', (name) => {
    const profile = PROFILES[name]!;
    const parsed = parseRuleSet(JSON.parse(JSON.stringify({ rules: profile.rules })), name);
    expect(parsed).toEqual(profile);
  });

  it('seed is exactly the seed condition', () => {
    expect(PROFILES.seed!.rules).toEqual([
      { kind: 'record', id: 'seed_hr_high', vital: 'heart_rate', op: '>', value: 80, severity: 'high' },
      { kind: 'record', id: 'seed_spo2_low', vital: 'spo2_level', op: '<', value: 90, severity: 'high' },
    ]);
  });

  it('clinical has the sustained window rules', () => {
    const windows = PROFILES.clinical!.rules.filter((r) => r.kind === 'window');
    expect(windows.map((r) => r.id).sort()).toEqual(['sustained_spo2_low', 'sustained_tachycardia']);
  });
});

describe('loadRuleSet', () => {
  it('loads a built-in profile by name', async () => {
    expect(await loadRuleSet('seed')).toEqual(PROFILES.seed);
  });

  it('loads a JSON file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rules-'));
    const path = join(dir, 'r.json');
    await writeFile(path, JSON.stringify({ rules: [hr, win] }));
    const rs = await loadRuleSet(path);
    expect(rs.name).toBe(path);
    expect(rs.rules.map((r) => r.id)).toEqual(['hr_high', 'hr_avg']);
  });

  it('gives clear messages for a missing file, invalid JSON and a bad rule', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rules-'));
    const missing = join(dir, 'nope.json');
    await expect(loadRuleSet(missing)).rejects.toThrow(`no such file: ${missing}`);
    await expect(loadRuleSet('clinicl')).rejects.toThrow('not a built-in profile (seed, clinical)');
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"rules": [');
    await expect(loadRuleSet(bad)).rejects.toThrow(`invalid JSON in ${bad}`);
    const badRule = join(dir, 'badrule.json');
    await writeFile(badRule, JSON.stringify([{ ...hr, op: '=>' }]));
    await expect(loadRuleSet(badRule)).rejects.toThrow('rule 0 (hr_high): field "op"');
  });
});
