/**
 * `bench --engines` on the real services: stream, batch and the fixture external job, each
 * alone and then together, in one command; the combined table's figures are the runs' own
 * (their results.json), and an unknown engine is refused before anything starts.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineRows } from '../../src/harness/report/engines-table.js';
import type { EnginesRuns, RunResult } from '../../src/results/schema.js';
import { runCli } from './helpers.js';

const out = mkdtempSync(join(tmpdir(), 'vitals-engines-'));

interface TableRow {
  engine: string;
  setting: 'alone' | 'together';
  runs: number;
  figures: Record<string, { n: number; median: number; min: number; max: number } | undefined>;
}

describe('bench --engines (docs/BENCHMARK.md) on the real services', () => {
  it('refuses an unknown engine with one line, exit 2', async () => {
    const { code, stderr } = await runCli(['bench', '--engines', 'stream,storm', '--no-services', '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toContain('--engines: unknown engine "storm"');
  });

  it("runs each engine alone, then all together, and tables the runs' own figures", async () => {
    const { code, stdout, stderr } = await runCli(
      [
        'bench',
        '--engines',
        'stream,batch,fixture',
        '--external',
        'fixture=node test/fixtures/external-job.mjs',
        '--rate',
        '200',
        '--duration',
        '4',
        '--warmup',
        '2',
        '--batch-interval',
        '2',
        '--patients',
        '20',
        '--rules',
        'seed',
        '--external-quiet-s',
        '2',
        '--topic-prefix',
        'engines_',
        '--out',
        out,
        '--quiet',
        '--no-history',
        '--no-services',
      ],
      240_000,
    );
    expect(code, stdout + stderr).toBe(0);
    const [folder] = readdirSync(out).filter((f) => f.startsWith('engines_'));
    const dir = join(out, folder!);
    const e = JSON.parse(readFileSync(join(dir, 'engines.json'), 'utf8')) as EnginesRuns & { table: TableRow[] };
    expect(e.runs.map((r) => `${r.setting}:${r.engines.join('+')}`)).toEqual([
      'alone:stream',
      'alone:batch',
      'alone:fixture',
      'together:stream+batch+fixture',
    ]);
    expect(e.table.map((r) => `${r.engine} ${r.setting} ${r.runs}`)).toEqual([
      'stream alone 1',
      'batch alone 1',
      'fixture alone 1',
      'stream together 1',
      'batch together 1',
      'fixture together 1',
    ]);
    for (const run of e.runs) {
      const result = JSON.parse(readFileSync(join(dir, run.dir, 'results.json'), 'utf8')) as RunResult;
      // Each run had only its setting's modes (ingest always runs: batch alone still has it).
      expect([...result.modes.map((m) => m.mode), ...(result.external?.jobs ?? []).map((j) => j.name)]).toEqual(
        run.engines,
      );
      for (const own of engineRows(result)) {
        const row = e.table.find((r) => r.engine === own.mode && r.setting === run.setting)!;
        expect(row.figures.visible_p50_ms?.median, `${run.setting} ${own.mode}`).toBe(own.visible?.p50);
        expect(row.figures.cpu_ms_per_1000_readings?.median).toBe(own.cpu_ms_per_1000);
        expect(row.figures.committed_p99_ms?.median).toBe(own.committed?.p99);
      }
    }
    const batchAlone = e.table.find((r) => r.engine === 'batch' && r.setting === 'alone')!;
    expect(batchAlone.figures.visible_p50_ms?.n).toBe(1);
    expect(batchAlone.figures.cpu_ms_per_1000_readings?.n).toBe(1);
    // An external job has no t_committed: n/a, never 0.
    const fixture = e.table.find((r) => r.engine === 'fixture' && r.setting === 'together')!;
    expect(fixture.figures.committed_p50_ms).toBeUndefined();
    expect(fixture.figures.startup_s?.n).toBe(1);
    const md = readFileSync(join(dir, 'engines.md'), 'utf8');
    expect(md).toContain('| batch (CPU of batch+ingest) | alone | 1 |');
    expect(readFileSync(join(dir, 'engines.csv'), 'utf8').split('\n')[0]).toMatch(/^engine,setting,runs,/);
    // Re-rendered from engines.json and the run folders, the table is the same.
    const again = await runCli(['report', dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(dir, 'engines.md'), 'utf8')).toBe(md);
  }, 300_000);
});
