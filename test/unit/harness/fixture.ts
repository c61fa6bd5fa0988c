/** Synthetic RunResult with obviously fake values, for tests only. */
import { LatencyHistogram, histogramKey } from '../../../src/results/histogram.js';
import type { LatencySummary, ModeResult, RunResult, SweepResult } from '../../../src/results/schema.js';

export function hist(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

export function range(from: number, to: number, step = 1): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export const EMPTY: LatencySummary = {
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
};

export function makeRunResult(opts: { offered?: number; runId?: string; emptyBatch?: boolean } = {}): RunResult {
  const offered = opts.offered ?? 1234;
  const streamEt = hist(range(1, 1000)); // 1..1000 ms
  const streamPt = hist(range(0.5, 500, 0.5));
  const batchEt = hist(range(4000, 8000, 4));
  const send = hist(range(0.1, 10, 0.1));
  const stream: ModeResult = {
    mode: 'stream',
    event_time_latency: streamEt.summary(),
    processing_time_latency: streamPt.summary(),
    detection_latency: hist([111, 222, 333]).summary(),
    output_rate: offered - 4,
    results_committed: 77777,
    alerts: 42,
    windows: 4242,
  };
  const batch: ModeResult = {
    mode: 'batch',
    event_time_latency: opts.emptyBatch ? { ...EMPTY } : batchEt.summary(),
    processing_time_latency: opts.emptyBatch ? { ...EMPTY } : batchEt.summary(),
    detection_latency: { ...EMPTY },
    output_rate: opts.emptyBatch ? 0 : offered - 34,
    results_committed: 66666,
    alerts: 41,
    windows: 4241,
    batch_interval_s: 5,
  };
  const histograms: Record<string, string> = {
    [histogramKey('stream', 'event_time')]: streamEt.encode(),
    [histogramKey('stream', 'processing_time')]: streamPt.encode(),
    [histogramKey('input', 'send_delay')]: send.encode(),
  };
  if (!opts.emptyBatch) histograms[histogramKey('batch', 'event_time')] = batchEt.encode();
  return {
    schema_version: 1,
    run_id: opts.runId ?? 'FAKE-run-0001',
    complete: true,
    started_at: '2000-01-01T00:00:00.000Z',
    ended_at: '2000-01-01T00:01:00.000Z',
    parameters: { rate: offered, seed: 12345, patients: 7, profile: 'fake-profile' },
    environment: { cpu: 'Fake CPU 9000', cores: 3, node: 'v0.0.0-fake', kafka: { version: '0.0-fake' } },
    warmup: { seconds: 3, excluded_readings: 333 },
    input: {
      offered_rate: offered,
      planned: 55555,
      sent: 55554,
      acknowledged: 55553,
      achieved_rate: offered - 1,
      measured_seconds: 45,
      send_delay: send.summary(),
      generator_fell_behind: false,
      malformed_sent: 5,
      duplicates_sent: 6,
    },
    storage: { stored: 55548, loss: 0, duplicates: 0, rejected: 5 },
    modes: [stream, batch],
    agreement: [
      { a: 'stream', b: 'batch', scope: 'record', tp: 30, fp: 0, fn: 0, precision: 1, recall: 1, f1: 1, jaccard: 1 },
      {
        a: 'stream',
        b: 'batch',
        scope: 'window',
        tp: 10,
        fp: 2,
        fn: 1,
        precision: 10 / 12,
        recall: 10 / 11,
        f1: 20 / 23,
        jaccard: 10 / 13,
      },
    ],
    late_readings: [
      { patient_id: 3, seq: 17, lateness_ms: 1500 },
      { patient_id: 4, seq: 99, lateness_ms: 98765 },
    ],
    timeseries: [0, 1, 2, 3].map((s) => ({
      second: s,
      offered,
      achieved: offered - s,
      output: { stream: offered - 2 * s, batch: s % 2 === 0 ? 0 : 2 * offered },
      p99_ms: { stream: 50 + s, batch: s % 2 === 0 ? null : 7000 + s },
      backlog: { stream: s, batch: 100 * s },
    })),
    histograms,
    verdict: { passed: true, failures: [] },
    kafka_timestamp_type: 'LogAppendTime',
  };
}

export function makeSweep(): SweepResult {
  return {
    runs: [1000, 2000, 4000].map((rate, i) => ({
      dir: `rate-${rate}`,
      result: makeRunResult({ offered: rate, runId: `FAKE-sweep-${i}` }),
    })),
    find_max: { sustainable_rate: 2000, below: 2000, above: 4000, criteria: 'fake criteria: backlog flat' },
  };
}
