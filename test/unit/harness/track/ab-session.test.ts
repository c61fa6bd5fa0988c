/**
 * The A/B's decision and its sequence, with stub benches in place of worktrees and processes
 * (the real runner and a real `ab` run are in test/integration/ab.e2e.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { AbSide } from '../../../../src/harness/track/ab.js';
import type { AbRunRecord, BenchOutcome } from '../../../../src/harness/track/ab-bench.js';
import {
  abDecision,
  abOrder,
  crashReason,
  renderAbMarkdown,
  runAb,
  type AbDeps,
  type AbPlan,
} from '../../../../src/harness/track/ab-session.js';
import type { RunResult } from '../../../../src/results/schema.js';
import { runWith } from './compare/helpers.js';

const gate = { alpha: 0.01, minRuns: 5 };

function record(index: number, side: 'base' | 'head', o: Partial<AbRunRecord> = {}): AbRunRecord {
  return {
    index,
    side,
    commit: side === 'base' ? 'b'.repeat(40) : 'h'.repeat(40),
    started_at: '2026-01-01T00:00:00.000Z',
    ended_at: '2026-01-01T00:01:30.000Z',
    seconds: 90,
    exit: { code: 0, signal: null },
    timed_out: false,
    interrupted: false,
    left_processes: false,
    dir: `${side}/run-${index}`,
    log: `logs/${String(index).padStart(2, '0')}-${side}.log`,
    ...o,
  };
}

const measuredRun = (index: number, side: 'base' | 'head', result: RunResult, code = 0): BenchOutcome => ({
  record: record(index, side, { exit: { code, signal: null } }),
  result,
});

/** `repeat` pairs in ABBA order, each run measured with the stream p50 `p50(side, i)`. */
function pairs(repeat: number, p50: (side: 'base' | 'head', i: number) => number): BenchOutcome[] {
  const seen = { base: 0, head: 0 };
  return abOrder(repeat).map((side, i) => {
    const n = seen[side]++;
    return measuredRun(i + 1, side, runWith(`${side}-${n + 1}`, { p50: p50(side, n) }));
  });
}

describe('ab order', () => {
  it('pairs alternate which side runs first (ABBA), the same count a side', () => {
    expect(abOrder(1)).toEqual(['base', 'head']);
    expect(abOrder(4)).toEqual(['base', 'head', 'head', 'base', 'base', 'head', 'head', 'base']);
    const five = abOrder(5);
    expect(five.filter((s) => s === 'base')).toHaveLength(5);
    // Neither side always first: the first of each pair alternates.
    expect([0, 2, 4, 6, 8].map((i) => five[i])).toEqual(['base', 'head', 'base', 'head', 'base']);
  });
});

describe('ab decision', () => {
  it('A/A: pass, exit 0', () => {
    const d = abDecision(
      pairs(5, (_, i) => 10 + i),
      gate,
    );
    expect(d).toMatchObject({ outcome: 'pass', exit_code: 0 });
  });

  it('a real regression: exit 1', () => {
    const d = abDecision(
      pairs(5, (side, i) => (side === 'head' ? 40 : 10) + i),
      gate,
    );
    expect(d).toMatchObject({ outcome: 'fail', exit_code: 1 });
    expect(d.comparison!.regressions).toEqual(['stream.event_time_p50']);
  });

  it('a run that failed its verdict (exit 1) with results is measured, not crashed', () => {
    const runs = pairs(5, (_, i) => 10 + i);
    runs[3]!.record.exit = { code: 1, signal: null };
    runs[3]!.result!.verdict = { passed: false, failures: ['window agreement 0.93'] };
    expect(abDecision(runs, gate)).toMatchObject({ outcome: 'pass', exit_code: 0 });
  });

  it('every bench crashed (exit 1, no run folder): inconclusive, exit 3, never a pass', () => {
    const runs: BenchOutcome[] = abOrder(1).map((side, i) => ({
      record: record(i + 1, side, {
        exit: { code: 1, signal: null },
        dir: undefined,
        tail: 'vitals-bench: Kafka at 127.0.0.1:1 is not answering',
      }),
    }));
    const d = abDecision(runs, gate);
    expect(d).toMatchObject({ outcome: 'inconclusive', exit_code: 3 });
    expect(d.comparison!.left_out.map((r) => [r.side, r.run, r.why])).toEqual([
      ['BASE', 'ab run 1 (base)', 'crashed'],
      ['NEW', 'ab run 2 (head)', 'crashed'],
    ]);
    expect(d.comparison!.left_out[0]!.problems[0]).toBe(
      'the bench exited with code 1 before it made a run folder; its last output: vitals-bench: Kafka at 127.0.0.1:1 is not answering (output: logs/01-base.log)',
    );
  });

  it('one missing run (5 vs 4: a head run killed) is inconclusive', () => {
    const runs = pairs(5, (side, i) => (side === 'head' ? 3 : 10) + i);
    const last = runs.findLastIndex((o) => o.record.side === 'head');
    runs[last] = { record: record(runs[last]!.record.index, 'head', { exit: { code: null, signal: 'SIGKILL' } }) };
    const d = abDecision(runs, gate);
    expect(d).toMatchObject({ outcome: 'inconclusive', exit_code: 3 });
    expect(d.comparison!.inconclusive).toContain(
      'NEW has 4 valid runs of 5, 5 needed (--min-runs); at 4 vs 5 runs the smallest p the test can give is 0.016, not below alpha 0.01',
    );
    expect(d.comparison!.left_out[0]!.problems[0]).toMatch(/^killed by SIGKILL/);
  });

  it('a bench exit other than 0/1 is a crash even when it wrote results (130: interrupted)', () => {
    const runs = pairs(5, (_, i) => 10 + i);
    runs[0]!.record.exit = { code: 130, signal: null };
    const d = abDecision(runs, gate);
    expect(d.outcome).toBe('inconclusive');
    expect(d.comparison!.left_out[0]).toMatchObject({ side: 'BASE', run: 'run-1', why: 'crashed' });
    expect(d.comparison!.left_out[0]!.problems[0]).toMatch(/^the bench exited with code 130/);
  });

  it('a run past its timeout counts as crashed', () => {
    const runs = pairs(5, (_, i) => 10 + i);
    runs[2] = { record: record(3, 'head', { timed_out: true, seconds: 510, exit: { code: null, signal: 'SIGTERM' } }) };
    const d = abDecision(runs, gate, 510);
    expect(d.outcome).toBe('inconclusive');
    expect(d.comparison!.left_out[0]!.problems[0]).toMatch(
      /^killed after 510 s: past the run timeout of 510 s \(--run-timeout-s\)/,
    );
  });

  it('runs whose generator fell behind are not judged: inconclusive', () => {
    // The 6c647c4 case: the generator fell behind in 8 of 10 runs, and those runs were judged.
    const runs = pairs(5, (side, i) => (side === 'head' ? 3 : 33) + i);
    runs.slice(0, 8).forEach((o) => {
      o.result!.input.generator_fell_behind = true;
    });
    const d = abDecision(runs, gate);
    expect(d.outcome).toBe('inconclusive');
    expect(d.comparison!.left_out).toHaveLength(8);
    expect(d.comparison!.left_out.every((r) => r.why === 'invalid')).toBe(true);
  });

  it('a bench that refuses the options (exit 2) is a harness error: exit 2, with its message', () => {
    const runs: BenchOutcome[] = [
      {
        record: record(1, 'base', {
          exit: { code: 2, signal: null },
          dir: undefined,
          tail: 'vitals-bench: Unknown argument: kafka-client',
        }),
      },
    ];
    expect(abDecision(runs, gate)).toEqual({
      outcome: 'error',
      exit_code: 2,
      error: "the base commit's bench refused the options (exit 2): vitals-bench: Unknown argument: kafka-client",
    });
  });

  it('runs of different workloads (a default changed between the commits) are an error, not a verdict', () => {
    const runs = pairs(5, (_, i) => 10 + i);
    for (const o of runs) if (o.record.side === 'head') o.result!.parameters.seed = 7;
    const d = abDecision(runs, gate);
    expect(d.outcome).toBe('error');
    expect(d.exit_code).toBe(2);
    expect(d.error).toMatch(/^the two commits' runs cannot be compared: incomparable runs: parameter "seed" differs/);
  });
});

describe('ab sequence (stub benches)', () => {
  const side = (label: 'base' | 'head', ref: string): AbSide => ({
    label,
    ref,
    commit: (label === 'base' ? 'b' : 'h').repeat(40),
    worktree: `/nowhere/${label}`,
    cli: ['node', 'cli.js'],
  });
  const plan: AbPlan = {
    base: 'main',
    head: 'HEAD',
    repeat: 5,
    outDir: '/nowhere/out',
    benchArgs: ['--profile', 'ci'],
    timeoutS: 510,
    gate,
  };

  function deps(bench: AbDeps['bench'], over: Partial<AbDeps> = {}): AbDeps & { lines: string[] } {
    const lines: string[] = [];
    return {
      prepare: (label, ref) => Promise.resolve(side(label, ref)),
      services: () => undefined,
      bench,
      log: (l) => lines.push(l),
      signal: new AbortController().signal,
      lines,
      ...over,
    };
  }

  it('runs the benches in ABBA order, logs each with its figures, decides', async () => {
    const asked: string[] = [];
    const d = deps((spec) => {
      asked.push(spec.side.label);
      const n = asked.filter((l) => l === spec.side.label).length;
      return Promise.resolve(
        measuredRun(spec.index, spec.side.label, runWith(`${spec.side.label}-${n}`, { p50: 10 + n })),
      );
    });
    const { report, outcomes } = await runAb(plan, d);
    expect(asked).toEqual(abOrder(5));
    expect(report).toMatchObject({ outcome: 'pass', exit_code: 0, order: abOrder(5) });
    expect(report.base.commit).toBe('b'.repeat(40));
    expect(d.lines.find((l) => l.startsWith('run 3/10 head'))).toMatch(
      /^run 3\/10 head \(hhhhhhhhhhhh\) ended after 90 s: exit 0, verdict passed, valid; stream p50 12 ms p99 [\d,]+ ms; batch p50 [\d,]+ ms p99 [\d,]+ ms; send delay p99 [\d.]+ ms$/,
    );
    const md = renderAbMarkdown(report, outcomes);
    expect(md).toContain('in the order base, head, head, base, base, head, head, base, base, head (pairs alternate');
    expect(md).toContain('**Result: PASS** (exit 0)');
    expect(md).toMatch(/\| 3 \| head \| 2026-01-01 00:00:00 \| 90 s \| 0 \| passed \| valid \| stream p50 12 ms/);
  });

  it('stops at the first bench that refuses its options; the report says what failed', async () => {
    let calls = 0;
    const d = deps((spec) => {
      calls++;
      return Promise.resolve({
        record: record(spec.index, spec.side.label, {
          exit: { code: 2, signal: null },
          dir: undefined,
          tail: 'Unknown argument: new-option',
        }),
      });
    });
    const { report, outcomes } = await runAb(plan, d);
    expect(calls).toBe(1);
    expect(report).toMatchObject({ outcome: 'error', exit_code: 2 });
    const md = renderAbMarkdown(report, outcomes);
    expect(md).toContain(
      "**Result: ERROR** (exit 2): the base commit's bench refused the options (exit 2): Unknown argument: new-option.",
    );
    expect(md).toContain('| 1 | base |');
  });

  it('a commit that cannot be prepared, or services that do not come up: exit 2 with the reason, no run', async () => {
    const bench = (): Promise<BenchOutcome> => Promise.reject(new Error('no bench expected'));
    const bad = await runAb(plan, deps(bench, { prepare: () => Promise.reject(new Error('"nope" names no commit')) }));
    expect(bad.report).toMatchObject({
      outcome: 'error',
      exit_code: 2,
      error: 'the base commit (main) could not be prepared: "nope" names no commit',
    });
    const down = await runAb(
      plan,
      deps(bench, {
        services: () => {
          throw new Error('MariaDB did not start');
        },
      }),
    );
    expect(down.report.error).toBe('the services did not come up: MariaDB did not start');
    expect(renderAbMarkdown(down.report, down.outcomes)).toContain(
      '**Result: ERROR** (exit 2): the services did not come up',
    );
  });

  it('interrupted: an error outcome naming how far it got', async () => {
    const abort = new AbortController();
    const d = deps(
      (spec) => {
        abort.abort();
        return Promise.resolve({
          record: record(spec.index, spec.side.label, { interrupted: true, exit: { code: null, signal: 'SIGTERM' } }),
        });
      },
      { signal: abort.signal },
    );
    const { report } = await runAb(plan, d);
    expect(report).toMatchObject({ outcome: 'error', exit_code: 2, error: 'interrupted after 1 of 10 runs' });
  });

  it('crashReason names each way a run can end without results', () => {
    expect(crashReason(record(1, 'base', { dir: 'base/x', exit: { code: 1, signal: null } }))).toBe(
      'the bench exited with code 1 and wrote no results.json in base/x (output: logs/01-base.log)',
    );
    expect(crashReason(record(1, 'base', { unreadable: 'x/results.json is not valid JSON: ...' }))).toMatch(
      /^x\/results\.json is not valid JSON/,
    );
  });
});
