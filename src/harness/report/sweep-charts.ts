/**
 * Charts of a sweep against the swept option's value (any option: --batch-interval, --threads,
 * --rate...): event-time latency p50/p99 per mode (log y) and CPU cost per 1,000 readings per
 * mode. Each point is the median over the value's runs; with repeats a vertical rule spans
 * their min..max. Colours are fixed per mode, so stream and batch look the same in every chart.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SweepResult } from '../../results/schema.js';
import { MODE_COLORS, renderSvg } from './charts.js';
import type { Spread } from '../measure/spread.js';
import { groupByValue, modesOf, sweptOf, sweptTitle, type ModeFigures, type SweptInfo } from './sweep-data.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 560;
const HEIGHT = 300;
/** Smallest value drawn on a log latency axis: 0 ms cannot be drawn on a log scale. */
const LOG_FLOOR_MS = 0.001;

/** File names of the charts against the swept option ("sweep_latency_vs_batch-interval.svg"). */
export function sweepChartFiles(option: string): { latency: string; cost: string } {
  const safe = option.replace(/[^a-z0-9-]/gi, '_');
  return { latency: `sweep_latency_vs_${safe}.svg`, cost: `sweep_cost_vs_${safe}.svg` };
}

interface Point {
  value: number;
  mode: string;
  stat: string;
  median: number;
  min: number;
  max: number;
  n: number;
}

/**
 * The x axis: titled with the option's name and unit, ticks at exactly the swept values,
 * labelled as typed, without spurious decimals (2, 10, 30; 0.05, 0.25; 10,000).
 */
function xEncoding(swept: SweptInfo, values: number[]): Record<string, unknown> {
  return {
    field: 'value',
    type: 'quantitative',
    title: sweptTitle(swept),
    scale: { zero: false, nice: false, padding: 24 },
    // A label expression, not `format`: an axis format gets its precision cut to the tick step (0.25 -> "0.3").
    axis: { values, labelExpr: "format(datum.value, ',~g')", grid: true, labelFlush: false },
  };
}

function colorEncoding(modes: string[]): Record<string, unknown> {
  return {
    field: 'mode',
    type: 'nominal',
    title: 'mode',
    scale: { domain: modes, range: modes.map((m) => MODE_COLORS[m] ?? '#7f7f7f') },
  };
}

/** Median line with points, plus a min..max rule where a value had more than one run. */
function spec(opts: {
  title: string;
  swept: SweptInfo;
  values: number[];
  modes: string[];
  points: Point[];
  y: Record<string, unknown>;
  dashByStat: boolean;
}): TopLevelSpec {
  const x = xEncoding(opts.swept, opts.values);
  const color = colorEncoding(opts.modes);
  const tooltip = [
    { field: 'mode' },
    { field: 'stat' },
    { field: 'value', title: `--${opts.swept.option}` },
    { field: 'median' },
    { field: 'min' },
    { field: 'max' },
    { field: 'n', title: 'runs' },
  ];
  const line = {
    mark: { type: 'line' },
    encoding: {
      x,
      y: { ...opts.y, field: 'median' },
      color,
      // One line per mode and statistic (detail), dashed for p99 where the chart has both.
      detail: { field: 'stat', type: 'nominal' },
      ...(opts.dashByStat
        ? {
            strokeDash: {
              field: 'stat',
              type: 'nominal',
              title: 'percentile',
              scale: { domain: ['p50', 'p99'] },
              legend: { symbolStrokeColor: '#555555' },
            },
          }
        : {}),
    },
  };
  // The points in a layer of their own, so that the percentile legend shows dashes, not dots.
  const points = {
    mark: { type: 'point', filled: true, opacity: 1 },
    encoding: { x, y: { ...opts.y, field: 'median' }, color, tooltip },
  };
  const layers: unknown[] = [line, points];
  if (opts.points.some((p) => p.n > 1)) {
    layers.push({
      transform: [{ filter: 'datum.n > 1' }],
      mark: { type: 'rule', opacity: 0.6 },
      encoding: {
        x,
        y: { ...opts.y, field: 'min' },
        y2: { field: 'max' },
        color,
        detail: { field: 'stat', type: 'nominal' },
        tooltip,
      },
    });
  }
  return {
    $schema: SCHEMA,
    title: opts.title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: opts.points },
    layer: layers,
  } as unknown as TopLevelSpec;
}

function pointsOf(
  sweep: SweepResult,
  pick: Array<{ stat: string; of: (f: ModeFigures) => Spread | undefined; floor?: number }>,
): Point[] {
  const out: Point[] = [];
  for (const g of groupByValue(sweep)) {
    for (const f of g.modes) {
      for (const p of pick) {
        const s = p.of(f);
        if (!s) continue;
        const fl = (v: number): number => (p.floor !== undefined ? Math.max(v, p.floor) : v);
        out.push({
          value: g.value,
          mode: f.mode,
          stat: p.stat,
          median: fl(s.median),
          min: fl(s.min),
          max: fl(s.max),
          n: s.n,
        });
      }
    }
  }
  return out;
}

function valuesOf(sweep: SweepResult, points: Point[]): number[] {
  const vs = new Set([...sweptOf(sweep).values, ...points.map((p) => p.value)]);
  return [...vs].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

/** Event-time latency p50 and p99 per mode against the swept value (log y; empty modes left out): the Vega-Lite spec. */
export function sweptLatencySpec(sweep: SweepResult, opts: { title?: string } = {}): TopLevelSpec {
  const swept = sweptOf(sweep);
  const points = pointsOf(sweep, [
    { stat: 'p50', of: (f) => f.eventP50, floor: LOG_FLOOR_MS },
    { stat: 'p99', of: (f) => f.eventP99, floor: LOG_FLOOR_MS },
  ]);
  return spec({
    title: opts.title ?? `Event-time latency vs --${swept.option}`,
    swept,
    values: valuesOf(sweep, points),
    modes: modesOf(sweep),
    points,
    dashByStat: true,
    y: {
      type: 'quantitative',
      title: 'event-time latency (ms, log scale)',
      scale: { type: 'log' },
      axis: { format: ',~g' },
    },
  });
}

/** The latency chart against the swept value as SVG. */
export async function sweptLatencyChart(sweep: SweepResult, opts: { title?: string } = {}): Promise<string> {
  return renderSvg(sweptLatencySpec(sweep, opts));
}

/** CPU milliseconds per 1,000 readings per mode against the swept value (runs without cost left out): the Vega-Lite spec. */
export function sweptCostSpec(sweep: SweepResult, opts: { title?: string } = {}): TopLevelSpec {
  const swept = sweptOf(sweep);
  const points = pointsOf(sweep, [{ stat: 'CPU', of: (f) => f.cpuMsPer1000 }]);
  return spec({
    title: opts.title ?? `CPU per 1,000 readings vs --${swept.option}`,
    swept,
    values: valuesOf(sweep, points),
    modes: modesOf(sweep),
    points,
    dashByStat: false,
    y: { type: 'quantitative', title: 'CPU ms per 1,000 readings', scale: { zero: true }, axis: { format: ',~g' } },
  });
}

/** The cost chart against the swept value as SVG. */
export async function sweptCostChart(sweep: SweepResult, opts: { title?: string } = {}): Promise<string> {
  return renderSvg(sweptCostSpec(sweep, opts));
}
