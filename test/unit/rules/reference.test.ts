import { describe, expect, it } from 'vitest';
import { compileRuleSet, evaluateRecord, evaluateWindow } from '../../../src/pipelines/rules/evaluate.js';
import { PROFILES } from '../../../src/pipelines/rules/profiles.js';
import { dedupeReadings, evaluateAll } from '../../../src/pipelines/rules/reference.js';
import { alertKey } from '../../../src/pipelines/rules/types.js';
import { WindowAssembler } from '../../../src/pipelines/rules/windows.js';
import { reading } from './helpers.js';

const T0 = 1_700_000_010_000; // multiple of 30 000

describe('evaluateAll', () => {
  it('seed profile: one alert per matching reading, duplicates once', () => {
    const rs = [
      reading({ seq: 0, heart_rate: 81 }),
      reading({ seq: 1, heart_rate: 80 }),
      reading({ seq: 2, spo2_level: 89, heart_rate: 95, event_time: T0 + 2000 }),
    ];
    const { alerts, windows } = evaluateAll([...rs, { ...rs[0]! }, { ...rs[2]! }], PROFILES.seed!);
    expect(windows).toEqual([]);
    expect(alerts.map(alertKey).sort()).toEqual([
      'seed_hr_high|1001|r0',
      'seed_hr_high|1001|r2',
      'seed_spo2_low|1001|r2',
    ]);
  });

  it('clinical profile: sustained tachycardia over a 30 s window', () => {
    // 30 readings, one per second in [T0, T0+30s): avg HR 112 > 110, no single reading >= 131
    const rs = Array.from({ length: 30 }, (_, i) =>
      reading({ seq: i, event_time: T0 + i * 1000, heart_rate: i % 2 === 0 ? 100 : 124 }),
    );
    // next window: avg 110, not > 110
    rs.push(reading({ seq: 30, event_time: T0 + 30_000, heart_rate: 110 }));
    const { alerts, windows } = evaluateAll(rs, PROFILES.clinical!);
    expect(windows.map((w) => [w.window_start, w.count])).toEqual([
      [T0, 30],
      [T0 + 30_000, 1],
    ]);
    const windowAlerts = alerts.filter((a) => a.seq === null);
    expect(windowAlerts).toEqual([
      {
        rule_id: 'sustained_tachycardia',
        severity: 'high',
        patient_id: 1001,
        seq: null,
        window_start: T0,
        event_time: T0 + 29_000,
      },
    ]);
    expect(alerts.filter((a) => a.rule_id === 'hr_high')).toHaveLength(15);
  });

  it('matches record + windowed evaluation done by the streaming building blocks', () => {
    const rs = Array.from({ length: 600 }, (_, i) =>
      reading({
        patient_id: 1001 + (i % 3),
        seq: Math.floor(i / 3),
        event_time: T0 + i * 333,
        heart_rate: 60 + ((i * 37) % 90),
        spo2_level: 85 + ((i * 11) % 16),
      }),
    );
    const compiled = compileRuleSet(PROFILES.clinical!);
    const a = new WindowAssembler(compiled.windowSizes);
    const streamAlerts = [];
    for (const r of rs) {
      a.add(r);
      streamAlerts.push(...evaluateRecord(r, compiled.recordRules));
    }
    for (const w of a.flushAll()) streamAlerts.push(...evaluateWindow(w, compiled.windowRules));
    const ref = evaluateAll([...rs].reverse(), PROFILES.clinical!);
    expect(streamAlerts.map(alertKey).sort()).toEqual(ref.alerts.map(alertKey).sort());
    expect(ref.alerts.some((x) => x.seq === null)).toBe(true);
  });

  it('dedupeReadings keeps the first copy in order', () => {
    const a = reading({ seq: 0 });
    const b = reading({ seq: 1 });
    const c = reading({ patient_id: 2001, seq: 0 });
    expect(dedupeReadings([a, b, { ...a }, c, { ...c }])).toEqual([a, b, c]);
  });
});
