/**
 * The engines table: the run section (a row per mode, the observer's figures with the built-in
 * headline beside them, n/a where a figure does not apply) and the combined table of
 * `bench --engines` (each engine alone and together, medians and spreads over the runs).
 */
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  enginesBenchCsv,
  enginesMarkdown,
  enginesTable,
  writeEnginesReport,
} from '../../../../src/harness/report/engines-bench.js';
import { engineRows, enginesCsv } from '../../../../src/harness/report/engines-table.js';
import { engines } from '../../../../src/harness/report/sections/engines.js';
import type { EnginesRuns, LatencySummary, RunResult } from '../../../../src/results/schema.js';
import { hist, makeExternalRunResult, range } from '../fixture.js';

/** CSV rows as records (the cells here hold no comma or quote). */
function parse(csv: string, _o: { columns: true }): Array<Record<string, string>> {
  const [head, ...lines] = csv.trim().split('\n');
  const cols = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((c, i) => [cols[i]!, c])));
}

const summary = (from: number, to: number, step = 1): LatencySummary => hist(range(from, to, step)).summary();

/** The external fixture with the observer's block: every mode seen by the one poller. */
function observed(shift = 0): RunResult {
  const r = makeExternalRunResult();
  r.observation = {
    poll_interval_ms: 1,
    priority: 'nice -5',
    rounds: 9000,
    queries_per_s: 250,
    cpu_ms: 1200,
    round_gap_ms: { p50: 3, p99: 5, max: 9 },
    swept_late: 0,
    failed_rounds: 0,
    visibility_latency: {
      stream: summary(4 + shift, 44 + shift),
      batch: summary(3002, 7002, 100),
      spark: summary(902, 4002, 100),
    },
    visibility_bound: { stream: summary(1, 4), batch: summary(1, 5), spark: summary(2, 6) },
    commit_latency: { stream: summary(2, 40), batch: summary(3000, 7000, 100) },
  };
  return r;
}

describe('engines section of a run', () => {
  it('gives every mode the observer latency and resolution; the built-in ones also their t_committed headline', () => {
    const r = observed();
    const rows = engineRows(r);
    expect(rows.map((e) => e.mode)).toEqual(['stream', 'batch', 'spark']);
    const [stream, batch, spark] = rows;
    expect(stream!.visible).toMatchObject({
      count: r.observation!.visibility_latency.stream!.count,
      p50: r.observation!.visibility_latency.stream!.p50,
    });
    expect(stream!.resolution_ms).toBe(r.observation!.visibility_bound.stream!.p99);
    expect(stream!.committed?.p99).toBe(r.modes[0]!.event_time_latency.p99);
    expect(spark!.committed).toBeUndefined();
    expect(spark!.startup_s).toBe(9.6);
    // A run before the built-in modes' start-up was recorded: n/a.
    expect(stream!.startup_s).toBeUndefined();
    r.modes[0]!.startup_s = 1.4;
    expect(engineRows(r)[0]!.startup_s).toBe(1.4);
    // Batch is charged its passes and ingest, as the cost section counts it.
    expect(batch!.cost_roles).toBe('batch+ingest');
    expect(batch!.cpu_ms_per_1000).toBe(r.cost!.attributed!.batch!.cpu_ms_per_1000_above_idle);
    expect(batch!.cpu_basis).toBe('above_idle');
    // Spark declared no window rule: its window agreement is n/a, not 1.
    expect(spark!.jaccard_record).toBe(1);
    expect(spark!.jaccard_window).toBeUndefined();
  });

  it('prints n/a, never 0, where a figure does not apply', () => {
    const r = observed();
    const md = engines.render(r, { charts: [] }).join('\n\n');
    expect(md.split('\n')[0]).toBe('## Engines');
    const sparkLine = md.split('\n').find((l) => l.startsWith('| spark (external)'))!;
    const cells = sparkLine.split('|').map((c) => c.trim());
    // committed n, p50, p99 and Jaccard window are n/a for an external job.
    expect(cells[8]).toBe('n/a');
    expect(cells[9]).toBe('n/a');
    expect(cells[15]).toBe('n/a');
    expect(md).toContain('Visibility latency');
    expect(md).toContain('Event-time latency');
  });

  it('writes engines.csv with empty cells where a figure does not apply', () => {
    const rows = parse(enginesCsv(observed()), { columns: true });
    expect(rows.map((x) => x.mode)).toEqual(['stream', 'batch', 'spark']);
    expect(rows[2]!.committed_p50_ms).toBe('');
    expect(rows[1]!.cost_processes).toBe('batch+ingest');
    expect(Number(rows[0]!.visible_count)).toBeGreaterThan(0);
  });

  it('without an observation block (runs before it) the built-in modes have no visible latency, the external job its own poll', () => {
    const r = makeExternalRunResult();
    const rows = engineRows(r);
    expect(rows[0]!.visible).toBeUndefined();
    expect(rows[2]!.visible?.p50).toBe(r.external!.jobs[0]!.result_latency.p50);
    expect(rows[2]!.resolution_ms).toBe(196);
  });
});

/** Runs of `--engines stream,spark`: each alone twice, then together twice. */
function benchRuns(): Array<{ dir: string; setting: 'alone' | 'together'; engines: string[]; result: RunResult }> {
  const only = (r: RunResult, modes: string[]): RunResult => {
    r.modes = r.modes.filter((m) => modes.includes(m.mode));
    if (!modes.includes('spark')) delete r.external;
    return r;
  };
  return [
    { dir: 'run-a1', setting: 'alone', engines: ['stream'], result: only(observed(0), ['stream']) },
    { dir: 'run-a2', setting: 'alone', engines: ['stream'], result: only(observed(10), ['stream']) },
    { dir: 'run-s1', setting: 'alone', engines: ['spark'], result: only(observed(0), ['spark']) },
    {
      dir: 'run-t1',
      setting: 'together',
      engines: ['stream', 'spark'],
      result: only(observed(20), ['stream', 'spark']),
    },
    {
      dir: 'run-t2',
      setting: 'together',
      engines: ['stream', 'spark'],
      result: only(observed(30), ['stream', 'spark']),
    },
  ];
}

const ENGINES: EnginesRuns = { engines: ['stream', 'spark'], repeat: 2, options: {}, runs: [], failed: [] };

describe('combined engines table', () => {
  it('has a row per engine and setting with the median and spread of the runs of that setting', () => {
    const runs = benchRuns();
    const rows = enginesTable(ENGINES.engines, runs);
    expect(rows.map((x) => `${x.engine} ${x.setting} ${x.runs}`)).toEqual([
      'stream alone 2',
      'spark alone 1',
      'stream together 2',
      'spark together 2',
    ]);
    const p50s = [runs[0]!, runs[1]!].map((x) => x.result.observation!.visibility_latency.stream!.p50);
    const s = rows[0]!.figures.visible_p50_ms!;
    expect(s).toEqual({ n: 2, median: (p50s[0]! + p50s[1]!) / 2, min: Math.min(...p50s), max: Math.max(...p50s) });
    expect(rows[1]!.figures.committed_p50_ms).toBeUndefined();
    expect(rows[1]!.figures.startup_s?.median).toBe(9.6);
  });

  it("renders engines.md with n/a, the run folders linked and each run's warnings kept", () => {
    const runs = benchRuns();
    runs[3]!.result.warnings = ['the results observer resolution was above its target'];
    const md = enginesMarkdown(
      { ...ENGINES, failed: [{ setting: 'alone', engines: ['spark'], error: 'never ready' }] },
      runs,
    );
    expect(md).toContain('| spark | alone | 1 |');
    expect(md).toContain('[run-t1](run-t1/report.md)');
    expect(md).toContain('  - the results observer resolution was above its target');
    expect(md).toContain('- alone (spark): never ready');
    const sparkAlone = md.split('\n').find((l) => l.startsWith('| spark | alone'))!;
    expect(sparkAlone).toContain('n/a');
    const csv = parse(enginesBenchCsv(ENGINES, runs), { columns: true });
    expect(csv[0]).toMatchObject({ engine: 'stream', setting: 'alone', runs: '2', visible_p50_ms_n: '2' });
    expect(csv[1]!.committed_p50_ms_median).toBe('');
  });

  it('writes engines.json, .md and .csv from the run folders, and renders them again from engines.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'engines-'));
    const runs = benchRuns();
    for (const r of runs) {
      await mkdir(join(dir, r.dir));
      await writeFile(join(dir, r.dir, 'results.json'), JSON.stringify(r.result));
    }
    const e: EnginesRuns = {
      ...ENGINES,
      runs: runs.map(({ dir: d, setting, engines: en }) => ({ dir: d, setting, engines: en })),
    };
    expect(await writeEnginesReport(dir, e)).toEqual(['engines.json', 'engines.md', 'engines.csv']);
    const first = await readFile(join(dir, 'engines.md'), 'utf8');
    const json = JSON.parse(await readFile(join(dir, 'engines.json'), 'utf8')) as EnginesRuns & { table: unknown[] };
    expect(json.table).toHaveLength(4);
    await writeEnginesReport(dir, json);
    expect(await readFile(join(dir, 'engines.md'), 'utf8')).toBe(first);
  });
});
