import { Resvg } from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { decodeCurves } from '../../../../src/results/histogram.js';
import {
  MODE_COLORS,
  colorScale,
  faultWindows,
  latencyPercentileChart,
  latencyPercentileSpec,
  ninesOf,
  p99OverTimeChart,
  p99OverTimeSpec,
  pngFontOptions,
  renderPng,
  renderSvg,
  seriesColor,
  sweepLatencyChart,
  sweepLatencySpec,
  sweepThroughputChart,
  sweepThroughputSpec,
  throughputChart,
  throughputSpec,
} from '../../../../src/harness/report/charts.js';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TimeseriesPoint } from '../../../../src/results/schema.js';
import { sweptCostSpec } from '../../../../src/harness/report/sweep-charts.js';
import { tradeoffSpec } from '../../../../src/harness/report/tradeoff.js';
import { writeRunReport } from '../../../../src/harness/report/write.js';
import { hist, makeExternalRunResult, makeRunResult, makeSweep } from '../fixture.js';

describe('charts', () => {
  it('nines scale', () => {
    expect(ninesOf(0)).toBeCloseTo(0);
    expect(ninesOf(90)).toBeCloseTo(1);
    expect(ninesOf(99.9)).toBeCloseTo(3);
  });

  it('latency percentile chart: SVG with modes and nines labels', async () => {
    const svg = await latencyPercentileChart(decodeCurves(makeRunResult().histograms), { title: 'FAKE latency title' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('FAKE latency title');
    expect(svg).toContain('stream');
    expect(svg).toContain('batch');
    expect(svg).toContain('>99.9<');
    expect(svg).not.toContain('>99.99<'); // 1000 samples cannot resolve p99.99
  });

  it('throughput and p99 over time', async () => {
    const r = makeRunResult();
    const t = await throughputChart(r.timeseries);
    expect(t.startsWith('<svg')).toBe(true);
    expect(t).toContain('output stream');
    expect(t).toContain('offered');
    const p = await p99OverTimeChart(r.timeseries);
    expect(p.startsWith('<svg')).toBe(true);
    expect(p).toContain('batch');
  });

  it('sweep charts', async () => {
    const s = makeSweep();
    const l = await sweepLatencyChart(s);
    expect(l.startsWith('<svg')).toBe(true);
    expect(l).toContain('p99');
    const t = await sweepThroughputChart(s);
    expect(t.startsWith('<svg')).toBe(true);
    expect(t).toContain('achieved input');
    expect(t).toContain('4,000'); // an offered rate on the x axis
  });

  it('empty data still renders', async () => {
    expect((await latencyPercentileChart([])).startsWith('<svg')).toBe(true);
    expect((await throughputChart([])).startsWith('<svg')).toBe(true);
    expect((await p99OverTimeChart([])).startsWith('<svg')).toBe(true);
    expect((await sweepLatencyChart({ runs: [] })).startsWith('<svg')).toBe(true);
  });
});

describe('fault windows on the per-second charts', () => {
  it('shades each fault from its injection to its recovery, labelled with its spec', async () => {
    const windows = faultWindows([
      {
        fault: 'kill:stream@5s',
        injected: true,
        target: 'stream role',
        injected_at_s: 5,
        ended_at_s: 5,
        detected_at_s: 5,
        detected_by: 'role exit',
        recovered_at_s: 12,
        recovery_s: 7,
        restarts: [],
        p99_during_ms: {},
        p99_outside_ms: {},
      },
      {
        fault: 'db-restart@20s:5s',
        injected: true,
        target: 'database server',
        injected_at_s: null,
        ended_at_s: null,
        detected_at_s: null,
        detected_by: 'not injected',
        recovered_at_s: null,
        recovery_s: null,
        restarts: [],
        p99_during_ms: {},
        p99_outside_ms: {},
      },
    ]);
    expect(windows).toEqual([{ label: 'kill:stream@5s', from: 5, to: 12 }]);
    const ts = Array.from({ length: 20 }, (_, second) => ({
      second,
      offered: 100,
      achieved: 100,
      output: { stream: 100 },
      p99_ms: { stream: 20 },
      backlog: {},
    }));
    const svg = await throughputChart(ts, { faults: windows });
    expect(svg).toContain('kill:stream@5s');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(await throughputChart(ts)).not.toContain('kill:stream');
  });
});

/** Every object in a spec (layers, encodings, scales...). */
function walk(node: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) for (const n of node) walk(n, visit);
  else if (node && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    for (const v of Object.values(node)) walk(v, visit);
  }
}

/** name -> colour of every colour scale in a spec (throws if one name gets two colours). */
function colorsOf(spec: TopLevelSpec): Map<string, string> {
  const out = new Map<string, string>();
  walk(spec, (o) => {
    const color = o.color as { scale?: { domain?: string[]; range?: string[] } } | undefined;
    if (!color || typeof color !== 'object' || !color.scale?.domain) return;
    color.scale.domain.forEach((name, i) => {
      const c = color.scale!.range![i]!;
      if (out.has(name) && out.get(name) !== c) throw new Error(`${name} has two colours`);
      out.set(name, c);
    });
  });
  return out;
}

function layersOf(spec: TopLevelSpec): Array<Record<string, unknown>> {
  return (spec as unknown as { layer?: Array<Record<string, unknown>> }).layer ?? [];
}

function markType(layer: Record<string, unknown>): string {
  const m = layer.mark;
  return typeof m === 'string' ? m : String((m as { type: string }).type);
}

/** The fixture's per-second series with the modes in the given order (object key order). */
function timeseries(modes: string[]): TimeseriesPoint[] {
  return makeRunResult().timeseries.map((p) => ({
    ...p,
    output: Object.fromEntries(modes.map((m) => [m, p.output[m]!])),
    p99_ms: Object.fromEntries(modes.map((m) => [m, p.p99_ms[m]!])),
  }));
}

async function warnings(spec: TopLevelSpec): Promise<string[]> {
  const w: string[] = [];
  await renderSvg(spec, { onWarning: (m) => w.push(m) });
  return w;
}

describe('charts read right', () => {
  const run = makeRunResult();
  const curves = decodeCurves(run.histograms);
  const allSpecs = (modes: string[]): Record<string, TopLevelSpec> => ({
    latency: latencyPercentileSpec(modes[0] === 'batch' ? [...curves].reverse() : curves),
    throughput: throughputSpec(timeseries(modes), { warmupSeconds: 1 }),
    p99: p99OverTimeSpec(timeseries(modes), { warmupSeconds: 1 }),
    sweepLatency: sweepLatencySpec(makeSweep()),
    sweepThroughput: sweepThroughputSpec(makeSweep()),
  });

  it('one fixed colour per mode in every chart, whatever order the modes come in', () => {
    expect(MODE_COLORS.stream).not.toBe(MODE_COLORS.batch);
    for (const order of [
      ['stream', 'batch'],
      ['batch', 'stream'],
    ]) {
      for (const [name, spec] of Object.entries(allSpecs(order))) {
        const colors = colorsOf(spec);
        expect(colors.size, name).toBeGreaterThan(0);
        for (const [series, color] of colors) {
          if (/\bstream\b/.test(series)) expect(color, `${name}: ${series}`).toBe(MODE_COLORS.stream);
          if (/\bbatch\b/.test(series)) expect(color, `${name}: ${series}`).toBe(MODE_COLORS.batch);
        }
      }
    }
    // Offered and achieved are greys, distinct from each other and from the modes.
    const grey = /^#([0-9a-f]{2})\1\1$/i;
    expect(seriesColor('offered')).toMatch(grey);
    expect(seriesColor('achieved')).toMatch(grey);
    expect(seriesColor('achieved input')).toBe(seriesColor('achieved'));
    expect(seriesColor('offered')).not.toBe(seriesColor('achieved'));
    expect(colorScale(['batch', 'offered', 'stream']).domain).toEqual(['offered', 'stream', 'batch']);
  });

  it('the SVGs draw stream blue and batch orange', async () => {
    const svg = await p99OverTimeChart(timeseries(['batch', 'stream']));
    expect(svg).toContain(`fill="${MODE_COLORS.stream}"`);
    expect(svg).toContain(`fill="${MODE_COLORS.batch}"`);
  });

  it('shades the warm-up on both per-second charts, together with the fault windows', async () => {
    const faults = [{ label: 'kill:stream@2s', from: 2, to: 3 }];
    for (const build of [throughputSpec, p99OverTimeSpec]) {
      const spec = build(run.timeseries, { warmupSeconds: run.warmup.seconds, faults });
      const rects = layersOf(spec).filter((l) => markType(l) === 'rect');
      const bands = rects.flatMap(
        (l) => (l.data as { values: Array<{ label: string; from: number; to: number }> }).values,
      );
      expect(bands.map(({ label, from, to }) => ({ label, from, to }))).toEqual([
        { label: 'warm-up (3 s)', from: 0, to: 3 },
        { label: 'kill:stream@2s', from: 2, to: 3 },
      ]);
      // The bands sit behind the data.
      expect(markType(layersOf(spec)[0]!)).toBe('rect');
    }
    const svg = await throughputChart(run.timeseries, { warmupSeconds: 3, faults });
    expect(svg).toContain('warm-up (3 s)');
    expect(svg).toContain('kill:stream@2s');
    expect(svg).toContain('shaded grey: warm-up');
    // No warm-up, no fault: no band.
    expect(layersOf(throughputSpec(run.timeseries)).some((l) => markType(l) === 'rect')).toBe(false);
    expect(await throughputChart(run.timeseries)).not.toContain('warm-up');
  });

  it('draws batch p99 as points, never as a line; stream as a line broken where a second has no result', async () => {
    const ts = timeseries(['stream', 'batch']);
    ts[2]!.p99_ms.stream = null;
    const svg = await p99OverTimeChart(ts);
    const lineGroups = svg.match(/<g class="mark-line role-mark[^"]*"[^>]*>.*?<\/g>/gs) ?? [];
    expect(lineGroups.length).toBeGreaterThan(0);
    for (const g of lineGroups) {
      expect(g).not.toContain('mode: batch');
      expect(g).not.toContain(MODE_COLORS.batch);
      // The null second breaks the stream's path: two sub-paths (M ... M ...).
      expect((g.match(/d="M/g) ?? []).length + (g.match(/[0-9]M/g) ?? []).length).toBeGreaterThanOrEqual(2);
    }
    const symbols = svg.match(/<g class="mark-symbol role-mark[^"]*"[^>]*>.*?<\/g>/gs) ?? [];
    expect(symbols.join('')).toContain('mode: batch');
    // Throughput: batch output as spikes (rules) with points, not a line.
    const t = await throughputChart(ts);
    for (const g of t.match(/<g class="mark-line role-mark[^"]*"[^>]*>.*?<\/g>/gs) ?? [])
      expect(g).not.toContain('output batch');
    expect((t.match(/<g class="mark-rule role-mark[^"]*"[^>]*>.*?<\/g>/gs) ?? []).join('')).toContain('output batch');
  });

  it('legends show the dash of each metric and percentile', async () => {
    const legend = (svg: string): string => svg.slice(svg.indexOf('role-legend'));
    const lat = legend(await latencyPercentileChart(curves));
    expect(lat).toContain('processing-time');
    expect(lat).toMatch(/stroke-dasharray="6,4"/);
    const sweep = legend(await sweepLatencyChart(makeSweep()));
    expect(sweep).toContain('p99');
    expect(sweep).toMatch(/stroke-dasharray="6,4"/);
    const thr = legend(await throughputChart(run.timeseries));
    expect(thr).toContain('offered');
    expect(thr).toMatch(/stroke-dasharray="6,4"/);
  });

  it('axis labels have thousands separators and no run of decimals', async () => {
    const svgs = [
      await latencyPercentileChart(curves),
      await throughputChart(run.timeseries, { warmupSeconds: 1 }),
      await p99OverTimeChart(run.timeseries),
      await sweepLatencyChart(makeSweep()),
      await sweepThroughputChart(makeSweep()),
    ];
    for (const svg of svgs) {
      const labels = [...svg.matchAll(/<g class="mark-text role-axis-label"[^>]*>(.*?)<\/g>/gs)].flatMap((m) =>
        [...m[1]!.matchAll(/>([^<]+)<\/text>/g)].map((x) => x[1]!),
      );
      expect(labels.length).toBeGreaterThan(0);
      for (const l of labels) expect(l).not.toMatch(/\.\d{3,}|\.0+$|e[+-]?\d/);
    }
    expect(svgs[4]).toContain('>4,000<');
  });

  it('no chart makes vega or vega-lite warn, with data or without', async () => {
    const empty = { runs: [] };
    for (const spec of [
      ...Object.values(allSpecs(['stream', 'batch'])),
      latencyPercentileSpec([]),
      throughputSpec([]),
      p99OverTimeSpec([]),
      sweepLatencySpec(empty),
      sweepThroughputSpec(empty),
      throughputSpec(timeseries(['stream'])),
      p99OverTimeSpec(timeseries(['batch']), { warmupSeconds: 2, faults: [{ label: 'f', from: 1, to: 2 }] }),
    ]) {
      expect(await warnings(spec)).toEqual([]);
    }
    expect(await throughputChart([])).toContain('no data');
  });
});

describe('PNG', () => {
  const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  it('renders an SVG to a PNG twice its size', async () => {
    const svg = await throughputChart(makeRunResult().timeseries, { warmupSeconds: 1 });
    const png = await renderPng(svg);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.length).toBeGreaterThan(20_000);
    const svgWidth = Number(/<svg[^>]* width="(\d+(?:\.\d+)?)"/.exec(svg)![1]);
    expect(png.readUInt32BE(16)).toBe(Math.round(svgWidth * 2)); // IHDR width
  });

  it('has a font: text is drawn, not left out', () => {
    const text = (content: string): Buffer =>
      new Resvg(
        `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="white"/>` +
          `<text x="5" y="28" font-family="sans-serif" font-size="20" fill="black">${content}</text></svg>`,
        { font: pngFontOptions() },
      ).render().pixels;
    const dark = (pixels: Buffer): number => {
      let n = 0;
      for (let i = 0; i < pixels.length; i += 4) if (pixels[i]! < 128) n++;
      return n;
    };
    expect(dark(text(''))).toBe(0);
    expect(dark(text('warm-up 1,000 ms'))).toBeGreaterThan(200);
  });
});

describe('charts that stand alone and do not mislead (issue 19)', () => {
  const axisLabels = (svg: string): string[] =>
    [...svg.matchAll(/<g class="mark-text role-axis-label"[^>]*>(.*?)<\/g>/gs)].flatMap((m) =>
      [...m[1]!.matchAll(/>([^<]+)<\/text>/g)].map((x) => x[1]!),
    );

  it('a cost axis in the thousands reads 1,200, never 1.2e+3; a latency axis does not run down to 0.001 ms', async () => {
    const s = makeSweep();
    s.runs.forEach((r, i) => {
      r.result.cost = {
        modes: {
          stream: {
            cpu_s: 1,
            peak_rss_mib: 1,
            busy_s: 1,
            db_rows: 1,
            db_transactions: 1,
            readings: 1000,
            cpu_ms_per_1000_readings: 600 + 300 * i,
          },
        },
        broker_cpu_s: null,
        database_cpu_s: null,
        sampled_s: 1,
      };
    });
    const cost = await renderSvg(sweptCostSpec(s));
    expect(axisLabels(cost)).toContain('1,200');
    for (const l of axisLabels(cost)) expect(l).not.toMatch(/e[+-]?\d/);
    // A percentile curve starting at 0 ms is drawn from the 1 ms floor, and the chart says so.
    const zero = decodeCurves({ 'stream.event_time': hist([0, 0, 0, 5, 10, 20]).encode() });
    const svg = await renderSvg(latencyPercentileSpec(zero));
    expect(axisLabels(svg)).not.toContain('0.001');
    expect(svg).toContain('values under 1 ms');
  });

  it('the throughput chart draws no output in the warm-up (where the stream would read as 0)', () => {
    const spec = throughputSpec(makeRunResult().timeseries, { warmupSeconds: 2 }) as unknown as {
      data: { values: Array<{ second: number; series: string }> };
    };
    const outputs = spec.data.values.filter((v) => v.series.startsWith('output '));
    expect(outputs.length).toBeGreaterThan(0);
    expect(outputs.every((v) => v.second >= 2)).toBe(true);
    expect(spec.data.values.some((v) => v.series === 'offered' && v.second === 0)).toBe(true);
  });

  it('every chart of a run with an external mode draws it; PNG captions carry the rate, n, duration, run and commit', async () => {
    const r = makeExternalRunResult();
    r.environment.git_commit = 'abcdef0123456789';
    const dir = await mkdtemp(join(tmpdir(), 'vitals-ext-run-'));
    await writeRunReport(dir, r);
    for (const f of ['latency_percentiles.svg', 'throughput.svg', 'p99_over_time.svg']) {
      const svg = await readFile(join(dir, f), 'utf8');
      expect(svg, f).toContain('spark');
      expect(svg, f).toContain(
        '1,234 readings/s offered, 45 s measured after a 3 s warm-up; n = stream 39, batch 41, spark 32 readings with an alert',
      );
      expect(svg, f).toContain('run FAKE-run-ext, commit abcdef0; PASSED');
    }
    const throughput = await readFile(join(dir, 'throughput.svg'), 'utf8');
    expect(throughput).toContain('results per second');
    expect(await readdir(dir)).toContain('throughput.png');
  }, 60_000);

  it('the new charts make vega warn of nothing', async () => {
    const r = makeExternalRunResult();
    for (const spec of [
      throughputSpec(r.timeseries, { warmupSeconds: 1 }),
      p99OverTimeSpec(r.timeseries, { warmupSeconds: 1 }),
      latencyPercentileSpec(decodeCurves(r.histograms)),
      tradeoffSpec(makeSweep()),
    ])
      expect(await warnings(spec)).toEqual([]);
  });
});
