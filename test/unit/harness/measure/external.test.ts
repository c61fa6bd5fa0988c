import { describe, expect, it } from 'vitest';
import { readingKey } from '../../../../src/domain/keys.js';
import type { AlertRecord } from '../../../../src/pipelines/rules/types.js';
import {
  asFlaggedReadings,
  kindOf,
  measureExternal,
  recordResultHistogram,
  type ExternalInputs,
} from '../../../../src/harness/measure/external.js';
import type { ExternalResultRow } from '../../../../src/harness/measure/external-rows.js';

const T0 = 1_000_000;
/** Patient 1 readings 0..4 intended at T0, T0+100, ... ; warm-up ends at T0+100 (reading 0 is warm-up). */
const intended = new Map<string, number>([0, 1, 2, 3, 4].map((seq) => [readingKey(1, seq), T0 + seq * 100]));
const intendedOf = (patientId: number, seq: number): number | undefined => intended.get(readingKey(patientId, seq));

function alert(rule: string, seq: number | null, windowStart: number | null = null): AlertRecord {
  return { rule_id: rule, severity: 'high', patient_id: 1, seq, window_start: windowStart, event_time: 0 };
}

let nextId = 1;
function row(
  rule: string | null,
  seq: number | null,
  visible: number,
  inserted: number,
  over: Partial<ExternalResultRow> = {},
): ExternalResultRow {
  return {
    result_id: nextId++,
    rule_id: rule,
    patient_id: 1,
    seq,
    window_start: null,
    inserted_at: inserted,
    visible_at: visible,
    // The observer's query before the one that saw it began 3 ms earlier (the row's own bound).
    not_before: visible - 3,
    final_scan: false,
    ...over,
  };
}

function inputs(rows: ExternalResultRow[], over: Partial<ExternalInputs> = {}): ExternalInputs {
  return {
    name: 'spark',
    command: 'bash run.sh',
    rows,
    intendedOf,
    // The truth: hr fires on readings 0, 1, 2; spo2 on reading 2; a 1 s window rule on the window at T0.
    expectedAlerts: [alert('hr', 0), alert('hr', 1), alert('hr', 2), alert('spo2', 2), alert('w', null, T0)],
    windowSizeOf: new Map([
      ['hr', 0],
      ['spo2', 0],
      ['w', 1],
    ]),
    warmupEnd: T0 + 100,
    scheduleEnd: T0 + 400,
    others: [{ name: 'stream', alerts: [alert('hr', 0), alert('hr', 1), alert('hr', 2), alert('spo2', 2)] }],
    startupMs: 41_500,
    pollIntervalMs: 2,
    exit: 'exited with code 0 when stopped',
    ...over,
  };
}

describe('measureExternal: a per-rule alerts job', () => {
  const rows = [
    row('hr', 0, T0 + 500, T0 + 450),
    row('hr', 1, T0 + 600, T0 + 560),
    row('hr', 2, T0 + 900, T0 + 850),
    row('spo2', 2, T0 + 700, T0 + 690, { not_before: T0 + 693 }), // reading 2's first result is this one (700 < 900), bound 7 ms
    row('hr', 1, T0 + 1000, T0 + 990), // a duplicate of hr/1
    row('w', null, T0 + 1800, T0 + 1790, { window_start: T0 }),
  ];
  const m = measureExternal(inputs(rows));

  it('counts rows, distinct results, duplicates, loss and unexpected results', () => {
    expect(m.result).toMatchObject({ kind: 'alerts', rows: 6, results: 5, duplicates: 1, loss: 0, unexpected: 0 });
    expect(m.result.startup_s).toBe(41.5);
    // The bound of each measured reading's first result: 3 ms (reading 1) and 7 ms (reading 2).
    expect(m.result.visibility_bound?.count).toBe(2);
    expect(m.result.visibility_bound?.max).toBeCloseTo(7, 1);
    expect(m.result.visibility_resolution_ms).toBeCloseTo(7, 1);
  });

  it('result latency per measured reading: its first visible result minus its t_intended', () => {
    // reading 1: 600 - 100 = 500; reading 2: min(700, 900) - 200 = 500; reading 0 is warm-up.
    expect(m.result.result_latency.count).toBe(2);
    expect(m.result.result_latency.p50).toBeCloseTo(500, 0);
    expect(m.result.result_latency.max).toBeCloseTo(500, 0);
    // At insert: reading 1: 560 - 100 = 460; reading 2: min(690, 850) - 200 = 490.
    expect(m.result.result_latency_at_insert.min).toBeCloseTo(460, 0);
    expect(m.result.result_latency_at_insert.max).toBeCloseTo(490, 0);
    // The window result: visible 1800 - the window's end (T0 + 1000) = 800.
    expect(m.result.window_result_latency?.count).toBe(1);
    expect(m.result.window_result_latency?.p50).toBeCloseTo(800, 0);
  });

  it('the p99 of the first and last thirds of the measured phase, by t_intended (keeping up or not)', () => {
    // Measured phase T0+100 .. T0+400, thirds of 100 ms: reading 1 (T0+100) is in the first, none of patient 1 in the last.
    expect(m.result.p99_by_third_ms).toBeUndefined();
    const later = measureExternal(inputs([...rows, row('hr', 4, T0 + 1400, T0 + 1390)], { expectedAlerts: [] }));
    // Reading 4 (T0+400) is in the last third: 1400 - 400 = 1000; the first third holds reading 1: 500.
    expect(later.result.p99_by_third_ms?.first).toBeCloseTo(500, 0);
    expect(later.result.p99_by_third_ms?.last).toBeCloseTo(1000, 0);
  });

  it('output rate over the measured phase, stretched to the last result', () => {
    // Measured results: hr/1, hr/2, spo2/2, w (window end T0+1000 >= warm-up end) = 4, over (T0+1800 - (T0+100)) = 1.7 s.
    expect(m.result.output_rate).toBeCloseTo(4 / 1.7, 6);
    // Expected in the measured phase: hr/1, hr/2, spo2/2, w = 4 over the 0.3 s of the schedule after the warm-up.
    expect(m.result.expected_rate).toBeCloseTo(4 / 0.3, 6);
  });

  it('agrees with the ground truth in every scope and with the stream in its record scope; fails on the duplicate', () => {
    const vsTruth = m.agreement.filter((a) => a.b === 'ground_truth');
    expect(vsTruth.map((a) => [a.scope, a.tp, a.fp, a.fn])).toEqual([
      ['record', 4, 0, 0],
      ['window', 1, 0, 0],
      ['all', 5, 0, 0],
    ]);
    const vsStream = m.agreement.filter((a) => a.b === 'stream');
    expect(vsStream.map((a) => [a.scope, a.tp, a.fp, a.fn])).toEqual([
      ['record', 4, 0, 0],
      ['window', 0, 1, 0],
      ['all', 4, 1, 0],
    ]);
    expect(m.failures).toEqual(['spark: 1 results written more than once']);
  });
});

describe('measureExternal: a flagged-readings job (the seed project kind)', () => {
  it('compares per reading, in the record scope only, and names loss and unexpected readings', () => {
    const rows = [row(null, 1, T0 + 300, T0 + 290), row(null, 2, T0 + 400, T0 + 390), row(null, 4, T0 + 600, T0 + 590)];
    const m = measureExternal(inputs(rows));
    expect(kindOf(rows)).toBe('flagged_readings');
    // Truth flags readings 0, 1, 2: reading 0 is missing, reading 4 is unexpected.
    expect(m.result).toMatchObject({
      kind: 'flagged_readings',
      rows: 3,
      results: 3,
      duplicates: 0,
      loss: 1,
      unexpected: 1,
    });
    expect(m.agreement.map((a) => [a.b, a.scope, a.tp, a.fp, a.fn])).toEqual([
      ['ground_truth', 'record', 2, 1, 1],
      ['stream', 'record', 2, 1, 1],
    ]);
    expect(m.failures).toEqual([
      'spark: 1 results of the ground truth are missing from its table',
      'spark: 1 results the ground truth does not have',
    ]);
  });

  it('a job that wrote nothing fails with its name', () => {
    const m = measureExternal(inputs([]));
    expect(m.failures).toEqual([
      'external job spark wrote no results (table external_results, mode spark; the ground truth has 5)',
    ]);
    // Nothing to find and nothing found is no failure.
    expect(measureExternal(inputs([], { expectedAlerts: [] })).failures).toEqual([]);
  });
});

describe('helpers', () => {
  it('asFlaggedReadings keeps one entry per reading with a record alert', () => {
    expect(asFlaggedReadings([alert('hr', 2), alert('spo2', 2), alert('w', null, T0)]).map((a) => a.seq)).toEqual([2]);
  });

  it('recordResultHistogram: a built-in mode per reading, its first committed record alert', () => {
    const alerts = [
      { ...alert('hr', 1), committed_at: T0 + 130 },
      { ...alert('spo2', 1), committed_at: T0 + 120 },
      { ...alert('hr', 0), committed_at: T0 + 50 }, // warm-up
      { ...alert('w', null, T0), committed_at: T0 + 2000 },
      { ...alert('hr', 3), committed_at: null },
    ];
    const s = recordResultHistogram(alerts, intendedOf, T0 + 100).summary();
    expect(s.count).toBe(1);
    expect(s.p50).toBeCloseTo(20, 1);
  });
});

describe('measureExternal: a job that declares the rules it evaluates', () => {
  it('is compared on those rules alone, on every side, and the others are named', () => {
    const rows = [row('hr', 0, T0 + 500, T0 + 450), row('hr', 1, T0 + 600, T0 + 560), row('hr', 2, T0 + 900, T0 + 850)];
    const m = measureExternal(inputs(rows, { rules: ['hr'] }));
    expect(m.result).toMatchObject({
      loss: 0,
      unexpected: 0,
      rules_evaluated: ['hr'],
      rules_not_evaluated: ['spo2', 'w'],
      scopes_not_evaluated: ['window'],
    });
    // No window rule declared: no window comparison (0 against 0 would read as Jaccard 1).
    expect(m.agreement.map((a) => [a.b, a.scope, a.tp, a.fp, a.fn])).toEqual([
      ['ground_truth', 'record', 3, 0, 0],
      ['ground_truth', 'all', 3, 0, 0],
      ['stream', 'record', 3, 0, 0],
      ['stream', 'all', 3, 0, 0],
    ]);
    expect(m.failures).toEqual([]);
    // Without the declaration the same rows miss spo2/2 and the window.
    const all = measureExternal(inputs(rows));
    expect(all.result.loss).toBe(2);
    expect(all.result.scopes_not_evaluated).toBeUndefined();
    expect(all.agreement.filter((a) => a.scope === 'window')).toHaveLength(2);
  });

  it('a job that declares a window rule keeps its window comparisons; its start-up CPU is kept apart', () => {
    const rows = [row('hr', 1, T0 + 600, T0 + 560)];
    const m = measureExternal(inputs(rows, { rules: ['hr', 'w'], startupCpuS: 21.98765 }));
    expect(m.result.scopes_not_evaluated).toBeUndefined();
    expect(m.result.startup_cpu_s).toBe(21.988);
    expect(m.agreement.filter((a) => a.scope === 'window').map((a) => a.b)).toEqual(['ground_truth', 'stream']);
  });
});
