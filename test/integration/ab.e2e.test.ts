/**
 * The A/B runner's processes and a real `ab`:
 * - runBench with a stub CLI (test/fixtures/stub-bench.ts) in place of a commit's build: a run
 *   that writes results, one that crashes, one past its timeout (killed with its process group,
 *   the grandchild too), one that leaves a process behind (ended), and the whole sequence of
 *   runAb over them deciding inconclusive;
 * - `vitals-bench ab --base HEAD --head HEAD --repeat 1 --no-services` with an unreachable broker:
 *   every bench fails before it measures anything, and ab must say inconclusive (exit 3), never
 *   pass. It builds HEAD in a worktree under .cache/ab the first time (npm ci, a few minutes);
 *   later runs reuse it (--keep-worktrees 2).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import type { AbSide } from '../../src/harness/track/ab.js';
import { runBench, type BenchSpec } from '../../src/harness/track/ab-bench.js';
import { renderAbMarkdown, runAb } from '../../src/harness/track/ab-session.js';
import { makeRunResult } from '../unit/harness/fixture.js';
import { runCli } from './helpers.js';

const STUB = join(PROJECT_ROOT, 'dist/test/fixtures/stub-bench.js');

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A side whose "CLI" is the stub, behaving as `modes` call after call. */
function stubSide(label: 'base' | 'head', modes: string): AbSide {
  const worktree = mkdtempSync(join(tmpdir(), `ab-stub-${label}-`));
  return { label, ref: label, commit: label[0]!.repeat(40), worktree, cli: [process.execPath, STUB, `modes=${modes}`] };
}

function spec(side: AbSide, outDir: string, over: Partial<BenchSpec> = {}): BenchSpec {
  const results = join(outDir, '..', 'stub-results.json');
  if (!existsSync(results)) writeFileSync(results, JSON.stringify(makeRunResult({ runId: 'stub-run' })));
  return {
    side,
    index: 1,
    benchArgs: ['--rate', '100'],
    outDir,
    timeoutS: 60,
    signal: new AbortController().signal,
    env: { ...process.env, STUB_RESULTS: results },
    graceMs: 2000,
    ...over,
  };
}

const freshOut = (): string => {
  const root = mkdtempSync(join(tmpdir(), 'ab-runner-'));
  mkdirSync(join(root, 'out'));
  return join(root, 'out');
};

describe('the A/B bench runner (stub CLI)', () => {
  it('a run that writes its results: its folder, exit 0, its result, its output logged', async () => {
    const out = freshOut();
    const { record, result } = await runBench(spec(stubSide('base', 'results'), out));
    expect(record).toMatchObject({
      index: 1,
      side: 'base',
      exit: { code: 0, signal: null },
      timed_out: false,
      left_processes: false,
      dir: 'base/2026-01-01T00-00-01_abcdef',
      log: 'logs/01-base.log',
    });
    expect(result?.run_id).toBe('stub-run');
  });

  it('a crash: exit 1, a run folder without results.json, the last output kept', async () => {
    const out = freshOut();
    const { record, result } = await runBench(spec(stubSide('head', 'crash'), out));
    expect(result).toBeUndefined();
    expect(record.exit.code).toBe(1);
    expect(record.dir).toBe('head/2026-01-01T00-00-01_abcdef');
    expect(record.tail).toContain('the run failed before it could be measured (stub)');
  });

  it('past its timeout: killed with its whole process group, counted as timed out', async () => {
    const out = freshOut();
    const started = Date.now();
    const { record } = await runBench(spec(stubSide('base', 'hang'), out, { timeoutS: 2 }));
    expect(record.timed_out).toBe(true);
    expect(record.exit.code).toBeNull();
    expect(Date.now() - started).toBeLessThan(30_000);
    const grandchild = Number(readFileSync(join(out, 'base', 'child.pid'), 'utf8'));
    expect(alive(grandchild)).toBe(false);
  }, 60_000);

  it('a process left behind by a run that exited is ended, and the record says so', async () => {
    const out = freshOut();
    const { record, result } = await runBench(spec(stubSide('head', 'leave'), out));
    expect(result).toBeDefined();
    expect(record.left_processes).toBe(true);
    const grandchild = Number(readFileSync(join(out, 'head', 'child.pid'), 'utf8'));
    expect(alive(grandchild)).toBe(false);
  }, 60_000);

  it('runAb over stub sides: a crashed run makes the A/B inconclusive; a refusal stops it with exit 2', async () => {
    const out = freshOut();
    const base = stubSide('base', 'results');
    const head = stubSide('head', 'results,crash,results');
    const results = join(out, '..', 'stub-results.json');
    writeFileSync(results, JSON.stringify(makeRunResult({ runId: 'stub-run' })));
    const lines: string[] = [];
    const { report, outcomes } = await runAb(
      {
        base: 'base',
        head: 'head',
        repeat: 2,
        outDir: out,
        benchArgs: [],
        timeoutS: 60,
        gate: { alpha: 0.05, minRuns: 2 },
      },
      {
        prepare: (label) => Promise.resolve(label === 'base' ? base : head),
        services: () => undefined,
        bench: (s) => runBench({ ...s, env: { ...process.env, STUB_RESULTS: results }, graceMs: 2000 }),
        log: (l) => lines.push(l),
        signal: new AbortController().signal,
      },
    );
    expect(report.runs.map((r) => [r.side, r.exit.code])).toEqual([
      ['base', 0],
      ['head', 0],
      ['head', 1],
      ['base', 0],
    ]);
    expect(report).toMatchObject({ outcome: 'inconclusive', exit_code: 3 });
    expect(lines.some((l) => l.includes('CRASHED: the bench exited with code 1 and wrote no results.json'))).toBe(true);
    expect(renderAbMarkdown(report, outcomes)).toContain('- NEW run 2026-01-01T00-00-02_abcdef: crashed:');

    const refusing = await runAb(
      {
        base: 'base',
        head: 'head',
        repeat: 2,
        outDir: freshOut(),
        benchArgs: [],
        timeoutS: 60,
        gate: { alpha: 0.05, minRuns: 2 },
      },
      {
        prepare: (label) => Promise.resolve(stubSide(label, label === 'base' ? 'refuse' : 'results')),
        services: () => undefined,
        bench: (s) => runBench({ ...s, env: process.env, graceMs: 2000 }),
        log: () => undefined,
        signal: new AbortController().signal,
      },
    );
    expect(refusing.report).toMatchObject({ outcome: 'error', exit_code: 2 });
    expect(refusing.report.runs).toHaveLength(1);
    expect(refusing.report.error).toContain('Unknown argument: new-option');
  }, 120_000);
});

describe('vitals-bench ab and compare on the command line', () => {
  it('--help states the four exit codes', async () => {
    for (const command of ['ab', 'compare']) {
      const res = await runCli([command, '--help']);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('Exit codes:');
      expect(res.stdout).toContain('3  inconclusive');
      expect(res.stdout).toContain('[default: 0.01]');
    }
  });

  it('a non-empty --out is refused (exit 2, one line), before anything is built', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ab-out-'));
    writeFileSync(join(out, 'old-run.txt'), 'an earlier A/B');
    const res = await runCli([
      'ab',
      '--base',
      'HEAD',
      '--out',
      out,
      '--no-services',
      '--',
      '--duration',
      '5',
      '--batch-interval',
      '2',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')[0]).toMatch(/^vitals-bench: --out .* is not empty \(1 entry\)/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('bench options that make more than one run are refused (exit 2)', async () => {
    const res = await runCli(['ab', '--base', 'HEAD', '--no-services', '--', '--rate', '100,200']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('must make one run');
  });

  it('every bench crashing (unreachable broker) is inconclusive, exit 3, with compare.md saying why', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ab-real-')), 'ab');
    const res = await runCli(
      [
        'ab',
        '--base',
        'HEAD',
        '--head',
        'HEAD',
        '--repeat',
        '1',
        '--no-services',
        '--out',
        out,
        '--',
        '--duration',
        '5',
        '--batch-interval',
        '2',
        '--warmup',
        '1',
      ],
      900_000,
      { ...process.env, KAFKA_BROKERS: '127.0.0.1:1' },
    );
    const md = existsSync(join(out, 'compare.md')) ? readFileSync(join(out, 'compare.md'), 'utf8') : '';
    expect(res.code, `${res.stderr.slice(-2000)}\n${md}`).toBe(3);
    expect(md).toContain('**Result: INCONCLUSIVE** (exit 3)');
    expect(md).toContain('### Runs left out');
    expect(md).toMatch(/- BASE run .*: crashed: the bench exited with code 1/);
    expect(md).toMatch(/- NEW run .*: crashed: the bench exited with code 1/);
    const json = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as {
      outcome: string;
      ab: { order: string[]; runs: Array<{ exit: { code: number } }> };
    };
    expect(json.outcome).toBe('inconclusive');
    expect(json.ab.order).toEqual(['base', 'head']);
    expect(json.ab.runs.map((r) => r.exit.code)).toEqual([1, 1]);
    expect(readFileSync(join(out, 'ab.log'), 'utf8')).toMatch(
      /\[ab \d{4}-\d{2}-\d{2}T[\d:.]+Z\] run 1\/2 base .*CRASHED/,
    );
  }, 900_000);
});
