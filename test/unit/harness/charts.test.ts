import { describe, expect, it } from 'vitest';
import { decodeCurves } from '../../../src/harness/histogram.js';
import {
  faultWindows, latencyPercentileChart, ninesOf, p99OverTimeChart, sweepLatencyChart, sweepThroughputChart, throughputChart,
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

describe('fault windows on the per-second charts', () => {
  it('shades each fault from its injection to its recovery, labelled with its spec', async () => {
    const windows = faultWindows([
      { fault: 'kill:stream@5s', injected: true, target: 'stream role', injected_at_s: 5, ended_at_s: 5, detected_at_s: 5, detected_by: 'role exit',
        recovered_at_s: 12, recovery_s: 7, restarts: [], p99_during_ms: {}, p99_outside_ms: {} },
      { fault: 'db-restart@20s:5s', injected: true, target: 'database server', injected_at_s: null, ended_at_s: null, detected_at_s: null,
        detected_by: 'not injected', recovered_at_s: null, recovery_s: null, restarts: [], p99_during_ms: {}, p99_outside_ms: {} },
    ]);
    expect(windows).toEqual([{ label: 'kill:stream@5s', from: 5, to: 12 }]);
    const ts = Array.from({ length: 20 }, (_, second) => ({ second, offered: 100, achieved: 100, output: { stream: 100 }, p99_ms: { stream: 20 }, backlog: {} }));
    const svg = await throughputChart(ts, { faults: windows });
    expect(svg).toContain('kill:stream@5s');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(await throughputChart(ts)).not.toContain('kill:stream');
  });
});
