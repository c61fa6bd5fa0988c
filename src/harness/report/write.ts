/**
 * Writes a run's (or a sweep's) report directory:
 *   results.json, summary.csv, latency.csv, timeseries.csv,
 *   latency_percentiles.svg, throughput.svg, p99_over_time.svg, and stages.svg when the run
 *   has stage figures (a stacked bar per mode; each chart with a .png beside it),
 *   report.md, report.html (self-contained, interactive charts: see html.ts)
 * results.json is written first, so a report that fails to render can be redone with
 * rerenderReport(dir) (`vitals-bench report DIR`).
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { decodeCurves } from '../../results/histogram.js';
import type { RunResult, SweepResult } from '../../results/schema.js';
import type { TopLevelSpec } from 'vega-lite';
import {
  faultWindows,
  latencyPercentileSpec,
  p99OverTimeSpec,
  renderPng,
  renderSvg,
  sweepLatencySpec,
  sweepThroughputSpec,
  throughputSpec,
  withCaption,
} from './charts.js';
import { runCaption, sweepCaption } from './captions.js';
import { latencyCsv, summaryCsv, timeseriesCsv } from './csv.js';
import { enginesCsv } from './engines-table.js';
import { renderReportHtml } from './html.js';
import type { HtmlChart } from './html.js';
import { renderMarkdown } from './sections/index.js';
import { renderSweepMarkdown } from './sweep-markdown.js';
import { sweepChartFiles, sweptCostSpec, sweptLatencySpec } from './sweep-charts.js';
import { attributedCosts, modeViews } from './modes-view.js';
import { cellsOf, gridValueOf, hasCost, sweptOf, sweptValueOf } from './sweep-data.js';
import { TRADEOFF_FILE, tradeoffSpec } from './tradeoff.js';
import { verdictWords } from './verdict.js';
import { measurementValidity } from '../measure/validity.js';
import type { ChartRef } from './markdown.js';
import { stagesSpec } from './stages-section.js';

export const RUN_FILES = [
  'results.json',
  'summary.csv',
  'engines.csv',
  'latency.csv',
  'timeseries.csv',
  'latency_percentiles.svg',
  'latency_percentiles.png',
  'throughput.svg',
  'throughput.png',
  'p99_over_time.svg',
  'p99_over_time.png',
  'report.md',
  'report.html',
] as const;

/** Written beside RUN_FILES when the run has stage figures (stream: since migration 3; batch: since migration 5). */
export const STAGE_FILES = ['stages.svg', 'stages.png'] as const;

/** Some mode has a reading with every stage instant recorded. */
function hasStageFigures(stages: RunResult['stages']): boolean {
  return Boolean(stages?.stream?.readings || stages?.batch?.readings);
}

/**
 * A rate sweep's files. A sweep over another option has sweep_latency_vs_<option>.svg instead
 * of the two charts against the offered rate; any sweep whose runs recorded their cost also
 * has sweep_cost_vs_<option>.svg (see sweepChartFiles). Every chart's .svg has its .png beside it.
 */
export const SWEEP_FILES = [
  'sweep.json',
  'sweep.csv',
  'sweep_latency.svg',
  'sweep_latency.png',
  'sweep_throughput.svg',
  'sweep_throughput.png',
  'report.md',
  'report.html',
] as const;

/**
 * A chart to write: its Vega-Lite spec (preferred: report.html draws it interactively) or a
 * function that renders its SVG (report.html then shows the static image).
 */
interface ChartJob {
  name: string;
  /** The SVG's file name ("throughput.svg"); the PNG gets the same name with .png. */
  file: string;
  spec?: () => TopLevelSpec;
  render?: () => Promise<string>;
}

/** A chart written: what report.md references (name, file) and what report.html embeds. */
interface WrittenChart extends ChartRef {
  png?: string;
  html: HtmlChart;
}

function pngName(svgFile: string): string {
  return svgFile.replace(/\.svg$/i, '') + '.png';
}

/**
 * Render each chart to foo.svg and foo.png. A chart that fails is left out (with a warning)
 * rather than losing the report; a PNG that fails leaves its SVG in place.
 */
async function writeCharts(dir: string, charts: ChartJob[], caption: string[] = []): Promise<WrittenChart[]> {
  const done: WrittenChart[] = [];
  for (const c of charts) {
    let svg: string;
    let spec: TopLevelSpec | undefined;
    try {
      const raw = c.spec?.();
      spec = raw ? withCaption(raw, caption) : undefined;
      if (spec) svg = await renderSvg(spec);
      else if (c.render) svg = await c.render();
      else throw new Error('neither a spec nor a renderer');
      await writeFile(join(dir, c.file), svg);
    } catch (err) {
      console.warn(`chart ${c.file} not rendered: ${(err as Error).message}`);
      continue;
    }
    let png: Buffer | undefined;
    try {
      png = await renderPng(svg);
      await writeFile(join(dir, pngName(c.file)), png);
    } catch (err) {
      png = undefined;
      console.warn(`chart ${pngName(c.file)} not rendered: ${(err as Error).message}`);
    }
    done.push({
      name: c.name,
      file: c.file,
      ...(png ? { png: pngName(c.file) } : {}),
      html: {
        name: c.name,
        file: c.file,
        svg,
        ...(spec ? { spec } : {}),
        ...(png ? { alsoFiles: [pngName(c.file)] } : {}),
      },
    });
  }
  return done;
}

/** The chart files written (each SVG, then its PNG). */
function chartFiles(charts: WrittenChart[]): string[] {
  return charts.flatMap((c) => (c.png ? [c.file, c.png] : [c.file]));
}

/** report.md and report.html from the same Markdown. */
async function writeReports(dir: string, markdown: string, charts: WrittenChart[]): Promise<string[]> {
  await writeFile(join(dir, 'report.md'), markdown);
  try {
    await writeFile(
      join(dir, 'report.html'),
      await renderReportHtml(
        markdown,
        charts.map((c) => c.html),
      ),
    );
    return ['report.md', 'report.html'];
  } catch (err) {
    console.warn(`report.html not rendered: ${(err as Error).message}`);
    return ['report.md'];
  }
}

/** Everything but results.json. Returns the file names written. */
async function renderRunFiles(dir: string, result: RunResult): Promise<string[]> {
  await writeFile(join(dir, 'summary.csv'), summaryCsv(result));
  await writeFile(join(dir, 'engines.csv'), enginesCsv(result));
  await writeFile(join(dir, 'latency.csv'), latencyCsv(result));
  await writeFile(join(dir, 'timeseries.csv'), timeseriesCsv(result));
  const curves = decodeCurves(result.histograms);
  // Per-second charts: `second` counts from the start of the load, so the warm-up is [0, warmup).
  const timeOpts = { faults: faultWindows(result.faults), warmupSeconds: result.warmup.seconds };
  const caption = runCaption(result);
  const charts = await writeCharts(
    dir,
    [
      {
        name: 'Latency by percentile (event-time and processing-time, per mode; to a first alert, every mode, with external modes)',
        file: 'latency_percentiles.svg',
        spec: () => latencyPercentileSpec(curves),
      },
      {
        name: 'Throughput over time (offered, achieved, output per mode)',
        file: 'throughput.svg',
        spec: () => throughputSpec(result.timeseries, timeOpts),
      },
      {
        name: 'p99 event-time latency over time per mode',
        file: 'p99_over_time.svg',
        spec: () => p99OverTimeSpec(result.timeseries, timeOpts),
      },
      ...(hasStageFigures(result.stages)
        ? [
            {
              name: 'Where the time goes (mean per stage, per mode)',
              file: 'stages.svg',
              spec: () => stagesSpec(result.stages!),
            },
          ]
        : []),
    ],
    caption,
  );
  const reports = await writeReports(dir, renderMarkdown(result, charts), charts);
  return ['summary.csv', 'engines.csv', 'latency.csv', 'timeseries.csv', ...chartFiles(charts), ...reports];
}

/** Write the full report of one run into dir (created if missing). Returns the file names written. */
export async function writeRunReport(dir: string, result: RunResult): Promise<string[]> {
  await writeResultsJson(dir, result);
  try {
    return ['results.json', ...(await renderRunFiles(dir, result))];
  } catch (err) {
    throw new ReportNotRenderedError(join(dir, 'results.json'), err as Error);
  }
}

/**
 * results.json written whole or not at all: into a temporary file, then renamed over the old one,
 * so a full disk or a crash never leaves a truncated result behind.
 */
async function writeResultsJson(dir: string, result: RunResult): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'results.json');
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, JSON.stringify(result, null, 2) + '\n');
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** The run's result is safe in results.json, but its report (Markdown, charts, CSV) could not be written. */
export class ReportNotRenderedError extends Error {
  constructor(
    readonly resultsFile: string,
    cause: Error,
  ) {
    super(
      `the report could not be written (${cause.message}); the run's result is intact in ${resultsFile}: render it again with "vitals-bench report ${dirname(resultsFile)}"`,
    );
  }
}

/** Read a run's results.json. Throws if it is not schema_version 1. */
async function readRunResult(dir: string): Promise<RunResult> {
  const parsed = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Partial<RunResult>;
  if (parsed.schema_version !== 1) {
    throw new Error(
      `${join(dir, 'results.json')}: unsupported schema_version ${String(parsed.schema_version)} (expected 1)`,
    );
  }
  return parsed as RunResult;
}

/** `vitals-bench report DIR`: re-render everything from dir/results.json (which is left untouched). */
export async function rerenderReport(dir: string): Promise<string[]> {
  return renderRunFiles(dir, await readRunResult(dir));
}

/**
 * sweep.csv: one row per (run, mode), external modes included, sorted by the swept value, then
 * the grid's value, then offered rate. Latency cells empty when no samples; cost cells empty when
 * not recorded. The cost is each mode's with what only it needs (batch: its passes + ingest).
 */
export function sweepCsv(sweep: SweepResult): string {
  const swept = sweptOf(sweep);
  const rows = runsInSweepOrder(sweep, swept).flatMap((run) => sweepCsvRows(sweep, swept, run));
  return stringify(rows, { header: true, columns: [...SWEEP_CSV_COLUMNS] });
}

const SWEEP_CSV_COLUMNS = [
  'run_id',
  'dir',
  'offered_rate',
  'achieved_rate',
  'send_delay_p99_ms',
  'generator_fell_behind',
  'mode',
  'event_time_count',
  'event_time_p50_ms',
  'event_time_p99_ms',
  'event_time_max_ms',
  'output_rate',
  'complete',
  'passed',
  'swept_option',
  'swept_value',
  'readings_per_busy_s',
  'cpu_ms_per_1000_readings',
  'busy_s',
  'grid_option',
  'grid_value',
  'kind',
  'result_latency_count',
  'result_latency_p50_ms',
  'result_latency_p99_ms',
  'cost_processes',
  'idle_cpu_ms_per_s',
  'cpu_ms_per_1000_above_idle',
  'verdict',
  'measured_pipelines',
] as const;

type SweepRun = SweepResult['runs'][number] & { value: number; grid: number };

/** The runs by swept value, then the grid's value, then offered rate. */
function runsInSweepOrder(sweep: SweepResult, swept: ReturnType<typeof sweptOf>): SweepRun[] {
  return [...sweep.runs]
    .map((run) => ({ ...run, value: sweptValueOf(run, swept), grid: gridValueOf(run, sweep) }))
    .sort(
      (x, y) =>
        x.value - y.value || (x.grid || 0) - (y.grid || 0) || x.result.input.offered_rate - y.result.input.offered_rate,
    );
}

/** One run's rows of sweep.csv, one per mode, in SWEEP_CSV_COLUMNS' order. */
function sweepCsvRows(
  sweep: SweepResult,
  swept: ReturnType<typeof sweptOf>,
  { dir, value, grid, result: r }: SweepRun,
): Array<Array<string | number>> {
  const costs = attributedCosts(r);
  const verdict = verdictWords(r);
  const valid = measurementValidity(r).valid ? 1 : 0;
  return modeViews(r).map((v) => {
    const m = r.modes.find((x) => x.mode === v.name);
    const e = m?.event_time_latency;
    const rl = r.external?.result_latency[v.name];
    const c = costs[v.name];
    return [
      r.run_id,
      dir,
      r.input.offered_rate,
      r.input.achieved_rate,
      r.input.send_delay.count ? r.input.send_delay.p99 : '',
      r.input.generator_fell_behind ? 1 : 0,
      v.name,
      e ? e.count : '',
      e?.count ? e.p50 : '',
      e?.count ? e.p99 : '',
      e?.count ? e.max : '',
      m ? m.output_rate : '',
      r.complete ? 1 : 0,
      r.verdict.passed ? 1 : 0,
      swept.option,
      Number.isFinite(value) ? value : '',
      m?.processing_rate_while_busy ?? '',
      c?.cpu_ms_per_1000_readings ?? '',
      m && (m.mode === 'stream' || m.mode === 'batch') ? (r.cost?.modes[m.mode]?.busy_s ?? '') : '',
      sweep.grid?.option ?? '',
      Number.isFinite(grid) ? grid : '',
      v.external ? 'external' : 'built-in',
      rl ? rl.count : '',
      rl?.count ? rl.p50 : '',
      rl?.count ? rl.p99 : '',
      c ? c.roles.join('+') : '',
      c?.idle_cpu_ms_per_s ?? '',
      c?.cpu_ms_per_1000_above_idle ?? '',
      verdict,
      valid,
    ];
  });
}

/** Write a sweep's report (sweep.json, sweep.csv, charts, report.md) into dir. Per-run reports are written separately. */
export async function writeSweepReport(dir: string, sweep: SweepResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'sweep.json'), JSON.stringify(sweep, null, 2) + '\n');
  await writeFile(join(dir, 'sweep.csv'), sweepCsv(sweep));
  const swept = sweptOf(sweep);
  const files = sweepChartFiles(swept.option);
  const tradeoff = hasCost(sweep) && cellsOf(sweep).length > 1;
  const charts = await writeCharts(
    dir,
    [
      // A rate sweep keeps its charts against the offered rate; another option gets its own axis.
      ...(swept.key === 'rate' && !sweep.grid
        ? [
            {
              name: 'Event-time latency p50/p99 vs offered rate',
              file: 'sweep_latency.svg',
              spec: () => sweepLatencySpec(sweep),
            },
            {
              name: 'Achieved input and output rate vs offered rate',
              file: 'sweep_throughput.svg',
              spec: () => sweepThroughputSpec(sweep),
            },
          ]
        : [
            {
              name: `Event-time latency p50/p99 per mode vs --${swept.option} (median over runs, min..max)`,
              file: files.latency,
              spec: () => sweptLatencySpec(sweep),
            },
          ]),
      ...(hasCost(sweep)
        ? [
            {
              name: `CPU ms per 1,000 readings per mode vs --${swept.option} (median over runs, min..max)`,
              file: files.cost,
              spec: () => sweptCostSpec(sweep),
            },
          ]
        : []),
      ...(tradeoff
        ? [
            {
              name: 'Trade-off map: latency p99 against CPU per 1,000 readings at the offered rate, per mode and setting, the Pareto front ringed',
              file: TRADEOFF_FILE,
              spec: () => tradeoffSpec(sweep),
            },
          ]
        : []),
    ],
    sweepCaption(sweep),
  );
  const reports = await writeReports(dir, renderSweepMarkdown(sweep, charts), charts);
  return ['sweep.json', 'sweep.csv', ...chartFiles(charts), ...reports];
}
