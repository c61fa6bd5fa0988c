/**
 * Writes a run's (or a sweep's) report directory:
 *   results.json, summary.csv, latency.csv, timeseries.csv,
 *   latency_percentiles.svg, throughput.svg, p99_over_time.svg, report.md
 * results.json is written first, so a report that fails to render can be redone with
 * rerenderReport(dir) (`vitals-bench report DIR`).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { decodeCurves } from '../histogram.js';
import type { RunResult, SweepResult } from '../results.js';
import { faultWindows, latencyPercentileChart, p99OverTimeChart, sweepLatencyChart, sweepThroughputChart, throughputChart } from './charts.js';
import { latencyCsv, summaryCsv, timeseriesCsv } from './csv.js';
import { renderMarkdown, renderSweepMarkdown } from './markdown.js';
import type { ChartRef } from './markdown.js';

export const RUN_FILES = [
  'results.json',
  'summary.csv',
  'latency.csv',
  'timeseries.csv',
  'latency_percentiles.svg',
  'throughput.svg',
  'p99_over_time.svg',
  'report.md',
] as const;

export const SWEEP_FILES = ['sweep.json', 'sweep.csv', 'sweep_latency.svg', 'sweep_throughput.svg', 'report.md'] as const;

/** Render each chart; a chart that fails is left out (with a warning) rather than losing the report. */
async function writeCharts(dir: string, charts: Array<{ name: string; file: string; render: () => Promise<string> }>): Promise<ChartRef[]> {
  const done: ChartRef[] = [];
  for (const c of charts) {
    try {
      await writeFile(join(dir, c.file), await c.render());
      done.push({ name: c.name, file: c.file });
    } catch (err) {
      console.warn(`chart ${c.file} not rendered: ${(err as Error).message}`);
    }
  }
  return done;
}

/** Everything but results.json. Returns the file names written. */
async function renderRunFiles(dir: string, result: RunResult): Promise<string[]> {
  await writeFile(join(dir, 'summary.csv'), summaryCsv(result));
  await writeFile(join(dir, 'latency.csv'), latencyCsv(result));
  await writeFile(join(dir, 'timeseries.csv'), timeseriesCsv(result));
  const curves = decodeCurves(result.histograms);
  const charts = await writeCharts(dir, [
    { name: 'Latency by percentile (event-time and processing-time, per mode)', file: 'latency_percentiles.svg', render: () => latencyPercentileChart(curves) },
    { name: 'Throughput over time (offered, achieved, output per mode)', file: 'throughput.svg', render: () => throughputChart(result.timeseries, { faults: faultWindows(result.faults) }) },
    { name: 'p99 event-time latency over time per mode', file: 'p99_over_time.svg', render: () => p99OverTimeChart(result.timeseries, { faults: faultWindows(result.faults) }) },
  ]);
  await writeFile(join(dir, 'report.md'), renderMarkdown(result, charts));
  return ['summary.csv', 'latency.csv', 'timeseries.csv', ...charts.map((c) => c.file), 'report.md'];
}

/** Write the full report of one run into dir (created if missing). Returns the file names written. */
export async function writeRunReport(dir: string, result: RunResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.json'), JSON.stringify(result, null, 2) + '\n');
  return ['results.json', ...(await renderRunFiles(dir, result))];
}

/** Read a run's results.json. Throws if it is not schema_version 1. */
export async function readRunResult(dir: string): Promise<RunResult> {
  const parsed = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Partial<RunResult>;
  if (parsed.schema_version !== 1) {
    throw new Error(`${join(dir, 'results.json')}: unsupported schema_version ${String(parsed.schema_version)} (expected 1)`);
  }
  return parsed as RunResult;
}

/** `vitals-bench report DIR`: re-render everything from dir/results.json (which is left untouched). */
export async function rerenderReport(dir: string): Promise<string[]> {
  return renderRunFiles(dir, await readRunResult(dir));
}

/** sweep.csv: one row per (run, mode), sorted by offered rate. Latency cells empty when no samples. */
export function sweepCsv(sweep: SweepResult): string {
  const rows: Array<Array<string | number>> = [];
  const runs = [...sweep.runs].sort((x, y) => x.result.input.offered_rate - y.result.input.offered_rate);
  for (const { dir, result: r } of runs) {
    for (const m of r.modes) {
      const e = m.event_time_latency;
      rows.push([
        r.run_id,
        dir,
        r.input.offered_rate,
        r.input.achieved_rate,
        r.input.send_delay.count ? r.input.send_delay.p99 : '',
        r.input.generator_fell_behind ? 1 : 0,
        m.mode,
        e.count,
        e.count ? e.p50 : '',
        e.count ? e.p99 : '',
        e.count ? e.max : '',
        m.output_rate,
        r.complete ? 1 : 0,
        r.verdict.passed ? 1 : 0,
      ]);
    }
  }
  return stringify(rows, {
    header: true,
    columns: [
      'run_id', 'dir', 'offered_rate', 'achieved_rate', 'send_delay_p99_ms', 'generator_fell_behind', 'mode',
      'event_time_count', 'event_time_p50_ms', 'event_time_p99_ms', 'event_time_max_ms', 'output_rate', 'complete', 'passed',
    ],
  });
}

/** Write a sweep's report (sweep.json, sweep.csv, charts, report.md) into dir. Per-run reports are written separately. */
export async function writeSweepReport(dir: string, sweep: SweepResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'sweep.json'), JSON.stringify(sweep, null, 2) + '\n');
  await writeFile(join(dir, 'sweep.csv'), sweepCsv(sweep));
  const charts = await writeCharts(dir, [
    { name: 'Event-time latency p50/p99 vs offered rate', file: 'sweep_latency.svg', render: () => sweepLatencyChart(sweep) },
    { name: 'Achieved input and output rate vs offered rate', file: 'sweep_throughput.svg', render: () => sweepThroughputChart(sweep) },
  ]);
  await writeFile(join(dir, 'report.md'), renderSweepMarkdown(sweep, charts));
  return ['sweep.json', 'sweep.csv', ...charts.map((c) => c.file), 'report.md'];
}
