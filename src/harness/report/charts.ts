/**
 * Charts: each one is a Vega-Lite spec builder (`...Spec`, used as is by report.html, where
 * vega-embed draws it interactively) and an SVG renderer (`...Chart`) that compiles the same
 * spec to Vega and renders it headless (renderer 'none', no browser or canvas). renderPng turns
 * an SVG into a PNG with resvg (fonts: DejaVu Sans from the dejavu-fonts-ttf npm package).
 *
 * Reading rules shared by every chart:
 * - one fixed colour per mode everywhere: stream blue, batch orange (also for "output stream",
 *   "output batch"); offered and achieved input are greys. seriesColor() is the one source.
 * - what a dash or a shape means is in the legend itself (legend symbols are strokes that carry
 *   the dash, or the marks' shapes).
 * - per-second charts shade the warm-up (grey) and the fault windows (red), labelled.
 * - batch results come in discrete passes: per-second batch values are points (or spikes), never
 *   a line that would read as a trend.
 * - axis labels: thousands separators, no trailing zeros (",~r" for rates, ",~g" for latencies).
 */
import { createRequire } from 'node:module';
import { renderAsync } from '@resvg/resvg-js';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { View, parse, Error as VegaErrorLevel, Warn as VegaWarnLevel } from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { LatencyCurve, LatencyMetric } from '../../results/histogram.js';
import type { FaultReport, LatencySummary, SweepResult, TimeseriesPoint } from '../../results/schema.js';
import { sweepLatencyKind } from './sweep-data.js';

const WIDTH = 560;
const HEIGHT = 300;
/**
 * Smallest value drawn on a log latency axis: 0 ms cannot be drawn on a log scale, and the
 * instants are recorded in whole milliseconds, so nothing below 1 ms is a measured difference.
 */
export const LOG_FLOOR_MS = 1;
/** Said under a latency chart on which some value was drawn at the floor. */
export const FLOOR_NOTE = `values under ${LOG_FLOOR_MS} ms (the resolution of the recorded instants) drawn at ${LOG_FLOOR_MS} ms`;
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const SCHEMA = VEGA_LITE_SCHEMA;
/**
 * Axis label formats (d3-format): rates "1,000", "2.5"; latencies on log axes "1", "20,000".
 * A linear axis takes RATE_FORMAT ('r' never turns to exponents, where vega cuts the precision
 * of a 'g' format to the tick step and writes 1,200 as "1.2e+3").
 */
export const RATE_FORMAT = ',~r';
export const MS_FORMAT = ',~g';

// ---------------------------------------------------------------------------------------------
// Colours, dashes, shapes

/** The colour of each mode, the same in every chart. */
export const MODE_COLORS: Readonly<Record<string, string>> = { stream: '#1f77b4', batch: '#ff7f0e' };
/** Series that are not a mode's: the input side, in greys. */
const INPUT_COLORS: Readonly<Record<string, string>> = {
  offered: '#3b3b3b',
  achieved: '#9e9e9e',
  'achieved input': '#9e9e9e',
};
/** Colours for a series that names no known mode (deterministic by name). */
const EXTRA_COLORS = ['#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
/** Legend order: input first, then the modes. */
const SERIES_ORDER = ['offered', 'achieved', 'achieved input', 'stream', 'output stream', 'batch', 'output batch'];
/** Modes whose results come in discrete passes: drawn as points, never joined by a line. */
const DISCRETE_MODES: ReadonlySet<string> = new Set(['batch']);

/** The fixed colour of a series: a mode ("stream"), a mode's output ("output batch") or the input. */
export function seriesColor(name: string): string {
  const input = INPUT_COLORS[name];
  if (input) return input;
  for (const word of name.split(/\s+/)) {
    const c = MODE_COLORS[word];
    if (c) return c;
  }
  // An external mode keeps its colour as a series of its own ("spark") and as an output ("output spark").
  const mode = name.replace(/^output /, '');
  let h = 0;
  for (const ch of mode) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0;
  return EXTRA_COLORS[h % EXTRA_COLORS.length]!;
}

function orderSeries(names: Iterable<string>): string[] {
  const rank = (n: string): number => {
    const i = SERIES_ORDER.indexOf(n);
    return i === -1 ? SERIES_ORDER.length : i;
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A colour scale with a fixed domain and range: a series never changes colour between charts. */
export function colorScale(names: Iterable<string>): { domain: string[]; range: string[] } {
  let domain = orderSeries(names);
  if (domain.length === 0) domain = ['stream', 'batch'];
  return { domain, range: domain.map(seriesColor) };
}

function fixedScale<T>(domain: string[], of: (name: string) => T): { domain: string[]; range: T[] } {
  return { domain, range: domain.map(of) };
}

const SOLID: number[] = [1, 0];
const DASHED: number[] = [6, 4];
const DOTTED: number[] = [2, 3];

/** Legend whose symbols are short strokes: they carry the colour, the dash and the width. */
function strokeLegend(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { symbolType: 'stroke', symbolSize: 700, symbolStrokeWidth: 2.5, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** A logger that never prints; warnings and errors go to `onWarning` when given. */
function quietLogger(onWarning?: (message: string) => void): Record<string, unknown> {
  const logger: Record<string, unknown> = {
    level(): unknown {
      return arguments.length ? logger : 0;
    },
    info(): unknown {
      return logger;
    },
    debug(): unknown {
      return logger;
    },
    warn(...args: unknown[]): unknown {
      onWarning?.(args.map(String).join(' '));
      return logger;
    },
    error(...args: unknown[]): unknown {
      onWarning?.(args.map(String).join(' '));
      return logger;
    },
  };
  return logger;
}

/**
 * Render any Vega-Lite spec to an SVG string. `onWarning` receives what vega-lite's compiler and
 * vega's view warn about (a browser's console would show the same in report.html).
 */
export async function renderSvg(
  spec: TopLevelSpec,
  opts: { onWarning?: (message: string) => void } = {},
): Promise<string> {
  // The logger interface is fluent in vega-lite's typings; this one never prints.
  const logger = quietLogger(opts.onWarning);
  const vg = compile(spec, { logger: logger as unknown as NonNullable<Parameters<typeof compile>[1]>['logger'] }).spec;
  const view = new View(parse(vg), {
    renderer: 'none',
    ...(opts.onWarning
      ? {
          logger: logger as unknown as NonNullable<ConstructorParameters<typeof View>[1]>['logger'],
          logLevel: VegaWarnLevel,
        }
      : { logLevel: VegaErrorLevel }),
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

let fontOptions: ResvgRenderOptions['font'] | undefined;

/** DejaVu Sans from the dejavu-fonts-ttf npm package; the machine's fonts only if it is missing. */
export function pngFontOptions(): ResvgRenderOptions['font'] {
  if (fontOptions) return fontOptions;
  const require = createRequire(import.meta.url);
  try {
    const fontFiles = [
      'DejaVuSans.ttf',
      'DejaVuSans-Bold.ttf',
      'DejaVuSans-Oblique.ttf',
      'DejaVuSans-BoldOblique.ttf',
    ].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));
    fontOptions = {
      loadSystemFonts: false,
      fontFiles,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    };
  } catch {
    fontOptions = { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' };
  }
  return fontOptions;
}

/** Render an SVG (one of renderSvg's) to PNG bytes, at `scale` times its size (2: sharp on any screen). */
export async function renderPng(svg: string, opts: { scale?: number } = {}): Promise<Buffer> {
  const image = await renderAsync(svg, {
    font: pngFontOptions(),
    fitTo: { mode: 'zoom', value: opts.scale ?? 2 },
    background: 'white',
  });
  return image.asPng();
}

/**
 * The chart with `caption` as the last lines of its title's subtitle: what lets its PNG stand
 * alone (rate, duration, n, run, commit; see captions.ts).
 */
export function withCaption(spec: TopLevelSpec, caption: string[]): TopLevelSpec {
  if (caption.length === 0) return spec;
  const s = spec as unknown as { title?: string | { text: string; subtitle?: string | string[] } };
  const title = typeof s.title === 'string' || s.title === undefined ? { text: s.title ?? '' } : s.title;
  const subtitle =
    title.subtitle === undefined ? [] : Array.isArray(title.subtitle) ? title.subtitle : [title.subtitle];
  return { ...spec, title: { ...title, subtitle: [...subtitle, ...caption] } };
}

/** Layers whose rows exist (an empty layer makes vega warn of an infinite extent); at least one. */
function layersWithData<T>(rows: T[], layers: Array<{ has: (row: T) => boolean; layer: unknown }>): unknown[] {
  const kept = layers.filter((l) => rows.some(l.has)).map((l) => l.layer);
  return kept.length ? kept : layers.slice(0, 1).map((l) => l.layer);
}

/**
 * A chart without data: fixed x and y domains (vega would warn of infinite extents) and
 * "no data" in the middle of the plot, so that an empty chart says so.
 */
function whenEmpty(spec: TopLevelSpec, empty: boolean, x: number[], y: number[]): TopLevelSpec {
  if (!empty) return spec;
  const copy = JSON.parse(JSON.stringify(spec)) as Record<string, unknown> & { layer?: Array<Record<string, unknown>> };
  for (const layer of copy.layer ?? [copy]) {
    const enc = layer.encoding as Record<string, Record<string, unknown> | undefined> | undefined;
    for (const [channel, domain] of [
      ['x', x],
      ['y', y],
    ] as const) {
      const e = enc?.[channel];
      if (e && typeof e.field === 'string' && e.scale !== null) e.scale = { ...e.scale, domain };
    }
  }
  copy.layer = [
    ...(copy.layer ?? []),
    {
      data: { values: [{ text: 'no data' }] },
      mark: { type: 'text', fontSize: 14, color: '#777' },
      encoding: { x: { value: WIDTH / 2 }, y: { value: HEIGHT / 2 }, text: { field: 'text' } },
    },
  ];
  return copy as unknown as TopLevelSpec;
}

// ---------------------------------------------------------------------------------------------
// (a) Latency percentile curves

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

const METRIC_LABELS: Record<LatencyMetric, string> = {
  event_time: 'event-time',
  processing_time: 'processing-time',
  detection: 'detection',
  send_delay: 'send delay',
  window_result: 'window-result',
  result: 'to first alert',
};
const METRIC_DASHES: Record<string, number[]> = {
  'event-time': SOLID,
  'processing-time': DASHED,
  detection: DOTTED,
  'send delay': [8, 3, 2, 3],
  'window-result': [10, 3],
  'to first alert': [1, 3],
};

/** A row of the latency percentile chart: one point of one mode's curve of one metric. */
type PercentileRow = { mode: string; metric: string; percentile: number; nines: number; value_ms: number };

/** The points of `curves` for `metrics`, without p100 (max), at 0.001 ms or above (log axis). */
function percentileRows(curves: LatencyCurve[], metrics: LatencyMetric[]): PercentileRow[] {
  return curves
    .filter((c) => metrics.includes(c.metric))
    .flatMap((c) =>
      c.points
        .filter((p) => p.percentile < 100)
        .map((p) => ({
          mode: c.mode,
          metric: METRIC_LABELS[c.metric] ?? c.metric,
          percentile: p.percentile,
          nines: ninesOf(p.percentile),
          value_ms: Math.max(p.value_ms, LOG_FLOOR_MS),
        })),
    );
}

/** The x encoding of the percentile chart: the nines ticks up to the largest percentile drawn. */
function ninesAxis(values: PercentileRow[]): Record<string, unknown> {
  const maxX = values.reduce((m, v) => Math.max(m, v.nines), 0);
  const ticks = NINES_TICKS.filter((t) => t.x <= maxX + 0.01).map((t) => t.x);
  return {
    field: 'nines',
    type: 'quantitative',
    title: 'percentile',
    axis: { values: ticks.length > 1 ? ticks : [0], labelExpr: ninesLabelExpr(), grid: true },
  };
}

/** The y encoding of a latency chart: field `value_ms` on a log scale. */
function logLatencyAxis(title: string): Record<string, unknown> {
  return {
    field: 'value_ms',
    type: 'quantitative',
    title,
    scale: { type: 'log' },
    axis: { format: MS_FORMAT },
  };
}

/** The colour encoding by mode, with a legend of strokes. */
function modeStrokeColor(modes: string[]): Record<string, unknown> {
  return {
    field: 'mode',
    type: 'nominal',
    title: 'mode',
    scale: colorScale(modes),
    legend: strokeLegend(),
  };
}

/** The line layers of the percentile chart, one per metric that has rows. */
function metricLineLayers(
  values: PercentileRow[],
  metricDomain: string[],
  encoding: { x: unknown; y: unknown; color: unknown },
): unknown[] {
  const strokeDash = {
    field: 'metric',
    type: 'nominal',
    title: 'metric',
    scale: fixedScale(metricDomain, (m) => METRIC_DASHES[m] ?? SOLID),
    legend: strokeLegend({ symbolStrokeColor: '#444' }),
  };
  // One layer per metric, the first (event-time, solid and wider) at the bottom: a dashed curve
  // that lies on a solid one stays visible on top of it.
  return layersWithData(
    values,
    metricDomain.map((metric, i) => ({
      has: (v: { metric: string }) => v.metric === metric,
      layer: {
        transform: [{ filter: { field: 'metric', equal: metric } }],
        mark: { type: 'line', strokeWidth: i === 0 ? 3 : 1.5, opacity: i === 0 ? 0.75 : 1 },
        encoding: { x: encoding.x, y: encoding.y, color: encoding.color, strokeDash },
      },
    })),
  );
}

/** Invisible points: hover targets for the interactive report's tooltips. */
function percentileHoverLayer(x: unknown, y: unknown): unknown {
  return {
    mark: { type: 'point', opacity: 0, size: 60 },
    encoding: {
      x,
      y,
      tooltip: [
        { field: 'mode' },
        { field: 'metric' },
        { field: 'percentile', type: 'quantitative', format: ',~r' },
        { field: 'value_ms', type: 'quantitative', title: 'latency (ms)', format: ',.3~f' },
      ],
    },
  };
}

/**
 * (a) Latency percentile curves: x = percentile on a nines scale (-log10(1 - p/100), labelled
 * 50, 90, 99, 99.9, ...), y = latency ms on a log scale; colour = mode, dash = metric (solid
 * event-time, dashed processing-time; the legend shows the dashes). p100 (max) cannot sit on
 * this axis and is left out (it is in the tables). Values below 0.001 ms are drawn at 0.001 ms.
 */
export function latencyPercentileSpec(
  curves: LatencyCurve[],
  opts: { title?: string; metrics?: LatencyMetric[] } = {},
): TopLevelSpec {
  const metrics =
    opts.metrics ??
    (curves.some((c) => c.metric === 'result')
      ? (['event_time', 'processing_time', 'result'] as LatencyMetric[])
      : (['event_time', 'processing_time'] as LatencyMetric[]));
  const values = percentileRows(curves, metrics);
  const metricDomain = metrics.map((m) => METRIC_LABELS[m] ?? m);
  const x = ninesAxis(values);
  const y = logLatencyAxis('latency (ms, log scale)');
  const color = modeStrokeColor(values.map((v) => v.mode));
  const floored = curves.some(
    (c) => metrics.includes(c.metric) && c.points.some((p) => p.percentile < 100 && p.value_ms < LOG_FLOOR_MS),
  );
  const subtitle = [
    'colour: mode; line style: metric',
    ...(metrics.includes('result') && values.some((v) => v.metric === METRIC_LABELS.result)
      ? [
          "to first alert: from t_intended to a reading's first alert in the database, every mode (external ones as the results observer saw them)",
        ]
      : []),
    ...(floored ? [FLOOR_NOTE] : []),
  ];
  const spec = {
    $schema: SCHEMA,
    title: { text: opts.title ?? 'Latency by percentile', subtitle },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: [
      ...metricLineLayers(values, metricDomain, { x, y, color }),
      ...(values.length === 0 ? [] : [percentileHoverLayer(x, y)]),
    ],
  };
  return whenEmpty(spec as unknown as TopLevelSpec, values.length === 0, [0, 2], [1, 1000]);
}

export async function latencyPercentileChart(
  curves: LatencyCurve[],
  opts: { title?: string; metrics?: LatencyMetric[] } = {},
): Promise<string> {
  return renderSvg(latencyPercentileSpec(curves, opts));
}

// ---------------------------------------------------------------------------------------------
// Shading of the per-second charts: warm-up and fault windows

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

/** Options of the per-second charts. `second` in the timeseries is seconds since the load started. */
export interface TimeChartOptions {
  title?: string;
  /** Fault windows, shaded red and labelled with the fault's spec. */
  faults?: FaultWindow[];
  /** Warm-up length in seconds (results.json warmup.seconds): [0, warmupSeconds) is shaded grey. */
  warmupSeconds?: number;
}

const WARMUP_FILL = '#7f7f7f';
const FAULT_FILL = '#d62728';
/** Pixel height of one row of band labels. */
const LABEL_ROW = 11;

function bandLayers(
  values: Array<FaultWindow & { row: number }>,
  fill: string,
  opacity: number,
  text: string,
): unknown[] {
  if (values.length === 0) return [];
  const withY = values.map((v) => ({ ...v, label_y: 3 + v.row * LABEL_ROW }));
  return [
    {
      data: { values: withY },
      mark: { type: 'rect', color: fill, opacity },
      encoding: {
        x: { field: 'from', type: 'quantitative' },
        x2: { field: 'to' },
        tooltip: [
          { field: 'label', type: 'nominal', title: 'window' },
          { field: 'from', title: 'from (s)' },
          { field: 'to', title: 'to (s)' },
        ],
      },
    },
    {
      data: { values: withY },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, fontSize: 9, color: text },
      encoding: {
        x: { field: 'from', type: 'quantitative' },
        y: { field: 'label_y', type: 'quantitative', scale: null },
        text: { field: 'label', type: 'nominal' },
      },
    },
  ];
}

/**
 * The chart with the warm-up and the fault windows shaded behind its marks (unchanged when there
 * are neither). Labels sit in rows from the top: the warm-up's first, then one row per fault, so
 * that overlapping faults keep readable labels.
 */
function withShading(spec: TopLevelSpec, opts: { faults?: FaultWindow[]; warmupSeconds?: number }): TopLevelSpec {
  const faults = opts.faults ?? [];
  const warm = opts.warmupSeconds ?? 0;
  if (faults.length === 0 && !(warm > 0)) return spec;
  const { layer, mark, encoding, transform, ...top } = spec as unknown as Record<string, unknown>;
  const main: unknown[] = Array.isArray(layer) ? layer : [{ mark, encoding, ...(transform ? { transform } : {}) }];
  const warmRows = warm > 0 ? [{ label: `warm-up (${warm} s)`, from: 0, to: warm, row: 0 }] : [];
  const faultRows = faults.map((f, i) => ({ ...f, row: i + warmRows.length }));
  // Rebuilt from its untyped parts, as whenEmpty does: the result is a layered spec again.
  return {
    ...top,
    layer: [
      ...bandLayers(warmRows, WARMUP_FILL, 0.15, '#555555'),
      ...bandLayers(faultRows, FAULT_FILL, 0.12, FAULT_FILL),
      ...main,
    ],
  } as unknown as TopLevelSpec;
}

/** The subtitle line that explains the shading (none when nothing is shaded). */
function shadingNote(opts: TimeChartOptions): string[] {
  const parts: string[] = [];
  if ((opts.warmupSeconds ?? 0) > 0) parts.push('grey: warm-up (excluded from the latency figures)');
  if ((opts.faults ?? []).length > 0) parts.push('red: a fault, until recovery');
  return parts.length ? [`shaded ${parts.join('; ')}`] : [];
}

const SECOND_AXIS = {
  field: 'second',
  type: 'quantitative',
  title: 'seconds since the load started',
  axis: { tickMinStep: 1, format: ',d' },
};

// ---------------------------------------------------------------------------------------------
// (b) Throughput over time

/**
 * Layers of a chart of rate series (field `series`, `rate`; `discrete` marks a discrete mode's
 * output): achieved input wide and light grey at the bottom, then each mode's output, then the
 * offered rate thin, dark and dashed on top, so that it stays visible where the others equal it.
 * Colour and dash share one legend ("series"), whose strokes show both.
 */
type RateRow = { series: string; rate: number; discrete: boolean };

function rateLayers(
  rows: RateRow[],
  names: string[],
  x: Record<string, unknown>,
  y: Record<string, unknown>,
  tooltip: unknown[],
  spikes: boolean,
): unknown[] {
  const domain = colorScale(names).domain;
  const color = { field: 'series', type: 'nominal', title: 'series', scale: colorScale(names), legend: strokeLegend() };
  const strokeDash = {
    field: 'series',
    type: 'nominal',
    title: 'series',
    scale: fixedScale(domain, (n) => (n === 'offered' ? DASHED : SOLID)),
  };
  const line = (filter: string, strokeWidth: number, opacity = 1, points = !spikes): unknown => ({
    transform: [{ filter }],
    mark: { type: 'line', strokeWidth, opacity, ...(points ? { point: { filled: true, size: 40 } } : {}) },
    encoding: { x, y, color, strokeDash, tooltip },
  });
  const isInput = "(datum.series === 'achieved' || datum.series === 'achieved input')";
  const input = (r: RateRow): boolean => r.series === 'achieved' || r.series === 'achieved input';
  const output = (r: RateRow): boolean => !input(r) && r.series !== 'offered';
  const discreteRows = 'datum.discrete && datum.rate > 0';
  const spike = (r: RateRow): boolean => r.discrete && r.rate > 0;
  return layersWithData(rows, [
    { has: input, layer: line(isInput, 4, 0.8) },
    {
      has: (r) => output(r) && !r.discrete,
      layer: line(`!${isInput} && datum.series !== 'offered' && !datum.discrete`, 2),
    },
    ...(spikes
      ? [
          {
            has: spike,
            layer: {
              transform: [{ filter: discreteRows }],
              mark: { type: 'rule', strokeWidth: 2 },
              encoding: { x, y, y2: { datum: 0 }, color, tooltip },
            },
          },
          {
            has: spike,
            layer: {
              transform: [{ filter: discreteRows }],
              mark: { type: 'point', filled: true, size: 50, opacity: 1 },
              encoding: { x, y, color, tooltip },
            },
          },
        ]
      : [
          {
            has: (r: RateRow) => output(r) && r.discrete,
            layer: line(`!${isInput} && datum.series !== 'offered' && datum.discrete`, 2),
          },
        ]),
    { has: (r) => r.series === 'offered', layer: line("datum.series === 'offered'", 1.5, 1, false) },
  ]);
}

/**
 * (b) Throughput over time: offered (dark grey, dashed) and achieved input (light grey, wide)
 * and each mode's output, readings/s. A discrete mode's output (batch) is drawn as spikes with a
 * point on top at the seconds its passes committed, not as a line. Output counts measured
 * readings only, so it is not drawn in the warm-up (where it would read as 0).
 *
 * When the run had an external mode, whose output is counted in results (alerts, flagged
 * readings) rather than readings, a second panel below gives every mode's results per second.
 */
export function throughputSpec(ts: TimeseriesPoint[], opts: TimeChartOptions = {}): TopLevelSpec {
  const warmup = opts.warmupSeconds ?? 0;
  const values: Array<{ second: number; series: string; rate: number; discrete: boolean }> = [];
  for (const p of ts) {
    values.push({ second: p.second, series: 'offered', rate: p.offered, discrete: false });
    values.push({ second: p.second, series: 'achieved', rate: p.achieved, discrete: false });
    if (p.second < warmup) continue;
    for (const [mode, v] of Object.entries(p.output)) {
      values.push({ second: p.second, series: `output ${mode}`, rate: v, discrete: DISCRETE_MODES.has(mode) });
    }
  }
  const names = values.length ? values.map((v) => v.series) : ['offered', 'achieved', 'output stream', 'output batch'];
  const y = { field: 'rate', type: 'quantitative', title: 'readings per second', axis: { format: RATE_FORMAT } };
  const tooltip = [
    { field: 'series' },
    { field: 'second', title: 'second' },
    { field: 'rate', type: 'quantitative', title: 'readings/s', format: ',~r' },
  ];
  const readingsPanel = withShading(
    whenEmpty(
      {
        width: WIDTH,
        height: HEIGHT,
        data: { values },
        layer: rateLayers(values, names, SECOND_AXIS, y, tooltip, true),
      } as unknown as TopLevelSpec,
      values.length === 0,
      [0, Math.max(1, warmup)],
      [0, 1],
    ),
    opts,
  );
  const resultsPanel = resultsPerSecondPanel(ts, opts);
  const title = {
    text: opts.title ?? 'Throughput over time',
    subtitle: [
      'batch output: a spike at each second a batch pass committed',
      ...(warmup > 0 ? ['output is counted from the end of the warm-up (measured readings only)'] : []),
      ...shadingNote(opts),
      ...(resultsPanel
        ? ["below: results per second of every mode (an external job's output is counted in results)"]
        : []),
    ],
  };
  if (!resultsPanel) {
    const { $schema: _s, ...rest } = readingsPanel as unknown as Record<string, unknown>;
    return { $schema: SCHEMA, title, ...rest } as unknown as TopLevelSpec;
  }
  // Each panel has its own series: its own colour and dash scales (and legends).
  return {
    $schema: SCHEMA,
    title,
    vconcat: [readingsPanel, resultsPanel],
    resolve: {
      scale: { color: 'independent', strokeDash: 'independent' },
      legend: { color: 'independent', strokeDash: 'independent' },
    },
  } as unknown as TopLevelSpec;
}

/** Every mode's results (alerts, flags) per second of the measured phase; null when the timeseries has none. */
function resultsPerSecondPanel(ts: TimeseriesPoint[], opts: TimeChartOptions): TopLevelSpec | null {
  if (!ts.some((p) => p.results)) return null;
  const warmup = opts.warmupSeconds ?? 0;
  const rows: Array<RateRow & { second: number }> = [];
  for (const p of ts) {
    if (p.second < warmup) continue;
    for (const [mode, v] of Object.entries(p.results ?? {}))
      rows.push({ second: p.second, series: mode, rate: v, discrete: DISCRETE_MODES.has(mode) });
  }
  const y = { field: 'rate', type: 'quantitative', title: 'results per second', axis: { format: RATE_FORMAT } };
  const tooltip = [
    { field: 'series', title: 'mode' },
    { field: 'second', title: 'second' },
    { field: 'rate', type: 'quantitative', title: 'results/s', format: ',~r' },
  ];
  return withShading(
    whenEmpty(
      {
        width: WIDTH,
        height: Math.round(HEIGHT * 0.6),
        data: { values: rows },
        layer: rateLayers(
          rows,
          rows.map((r) => r.series),
          SECOND_AXIS,
          y,
          tooltip,
          true,
        ),
      } as unknown as TopLevelSpec,
      rows.length === 0,
      [0, Math.max(1, warmup)],
      [0, 1],
    ),
    opts,
  );
}

/** (b) Throughput over time as SVG. */
export async function throughputChart(ts: TimeseriesPoint[], opts: TimeChartOptions = {}): Promise<string> {
  return renderSvg(throughputSpec(ts, opts));
}

// ---------------------------------------------------------------------------------------------
// (c) p99 over time

/**
 * (c) p99 event-time latency per second, per mode, on a log scale. A continuous mode (stream) is
 * a line with points, broken where a second has no result; a discrete mode (batch) is points
 * only (diamonds), one per second in which a pass committed.
 */
export function p99OverTimeSpec(ts: TimeseriesPoint[], opts: TimeChartOptions = {}): TopLevelSpec {
  const { values, floored } = p99Points(ts);
  const externals = [...new Set(ts.flatMap((p) => Object.keys(p.result_p99_ms ?? {})))];
  const modes = colorScale(values.map((v) => v.mode)).domain;
  const color = { field: 'mode', type: 'nominal', title: 'mode', scale: colorScale(modes) };
  const shape = {
    field: 'mode',
    type: 'nominal',
    title: 'mode',
    scale: fixedScale(modes, (m) => (DISCRETE_MODES.has(m) ? 'diamond' : 'circle')),
  };
  const size = { condition: { test: 'datum.discrete', value: 90 }, value: 25 };
  const y = {
    field: 'p99_ms',
    type: 'quantitative',
    title: 'p99 latency (ms, log scale)',
    scale: { type: 'log' },
    axis: { format: MS_FORMAT },
  };
  const spec = {
    $schema: SCHEMA,
    title: { text: opts.title ?? 'p99 event-time latency over time', subtitle: p99Subtitle(externals, floored, opts) },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: layersWithData(values, [
      {
        has: (v) => !v.discrete && v.p99_ms !== null,
        layer: {
          transform: [{ filter: '!datum.discrete' }],
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: { x: SECOND_AXIS, y, color },
        },
      },
      {
        has: (v) => v.p99_ms !== null,
        layer: {
          transform: [{ filter: 'datum.p99_ms !== null' }],
          mark: { type: 'point', filled: true, opacity: 1 },
          encoding: {
            x: SECOND_AXIS,
            y,
            color,
            shape,
            size,
            tooltip: [
              { field: 'mode' },
              { field: 'second', title: 'second' },
              { field: 'p99_ms', type: 'quantitative', title: 'p99 (ms)', format: ',.1~f' },
            ],
          },
        },
      },
    ]),
  };
  const span = [0, Math.max(1, opts.warmupSeconds ?? 0)];
  return withShading(
    whenEmpty(spec as unknown as TopLevelSpec, !values.some((v) => v.p99_ms !== null), span, [1, 1000]),
    opts,
  );
}

interface P99Point {
  second: number;
  mode: string;
  p99_ms: number | null;
  discrete: boolean;
}

/** Each mode's p99 per second, raised to the log scale's floor (`floored`: some value was). */
function p99Points(ts: TimeseriesPoint[]): { values: P99Point[]; floored: boolean } {
  const values: P99Point[] = [];
  let floored = false;
  for (const p of ts) {
    // External modes: the p99 of their readings' result latency, by the second a poll first saw the result.
    for (const [mode, v] of [...Object.entries(p.p99_ms), ...Object.entries(p.result_p99_ms ?? {})]) {
      const discrete = DISCRETE_MODES.has(mode);
      if (v === null && discrete) continue;
      if (v !== null && v < LOG_FLOOR_MS) floored = true;
      // A null in a continuous mode breaks its line: seconds without results are gaps.
      values.push({ second: p.second, mode, p99_ms: v === null ? null : Math.max(v, LOG_FLOOR_MS), discrete });
    }
  }
  return { values, floored };
}

function p99Subtitle(externals: string[], floored: boolean, opts: TimeChartOptions): string[] {
  return [
    'stream: a line, broken where a second has no result; batch: a point per pass',
    ...(externals.length
      ? [
          `${externals.join(', ')} (external): p99 latency to a reading's first alert, by the second a poll first saw it`,
        ]
      : []),
    ...shadingNote(opts),
    ...(floored ? [FLOOR_NOTE] : []),
  ];
}

/** (c) p99 event-time latency per second as SVG. */
export async function p99OverTimeChart(ts: TimeseriesPoint[], opts: TimeChartOptions = {}): Promise<string> {
  return renderSvg(p99OverTimeSpec(ts, opts));
}

// ---------------------------------------------------------------------------------------------
// (d) Sweeps

/** The x encoding of a sweep chart: ticks at the tested rates; log scale when they span 10x or more. */
function offeredRateAxis(rates: number[]): Record<string, unknown> {
  const distinct = [...new Set(rates.filter((r) => r > 0))].sort((a, b) => a - b);
  const log = distinct.length > 1 && distinct[distinct.length - 1]! / distinct[0]! >= 10;
  return {
    field: 'offered_rate',
    type: 'quantitative',
    title: `offered rate (readings/s${log ? ', log scale' : ''})`,
    ...(log ? { scale: { type: 'log' } } : {}),
    axis: { format: RATE_FORMAT, ...(distinct.length ? { values: distinct } : {}), labelOverlap: true },
  };
}

const STAT_DASHES: Record<string, number[]> = { p50: SOLID, p99: DASHED };
const STAT_SHAPES: Record<string, string> = { p50: 'circle', p99: 'triangle-up' };

/** A row of the sweep latency chart: one percentile of one mode at one offered rate. */
type SweepLatencyRow = { offered_rate: number; mode: string; stat: string; value_ms: number };

/**
 * p50 and p99 latency of each mode of each run (event-time; with external modes every mode's
 * latency to a reading's first alert); modes without samples are left out.
 */
function sweepLatencyRows(sweep: SweepResult): SweepLatencyRow[] {
  const values: SweepLatencyRow[] = [];
  const kind = sweepLatencyKind(sweep);
  for (const { result } of sweep.runs) {
    const latencies: Array<{ mode: string; s: LatencySummary | undefined }> =
      kind === 'result'
        ? Object.entries(result.external?.result_latency ?? {}).map(([mode, s]) => ({ mode, s }))
        : result.modes.map((m) => ({ mode: m.mode, s: m.event_time_latency }));
    for (const { mode, s } of latencies) {
      if (!s || s.count === 0) continue;
      values.push({
        offered_rate: result.input.offered_rate,
        mode,
        stat: 'p50',
        value_ms: Math.max(s.p50, LOG_FLOOR_MS),
      });
      values.push({
        offered_rate: result.input.offered_rate,
        mode,
        stat: 'p99',
        value_ms: Math.max(s.p99, LOG_FLOOR_MS),
      });
    }
  }
  return values;
}

const STATS = ['p50', 'p99'];
/** The legend of the sweep latency chart's percentiles: shapes outlined with the dash. */
const STAT_LEGEND = { symbolStrokeColor: '#444', symbolFillColor: 'white', symbolSize: 250, symbolStrokeWidth: 2 };

/** The line layer of the sweep latency chart: one line per mode and percentile, dashed by percentile. */
function sweepLatencyLineLayer(x: unknown, y: unknown, color: unknown): unknown {
  return {
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x,
      y,
      color,
      // strokeDash and shape share one legend ("percentile"): its symbols are the shapes, outlined with the dash.
      strokeDash: {
        field: 'stat',
        type: 'nominal',
        title: 'percentile',
        scale: fixedScale(STATS, (s) => STAT_DASHES[s]!),
        legend: { ...STAT_LEGEND },
      },
      detail: { field: 'stat' },
    },
  };
}

/** The point layer of the sweep latency chart: a shape per percentile, with the tooltips. */
function sweepLatencyPointLayer(x: unknown, y: unknown, color: unknown): unknown {
  return {
    mark: { type: 'point', filled: true, size: 60, opacity: 1 },
    encoding: {
      x,
      y,
      color,
      shape: {
        field: 'stat',
        type: 'nominal',
        title: 'percentile',
        scale: fixedScale(STATS, (s) => STAT_SHAPES[s]!),
        legend: { ...STAT_LEGEND },
      },
      tooltip: [
        { field: 'mode' },
        { field: 'stat', title: 'percentile' },
        { field: 'offered_rate', title: 'offered (readings/s)', format: ',~r' },
        { field: 'value_ms', title: 'latency (ms)', format: ',.1~f' },
      ],
    },
  };
}

/** (d1) Sweep: p50 (solid, circles) and p99 (dashed, triangles) event-time latency vs offered rate, per mode (log y). Empty modes are left out. */
export function sweepLatencySpec(sweep: SweepResult, opts: { title?: string } = {}): TopLevelSpec {
  const values = sweepLatencyRows(sweep);
  const x = offeredRateAxis(sweep.runs.map((r) => r.result.input.offered_rate));
  const result = sweepLatencyKind(sweep) === 'result';
  const y = logLatencyAxis(`${result ? "latency to a reading's first alert" : 'event-time latency'} (ms, log scale)`);
  const color = modeStrokeColor(values.map((v) => v.mode));
  const spec = {
    $schema: SCHEMA,
    title: {
      text: opts.title ?? `${result ? 'Latency to first alert' : 'Event-time latency'} vs offered rate`,
      subtitle: [
        'colour: mode; p50 solid with circles, p99 dashed with triangles; a point per run',
        ...(values.some((v) => v.value_ms === LOG_FLOOR_MS) ? [FLOOR_NOTE] : []),
      ],
    },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: [sweepLatencyLineLayer(x, y, color), sweepLatencyPointLayer(x, y, color)],
  };
  return whenEmpty(spec as unknown as TopLevelSpec, values.length === 0, [0, 1], [1, 1000]);
}

export async function sweepLatencyChart(sweep: SweepResult, opts: { title?: string } = {}): Promise<string> {
  return renderSvg(sweepLatencySpec(sweep, opts));
}

/**
 * (d2) Sweep: offered (dashed grey, y = x), achieved input rate and output rate per mode vs
 * offered rate. An external mode's output is counted in results, not readings: it is drawn as the
 * share of the expected results it delivered, times the achieved input (readings/s it kept up with).
 */
export function sweepThroughputSpec(sweep: SweepResult, opts: { title?: string } = {}): TopLevelSpec {
  // One value per run and series: a line across rates is a trend for every mode (discrete: false).
  const values: Array<{ offered_rate: number; series: string; rate: number; discrete: boolean }> = [];
  for (const { result } of sweep.runs) {
    const x = result.input.offered_rate;
    values.push({ offered_rate: x, series: 'offered', rate: x, discrete: false });
    values.push({ offered_rate: x, series: 'achieved input', rate: result.input.achieved_rate, discrete: false });
    for (const m of result.modes)
      values.push({ offered_rate: x, series: `output ${m.mode}`, rate: m.output_rate, discrete: false });
    for (const j of result.external?.jobs ?? [])
      if (j.expected_rate > 0)
        values.push({
          offered_rate: x,
          series: `output ${j.name}`,
          rate: Math.min(1, j.output_rate / j.expected_rate) * result.input.achieved_rate,
          discrete: false,
        });
  }
  const externals = [...new Set(sweep.runs.flatMap((r) => (r.result.external?.jobs ?? []).map((j) => j.name)))];
  const names = values.length
    ? values.map((v) => v.series)
    : ['offered', 'achieved input', 'output stream', 'output batch'];
  const x = offeredRateAxis(sweep.runs.map((r) => r.result.input.offered_rate));
  const y = { field: 'rate', type: 'quantitative', title: 'readings per second', axis: { format: RATE_FORMAT } };
  const tooltip = [
    { field: 'series' },
    { field: 'offered_rate', title: 'offered (readings/s)', format: ',~r' },
    { field: 'rate', title: 'readings/s', format: ',.1~f' },
  ];
  const spec = {
    $schema: SCHEMA,
    title: {
      text: opts.title ?? 'Throughput vs offered rate',
      subtitle: [
        'offered (dashed) is the ideal: a series on it keeps up; a point per run',
        ...(externals.length
          ? [`${externals.join(', ')} (external): results delivered / results expected, times the achieved input`]
          : []),
      ],
    },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: rateLayers(values, names, x, y, tooltip, false),
  };
  return whenEmpty(spec as unknown as TopLevelSpec, values.length === 0, [0, 1], [0, 1]);
}

export async function sweepThroughputChart(sweep: SweepResult, opts: { title?: string } = {}): Promise<string> {
  return renderSvg(sweepThroughputSpec(sweep, opts));
}
