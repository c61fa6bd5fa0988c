import { describe, expect, it } from 'vitest';
import { LatencyHistogram, decodeCurves, histogramKey, parseHistogramKey } from '../../../src/results/histogram.js';
import { hist, range } from '../harness/fixture.js';

/** HDR with 3 significant digits: relative error at most 0.1% (plus the µs rounding). */
function near(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(expected * 0.001 + 0.001);
}

describe('LatencyHistogram', () => {
  it('summarises 1..10000 ms uniform within HDR precision', () => {
    const h = hist(range(1, 10000));
    const s = h.summary();
    expect(s.unit).toBe('ms');
    expect(s.count).toBe(10000);
    expect(h.count).toBe(10000);
    near(s.mean, 5000.5);
    near(s.min, 1);
    near(s.p50, 5000);
    near(s.p90, 9000);
    near(s.p95, 9500);
    near(s.p99, 9900);
    near(s.p999, 9990);
    near(s.max, 10000);
  });

  it('keeps microsecond resolution for sub-millisecond values', () => {
    const s = hist([0.25, 0.25, 0.25]).summary();
    expect(s.p50).toBeCloseTo(0.25, 6);
    expect(s.max).toBeCloseTo(0.25, 6);
  });

  it('empty histogram: count 0 and all values 0, empty curve', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({
      unit: 'ms',
      count: 0,
      mean: 0,
      min: 0,
      p50: 0,
      p90: 0,
      p95: 0,
      p99: 0,
      p999: 0,
      max: 0,
    });
    expect(h.percentileCurve()).toEqual([]);
  });

  it('clamps negative values to 0 and counts them', () => {
    const h = hist([-2, 5]);
    expect(h.negativeClamped).toBe(1);
    expect(h.summary().min).toBe(0);
  });

  it('records beyond one hour without throwing', () => {
    const h = hist([2 * 3_600_000]);
    near(h.summary().max, 7_200_000);
  });

  it('records each value once (no coordinated-omission correction)', () => {
    const h = hist([1, 10_000]);
    expect(h.count).toBe(2);
  });

  it('encode/decode round trip preserves the distribution', () => {
    const h = hist(range(1, 10000, 7));
    const enc = h.encode();
    expect(typeof enc).toBe('string');
    const d = LatencyHistogram.decode(enc);
    expect(d.summary()).toEqual(h.summary());
    expect(d.percentileCurve()).toEqual(h.percentileCurve());
  });

  it('percentile curve is monotone and limited by the sample count', () => {
    const c = hist(range(1, 100)).percentileCurve();
    const ps = c.map((p) => p.percentile);
    expect(ps[0]).toBe(0);
    expect(ps.at(-1)).toBe(100);
    expect(ps).toContain(99);
    expect(ps).not.toContain(99.9); // 100 samples cannot resolve p99.9
    for (let i = 1; i < c.length; i++) expect(c[i]!.value_ms).toBeGreaterThanOrEqual(c[i - 1]!.value_ms);
    near(c.at(-1)!.value_ms, 100);
    const big = hist(range(1, 100000))
      .percentileCurve()
      .map((p) => p.percentile);
    expect(big).toContain(99.999);
  });

  it('merges with add()', () => {
    const a = hist([1, 2]);
    a.add(hist([3]));
    expect(a.count).toBe(3);
  });

  it('histogram keys and decodeCurves', () => {
    expect(histogramKey('stream', 'event_time')).toBe('stream.event_time');
    expect(parseHistogramKey('input.send_delay')).toEqual({ mode: 'input', metric: 'send_delay' });
    expect(parseHistogramKey('nonsense')).toBeUndefined();
    const curves = decodeCurves({
      'batch.detection': hist([5, 6]).encode(),
      junk: 'x',
      'stream.event_time': 'not-base64!',
    });
    expect(curves).toHaveLength(1);
    expect(curves[0]!.mode).toBe('batch');
    expect(curves[0]!.metric).toBe('detection');
    expect(curves[0]!.count).toBe(2);
  });
});
