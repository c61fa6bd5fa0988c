import { describe, expect, it } from 'vitest';
import { compareAlerts, diffAlerts } from '../../../../src/harness/measure/agreement.js';
import type { AlertRecord } from '../../../../src/pipelines/rules/types.js';

const rec = (rule: string, patient: number, seq: number): AlertRecord => ({
  rule_id: rule,
  severity: 'high',
  patient_id: patient,
  seq,
  window_start: null,
  event_time: 1000 + seq,
});
const win = (rule: string, patient: number, start: number): AlertRecord => ({
  rule_id: rule,
  severity: 'low',
  patient_id: patient,
  seq: null,
  window_start: start,
  event_time: start + 999,
});

function byScope(r: ReturnType<typeof compareAlerts>, scope: 'record' | 'window' | 'all') {
  const x = r.find((a) => a.scope === scope);
  if (!x) throw new Error(`no ${scope}`);
  return x;
}

describe('compareAlerts', () => {
  it('returns record, window and all scopes with names', () => {
    const r = compareAlerts('stream', [], 'batch', []);
    expect(r.map((x) => x.scope)).toEqual(['record', 'window', 'all']);
    expect(r.every((x) => x.a === 'stream' && x.b === 'batch')).toBe(true);
  });

  it('two empty sets agree perfectly (0/0 = 1)', () => {
    for (const x of compareAlerts('a', [], 'b', [])) {
      expect(x).toMatchObject({ tp: 0, fp: 0, fn: 0, precision: 1, recall: 1, f1: 1, jaccard: 1 });
    }
  });

  it('one side empty', () => {
    const x = byScope(compareAlerts('a', [], 'b', [rec('hr', 1, 1)]), 'all');
    expect(x).toMatchObject({ tp: 0, fp: 0, fn: 1, precision: 1, recall: 0, f1: 0, jaccard: 0 });
    const y = byScope(compareAlerts('a', [rec('hr', 1, 1)], 'b', []), 'all');
    expect(y).toMatchObject({ tp: 0, fp: 1, fn: 0, precision: 0, recall: 1, f1: 0, jaccard: 0 });
  });

  it('disjoint sets score 0', () => {
    const x = byScope(compareAlerts('a', [rec('hr', 1, 1), rec('hr', 1, 2)], 'b', [rec('hr', 2, 1)]), 'all');
    expect(x).toMatchObject({ tp: 0, fp: 2, fn: 1, precision: 0, recall: 0, f1: 0, jaccard: 0 });
  });

  it('identical sets score 1', () => {
    const s = [rec('hr', 1, 1), win('avg', 1, 60000)];
    for (const x of compareAlerts('a', s, 'b', [...s].reverse()))
      expect(x).toMatchObject({ fp: 0, fn: 0, jaccard: 1, f1: 1 });
  });

  it('hand-made mixed sets', () => {
    // A: records (hr,1,1) (hr,1,2) (hr,2,5); windows (avg,1,0) (avg,1,60000)
    // B: records (hr,1,1) (hr,2,5) (hr,3,9); windows (avg,1,0)
    const A = [rec('hr', 1, 1), rec('hr', 1, 2), rec('hr', 2, 5), win('avg', 1, 0), win('avg', 1, 60000)];
    const B = [rec('hr', 1, 1), rec('hr', 2, 5), rec('hr', 3, 9), win('avg', 1, 0)];
    const r = compareAlerts('A', A, 'B', B);
    const record = byScope(r, 'record');
    expect(record).toMatchObject({ tp: 2, fp: 1, fn: 1 });
    expect(record.precision).toBeCloseTo(2 / 3);
    expect(record.recall).toBeCloseTo(2 / 3);
    expect(record.f1).toBeCloseTo(2 / 3);
    expect(record.jaccard).toBeCloseTo(2 / 4);
    const window = byScope(r, 'window');
    expect(window).toMatchObject({ tp: 1, fp: 1, fn: 0, recall: 1 });
    expect(window.precision).toBeCloseTo(0.5);
    expect(window.f1).toBeCloseTo(2 / 3);
    expect(window.jaccard).toBeCloseTo(0.5);
    const all = byScope(r, 'all');
    expect(all).toMatchObject({ tp: 3, fp: 2, fn: 1 });
    expect(all.precision).toBeCloseTo(3 / 5);
    expect(all.recall).toBeCloseTo(3 / 4);
    expect(all.f1).toBeCloseTo((2 * 0.6 * 0.75) / (0.6 + 0.75));
    expect(all.jaccard).toBeCloseTo(3 / 6);
  });

  it('matches on alertKey: severity and event_time do not matter, duplicates count once', () => {
    const a = [rec('hr', 1, 1), rec('hr', 1, 1)];
    const b = [{ ...rec('hr', 1, 1), severity: 'low' as const, event_time: 5 }];
    expect(byScope(compareAlerts('a', a, 'b', b), 'all')).toMatchObject({ tp: 1, fp: 0, fn: 0 });
  });

  it('a record alert and a window alert with the same number are different keys', () => {
    const x = byScope(compareAlerts('a', [rec('r', 1, 5)], 'b', [win('r', 1, 5)]), 'all');
    expect(x).toMatchObject({ tp: 0, fp: 1, fn: 1 });
  });
});

describe('diffAlerts', () => {
  it('lists keys only in A and only in B, capped, with full counts', () => {
    const A = [rec('hr', 1, 1), rec('hr', 1, 2), rec('hr', 1, 3), rec('hr', 1, 4)];
    const B = [rec('hr', 1, 1), win('avg', 2, 0)];
    const d = diffAlerts(A, B, 2);
    expect(d.only_a_count).toBe(3);
    expect(d.only_a).toEqual(['hr|1|r2', 'hr|1|r3']);
    expect(d.only_b_count).toBe(1);
    expect(d.only_b).toEqual(['avg|2|w0']);
  });
});
