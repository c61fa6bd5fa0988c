import { describe, expect, it } from 'vitest';
import type { RunResult, TimeseriesPoint } from '../../../../src/results/schema.js';
import {
  isSustainable,
  limitedBy,
  limitSentence,
  onlyFellBehind,
} from '../../../../src/harness/measure/sustainable.js';
import { makeRunResult } from '../fixture.js';

/** A run at `rate`/s: 2 s warm-up, 12 s measured, with the given per-second stream p99 and backlogs. */
function run(
  opts: { p99?: (s: number) => number; backlog?: (s: number) => number; tweak?: (r: RunResult) => void } = {},
): RunResult {
  const r = makeRunResult({ offered: 1000 });
  r.warmup.seconds = 2;
  r.input.measured_seconds = 12;
  r.timeseries = Array.from({ length: 16 }, (_, s): TimeseriesPoint => ({
    second: s,
    offered: 1000,
    achieved: 1000,
    output: { stream: 1000 },
    p99_ms: { stream: opts.p99 ? opts.p99(s) : 80 },
    backlog: { ingest: opts.backlog ? opts.backlog(s) : 10, stream: opts.backlog ? opts.backlog(s) : 10 },
  }));
  opts.tweak?.(r);
  return r;
}

describe('isSustainable (METRICS.md sustainable throughput)', () => {
  it('accepts a run with flat latency, small backlogs and a generator on schedule', () => {
    expect(isSustainable(run())).toEqual({ ok: true, reasons: [] });
  });

  it('rejects an external job whose result p99 grows over the measured phase, or that lost results', () => {
    const job = (first: number, last: number, loss = 0): NonNullable<RunResult['external']>['jobs'][number] => ({
      ...({} as NonNullable<RunResult['external']>['jobs'][number]),
      name: 'spark',
      loss,
      duplicates: 0,
      p99_by_third_ms: { first, last },
    });
    const withJob = (j: ReturnType<typeof job>): RunResult =>
      run({ tweak: (r) => (r.external = { jobs: [j], result_latency: {} }) });
    // 2 x 700 + 500 = 1900: 1900 keeps up, 1901 does not.
    expect(isSustainable(withJob(job(700, 1900)))).toEqual({ ok: true, reasons: [] });
    expect(isSustainable(withJob(job(700, 1901))).reasons).toEqual(['spark result p99 grew from 700 ms to 1901 ms']);
    expect(isSustainable(withJob(job(700, 700, 3))).reasons).toEqual(['spark: loss or duplicates']);
  });

  it('rejects a run whose generator fell behind', () => {
    const v = isSustainable(run({ tweak: (r) => (r.input.generator_fell_behind = true) }));
    expect(v.ok).toBe(false);
    expect(v.reasons).toContain('generator fell behind');
  });

  it('rejects a backlog of more than 2 s of input at the end of the load', () => {
    const v = isSustainable(run({ backlog: (s) => s * 500 }));
    expect(v.ok).toBe(false);
    expect(v.reasons.join(' ')).toMatch(/stream backlog \d+ > 2000/);
  });

  it('rejects a stream p99 that keeps growing over the measured phase', () => {
    const v = isSustainable(run({ p99: (s) => 100 * 2 ** (s / 2) }));
    expect(v.ok).toBe(false);
    expect(v.reasons.join(' ')).toMatch(/stream p99 grew/);
  });

  it('tolerates noise: p99 that varies but does not trend', () => {
    expect(isSustainable(run({ p99: (s) => (s % 2 === 0 ? 60 : 140) })).ok).toBe(true);
  });

  it('rejects incomplete runs, loss and record-rule disagreement', () => {
    expect(
      isSustainable(
        run({
          tweak: (r) => {
            r.complete = false;
            r.incomplete_reason = 'Ctrl-C';
          },
        }),
      ).reasons,
    ).toContain('run incomplete: Ctrl-C');
    expect(isSustainable(run({ tweak: (r) => (r.storage.loss = 1) })).reasons).toContain('loss or duplicates');
    expect(isSustainable(run({ tweak: (r) => (r.agreement[0]!.jaccard = 0.99) })).reasons).toContain(
      'record-rule alerts disagree',
    );
  });
});

describe('onlyFellBehind: whether a lower rate may be sustainable', () => {
  it('is true when every reason is falling behind the load: generator, backlogs, a growing p99', () => {
    const reasons = isSustainable(
      run({
        backlog: (s) => s * 500,
        p99: (s) => 100 * 2 ** (s / 2),
        tweak: (r) => (r.input.generator_fell_behind = true),
      }),
    ).reasons;
    expect(reasons.length).toBeGreaterThanOrEqual(4);
    expect(onlyFellBehind(reasons)).toBe(true);
    expect(onlyFellBehind(['spark result p99 grew from 700 ms to 1901 ms'])).toBe(true);
  });

  it('is false for loss, disagreement, an incomplete or failed run, or no reason at all', () => {
    const lossy = isSustainable(run({ backlog: (s) => s * 500, tweak: (r) => (r.storage.loss = 1) })).reasons;
    expect(lossy).toContain('loss or duplicates');
    expect(onlyFellBehind(lossy)).toBe(false);
    const disagree = isSustainable(run({ tweak: (r) => (r.agreement[0]!.jaccard = 0.99) })).reasons;
    expect(onlyFellBehind(disagree)).toBe(false);
    expect(onlyFellBehind(['spark: loss or duplicates'])).toBe(false);
    expect(onlyFellBehind(['run incomplete: Ctrl-C'])).toBe(false);
    expect(onlyFellBehind(['the run failed: broker down'])).toBe(false);
    expect(onlyFellBehind([])).toBe(false);
  });
});

describe('what limited a find-max search', () => {
  it('names the load generator when only it fell behind, the pipelines when only they did', () => {
    expect(limitedBy(['generator fell behind']).by).toBe('load generator');
    expect(limitedBy(['stream backlog 9000 > 4000 at the end of the load'])).toEqual({
      by: 'pipelines',
      pipelines: ['stream'],
    });
    expect(limitedBy(['generator fell behind', 'loss or duplicates']).by).toBe('load generator and pipelines');
    expect(limitedBy([]).by).toBe('unknown');
    expect(limitSentence(20000, ['generator fell behind'])).toMatch(
      /load generator fell behind its schedule before any pipeline did/,
    );
  });

  it('names the pipeline that set the limit: ingest (which only batch needs), the stream, or an engine', () => {
    expect(limitedBy(['ingest backlog 52000 > 32000 at the end of the load']).pipelines).toEqual(['ingest']);
    expect(limitedBy(['flink result p99 grew from 20 ms to 4000 ms']).pipelines).toEqual(['flink']);
    expect(limitedBy(['spark: loss or duplicates', 'stream p99 grew from 5 ms to 900 ms']).pipelines).toEqual([
      'spark',
      'stream',
    ]);
    expect(limitSentence(16000, ['ingest backlog 52000 > 32000 at the end of the load'])).toBe(
      "At 16000 readings/s the pipelines (ingest, which only batch needs) fell behind while the load generator kept its schedule: the rate found is the pipelines' limit on this machine.",
    );
  });
});
