/**
 * Thin wrapper over hdr-histogram-js (pure JS build) for latencies in milliseconds.
 *
 * Values are recorded as integer microseconds with 3 significant digits, so every
 * percentile is within 0.1% of the true value (HDR precision). No coordinated-omission
 * correction is ever applied: event-time latency is measured from t_intended, which already
 * accounts for a generator that falls behind (METRICS.md "Latency"); correcting again would
 * double-count.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { LatencySummary } from './schema.js';

/** One hour in µs: the initial highest trackable value (auto-resizes beyond it rather than throw). */
const HIGHEST_US = 3_600_000_000;

/** Percentiles of the curve; points beyond the sample count's resolution are dropped. */
const CURVE_PERCENTILES = [
  0, 10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 97.5, 98, 98.5, 99, 99.25, 99.5, 99.75, 99.9,
  99.925, 99.95, 99.975, 99.99, 99.9925, 99.995, 99.9975, 99.999, 100,
];

/** `result`: from a reading's t_intended to its first record result in the database (every mode, external ones included). */
export type LatencyMetric = 'event_time' | 'processing_time' | 'detection' | 'send_delay' | 'window_result' | 'result';

/** Key of a histogram in RunResult.histograms: `<mode>.<metric>`, `input.send_delay` for send delay. */
export function histogramKey(mode: string, metric: LatencyMetric): string {
  return `${mode}.${metric}`;
}

/** Inverse of histogramKey; undefined for keys that do not follow the convention. */
export function parseHistogramKey(key: string): { mode: string; metric: LatencyMetric } | undefined {
  const m = /^(.+)\.(event_time|processing_time|detection|send_delay|window_result|result)$/.exec(key);
  return m ? { mode: m[1]!, metric: m[2] as LatencyMetric } : undefined;
}

const EMPTY_SUMMARY: Readonly<LatencySummary> = Object.freeze({
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

export class LatencyHistogram {
  private readonly h: Histogram;
  /** Negative inputs (clock granularity, e.g. ms broker timestamps) recorded as 0; counted here. */
  negativeClamped = 0;

  /**
   * `packed`: counts in hdr-histogram-js's packed array, a few KB for a few hundred values
   * instead of about 95 KB (the same buckets, so the same percentiles), for the many small
   * histograms of a per-second series.
   */
  constructor(h?: Histogram, packed = false) {
    this.h =
      h ??
      build({
        useWebAssembly: false,
        bitBucketSize: packed ? 'packed' : 32,
        numberOfSignificantValueDigits: 3,
        lowestDiscernibleValue: 1,
        highestTrackableValue: HIGHEST_US,
        autoResize: true,
      });
  }

  /** Record one latency in milliseconds (fractional allowed; stored as integer µs). */
  record(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`latency must be finite, got ${ms}`);
    let us = Math.round(ms * 1000);
    if (us < 0) {
      this.negativeClamped++;
      us = 0;
    }
    this.h.recordValue(us);
  }

  /** Add another histogram's counts (e.g. merge per-partition histograms). */
  add(other: LatencyHistogram): void {
    this.h.add(other.h);
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Value at a percentile (0..100), in ms; 0 when empty. */
  percentile(p: number): number {
    return this.count === 0 ? 0 : this.h.getValueAtPercentile(p) / 1000;
  }

  summary(): LatencySummary {
    if (this.count === 0) return { ...EMPTY_SUMMARY };
    return {
      unit: 'ms',
      count: this.count,
      mean: this.h.mean / 1000,
      min: this.percentile(0),
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      // HDR convention (as HdrHistogram's getMaxValue): the highest value equivalent to the
      // largest recorded one; identical before and after encode/decode.
      max: this.percentile(100),
    };
  }

  /**
   * Percentile curve for plots: a fixed list of percentiles from 0 to 100, keeping only those
   * the sample count can resolve (1 / (1 - p/100) <= count), plus 0 and 100 (= max).
   * Empty histogram: empty curve.
   */
  percentileCurve(): Array<{ percentile: number; value_ms: number }> {
    const n = this.count;
    if (n === 0) return [];
    // (1 + 1e-9): 1 / (1 - 99.9 / 100) is 1000.0000000000009 in floating point.
    return CURVE_PERCENTILES.filter((p) => p === 0 || p === 100 || 1 / (1 - p / 100) <= n * (1 + 1e-9)).map((p) => ({
      percentile: p,
      value_ms: this.percentile(p),
    }));
  }

  /** HDR compressed base64 (V2 encoding, values in µs); readable by any HdrHistogram implementation. */
  encode(): string {
    return encodeIntoCompressedBase64(this.h);
  }

  static decode(s: string): LatencyHistogram {
    return new LatencyHistogram(decodeFromCompressedBase64(s, 32, false));
  }
}

export interface LatencyCurve {
  /** Mode name, or "input" for send delay. */
  mode: string;
  metric: LatencyMetric;
  count: number;
  points: Array<{ percentile: number; value_ms: number }>;
}

/**
 * Percentile curves of every histogram in RunResult.histograms whose key follows
 * histogramKey(); keys that do not, or that fail to decode, are skipped.
 */
export function decodeCurves(histograms: Record<string, string>): LatencyCurve[] {
  const out: LatencyCurve[] = [];
  for (const [key, encoded] of Object.entries(histograms)) {
    const k = parseHistogramKey(key);
    if (!k) continue;
    let h: LatencyHistogram;
    try {
      h = LatencyHistogram.decode(encoded);
    } catch {
      continue;
    }
    out.push({ ...k, count: h.count, points: h.percentileCurve() });
  }
  return out;
}
