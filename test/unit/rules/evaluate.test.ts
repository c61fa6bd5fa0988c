import { describe, expect, it } from 'vitest';
import { compare, compileRuleSet, evaluateRecord, evaluateWindow } from '../../../src/pipelines/rules/evaluate.js';
import { PROFILES } from '../../../src/pipelines/rules/profiles.js';
import type { Comparison, RecordRule, Rule, WindowResult, WindowRule } from '../../../src/pipelines/rules/types.js';
import { computeWindows } from '../../../src/pipelines/rules/windows.js';
import { reading } from './helpers.js';

const rec = (op: Comparison, value: number, vital: RecordRule['vital'] = 'heart_rate'): RecordRule => ({
  kind: 'record',
  id: `r_${vital}`,
  vital,
  op,
  value,
  severity: 'high',
});

describe('compare', () => {
  it.each([
    [80, '>', 80, false],
    [81, '>', 80, true],
    [79, '>', 80, false],
    [80, '>=', 80, true],
    [81, '>=', 80, true],
    [79, '>=', 80, false],
    [80, '<', 80, false],
    [79, '<', 80, true],
    [81, '<', 80, false],
    [80, '<=', 80, true],
    [79, '<=', 80, true],
    [81, '<=', 80, false],
  ] as const)('%d %s %d is %s', (a, op, b, expected) => {
    expect(compare(a, op, b)).toBe(expected);
  });
});

describe('evaluateRecord', () => {
  it('fires at the boundary only for >= and <=', () => {
    const r = reading({ heart_rate: 80 });
    expect(evaluateRecord(r, [rec('>', 80)])).toEqual([]);
    expect(evaluateRecord(r, [rec('>=', 80)])).toHaveLength(1);
    expect(evaluateRecord(r, [rec('<', 80)])).toEqual([]);
    expect(evaluateRecord(r, [rec('<=', 80)])).toHaveLength(1);
  });

  it('builds the alert from the reading', () => {
    const r = reading({ patient_id: 2003, seq: 17, event_time: 1234, spo2_level: 85 });
    expect(evaluateRecord(r, [rec('<', 90, 'spo2_level')])).toEqual([
      { rule_id: 'r_spo2_level', severity: 'high', patient_id: 2003, seq: 17, window_start: null, event_time: 1234 },
    ]);
  });

  it('compares one-decimal temperatures exactly', () => {
    const rule = rec('>=', 39.1, 'body_temperature');
    expect(evaluateRecord(reading({ body_temperature: 39.1 }), [rule])).toHaveLength(1);
    expect(evaluateRecord(reading({ body_temperature: 39.0 }), [rule])).toHaveLength(0);
  });

  it('reads every vital and skips window rules', () => {
    const r = reading();
    const rules: Rule[] = [
      rec('>=', 70, 'heart_rate'),
      rec('>=', 36.8, 'body_temperature'),
      rec('>=', 120, 'blood_pressure_systolic'),
      rec('>=', 80, 'blood_pressure_diastolic'),
      rec('>=', 98, 'spo2_level'),
      { kind: 'window', id: 'w', vital: 'heart_rate', agg: 'count', window_s: 1, op: '>=', value: 0, severity: 'low' },
    ];
    expect(evaluateRecord(r, rules).map((a) => a.rule_id)).toEqual([
      'r_heart_rate',
      'r_body_temperature',
      'r_blood_pressure_systolic',
      'r_blood_pressure_diastolic',
      'r_spo2_level',
    ]);
  });

  it('seed profile: heart_rate > 80 or spo2_level < 90', () => {
    const { recordRules } = compileRuleSet(PROFILES.seed!);
    const ids = (o: Parameters<typeof reading>[0]) => evaluateRecord(reading(o), recordRules).map((a) => a.rule_id);
    expect(ids({ heart_rate: 80, spo2_level: 90 })).toEqual([]);
    expect(ids({ heart_rate: 81, spo2_level: 90 })).toEqual(['seed_hr_high']);
    expect(ids({ heart_rate: 80, spo2_level: 89 })).toEqual(['seed_spo2_low']);
    expect(ids({ heart_rate: 81, spo2_level: 89 })).toEqual(['seed_hr_high', 'seed_spo2_low']);
  });

  it('clinical profile bands', () => {
    const { recordRules } = compileRuleSet(PROFILES.clinical!);
    const ids = (o: Parameters<typeof reading>[0]) => evaluateRecord(reading(o), recordRules).map((a) => a.rule_id);
    expect(ids({})).toEqual([]);
    expect(ids({ heart_rate: 40 })).toEqual(['hr_low_critical']);
    expect(ids({ heart_rate: 41 })).toEqual([]);
    expect(ids({ heart_rate: 110 })).toEqual([]);
    expect(ids({ heart_rate: 111 })).toEqual(['hr_high']);
    expect(ids({ heart_rate: 131 })).toEqual(['hr_high_critical', 'hr_high']);
    expect(ids({ spo2_level: 91 })).toEqual(['spo2_low_critical']);
    expect(ids({ spo2_level: 92 })).toEqual([]);
    expect(ids({ body_temperature: 35.0 })).toEqual(['temp_low_critical']);
    expect(ids({ body_temperature: 35.1 })).toEqual([]);
    expect(ids({ body_temperature: 39.1 })).toEqual(['temp_high']);
    expect(ids({ blood_pressure_systolic: 90, blood_pressure_diastolic: 60 })).toEqual(['sbp_low_critical']);
    expect(ids({ blood_pressure_systolic: 180 })).toEqual(['sbp_high']);
    expect(ids({ blood_pressure_systolic: 220 })).toEqual(['sbp_high_critical', 'sbp_high']);
  });
});

describe('compileRuleSet', () => {
  it('splits by kind and lists distinct window sizes ascending', () => {
    const w = (id: string, window_s: number): WindowRule => ({
      kind: 'window',
      id,
      vital: 'heart_rate',
      agg: 'avg',
      window_s,
      op: '>',
      value: 1,
      severity: 'low',
    });
    const c = compileRuleSet({ name: 'x', rules: [w('a', 60), rec('>', 1), w('b', 30), w('c', 60)] });
    expect(c.recordRules.map((r) => r.id)).toEqual(['r_heart_rate']);
    expect(c.windowRules.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(c.windowSizes).toEqual([30, 60]);
    expect(c.windowRulesBySize.get(60)!.map((r) => r.id)).toEqual(['a', 'c']);
  });
});

describe('evaluateWindow', () => {
  // heart_rate 100, 110, 120 -> avg 110, min 100, max 120, count 3
  const [win] = computeWindows(
    [100, 110, 120].map((hr, i) => reading({ seq: i, heart_rate: hr, event_time: 60_000 + i * 1000 })),
    [30],
  ) as [WindowResult];
  const rule = (agg: WindowRule['agg'], op: Comparison, value: number, window_s = 30): WindowRule => ({
    kind: 'window',
    id: `w_${agg}`,
    vital: 'heart_rate',
    agg,
    window_s,
    op,
    value,
    severity: 'medium',
  });

  it.each([
    ['avg', 110],
    ['min', 100],
    ['max', 120],
    ['count', 3],
  ] as const)('agg %s compares %d, boundary included only by >= and <=', (agg, v) => {
    expect(evaluateWindow(win, [rule(agg, '>', v)])).toEqual([]);
    expect(evaluateWindow(win, [rule(agg, '>=', v)])).toHaveLength(1);
    expect(evaluateWindow(win, [rule(agg, '<', v)])).toEqual([]);
    expect(evaluateWindow(win, [rule(agg, '<=', v)])).toHaveLength(1);
    expect(evaluateWindow(win, [rule(agg, '>', v - 0.5)])).toHaveLength(1);
    expect(evaluateWindow(win, [rule(agg, '<', v + 0.5)])).toHaveLength(1);
  });

  it('builds the alert from the window and ignores other sizes and record rules', () => {
    const alerts = evaluateWindow(win, [rule('avg', '>', 100), rule('avg', '>', 100, 60), rec('>', 0)]);
    expect(alerts).toEqual([
      { rule_id: 'w_avg', severity: 'medium', patient_id: 1001, seq: null, window_start: 60_000, event_time: 62_000 },
    ]);
  });
});
