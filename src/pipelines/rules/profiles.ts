import type { RuleSet } from './types.js';

/**
 * `seed`: exactly the seed project's alert condition, heart_rate > 80 OR spo2_level < 90,
 * as two record rules of severity high.
 */
const seed: RuleSet = {
  name: 'seed',
  rules: [
    { kind: 'record', id: 'seed_hr_high', vital: 'heart_rate', op: '>', value: 80, severity: 'high' },
    { kind: 'record', id: 'seed_spo2_low', vital: 'spo2_level', op: '<', value: 90, severity: 'high' },
  ],
};

/**
 * `clinical` (the default): single-reading bands taken from the National Early Warning
 * Score, NEWS2 (Royal College of Physicians, "National Early Warning Score (NEWS) 2",
 * London: RCP, 2017). A parameter scoring 3 in NEWS2 is severity high, scoring 2 is
 * medium. NEWS2 has no upper systolic band below 220 mmHg; `sbp_high` (>= 180, medium) is
 * the hypertensive-crisis threshold of the 2017 ACC/AHA guideline instead.
 * Bands overlap on purpose (HR 140 fires both hr_high and hr_high_critical): each rule is one
 * comparison and is evaluated on its own.
 * The windowed rules flag a state sustained over a 30 s tumbling event-time window.
 */
const clinical: RuleSet = {
  name: 'clinical',
  rules: [
    { kind: 'record', id: 'hr_low_critical', vital: 'heart_rate', op: '<=', value: 40, severity: 'high' },
    { kind: 'record', id: 'hr_high_critical', vital: 'heart_rate', op: '>=', value: 131, severity: 'high' },
    { kind: 'record', id: 'hr_high', vital: 'heart_rate', op: '>=', value: 111, severity: 'medium' },
    { kind: 'record', id: 'spo2_low_critical', vital: 'spo2_level', op: '<=', value: 91, severity: 'high' },
    { kind: 'record', id: 'temp_high', vital: 'body_temperature', op: '>=', value: 39.1, severity: 'medium' },
    { kind: 'record', id: 'temp_low_critical', vital: 'body_temperature', op: '<=', value: 35.0, severity: 'high' },
    { kind: 'record', id: 'sbp_low_critical', vital: 'blood_pressure_systolic', op: '<=', value: 90, severity: 'high' },
    {
      kind: 'record',
      id: 'sbp_high_critical',
      vital: 'blood_pressure_systolic',
      op: '>=',
      value: 220,
      severity: 'high',
    },
    { kind: 'record', id: 'sbp_high', vital: 'blood_pressure_systolic', op: '>=', value: 180, severity: 'medium' },
    {
      kind: 'window',
      id: 'sustained_tachycardia',
      vital: 'heart_rate',
      agg: 'avg',
      window_s: 30,
      op: '>',
      value: 110,
      severity: 'high',
    },
    {
      kind: 'window',
      id: 'sustained_spo2_low',
      vital: 'spo2_level',
      agg: 'avg',
      window_s: 30,
      op: '<',
      value: 92,
      severity: 'high',
    },
  ],
};

export const PROFILES: Readonly<Record<string, RuleSet>> = Object.freeze({ seed, clinical });

export const DEFAULT_PROFILE = 'clinical';

export function profileNames(): string[] {
  return Object.keys(PROFILES);
}
