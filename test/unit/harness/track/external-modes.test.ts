/** External modes in the history (lines, table, trends, --check) and the tracker files. */
import { describe, expect, it } from 'vitest';
import {
  groupByParameters,
  historyEntry,
  parameterHash,
  renderHistoryMarkdown,
  shortHash,
  trendMetrics,
  TREND_METRICS,
  workloadHash,
} from '../../../../src/harness/track/history.js';
import { checkNewestRun } from '../../../../src/harness/track/main-check.js';
import {
  bencherMetricFormat,
  benchmarkActionBigger,
  benchmarkActionSmaller,
  trackerPrefix,
} from '../../../../src/harness/track/trackers.js';
import type { RunResult } from '../../../../src/results/schema.js';
import { withExternalJob, type ExternalJobFigures } from '../external-fixture.js';
import { makeRunResult } from '../fixture.js';

const MACHINE = { cpu_model: 'Fake CPU', cores: 2, memory_bytes: 8 * 2 ** 30 };

/** A run of the fixture's workload with the external mode spark, at an hour `i` of one day. */
function sparkRun(i: number, f: ExternalJobFigures = {}): RunResult {
  const r = withExternalJob(makeRunResult({ runId: `run-${i}` }), 'spark', f);
  r.started_at = `2026-01-01T${String(i).padStart(2, '0')}:00:00.000Z`;
  r.environment = { ...r.environment, ...MACHINE, git_commit: String(i).padStart(40, 'a') };
  return r;
}

describe('history lines with an external mode', () => {
  it("keep its figures under its name, the built-in modes' lines unchanged", () => {
    const plain = makeRunResult({ runId: 'plain' });
    const e = historyEntry(sparkRun(1, { p99: 44, cpuMsPer1000: 1100, rules: ['hr_high'] }));
    expect(e.metrics.modes.spark).toEqual({
      cpu_ms_per_1000_readings: 1100,
      result_latency_p50_ms: e.metrics.modes.spark!.result_latency_p50_ms,
      result_latency_p99_ms: 44,
      result_latency_p999_ms: e.metrics.modes.spark!.result_latency_p999_ms,
      visibility_resolution_ms: 3.25,
      result_rate: 12.5,
      result_loss: 0,
      result_duplicates: 0,
      unexpected_results: 0,
    });
    // A built-in mode's line has exactly the keys it always had.
    expect(Object.keys(e.metrics.modes.stream!)).toEqual(Object.keys(historyEntry(plain).metrics.modes.stream!));
    expect(e.params.externals).toEqual([{ name: 'spark', rules: ['hr_high'] }]);
  });

  it('the workload hash is the parameter hash without external modes, and another one with them or other declared rules', () => {
    const plain = makeRunResult();
    expect(workloadHash(plain)).toBe(parameterHash(plain.parameters));
    expect(historyEntry(plain).params).not.toHaveProperty('externals');
    const all = workloadHash(sparkRun(1));
    expect(all).not.toBe(parameterHash(plain.parameters));
    expect(workloadHash(sparkRun(2))).toBe(all);
    expect(workloadHash(sparkRun(3, { rules: ['hr_high'] }))).not.toBe(all);
  });

  it("the table gets the external figures' columns only in a set with an external mode, blank on the other modes' rows", () => {
    const groups = groupByParameters([historyEntry(sparkRun(1, { p99: 44 })), historyEntry(makeRunResult())]);
    const md = renderHistoryMarkdown(groups);
    const sections = md.split('## Parameters ').slice(1);
    const withSpark = sections.find((x) => x.includes('| spark |'));
    const plain = sections.find((x) => x !== withSpark);
    expect(withSpark).toContain('1,234 readings/s, 7 patients, spark (external), seed 12,345');
    expect(withSpark).toContain('| result p99 |');
    expect(plain).not.toContain('result p99');
    const sparkRow = withSpark!.split('\n').find((l) => l.includes('| spark |'))!;
    const streamRow = withSpark!.split('\n').find((l) => l.includes('| stream |'))!;
    const header = withSpark!
      .split('\n')
      .find((l) => l.startsWith('| time'))!
      .split(' | ');
    const cell = (row: string, column: string): string => row.split(' | ')[header.indexOf(column)]!.trim();
    expect(cell(sparkRow, 'result p99')).toBe('44');
    expect(cell(sparkRow, 'event-time p50')).toBe('');
    expect(cell(streamRow, 'result p99')).toBe('');
  });

  it('trend metrics: the built-in ones as they were, then each external mode seen, by name', () => {
    const entries = [historyEntry(sparkRun(1))];
    const slugs = trendMetrics(entries).map((m) => m.slug);
    expect(slugs.slice(0, TREND_METRICS.length - 2)).toEqual(TREND_METRICS.slice(0, -2).map((m) => m.slug));
    expect(slugs).toEqual(
      expect.arrayContaining([
        'spark_result_latency_p99',
        'spark_visibility_resolution',
        'spark_result_rate',
        'spark_cpu_ms_per_1000_readings',
      ]),
    );
    expect(slugs).not.toContain('spark_result_loss');
    expect(slugs.slice(-2)).toEqual(['send_delay_p99', 'achieved_rate']);
    expect(trendMetrics([historyEntry(makeRunResult())]).map((m) => m.slug)).toEqual(TREND_METRICS.map((m) => m.slug));
  });

  it('history --check flags a lasting regression of its result latency', () => {
    // 10 runs at 40 ms, then 3 at 80 ms: beyond the previous range and the medians' threshold.
    const entries = Array.from({ length: 13 }, (_, i) =>
      historyEntry(sparkRun(i + 1, { p99: (i < 10 ? 40 : 80) + (i % 3) * 0.5 })),
    );
    const check = checkNewestRun(entries);
    const p99 = check.figures.find((f) => f.slug === 'spark_result_latency_p99')!;
    expect(p99.verdict).toBe('regression');
    expect(check.status).toBe('regression');
    // The same series without the jump passes.
    const flat = Array.from({ length: 13 }, (_, i) => historyEntry(sparkRun(i + 1, { p99: 40 + (i % 3) * 0.5 })));
    expect(checkNewestRun(flat).status).toBe('pass');
  });
});

describe('tracker files with an external mode', () => {
  it('a benchmark for the external mode with its figures; the built-in names unchanged', () => {
    const r = sparkRun(1, { p99: 44, cpuMsPer1000: 1100 });
    const p = trackerPrefix(r);
    expect(p).toBe(`vitals-bench ${shortHash(workloadHash(r))}`);
    const plain = makeRunResult();
    const plainNames = benchmarkActionSmaller(plain).map((e) => e.name.replace(trackerPrefix(plain), ''));
    const smaller = benchmarkActionSmaller(r);
    const names = smaller.map((e) => e.name);
    // Every name a run without external modes has, under the new prefix.
    expect(names.map((n) => n.replace(p, ''))).toEqual(expect.arrayContaining(plainNames));
    const p99 = smaller.find((e) => e.name === `${p} spark result latency p99`)!;
    expect(p99).toMatchObject({ unit: 'ms', value: 44 });
    expect(p99.extra).toMatch(/^n=1000; run run-1, commit/);
    expect(names).toContain(`${p} spark CPU per 1000 readings`);
    expect(names).toContain(`${p} spark lost results`);
    expect(names).not.toContain(`${p} spark event-time latency p99`);
    expect(benchmarkActionBigger(r).find((e) => e.name === `${p} spark output rate in results`)).toMatchObject({
      unit: 'results/s',
      value: 12.5,
    });
    const bmf = bencherMetricFormat(r);
    expect(bmf[`${p} spark`]).toMatchObject({
      'result-latency-p99-ms': { value: 44 },
      'visibility-resolution-ms': { value: 3.25 },
      'cpu-ms-per-1000-readings': { value: 1100 },
      'result-loss': { value: 0 },
    });
    expect(Object.keys(bmf[`${p} stream`]!)).toEqual(
      Object.keys(bencherMetricFormat(plain)[`${trackerPrefix(plain)} stream`]!),
    );
  });
});
