/**
 * The four outcomes of a comparison (outcome.ts) on built runs: pass (0), fail (1), inconclusive
 * (3) from compareRuns; usage and harness errors (2) from the command.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../../../src/cli/args.js';
import { checkGateOptions, compareCommand } from '../../../../../src/cli/compare-command.js';
import { PROJECT_ROOT } from '../../../../../src/config.js';
import { FIGURES, GATE_DEFAULTS } from '../../../../../src/harness/measure/figures.js';
import { compareRuns, exitCode } from '../../../../../src/harness/track/compare/compare.js';
import { EXIT_CODES } from '../../../../../src/harness/track/compare/outcome.js';
import { renderMarkdown } from '../../../../../src/harness/track/compare/render.js';
import { runsWith, tempDir, writeRunFolders } from './helpers.js';

const P50 = 'stream.event_time_p50';
/** Five values per side that do not overlap: p = 2/252 at 5 vs 5. */
const spreadOf = (base: number) => (i: number) => ({ p50: base + i });

describe('comparison outcomes', () => {
  it('A/A: the same figures on both sides pass (exit 0)', () => {
    const c = compareRuns(runsWith('B', 5, spreadOf(10)), runsWith('N', 5, spreadOf(10)));
    expect(c.outcome).toBe('pass');
    expect(exitCode(c)).toBe(EXIT_CODES.pass);
    expect(c.left_out).toEqual([]);
    expect(c.inconclusive).toEqual([]);
  });

  it('a real regression fails (exit 1)', () => {
    const c = compareRuns(runsWith('B', 5, spreadOf(10)), runsWith('N', 5, spreadOf(30)));
    expect(c.regressions).toEqual([P50]);
    expect(c.outcome).toBe('fail');
    expect(exitCode(c)).toBe(1);
  });

  it('one missing run (5 vs 4) is inconclusive (exit 3), not a pass, and says why', () => {
    const c = compareRuns(runsWith('B', 5, spreadOf(10)), runsWith('N', 4, spreadOf(3)));
    expect(c.outcome).toBe('inconclusive');
    expect(exitCode(c)).toBe(3);
    // At alpha 0.01 the exact two-sided test at 4 vs 5 cannot reach it: 2/126.
    expect(c.inconclusive).toEqual([
      'NEW has 4 valid runs, 5 needed (--min-runs); at 4 vs 5 runs the smallest p the test can give is 0.016, not below alpha 0.01',
    ]);
    // The -70% is shown, not judged.
    expect(c.metrics.find((m) => m.key === P50)).toMatchObject({ verdict: 'too few samples' });
    expect(renderMarkdown(c)).toContain('**Result: INCONCLUSIVE** (exit 3): NEW has 4 valid runs, 5 needed');
    // A user who wants 4 a side says so, with an alpha the test can reach at 4 vs 5.
    expect(
      compareRuns(runsWith('B', 5, spreadOf(10)), runsWith('N', 4, spreadOf(3)), { minRuns: 4, alpha: 0.02 }).outcome,
    ).toBe('pass');
  });

  it('a crashed run is left out and named at the top; the comparison cannot pass', () => {
    const c = compareRuns(runsWith('B', 5, spreadOf(10)), runsWith('N', 5, spreadOf(10)), {}, [
      { side: 'NEW', run: 'ab run 6 (head)', problems: ['the bench exited with code 1 before it made a run folder'] },
    ]);
    expect(c.outcome).toBe('inconclusive');
    expect(exitCode(c)).toBe(3);
    expect(c.new).toMatchObject({ runs: 6, valid: 5 });
    expect(c.left_out).toEqual([
      {
        side: 'NEW',
        run: 'ab run 6 (head)',
        why: 'crashed',
        problems: ['the bench exited with code 1 before it made a run folder'],
      },
    ]);
    const md = renderMarkdown(c);
    const lines = md.split('\n');
    expect(lines[2]).toMatch(/^\*\*Result: INCONCLUSIVE\*\* \(exit 3\): 1 run left out \(1 crashed\)/);
    const leftOut = lines.indexOf('### Runs left out');
    expect(leftOut).toBeGreaterThan(0);
    expect(leftOut).toBeLessThan(lines.findIndex((l) => l.startsWith('| metric |')));
    expect(lines[leftOut + 2]).toBe(
      '- NEW run ab run 6 (head): crashed: the bench exited with code 1 before it made a run folder',
    );
  });

  it('every run crashed: inconclusive, never a pass', () => {
    const crashed = ['BASE', 'NEW'].map((side) => ({
      side: side as 'BASE' | 'NEW',
      run: `ab run (${side})`,
      problems: ['the bench exited with code 1 before it made a run folder'],
    }));
    const c = compareRuns([], [], {}, crashed);
    expect(c.outcome).toBe('inconclusive');
    expect(c.base).toMatchObject({ runs: 1, valid: 0 });
    const md = renderMarkdown(c);
    expect(md).toContain('- No NEW run finished: nothing to check.');
    expect(md).toContain('No figure to compare: no valid run recorded one on either side.');
    expect(md).toContain('- Workload: not known (no run finished)');
    expect(md).toContain('for the worse beyond 10.0% with p < 0.01');
  });

  it('runs whose generator fell behind are left out as invalid, with the reason', () => {
    const next = runsWith('N', 6, (i) => ({ ...spreadOf(10)(i), fellBehind: i === 5 }));
    const c = compareRuns(runsWith('B', 5, spreadOf(10)), next);
    expect(c.outcome).toBe('inconclusive');
    expect(c.left_out).toHaveLength(1);
    expect(c.left_out[0]).toMatchObject({ side: 'NEW', run: 'N-6', why: 'invalid' });
    expect(c.left_out[0]!.problems[0]).toContain('the load generator fell behind its schedule (send delay p99 2500 ms');
    // Its figures are not among the values judged.
    expect(c.metrics.find((m) => m.key === P50)!.values.new).toHaveLength(5);
    expect(renderMarkdown(c)).toContain('- NEW run N-6: not a valid measurement: the load generator fell behind');
  });

  it('a regression seen among valid runs while runs were left out: inconclusive, the regression named', () => {
    const next = runsWith('N', 6, (i) => ({ ...spreadOf(30)(i), fellBehind: i === 5 }));
    const c = compareRuns(runsWith('B', 5, spreadOf(10)), next);
    expect(c.regressions).toEqual([P50]);
    expect(c.outcome).toBe('inconclusive');
    expect(renderMarkdown(c)).toContain('among the valid runs: 1 regression (stream event-time p50)');
  });

  it('a broken invariant fails even when the rest is inconclusive', () => {
    const next = runsWith('N', 2);
    next[0]!.storage.duplicates = 3;
    const c = compareRuns(runsWith('B', 5), next);
    expect(c.outcome).toBe('fail');
    expect(exitCode(c)).toBe(1);
  });

  it('a gated figure the NEW runs no longer record is inconclusive; one BASE did not record yet is a note', () => {
    const base = runsWith('B', 5);
    const next = runsWith('N', 5);
    for (const r of next)
      r.batch_passes = [{ pass: 1, readings: 1, alerts: 0, windows: 0, duration_ms: 50, final: false }];
    const newer = compareRuns(base, next);
    expect(newer.outcome).toBe('pass');
    expect(newer.notes).toEqual([
      'batch pass duration (median of a run): not recorded by the BASE runs (shown, not judged)',
    ]);
    const older = compareRuns(next, base);
    expect(older.outcome).toBe('inconclusive');
    expect(older.inconclusive).toEqual([
      'batch pass duration (median of a run): recorded by the BASE runs, by none of the NEW runs',
    ]);
    // Recorded by only some valid runs: not enough to judge it.
    delete next[4]!.batch_passes;
    delete next[3]!.batch_passes;
    const partial = compareRuns(next, next);
    expect(partial.outcome).toBe('inconclusive');
    expect(partial.inconclusive[0]).toMatch(
      /batch pass duration .*: recorded by 3 of 5 valid BASE and 3 of 5 valid NEW runs/,
    );
  });
});

describe('only figures that mean what they say gate', () => {
  it("the stream's rate while busy (a lower bound) is context: a -70% change is shown, never a regression", () => {
    // The commit that made the stream's p50 ten times faster also overlapped fetch and commit,
    // which inflates the busy time the rate divides by.
    const base = runsWith('B', 5, (i) => ({ p50: 33 + i, busyRate: 30_000 + i }));
    const next = runsWith('N', 5, (i) => ({ p50: 3 + i / 10, busyRate: 9_000 + i }));
    const c = compareRuns(base, next);
    const busy = c.metrics.find((m) => m.key === 'stream.processing_rate_while_busy')!;
    expect(busy).toMatchObject({ gates: false, verdict: 'not gated' });
    expect(busy.change!).toBeLessThan(-0.69);
    expect(busy.p!).toBeLessThan(0.01);
    expect(busy.not_gated_because).toMatch(/lower bound/);
    expect(c.regressions).toEqual([]);
    expect(c.improvements).toEqual([P50]);
    expect(c.outcome).toBe('pass');
  });

  it('the defaults are the docs/CI.md rule: alpha 0.01, 10%, 5 runs a side', () => {
    expect(GATE_DEFAULTS).toEqual({ alpha: 0.01, threshold: 0.1, minRuns: 5 });
    expect(compareRuns(runsWith('B', 5), runsWith('N', 5)).options).toEqual({
      threshold: null,
      alpha: 0.01,
      min_runs: 5,
    });
  });
});

describe('compare command: errors exit 2 with one line', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a rule that could never flag anything is a usage error', () => {
    expect(() => checkGateOptions({ alpha: 0.01, minRuns: 3 })).toThrow(
      /--min-runs 3 with --alpha 0.01 could never flag a change: at 3 runs a side the smallest p the test can give is 0.100; use --min-runs 5 or more/,
    );
    expect(() => checkGateOptions({ alpha: 0.01, minRuns: 4 })).toThrow(UsageError);
    expect(checkGateOptions({ alpha: 0.01, minRuns: 5 })).toEqual({ alpha: 0.01, minRuns: 5 });
    expect(checkGateOptions({ alpha: 0.05, minRuns: 4, threshold: 0.2 })).toEqual({
      alpha: 0.05,
      minRuns: 4,
      threshold: 0.2,
    });
  });

  it('a harness error (a results.json the comparison cannot read) is exit 2 with a one-line message, no stack', () => {
    const root = tempDir();
    const base = runsWith('B', 5);
    const broken = runsWith('N', 5);
    // It reads as a run (schema_version, parameters, input, storage, modes) but a mode is not one.
    (broken[0] as unknown as { modes: unknown[] }).modes = [null];
    writeRunFolders(join(root, 'base'), base);
    writeRunFolders(join(root, 'new'), broken);
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    expect(compareCommand({ base: join(root, 'base'), new: join(root, 'new'), alpha: 0.01, minRuns: 5 })).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^vitals-bench compare: harness error: .+\n$/);
    expect(err[0]).not.toMatch(/\n\s+at /);
  });

  it('a run folder without results.json counts as a crashed run (exit 3)', () => {
    const root = tempDir();
    writeRunFolders(join(root, 'base'), runsWith('B', 5));
    writeRunFolders(join(root, 'new'), runsWith('N', 5));
    const crashed = join(root, 'new', '2026-01-01T00-00-00_abcdef');
    mkdirSync(crashed);
    writeFileSync(join(crashed, 'pipelines.log'), 'stream pipeline exited with code 1\n');
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(compareCommand({ base: join(root, 'base'), new: join(root, 'new'), alpha: 0.01, minRuns: 5 })).toBe(3);
    expect(out.join('')).toContain('- NEW run 2026-01-01T00-00-00_abcdef: crashed: no results.json in ');
    // A side of crashed runs only is no input error either: inconclusive.
    const onlyCrashed = join(root, 'only');
    mkdirSync(join(onlyCrashed, '2026-01-01T00-00-01_abcdef'), { recursive: true });
    expect(compareCommand({ base: join(root, 'base'), new: onlyCrashed, alpha: 0.01, minRuns: 5 })).toBe(3);
  });
});

describe('compare --across', () => {
  afterEach(() => vi.restoreAllMocks());

  it('two values of one sweep folder: the header names the option and both values', () => {
    const root = tempDir();
    const runs = [...runsWith('I2', 5, (i) => ({ p50: 10 + i })), ...runsWith('I10', 5, (i) => ({ p50: 40 + i }))];
    runs.forEach((r, i) => (r.parameters.batchInterval = i < 5 ? 2 : 10));
    writeRunFolders(root, runs);
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const code = compareCommand({ base: root, new: root, alpha: 0.01, minRuns: 5, across: 'batch-interval=2,10' });
    expect(code).toBe(1);
    const md = out.join('');
    expect(md).toContain('- Across `--batch-interval`: BASE 2, NEW 10; every other compared parameter is the same.');
    expect(md).toContain('- BASE: 5 runs (I2-1, I2-2, I2-3, I2-4, I2-5)');
    // Without --across the sides are refused; with it but no values, a side with both values is refused.
    expect(() => compareCommand({ base: root, new: root, alpha: 0.01, minRuns: 5 })).toThrow(/"batchInterval" differs/);
    expect(() => compareCommand({ base: root, new: root, alpha: 0.01, minRuns: 5, across: 'batch-interval' })).toThrow(
      /the BASE runs differ in "batchInterval" among themselves/,
    );
    expect(() =>
      compareCommand({ base: root, new: root, alpha: 0.01, minRuns: 5, across: 'batch-interval=2,30' }),
    ).toThrow(/no NEW run at .* has batch-interval 30 \(its runs have 2, 10\)/);
    expect(() =>
      compareCommand({ base: root, new: root, alpha: 0.01, minRuns: 5, across: 'batch-interval=2' }),
    ).toThrow(/give two values/);
  });
});

describe('docs/CI.md states the declared rule', () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'docs', 'CI.md'), 'utf8').replace(/\s+/g, ' ');

  it('the defaults of GATE_DEFAULTS', () => {
    expect(readme).toContain(`\`--alpha\` (default ${GATE_DEFAULTS.alpha})`);
    expect(readme).toContain(`\`--min-runs\` (default ${GATE_DEFAULTS.minRuns})`);
    expect(readme).toContain(`(${GATE_DEFAULTS.threshold * 100}% for every gated figure;`);
    for (const f of FIGURES.filter((x) => x.gate.gates))
      expect(f.gate).toMatchObject({ threshold: GATE_DEFAULTS.threshold });
  });

  it('the four exit codes', () => {
    for (const [outcome, code] of Object.entries(EXIT_CODES)) expect(readme).toContain(`| ${code} | ${outcome} |`);
  });
});
