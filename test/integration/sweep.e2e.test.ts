import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult, SweepResult } from '../../src/results/schema.js';
import { runCli, writeShortWindowRules } from './helpers.js';

// A real sweep over --batch-interval, end to end against the real services: two short runs
// with 2 s windows (so each drain is quick), then the sweep folder, its records and the progress.
describe('vitals-bench bench --batch-interval 2,4 (a sweep of a non-rate option, end to end)', () => {
  const out = mkdtempSync(join(tmpdir(), 'vitals-bench-sweep-'));
  const rules = writeShortWindowRules(out);

  it('runs a run per value, records the swept option everywhere, and reports progress for both runs', async () => {
    const res = await runCli(
      [
        'bench',
        '--batch-interval',
        '2,4',
        '--rate',
        '200',
        '--duration',
        '6',
        '--warmup',
        '1',
        '--patients',
        '20',
        '--rules',
        rules,
        '--lateness-ms',
        '500',
        '--idle-ms',
        '500',
        '--topic-prefix',
        'sweepit_',
        '--no-services',
        '--quiet',
        '--out',
        out,
      ],
      400_000,
    );
    expect(res.code, res.stderr.slice(-3000)).toBe(0);

    const sweeps = readdirSync(out).filter((d) => d.startsWith('sweep_'));
    expect(sweeps).toHaveLength(1);
    const dir = join(out, sweeps[0]!);
    const runDirs = readdirSync(dir)
      .filter((d) => statSync(join(dir, d)).isDirectory())
      .sort();
    expect(runDirs).toHaveLength(2);
    const results = runDirs.map((d) => JSON.parse(readFileSync(join(dir, d, 'results.json'), 'utf8')) as RunResult);
    expect(results.map((r) => r.parameters.batchInterval).sort()).toEqual([2, 4]);
    for (const r of results) {
      expect(r.parameters.swept).toEqual({ option: 'batch-interval', value: r.parameters.batchInterval });
      expect(r.parameters.rate).toBe(200);
      expect(r.storage).toMatchObject({ loss: 0, duplicates: 0 });
    }
    expect(runDirs.some((d) => d.endsWith('_batch-interval-2'))).toBe(true);
    expect(runDirs.some((d) => d.endsWith('_batch-interval-4'))).toBe(true);

    const sweep = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as SweepResult;
    expect(sweep.swept).toMatchObject({ option: 'batch-interval', key: 'batchInterval', values: [2, 4] });
    expect(sweep.options).toMatchObject({
      batchInterval: [2, 4],
      rate: 200,
      duration: 6,
      warmup: 1,
      patients: 20,
      latenessMs: 500,
      idleMs: 500,
      topicPrefix: 'sweepit_',
      repeat: 1,
    });
    expect(sweep.runs.map((r) => r.swept_value).sort()).toEqual([2, 4]);

    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('# vitals-bench sweep over --batch-interval');
    expect(md).toContain('## Settings');
    expect(md).toContain('| --batch-interval | 2, 4 (swept) |');
    expect(md).toContain('| --rate | 200 |');
    expect(md).toContain('## Per value of --batch-interval');
    // A run whose generator fell behind on a busy machine is counted, and marked.
    for (const v of ['2', '4'])
      for (const mode of ['stream', 'batch'])
        expect(md).toMatch(new RegExp(`\\| ${v} \\| ${mode} \\| 1( \\(1 measured the machine\\))? \\| \\d`));
    // One run per value: the steps between values are not tested, and the summary states no trend.
    expect(md).toContain('## Across values');
    expect(md).toContain('not tested: 1 and 1 runs');

    expect(existsSync(join(dir, 'sweep_latency_vs_batch-interval.svg'))).toBe(true);
    expect(readFileSync(join(dir, 'sweep_latency_vs_batch-interval.svg'), 'utf8')).toContain('--batch-interval (s)');
    // The cost chart is there exactly when the runs recorded their cost.
    expect(existsSync(join(dir, 'sweep_cost_vs_batch-interval.svg'))).toBe(results.some((r) => r.cost !== undefined));
    expect(existsSync(join(dir, 'sweep_tradeoff.svg'))).toBe(results.some((r) => r.cost !== undefined));
    // Each run timed its idle baseline once drained: batch charged its ingest.
    for (const r of results) expect(r.cost?.attributed?.batch?.roles).toEqual(['batch', 'ingest']);
    for (const r of results) expect(r.cost?.idle?.seconds).toBeGreaterThan(3);
    const csv = readFileSync(join(dir, 'sweep.csv'), 'utf8');
    expect(csv.split('\n')[0]).toContain('swept_value');

    // Progress: a line per run, plain progress lines of both runs (--quiet: no bar, not silence),
    // no counter beyond its total, and no rate after the load has ended.
    const log = res.stderr + res.stdout;
    expect(log).toContain('[bench] run 1/2: --batch-interval 2');
    expect(log).toContain('[bench] run 2/2: --batch-interval 4');
    expect(log).toMatch(/\[bench\] run 1\/2 (warm-up|measuring) \d+\/\d+ s: /);
    expect(log).toMatch(/\[bench\] run 2\/2 (warm-up|measuring) \d+\/\d+ s: /);
    expect(log).toMatch(/\[bench\] run 2\/2 draining \d+ s: load done/);
    for (const m of log.matchAll(/\[bench\] run \d\/2 [a-z -]+ (\d+)\/(\d+) s/g))
      expect(Number(m[1]), m[0]).toBeLessThanOrEqual(Number(m[2]));
    for (const line of log.split('\n').filter((l) => / (draining|final batch pass) \d+ s/.test(l)))
      expect(line).not.toMatch(/offered|achieved/);
    expect(log).toMatch(/sweep report: .*report\.md/);
  }, 420_000);
});
