/**
 * Charts of a sweep against the swept option's value (any option: --batch-interval, --threads,
 * --rate...): latency p50/p99 per mode (log y) and CPU cost per 1,000 readings per mode. Each
 * point is the median over the value's runs; with repeats a vertical rule spans their min..max.
 * Every mode is drawn, external ones included, each in its colour of every chart. In a grid
 * (two options as lists) each value of the second option is a line of its own, dashed by value.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SweepResult } from '../../results/schema.js';
import { FLOOR_NOTE, LOG_FLOOR_MS, RATE_FORMAT, renderSvg, seriesColor } from './charts.js';
import { fmtValue } from './format.js';
import {
  cellsOf,
  costAboveIdle,
  modesOf,
  sweepLatencyKind,
  sweptOf,
  sweptTitle,
  type Figure,
  type ModeFigures,
  type SweptInfo,
} from './sweep-data.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 560;
const HEIGHT = 300;
const DASHES = [
  [1, 0],
  [6, 4],
  [2, 3],
  [8, 3, 2, 3],
  [10, 3],
];

/** File names of the charts against the swept option ("sweep_latency_vs_batch-interval.svg"). */
export function sweepChartFiles(option: string): { latency: string; cost: string } {
  const safe = option.replace(/[^a-z0-9-]/gi, '_');
  return { latency: `sweep_latency_vs_${safe}.svg`, cost: `sweep_cost_vs_${safe}.svg` };
}

interface Point {
  value: number;
  /** The grid's second option's value, as text ("" outside a grid). */
  grid: string;
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
    scale: { domain: modes, range: modes.map(seriesColor) },
  };
}

/** Median line with points, plus a min..max rule where a value had more than one run. */
function spec(opts: {
  title: string;
  subtitle: string[];
  swept: SweptInfo;
  grid: SweptInfo | undefined;
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
    ...(opts.grid ? [{ field: 'grid', title: `--${opts.grid.option}` }] : []),
    { field: 'median' },
    { field: 'min' },
    { field: 'max' },
    { field: 'n', title: 'runs' },
  ];
  const gridDomain = [...new Set(opts.points.map((p) => p.grid))];
  const strokeDash = opts.grid
    ? {
        field: 'grid',
        type: 'nominal',
        title: sweptTitle(opts.grid),
        scale: { domain: gridDomain, range: gridDomain.map((_, i) => DASHES[i % DASHES.length]) },
        legend: { symbolStrokeColor: '#555555' },
      }
    : opts.dashByStat
      ? {
          field: 'stat',
          type: 'nominal',
          title: 'percentile',
          scale: { domain: ['p50', 'p99'] },
          legend: { symbolStrokeColor: '#555555' },
        }
      : undefined;
  const line = {
    mark: { type: 'line' },
    encoding: {
      x,
      y: { ...opts.y, field: 'median' },
      color,
      // One line per mode, statistic and grid value (detail).
      detail: { field: 'line', type: 'nominal' },
      ...(strokeDash ? { strokeDash } : {}),
    },
  };
  // The points in a layer of their own, so that the legend shows dashes, not dots.
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
        detail: { field: 'line', type: 'nominal' },
        tooltip,
      },
    });
  }
  return {
    $schema: SCHEMA,
    title: { text: opts.title, subtitle: opts.subtitle },
    width: WIDTH,
    height: HEIGHT,
    data: { values: opts.points.map((p) => ({ ...p, line: `${p.mode} ${p.stat} ${p.grid}` })) },
    layer: layers,
  } as unknown as TopLevelSpec;
}

function pointsOf(
  sweep: SweepResult,
  pick: Array<{ stat: string; of: (f: ModeFigures) => Figure | undefined; floor?: number }>,
): Point[] {
  const out: Point[] = [];
  for (const c of cellsOf(sweep)) {
    for (const f of c.modes) {
      for (const p of pick) {
        const s = p.of(f)?.spread;
        if (!s) continue;
        const fl = (v: number): number => (p.floor !== undefined ? Math.max(v, p.floor) : v);
        out.push({
          value: c.value,
          grid: Number.isNaN(c.gridValue) ? '' : fmtValue(c.gridValue),
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

function gridNote(sweep: SweepResult): string[] {
  return sweep.grid ? [`line style: --${sweep.grid.option}`] : [];
}

/** Latency p50 and p99 per mode against the swept value (log y; empty modes left out): the Vega-Lite spec. */
export function sweptLatencySpec(sweep: SweepResult, opts: { title?: string } = {}): TopLevelSpec {
  const swept = sweptOf(sweep);
  const result = sweepLatencyKind(sweep) === 'result';
  const points = pointsOf(sweep, [
    { stat: 'p50', of: (f) => f.p50, floor: LOG_FLOOR_MS },
    { stat: 'p99', of: (f) => f.p99, floor: LOG_FLOOR_MS },
  ]);
  const floored = cellsOf(sweep).some((c) =>
    c.modes.some((f) => [...(f.p50?.values ?? []), ...(f.p99?.values ?? [])].some((v) => v < LOG_FLOOR_MS)),
  );
  const name = result ? "latency to a reading's first alert" : 'event-time latency';
  // In a grid the dash shows the second option, so one percentile only: p50.
  const shown = sweep.grid ? points.filter((p) => p.stat === 'p50') : points;
  return spec({
    title: opts.title ?? `${result ? 'Latency to first alert' : 'Event-time latency'} vs --${swept.option}`,
    subtitle: [
      `median over each value's runs, min..max where several; ${sweep.grid ? 'p50' : 'p50 solid, p99 dashed'}`,
      ...gridNote(sweep),
      ...(floored ? [FLOOR_NOTE] : []),
    ],
    swept,
    grid: sweep.grid,
    values: valuesOf(sweep, shown),
    modes: modesOf(sweep),
    points: shown,
    dashByStat: true,
    y: {
      type: 'quantitative',
      title: `${sweep.grid ? 'p50 ' : ''}${name} (ms, log scale)`,
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
  const aboveIdle = costAboveIdle(sweep);
  const points = pointsOf(sweep, [{ stat: 'CPU', of: (f) => f.cost }]);
  const title = aboveIdle ? 'CPU ms per 1,000 readings above idle' : 'CPU ms per 1,000 readings over the run';
  return spec({
    title: opts.title ?? `${title} vs --${swept.option}`,
    subtitle: [
      'each mode with what only it needs (batch: its passes and ingest); the broker and the database apart',
      aboveIdle
        ? "above each mode's idle CPU (timed once the run had drained): what the readings cost"
        : 'over the whole run, idle included (these runs timed no idle baseline)',
      ...gridNote(sweep),
    ],
    swept,
    grid: sweep.grid,
    values: valuesOf(sweep, points),
    modes: modesOf(sweep),
    points,
    dashByStat: false,
    // 'r' never writes exponents (vega cuts a 'g' format's precision to the tick step: "1.2e+3").
    y: { type: 'quantitative', title: `${title}`, scale: { zero: true }, axis: { format: RATE_FORMAT } },
  });
}

/** The cost chart against the swept value as SVG. */
export async function sweptCostChart(sweep: SweepResult, opts: { title?: string } = {}): Promise<string> {
  return renderSvg(sweptCostSpec(sweep, opts));
}
