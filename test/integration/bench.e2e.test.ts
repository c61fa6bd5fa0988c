import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { loadServiceConfig, PROJECT_ROOT } from '../../src/config.js';
import type { RunResult } from '../../src/results/schema.js';
import { shortWindowBench, writeShortWindowRules } from './helpers.js';

const run = promisify(execFile);
const CLI = join(PROJECT_ROOT, 'dist/src/cli.js');

function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.trim().split('\n');
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

// The product's front door, end to end against the real services: a short bench run with
// short windows (so the drain is quick), then its files, columns and invariants.
describe('vitals-bench bench (end to end)', () => {
  const out = mkdtempSync(join(tmpdir(), 'vitals-bench-e2e-'));
  const rules = writeShortWindowRules(out);

  it('runs, writes every report file, and finds no loss, no duplicates and full record-rule agreement', async () => {
    const { stdout } = await run(
      'node',
      [
        CLI,
        'bench',
        '--rate',
        '300',
        '--duration',
        '6',
        '--warmup',
        '2',
        ...shortWindowBench(rules),
        '--topic-prefix',
        'e2e_',
        '--out',
        out,
        '--quiet',
        '--no-services',
      ],
      { timeout: 240_000 },
    );
    expect(stdout).toMatch(/run .*: PASSED/);
    const dirs = readdirSync(out).filter((d) => d !== 'rules.json');
    expect(dirs).toHaveLength(1);
    const dir = join(out, dirs[0]!);
    const files = readdirSync(dir);
    for (const f of [
      'results.json',
      'summary.csv',
      'latency.csv',
      'timeseries.csv',
      'report.md',
      'report.html',
      'latency_percentiles.svg',
      'throughput.svg',
      'p99_over_time.svg',
      'latency_percentiles.png',
      'throughput.png',
      'p99_over_time.png',
    ]) {
      expect(files).toContain(f);
    }

    const result = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult;
    expect(result.complete).toBe(true);
    expect(result.verdict).toEqual({ passed: true, failures: [] });
    expect(result.input.planned).toBe(300 * 8);
    expect(result.input.acknowledged).toBe(300 * 8);
    expect(result.storage).toMatchObject({ stored: 2400, loss: 0, duplicates: 0 });
    expect(result.warmup.excluded_readings).toBe(600);
    for (const mode of ['stream', 'batch'] as const) {
      const m = result.modes.find((x) => x.mode === mode)!;
      expect(m.event_time_latency.count).toBe(1800);
      expect(m.event_time_latency.p50).toBeGreaterThan(0);
      expect(m.event_time_latency.max).toBeGreaterThanOrEqual(m.event_time_latency.p99);
      expect(m.alerts).toBeGreaterThan(0);
      expect(m.windows).toBeGreaterThan(0);
      // METRICS.md: a window result's latency is measured from its latest reading's t_intended.
      expect(m.window_result_latency?.count).toBeGreaterThan(0);
      expect(m.window_result_latency!.min).toBeGreaterThan(0);
    }
    // Batch results wait for the next pass: its median event-time latency exceeds the stream's.
    const stream = result.modes.find((x) => x.mode === 'stream')!;
    const batch = result.modes.find((x) => x.mode === 'batch')!;
    expect(batch.event_time_latency.p50).toBeGreaterThan(stream.event_time_latency.p50);
    for (const a of result.agreement.filter((x) => x.scope === 'record')) expect(a.jaccard).toBe(1);
    const streamBatchWindows = result.agreement.find(
      (x) => x.a === 'stream' && x.b === 'batch' && x.scope === 'window',
    )!;
    expect(streamBatchWindows.tp).toBeGreaterThan(0);
    if (result.late_readings.length === 0) expect(streamBatchWindows.jaccard).toBe(1);
    for (const key of ['stream.event_time', 'batch.event_time', 'input.send_delay'])
      expect(result.histograms[key]).toBeTruthy();
    expect(result.environment).toMatchObject({ cores: expect.any(Number) as number, node: process.version });
    expect(String(result.environment.database)).toMatch(/MariaDB|^\d/);

    const summary = parseCsv(readFileSync(join(dir, 'summary.csv'), 'utf8'));
    expect(summary.header.slice(0, 3)).toEqual(['mode', 'event_time_p50_ms', 'event_time_p99_ms']);
    expect(summary.rows.map((r) => r[0]).sort()).toEqual(['batch', 'stream']);
    const latency = parseCsv(readFileSync(join(dir, 'latency.csv'), 'utf8'));
    expect(latency.header).toEqual(['mode', 'metric', 'percentile', 'value_ms']);
    expect(new Set(latency.rows.map((r) => `${r[0]}.${r[1]}`))).toContain('stream.event_time');
    const ts = parseCsv(readFileSync(join(dir, 'timeseries.csv'), 'utf8'));
    expect(ts.header).toEqual(
      expect.arrayContaining([
        'second',
        'offered',
        'achieved',
        'output_stream',
        'output_batch',
        'p99_ms_stream',
        'backlog_ingest',
        'backlog_stream',
      ]),
    );
    const offered = ts.rows.reduce((s, r) => s + Number(r[ts.header.indexOf('offered')]), 0);
    expect(offered).toBe(2400);

    // --batch-nice (default 10): batch's path yields the cores to the stream; the stream keeps the harness's.
    const log = readFileSync(join(dir, 'pipelines.log'), 'utf8');
    expect(log).toMatch(/\[harness\] ingest pipeline started \(pid \d+, nice 10\)/);
    expect(log).toMatch(/\[harness\] batch pipeline started \(pid \d+, nice 10\)/);
    expect(log).toMatch(/\[harness\] stream pipeline started \(pid \d+, default\)/);
    expect(result.parameters).toMatchObject({ batchNice: 10 });

    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain(result.run_id);
    expect(md).toContain('METRICS.md');
    expect(readFileSync(join(dir, 'throughput.svg'), 'utf8')).toMatch(/^<svg/);

    // The seed's output table, as a view over the batch results: one row per batch window,
    // with the window's real averages and a status.
    const db = await mysql.createConnection({ uri: loadServiceConfig().mysqlUrl });
    try {
      const [rows] = await db.query(
        `SELECT p.status, p.avg_heart_rate, w.avg_heart_rate AS expected FROM processed_health_data p
           JOIN window_stats w ON w.run_id = p.run_id AND w.mode = 'batch' AND w.patient_id = p.patient_id
            AND w.window_s = p.window_s AND FROM_UNIXTIME(w.window_start / 1000) = p.window_start
          WHERE p.run_id = ?`,
        [result.run_id],
      );
      const view = rows as Array<{ status: string; avg_heart_rate: number; expected: number }>;
      expect(view).toHaveLength(batch.windows);
      for (const v of view) {
        expect(['normal', 'alert']).toContain(v.status);
        expect(v.avg_heart_rate).toBe(v.expected);
      }
      expect(view.some((v) => v.status === 'alert')).toBe(true);
    } finally {
      await db.end();
    }

    // `vitals-bench report DIR` renders the same report again from results.json.
    const before = md;
    await run('node', [CLI, 'report', dir]);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toBe(before);
  }, 300_000);

  it('refuses bad arguments with exit code 2 before anything starts', async () => {
    for (const args of [
      ['--rate', '0'],
      ['--rate', 'fast'],
      ['--modes', 'lambda'],
      ['--threads', '0'],
      ['--rules', '/no/such/rules.json'],
      ['--patients', '0'],
      // Validity before verdict: a measured phase that cannot hold one batch pass is refused before anything starts.
      ['--duration', '5', '--batch-interval', '30'],
    ]) {
      const err = await run('node', [CLI, 'bench', '--no-services', '--out', out, ...args]).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err, args.join(' ')).not.toBeNull();
      expect(err!.code).toBe(2);
      expect(err!.stderr).toMatch(/rate|modes|threads|rules|patients|cannot hold one batch pass/);
    }
    expect(readdirSync(out).filter((d) => d !== 'rules.json' && !d.startsWith('20'))).toEqual([]);
  });
});
