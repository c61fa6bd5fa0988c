/** External modes are modes in a comparison: their figures are rows, gated like the built-in ones. */
import { describe, expect, it } from 'vitest';
import { compareRuns, exitCode } from '../../../../../src/harness/track/compare/compare.js';
import { IncomparableError } from '../../../../../src/harness/track/compare/comparability.js';
import { renderMarkdown } from '../../../../../src/harness/track/compare/render.js';
import type { RunResult } from '../../../../../src/results/schema.js';
import { withExternalJob, type ExternalJobFigures } from '../../external-fixture.js';
import { makeRunResult } from '../../fixture.js';

/** Runs of the fixture's workload with the external mode flink, each with the figures f(i). */
function flinkRuns(prefix: string, n: number, f: (i: number) => ExternalJobFigures): RunResult[] {
  return Array.from({ length: n }, (_, i) =>
    withExternalJob(makeRunResult({ runId: `${prefix}-${i + 1}` }), 'flink', f(i)),
  );
}

describe('compare with an external mode', () => {
  it("lists the external mode's figures after the built-in ones: result latency gated, resolution and results/s as context", () => {
    const runs = flinkRuns('R', 5, (i) => ({ p99: 40 + i, cpuMsPer1000: 1100 + i }));
    const c = compareRuns(runs, runs);
    const flink = c.metrics.filter((m) => m.mode === 'flink');
    expect(flink.map((m) => [m.key, m.gates])).toEqual([
      ['flink.cpu_ms_per_1000_readings', true],
      ['flink.result_latency_p50', true],
      ['flink.result_latency_p99', true],
      ['flink.result_latency_p999', true],
      ['flink.visibility_resolution', false],
      ['flink.result_rate', false],
    ]);
    // The built-in modes keep their rows (no external figure on them), the run's figures come last.
    expect(c.metrics.filter((m) => m.mode === 'stream').map((m) => m.key)).not.toContain('stream.result_latency_p99');
    expect(c.metrics.at(-1)!.key).toBe('input.achieved_rate');
    expect(c.metrics.find((m) => m.key === 'flink.result_latency_p99')!.values.base).toEqual([40, 41, 42, 43, 44]);
    expect(c.metrics.find((m) => m.key === 'flink.result_rate')).toMatchObject({ unit: 'results/s', better: 'bigger' });
    expect(c.outcome).toBe('pass');
  });

  it('a regression of its gated result latency fails the comparison (exit 1), named', () => {
    const base = flinkRuns('B', 5, (i) => ({ p99: 40 + i }));
    const next = flinkRuns('N', 5, (i) => ({ p99: 80 + i }));
    const c = compareRuns(base, next);
    expect(c.regressions).toEqual(['flink.result_latency_p99']);
    expect(c.outcome).toBe('fail');
    expect(exitCode(c)).toBe(1);
    expect(renderMarkdown(c)).toContain('1 regression (flink result latency p99)');
  });

  it('a change of medians within the observer resolution target (5 ms) is never a regression', () => {
    const base = flinkRuns('B', 5, (i) => ({ p50: 10 + i * 0.1 }));
    const next = flinkRuns('N', 5, (i) => ({ p50: 14 + i * 0.1 }));
    const row = compareRuns(base, next).metrics.find((m) => m.key === 'flink.result_latency_p50')!;
    // +39%, separated samples (p 2/252): a regression at a 1 ms resolution, not within 5 ms.
    expect(row.change).toBeCloseTo(4 / 10.2, 9);
    expect(row.p).toBeCloseTo(2 / 252, 9);
    expect(row.verdict).toBe('unchanged');
  });

  it("an external job's CPU counted with its start-up (runs before cpu_counted_from) is not recorded, not compared", () => {
    const runs = flinkRuns('R', 5, () => ({ cpuMsPer1000: 1100 }));
    for (const r of runs) delete r.cost!.cpu_counted_from;
    expect(compareRuns(runs, runs).metrics.find((m) => m.key === 'flink.cpu_ms_per_1000_readings')).toBeUndefined();
  });

  it('its lost, duplicate and unexpected results in a NEW run are broken invariants', () => {
    const base = flinkRuns('B', 5, () => ({}));
    const next = flinkRuns('N', 5, (i) =>
      i === 1 ? { loss: 3 } : i === 2 ? { duplicates: 2 } : i === 3 ? { unexpected: 4 } : {},
    );
    const c = compareRuns(base, next);
    expect(c.invariants.map((f) => [f.run_id, f.invariant, f.mode])).toEqual([
      ['N-2', 'result_loss', 'flink'],
      ['N-3', 'result_duplicates', 'flink'],
      ['N-4', 'unexpected_results', 'flink'],
    ]);
    expect(c.invariants.map((f) => f.message)).toEqual([
      'run N-2: flink lost 3 result(s) of the ground truth',
      'run N-3: flink wrote 2 result(s) more than once',
      'run N-4: flink wrote 4 result(s) the ground truth does not have',
    ]);
    expect(exitCode(c)).toBe(1);
  });

  it('runs whose job declared other rules, or that ran another external mode, are not comparable', () => {
    const all = flinkRuns('B', 5, () => ({}));
    const fewer = flinkRuns('N', 5, () => ({ rules: ['hr_high', 'spo2_low'] }));
    let err: unknown;
    try {
      compareRuns(all, fewer);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IncomparableError);
    expect((err as IncomparableError).parameter).toBe('externals');
    expect((err as Error).message).toContain(
      '"externals" differs: flink (every rule) in BASE run B-1, flink (rules hr_high, spo2_low) in NEW run N-1',
    );
    // The same declaration on both sides compares; without the external mode it does not.
    expect(compareRuns(fewer, fewer).outcome).toBe('pass');
    const plain = Array.from({ length: 5 }, (_, i) => makeRunResult({ runId: `P-${i + 1}` }));
    expect(() => compareRuns(plain, all)).toThrow('"externals" differs: none in BASE run P-1, flink (every rule)');
  });

  it('a run with only an external mode (--modes flink) compares its figures and the run figures', () => {
    const runs = flinkRuns('R', 5, (i) => ({ p99: 40 + i }));
    for (const r of runs) r.modes = [];
    const c = compareRuns(runs, runs);
    expect([...new Set(c.metrics.map((m) => m.mode ?? 'input'))]).toEqual(['flink', 'input']);
    expect(renderMarkdown(c)).toContain('no lost, duplicate or unexpected result of an external mode');
  });
});
