import { describe, expect, it } from 'vitest';
import { decodeCurves } from '../../../src/harness/histogram.js';
import {
  latencyPercentileChart, ninesOf, p99OverTimeChart, sweepLatencyChart, sweepThroughputChart, throughputChart,
} from '../../../src/harness/report/charts.js';
import { makeRunResult, makeSweep } from './fixture.js';

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
