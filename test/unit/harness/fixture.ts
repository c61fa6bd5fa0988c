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

/** The summary of an empty histogram: every figure 0. */
export const EMPTY: LatencySummary = new LatencyHistogram().summary();

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

/**
 * A run with the two built-in modes and an external job "spark" that evaluates the record rule
 * only (it declared it), with every mode's latency to its first alert, an idle baseline and the
 * cost of each mode with what only it needs (hand-made: per 1,000 readings above idle, stream
 * 700; batch 35.5 + ingest 653.5 = 689; spark 2,000).
 */
export function makeExternalRunResult(): RunResult {
  const r = makeRunResult({ runId: 'FAKE-run-ext' });
  r.parameters = {
    ...r.parameters,
    rules_resolved: {
      name: 'fake',
      rules: [
        { kind: 'record', id: 'hr_high', vital: 'heart_rate', op: '>=', value: 111, severity: 'medium' },
        {
          kind: 'window',
          id: 'spo2_w',
          vital: 'spo2_level',
          agg: 'avg',
          window_s: 30,
          op: '<',
          value: 92,
          severity: 'high',
        },
      ],
    },
  };
  // Stream and batch agree fully here (the window disagreement of makeRunResult is not this fixture's point).
  r.agreement = [
    { a: 'stream', b: 'batch', scope: 'record', tp: 30, fp: 0, fn: 0, precision: 1, recall: 1, f1: 1, jaccard: 1 },
    { a: 'stream', b: 'batch', scope: 'window', tp: 10, fp: 0, fn: 0, precision: 1, recall: 1, f1: 1, jaccard: 1 },
    ...(['stream', 'batch'] as const).flatMap((m) =>
      (['record', 'window'] as const).map((scope) => ({
        a: m,
        b: 'ground_truth',
        scope,
        tp: scope === 'record' ? 30 : 10,
        fp: 0,
        fn: 0,
        precision: 1,
        recall: 1,
        f1: 1,
        jaccard: 1,
      })),
    ),
    // Spark skipped the window rule: its window comparisons are empty sets (0/0 = 1), which mean nothing.
    ...['ground_truth', 'stream', 'batch'].flatMap((b) => [
      { a: 'spark', b, scope: 'record' as const, tp: 30, fp: 0, fn: 0, precision: 1, recall: 1, f1: 1, jaccard: 1 },
      { a: 'spark', b, scope: 'window' as const, tp: 0, fp: 0, fn: 0, precision: 1, recall: 1, f1: 1, jaccard: 1 },
    ]),
  ];
  const streamResult = hist(range(2, 40));
  const batchResult = hist(range(3000, 7000, 100));
  const sparkResult = hist(range(900, 4000, 100));
  r.histograms[histogramKey('stream', 'result')] = streamResult.encode();
  r.histograms[histogramKey('batch', 'result')] = batchResult.encode();
  r.histograms[histogramKey('spark', 'result')] = sparkResult.encode();
  r.external = {
    jobs: [
      {
        name: 'spark',
        command: 'bash examples/spark/run.sh',
        kind: 'alerts',
        startup_s: 9.6,
        rows: 30,
        results: 30,
        duplicates: 0,
        loss: 0,
        unexpected: 0,
        result_latency: sparkResult.summary(),
        result_latency_at_insert: sparkResult.summary(),
        seen_only_by_final_scan: 0,
        poll_interval_ms: 100,
        visibility_resolution_ms: 196,
        output_rate: 0.66,
        expected_rate: 0.66,
        exit: 'ended by SIGTERM',
        rules_evaluated: ['hr_high'],
        rules_not_evaluated: ['spo2_w'],
      },
    ],
    result_latency: {
      stream: streamResult.summary(),
      batch: batchResult.summary(),
      spark: sparkResult.summary(),
    },
  };
  r.timeseries = r.timeseries.map((p) => ({
    ...p,
    results: { stream: 5, batch: p.second % 2 ? 10 : 0, spark: p.second > 1 ? 4 : 0 },
    result_p99_ms: { spark: p.second > 1 ? 3000 + p.second : null },
  }));
  const idle = { stream: 10, batch: 1, ingest: 5, spark: 500, broker: 50, database: 20 };
  r.cost = {
    modes: {
      stream: {
        cpu_s: 14.4,
        peak_rss_mib: 110,
        busy_s: 9,
        db_rows: 1700,
        db_transactions: 3000,
        readings: 20000,
        cpu_ms_per_1000_readings: 720,
      },
      batch: {
        cpu_s: 0.75,
        peak_rss_mib: 150,
        busy_s: 2,
        db_rows: 1700,
        db_transactions: 40,
        readings: 20000,
        cpu_ms_per_1000_readings: 37.5,
      },
    },
    ingest: {
      cpu_s: 13.27,
      peak_rss_mib: 120,
      busy_s: 5,
      db_rows: 20000,
      db_transactions: 300,
      readings: 20000,
      cpu_ms_per_1000_readings: 663.5,
    },
    external: { spark: { cpu_s: 60, peak_rss_mib: 700, cpu_ms_per_1000_readings: 3000 } },
    generator_cpu_s: 2,
    broker_cpu_s: 9,
    database_cpu_s: 12,
    sampled_s: 40,
    idle: { seconds: 4, cpu_ms_per_s: idle },
    attributed: {
      stream: {
        roles: ['stream'],
        readings: 20000,
        cpu_s: 14.4,
        cpu_ms_per_1000_readings: 720,
        idle_cpu_ms_per_s: 10,
        cpu_ms_per_1000_above_idle: 700,
        peak_rss_mib: 110,
        db_transactions: 3000,
        db_rows: 1700,
      },
      batch: {
        roles: ['batch', 'ingest'],
        readings: 20000,
        cpu_s: 14.02,
        cpu_ms_per_1000_readings: 701,
        idle_cpu_ms_per_s: 6,
        cpu_ms_per_1000_above_idle: 689,
        peak_rss_mib: 270,
        db_transactions: 340,
        db_rows: 21700,
      },
      spark: {
        roles: ['spark'],
        readings: 20000,
        cpu_s: 60,
        cpu_ms_per_1000_readings: 3000,
        idle_cpu_ms_per_s: 500,
        cpu_ms_per_1000_above_idle: 2000,
        peak_rss_mib: 700,
      },
    },
    shared: {
      broker: { cpu_s: 9, idle_cpu_ms_per_s: 50, cpu_ms_per_1000_above_idle: 350 },
      database: { cpu_s: 12, idle_cpu_ms_per_s: 20, cpu_ms_per_1000_above_idle: 560 },
    },
  };
  return r;
}

/** The CI profile's comparable parameters, as a bench run records them. */
export const CI_PARAMETERS = {
  rate: 500,
  duration: 60,
  warmup: 10,
  patients: 500,
  sources: 3,
  partitions: 3,
  rules: 'clinical',
  rules_resolved: { name: 'clinical', rules: [{ id: 'hr_high', value: 130 }] },
  batchInterval: 10,
  threads: 2,
  seed: 42,
  prevalence: 0.05,
  modes: ['stream', 'batch'],
  latenessMs: 2000,
  idleMs: 1000,
  faults: [],
};

/** Gives the run a cost block (the stream's CPU: 3 s, 3 ms per 1,000 readings) and the batch a
 * processing rate while busy (25,000/s). */
export function withStreamCost(r: RunResult): RunResult {
  r.cost = {
    modes: {
      stream: {
        cpu_s: 3,
        peak_rss_mib: 100,
        busy_s: 10,
        db_rows: 5,
        db_transactions: 7,
        readings: 1000,
        cpu_ms_per_1000_readings: 3,
      },
    },
    broker_cpu_s: null,
    database_cpu_s: null,
    sampled_s: 60,
  };
  r.modes[1]!.processing_rate_while_busy = 25000;
  return r;
}
