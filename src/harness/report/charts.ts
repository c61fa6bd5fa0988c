/**
 * Charts as SVG strings: Vega-Lite specs compiled to Vega and rendered headless
 * (renderer 'none', no browser or canvas). Each function returns the SVG; write.ts saves it.
 */
import { View, parse, Error as VegaErrorLevel } from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { LatencyCurve, LatencyMetric } from '../histogram.js';
import type { FaultReport, SweepResult, TimeseriesPoint } from '../results.js';

const WIDTH = 560;
const HEIGHT = 300;
/** Smallest value drawn on a log latency axis: 0 ms cannot be drawn on a log scale. */
const LOG_FLOOR_MS = 0.001;

const silentLogger = {
  level(): number { return 0; },
  info(): void {},
  warn(): void {},
  error(): void {},
  debug(): void {},
};

/** Render any Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // The logger interface is fluent in vega-lite's typings; this one never logs.
  const vg = compile(spec, { logger: silentLogger as unknown as NonNullable<Parameters<typeof compile>[1]>['logger'] }).spec;
  const view = new View(parse(vg), { renderer: 'none', logLevel: VegaErrorLevel });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** x position of a percentile on the "nines" scale: -log10(1 - p/100); 50 -> 0.301, 99 -> 2. */
export function ninesOf(percentile: number): number {
  return -Math.log10(1 - percentile / 100);
}

const NINES_TICKS: Array<{ label: string; x: number }> = [
  { label: '0', x: 0 },
  { label: '50', x: ninesOf(50) },
  { label: '90', x: 1 },
  { label: '99', x: 2 },
  { label: '99.9', x: 3 },
  { label: '99.99', x: 4 },
  { label: '99.999', x: 5 },
];

function ninesLabelExpr(): string {
  // Nested ternary over tick positions: labels exactly the ticks we pass as axis values.
  let expr = `''`;
  for (let i = NINES_TICKS.length - 1; i >= 0; i--) {
    const t = NINES_TICKS[i]!;
    expr = `abs(datum.value - ${t.x}) < 0.01 ? '${t.label}' : ${expr}`;
  }
  return expr;
}

/**
 * (a) Latency percentile curves: x = percentile on a nines scale (-log10(1 - p/100), labelled
 * 50, 90, 99, 99.9, ...), y = latency ms on a log scale; colour = mode, dash = metric.
 * p100 (max) cannot sit on this axis and is left out (it is in the tables). Values below
 * 0.001 ms are drawn at 0.001 ms.
 */
export async function latencyPercentileChart(
  curves: LatencyCurve[],
  opts: { title?: string; metrics?: LatencyMetric[] } = {},
): Promise<string> {
  const metrics = opts.metrics ?? ['event_time', 'processing_time'];
  const values = curves
    .filter((c) => metrics.includes(c.metric))
    .flatMap((c) =>
      c.points
        .filter((p) => p.percentile < 100)
        .map((p) => ({
          mode: c.mode,
          metric: c.metric,
          percentile: p.percentile,
          nines: ninesOf(p.percentile),
          value_ms: Math.max(p.value_ms, LOG_FLOOR_MS),
        })),
    );
  const maxX = values.reduce((m, v) => Math.max(m, v.nines), 0);
  const ticks = NINES_TICKS.filter((t) => t.x <= maxX + 0.01).map((t) => t.x);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title ?? 'Latency by percentile',
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'nines',
        type: 'quantitative',
        title: 'percentile',
        axis: { values: ticks.length > 1 ? ticks : [0], labelExpr: ninesLabelExpr(), grid: true },
      },
      y: { field: 'value_ms', type: 'quantitative', title: 'latency (ms, log scale)', scale: { type: 'log' } },
      color: { field: 'mode', type: 'nominal', title: 'mode' },
      strokeDash: { field: 'metric', type: 'nominal', title: 'metric' },
      tooltip: [{ field: 'mode' }, { field: 'metric' }, { field: 'percentile' }, { field: 'value_ms' }],
    },
  };
  return renderSvg(spec);
}

/** A fault's window on the per-second charts: from its injection until recovery (or its end). */
export interface FaultWindow {
  label: string;
  from: number;
  to: number;
}

export function faultWindows(faults: FaultReport[] | undefined): FaultWindow[] {
  return (faults ?? []).flatMap((f) => {
    if (f.injected_at_s === null) return [];
    const to = f.recovered_at_s ?? f.ended_at_s ?? f.injected_at_s;
    return [{ label: f.fault, from: f.injected_at_s, to: Math.max(to, f.injected_at_s + 0.5) }];
  });
}

/** The chart with the fault windows shaded behind its lines (unchanged when there are none). */
function withFaultWindows(spec: TopLevelSpec, windows: FaultWindow[]): TopLevelSpec {
  if (windows.length === 0) return spec;
  const { $schema, title, width, height, data, mark, encoding } = spec as unknown as Record<string, unknown>;
  return {
    $schema, title, width, height,
    layer: [
      {
        data: { values: windows },
        mark: { type: 'rect', color: '#d62728', opacity: 0.12 },
        encoding: { x: { field: 'from', type: 'quantitative' }, x2: { field: 'to' }, tooltip: { field: 'label', type: 'nominal' } },
      },
      {
        data: { values: windows },
        mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, fontSize: 9, color: '#d62728' },
        encoding: { x: { field: 'from', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label', type: 'nominal' } },
      },
      { data, mark, encoding },
    ],
  } as TopLevelSpec;
}

/** (b) Throughput over time: offered, achieved input and output per mode, readings/s. */
export async function throughputChart(ts: TimeseriesPoint[], opts: { title?: string; faults?: FaultWindow[] } = {}): Promise<string> {
  const values: Array<{ second: number; series: string; rate: number }> = [];
  for (const p of ts) {
    values.push({ second: p.second, series: 'offered', rate: p.offered });
    values.push({ second: p.second, series: 'achieved', rate: p.achieved });
    for (const [mode, v] of Object.entries(p.output)) values.push({ second: p.second, series: `output ${mode}`, rate: v });
  }
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title ?? 'Throughput over time',
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: 'line',
    encoding: {
      x: { field: 'second', type: 'quantitative', title: 'second', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'rate', type: 'quantitative', title: 'readings per second' },
      color: { field: 'series', type: 'nominal', title: 'series' },
    },
  };
  return renderSvg(withFaultWindows(spec, opts.faults ?? []));
}

/** (c) p99 event-time latency per second, per mode (seconds without results are gaps). */
export async function p99OverTimeChart(ts: TimeseriesPoint[], opts: { title?: string; faults?: FaultWindow[] } = {}): Promise<string> {
  const values: Array<{ second: number; mode: string; p99_ms: number }> = [];
  for (const p of ts) {
    for (const [mode, v] of Object.entries(p.p99_ms)) if (v !== null) values.push({ second: p.second, mode, p99_ms: v });
  }
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title ?? 'p99 event-time latency over time',
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'second', type: 'quantitative', title: 'second', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'p99_ms', type: 'quantitative', title: 'p99 latency (ms)' },
      color: { field: 'mode', type: 'nominal', title: 'mode' },
    },
  };
  return renderSvg(withFaultWindows(spec, opts.faults ?? []));
}

/** (d1) Sweep: p50 and p99 event-time latency vs offered rate, per mode (log y). Empty modes are left out. */
export async function sweepLatencyChart(sweep: SweepResult, opts: { title?: string } = {}): Promise<string> {
  const values: Array<{ offered_rate: number; mode: string; stat: string; value_ms: number }> = [];
  for (const { result } of sweep.runs) {
    for (const m of result.modes) {
      const s = m.event_time_latency;
      if (s.count === 0) continue;
      values.push({ offered_rate: result.input.offered_rate, mode: m.mode, stat: 'p50', value_ms: Math.max(s.p50, LOG_FLOOR_MS) });
      values.push({ offered_rate: result.input.offered_rate, mode: m.mode, stat: 'p99', value_ms: Math.max(s.p99, LOG_FLOOR_MS) });
    }
  }
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title ?? 'Event-time latency vs offered rate',
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'offered_rate', type: 'quantitative', title: 'offered rate (readings/s)' },
      y: { field: 'value_ms', type: 'quantitative', title: 'event-time latency (ms, log scale)', scale: { type: 'log' } },
      color: { field: 'mode', type: 'nominal', title: 'mode' },
      strokeDash: { field: 'stat', type: 'nominal', title: 'percentile' },
    },
  };
  return renderSvg(spec);
}

/** (d2) Sweep: achieved input rate and output rate per mode vs offered rate. */
export async function sweepThroughputChart(sweep: SweepResult, opts: { title?: string } = {}): Promise<string> {
  const values: Array<{ offered_rate: number; series: string; rate: number }> = [];
  for (const { result } of sweep.runs) {
    const x = result.input.offered_rate;
    values.push({ offered_rate: x, series: 'achieved input', rate: result.input.achieved_rate });
    for (const m of result.modes) values.push({ offered_rate: x, series: `output ${m.mode}`, rate: m.output_rate });
  }
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title ?? 'Throughput vs offered rate',
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'offered_rate', type: 'quantitative', title: 'offered rate (readings/s)' },
      y: { field: 'rate', type: 'quantitative', title: 'readings per second' },
      color: { field: 'series', type: 'nominal', title: 'series' },
    },
  };
  return renderSvg(spec);
}
