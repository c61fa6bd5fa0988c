import { describe, expect, it } from 'vitest';
import { compareRuns, exitCode, invariantFailures, judge } from '../../../../../src/harness/track/compare/compare.js';
import { batchPassDuration } from '../../../../../src/harness/measure/figures.js';
import { makeRunResult } from '../../fixture.js';
import { runsWithP99 } from './helpers.js';

const defaults = { threshold: 0.1, alpha: 0.05, minRuns: 5 };
const P99 = 'stream.event_time_p99';

describe('verdicts', () => {
  it('a 25% worse median at 5 vs 5 separated samples is a regression', () => {
    const j = judge([98, 99, 100, 101, 102], [123, 124, 125, 126, 127], 'smaller', defaults);
    expect(j.change).toBeCloseTo(0.25, 12);
    expect(j.p).toBeCloseTo(2 / 252, 12);
    expect(j.verdict).toBe('regression');
    expect(j.base).toEqual({ n: 5, median: 100, min: 98, max: 102 });
  });

  it('the same at 3 vs 3 is "too few samples" (the change is still reported)', () => {
    const j = judge([99, 100, 101], [124, 125, 126], 'smaller', defaults);
    expect(j.change).toBeCloseTo(0.25, 12);
    expect(j.verdict).toBe('too few samples');
  });

  it('a 25% better median is an improvement; direction follows the metric', () => {
    expect(judge([98, 99, 100, 101, 102], [73, 74, 75, 76, 77], 'smaller', defaults).verdict).toBe('improvement');
    // For a rate, bigger is better: 25% more is an improvement, 25% less a regression.
    expect(judge([98, 99, 100, 101, 102], [123, 124, 125, 126, 127], 'bigger', defaults).verdict).toBe('improvement');
    expect(judge([98, 99, 100, 101, 102], [73, 74, 75, 76, 77], 'bigger', defaults).verdict).toBe('regression');
  });

  it('a change of medians within the resolution is unchanged, however large its share', () => {
    // The calibration's A/A case: send delay p99 2.67 -> 3.33 ms (+25%, p 2/252), within 1 ms.
    const base = [2.67, 2.67, 2.67, 2.67, 3.0];
    const next = [3.33, 3.33, 3.33, 3.67, 3.67];
    expect(judge(base, next, 'smaller', defaults).verdict).toBe('regression');
    expect(judge(base, next, 'smaller', defaults, 1).verdict).toBe('unchanged');
    // Beyond the resolution the share decides as before.
    expect(judge([2, 2, 2, 2, 2], [3.5, 3.5, 3.5, 3.5, 3.5], 'smaller', defaults, 1).verdict).toBe('regression');
  });

  it('noise within the threshold is unchanged even when p < alpha', () => {
    const j = judge([98, 99, 100, 101, 102], [103, 104, 105, 106, 107], 'smaller', defaults);
    expect(j.p!).toBeLessThan(0.05);
    expect(j.change).toBeCloseTo(0.05, 12);
    expect(j.verdict).toBe('unchanged');
  });

  it('a large change that is not significant is unchanged', () => {
    // Medians 100 -> 130, but the samples overlap: p > 0.05.
    const j = judge([60, 100, 140, 70, 150], [65, 130, 145, 75, 155], 'smaller', defaults);
    expect(j.p!).toBeGreaterThan(0.05);
    expect(j.verdict).toBe('unchanged');
  });

  it('the threshold, alpha and min-runs are configurable', () => {
    const base = [98, 99, 100, 101, 102];
    const worse5 = [103, 104, 105, 106, 107];
    expect(judge(base, worse5, 'smaller', { ...defaults, threshold: 0.03 }).verdict).toBe('regression');
    expect(judge(base, [123, 124, 125, 126, 127], 'smaller', { ...defaults, alpha: 0.005 }).verdict).toBe('unchanged');
    expect(judge([99, 100, 101], [124, 125, 126], 'smaller', { ...defaults, minRuns: 3 }).verdict).toBe('unchanged'); // 3 vs 3: p >= 0.1
  });

  it('a median of 0 on the BASE side: no relative change, any change counts as beyond the threshold', () => {
    const j = judge([0, 0, 0, 0, 0], [1, 2, 3, 4, 5], 'smaller', defaults);
    expect(j.change).toBeNull();
    expect(j.verdict).toBe('regression');
    expect(judge([0, 0, 0, 0, 0], [0, 0, 0, 0, 0], 'smaller', defaults)).toMatchObject({
      change: 0,
      p: 1,
      verdict: 'unchanged',
    });
  });

  it('a metric missing on one side cannot be judged', () => {
    expect(judge([], [1, 2, 3, 4, 5], 'smaller', defaults)).toMatchObject({
      base: null,
      change: null,
      p: null,
      verdict: 'too few samples',
    });
  });
});

describe('compareRuns', () => {
  it('finds the regression in the stream event-time p99 and fails', () => {
    const c = compareRuns(runsWithP99([98, 99, 100, 101, 102], 'B'), runsWithP99([123, 124, 125, 126, 127], 'N'));
    const row = c.metrics.find((m) => m.key === P99)!;
    expect(row.verdict).toBe('regression');
    expect(row.values.new).toEqual([123, 124, 125, 126, 127]);
    expect(c.regressions).toEqual([P99]);
    // The other metrics are the same in every run: unchanged (context figures: not gated), p = 1.
    for (const m of c.metrics.filter((x) => x.key !== P99))
      expect(m).toMatchObject({ verdict: m.gates ? 'unchanged' : 'not gated', p: 1 });
    expect(c.passed).toBe(false);
    expect(exitCode(c)).toBe(1);
    expect(c.base.run_ids).toEqual(['B-1', 'B-2', 'B-3', 'B-4', 'B-5']);
  });

  it('lists the headline metrics per mode, with direction, and leaves out what no run recorded', () => {
    const runs = runsWithP99([1, 2, 3, 4, 5]);
    runs[0]!.batch_passes = [
      { pass: 1, readings: 10, alerts: 0, windows: 0, duration_ms: 40, final: false },
      { pass: 2, readings: 10, alerts: 0, windows: 0, duration_ms: 60, final: false },
      { pass: 3, readings: 0, alerts: 0, windows: 0, duration_ms: 500, final: true },
    ];
    const c = compareRuns(runs, runs);
    const keys = c.metrics.map((m) => m.key);
    expect(keys).toEqual([
      'stream.event_time_p50',
      'stream.event_time_p99',
      'stream.event_time_p999',
      'stream.processing_time_p99',
      'stream.output_rate',
      'batch.event_time_p50',
      'batch.event_time_p99',
      'batch.event_time_p999',
      'batch.processing_time_p99',
      'batch.output_rate',
      'batch.batch_pass_ms',
      'input.send_delay_p99',
      'input.achieved_rate',
    ]);
    expect(c.metrics.find((m) => m.key === 'batch.batch_pass_ms')!.values.base).toEqual([50]);
    expect(c.metrics.find((m) => m.key === 'stream.output_rate')!.better).toBe('bigger');
    expect(c.metrics.find((m) => m.key === 'stream.event_time_p99')!.better).toBe('smaller');
    // One run of five recorded a batch pass: not enough to judge it, so not a pass.
    expect(c.inconclusive).toEqual([
      'batch pass duration (median of a run): recorded by 1 of 5 valid BASE and 1 of 5 valid NEW runs, 5 a side needed',
    ]);
  });

  it('includes rate while busy and CPU per 1,000 readings when present', () => {
    const runs = runsWithP99([1, 2, 3, 4, 5]).map((r, i) => {
      r.modes[0]!.processing_rate_while_busy = 5000 + i;
      r.cost = {
        modes: {
          stream: {
            cpu_s: 1,
            peak_rss_mib: 100,
            busy_s: 1,
            db_rows: 1,
            db_transactions: 1,
            readings: 1000,
            cpu_ms_per_1000_readings: 270 + i,
          },
        },
        broker_cpu_s: null,
        database_cpu_s: null,
        sampled_s: 60,
      };
      return r;
    });
    const c = compareRuns(runs, runs);
    expect(c.metrics.find((m) => m.key === 'stream.processing_rate_while_busy')!.base!.median).toBe(5002);
    const cpu = c.metrics.find((m) => m.key === 'stream.cpu_ms_per_1000_readings')!;
    expect(cpu).toMatchObject({ better: 'smaller', verdict: 'unchanged', change: 0 });
    expect(c.metrics.find((m) => m.key === 'batch.cpu_ms_per_1000_readings')).toBeUndefined();
  });

  it('the same single run on both sides: too few samples, inconclusive (exit 3), never a pass', () => {
    const [r] = runsWithP99([100]);
    const c = compareRuns([r!], [r!]);
    expect(c.metrics.filter((m) => m.gates).every((m) => m.verdict === 'too few samples')).toBe(true);
    expect(c.outcome).toBe('inconclusive');
    expect(c.passed).toBe(false);
    expect(exitCode(c)).toBe(3);
  });

  it('the batch pass duration is the median of non-final passes', () => {
    const r = makeRunResult();
    expect(batchPassDuration(r)).toBeUndefined();
    r.batch_passes = [10, 30, 20].map((d, i) => ({
      pass: i + 1,
      readings: 1,
      alerts: 0,
      windows: 0,
      duration_ms: d,
      final: false,
    }));
    r.batch_passes.push({ pass: 4, readings: 0, alerts: 0, windows: 0, duration_ms: 999, final: true });
    expect(batchPassDuration(r)).toBe(20);
  });
});

describe('hard invariants', () => {
  it('loss, duplicates and record-rule agreement below 100% in a NEW run fail whatever the statistics', () => {
    const base = runsWithP99([100, 100, 100, 100, 100], 'B');
    const next = runsWithP99([100, 100, 100, 100, 100], 'N');
    next[1]!.storage.loss = 3;
    next[2]!.storage.duplicates = 2;
    next[3]!.agreement[0] = { ...next[3]!.agreement[0]!, fn: 1, recall: 30 / 31, jaccard: 30 / 31 };
    const c = compareRuns(base, next);
    expect(c.regressions).toEqual([]);
    expect(c.invariants.map((f) => [f.run_id, f.invariant])).toEqual([
      ['N-2', 'loss'],
      ['N-3', 'duplicates'],
      ['N-4', 'record_agreement'],
    ]);
    expect(c.invariants[0]!.message).toContain('lost 3 reading');
    expect(c.passed).toBe(false);
    expect(exitCode(c)).toBe(1);
  });

  it('window agreement below 1 and broken BASE runs do not fail', () => {
    const base = runsWithP99([100, 100, 100, 100, 100]);
    base[0]!.storage.loss = 10;
    const next = runsWithP99([100, 100, 100, 100, 100]);
    // The fixture's window-scope agreement has Jaccard 10/13.
    expect(next[0]!.agreement.some((a) => a.scope === 'window' && a.jaccard < 1)).toBe(true);
    expect(invariantFailures(next[0]!)).toEqual([]);
    expect(compareRuns(base, next).passed).toBe(true);
  });

  it('a NEW run that did not finish is not held to them (its loss is the crash, not the code)', () => {
    const base = runsWithP99([100, 100, 100, 100, 100], 'B');
    const next = runsWithP99([100, 100, 100, 100, 100, 100], 'N');
    next[5]!.complete = false;
    next[5]!.storage.loss = 500;
    const c = compareRuns(base, next);
    expect(c.invariants).toEqual([]);
    expect(c.left_out.map((r) => [r.run, r.why])).toEqual([['N-6', 'invalid']]);
    expect(c.outcome).toBe('inconclusive');
  });
});
