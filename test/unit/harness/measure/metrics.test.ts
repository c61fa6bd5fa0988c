import { describe, expect, it } from 'vitest';
import type { CommittedAlert, RunData, StoredReading } from '../../../../src/harness/measure/collect.js';
import type { GroundTruth } from '../../../../src/harness/measure/ground-truth.js';
import { LatencyHistogram } from '../../../../src/results/histogram.js';
import { computeRunResult, type RunInputs } from '../../../../src/harness/measure/metrics.js';
import type { ProducerResult } from '../../../../src/generators/producer.js';
import type { RuleSet } from '../../../../src/pipelines/rules/types.js';

const START = 1_700_000_000_000;
const RATE = 10; // readings/s: reading i is intended at START + 100 i ms
const PLANNED = 20;
const RULES: RuleSet = {
  name: 'test',
  rules: [{ kind: 'record', id: 'hr_high', vital: 'heart_rate', op: '>', value: 100, severity: 'high' }],
};

/** Two patients (1001, 1002) alternating; reading i is (patient 1001 + i % 2, seq floor(i / 2)). */
function scenario(opts: { lose?: number[]; batchAlertMissing?: boolean } = {}): RunInputs {
  const intended = new Map<string, number>();
  const readings: StoredReading[] = [];
  const stream: number[] = [];
  const batch: number[] = [];
  for (let i = 0; i < PLANNED; i++) {
    const patient = 1001 + (i % 2);
    const seq = Math.floor(i / 2);
    const t = START + i * 100;
    intended.set(`${patient}|${seq}`, t);
    if (opts.lose?.includes(i)) continue;
    readings.push({
      patient_id: patient,
      seq,
      ingest_id: i + 1,
      event_time: t,
      appended_at: t + 5,
      sent_at: t + 1,
      topic: 'health_data_source1',
      partition: 0,
      offset: i,
    });
    stream.push(t + 50);
    batch.push(t + 2000);
  }
  const alert = (seq: number, committed: number | null): CommittedAlert => ({
    rule_id: 'hr_high',
    severity: 'high',
    patient_id: 1001,
    seq,
    window_start: null,
    event_time: START + seq * 200,
    committed_at: committed,
    alert_id: seq,
  });
  // An episode of patient 1001 from seq 3 (intended START + 600) to seq 5; alerts on seq 4 and 5.
  const streamAlerts = [alert(4, START + 800 + 50), alert(5, START + 1000 + 50)];
  const batchAlerts = opts.batchAlertMissing
    ? [alert(4, START + 800 + 2000)]
    : [alert(4, START + 800 + 2000), alert(5, START + 1000 + 2000)];
  const data: RunData = {
    readings,
    duplicateRows: 0,
    rejected: { ingest: 0, stream: 0 },
    rejectedKinds: { foreign: 0, conflicts: 0, refused: 0 },
    writes: { stream: { transactions: 4, rows: 2 }, batch: { transactions: 2, rows: 2 } },
    alerts: { stream: streamAlerts, batch: batchAlerts },
    windows: { stream: 0, batch: 0 },
    windowCommits: { stream: [], batch: [] },
    committedAt: { stream: Float64Array.from(stream), batch: Float64Array.from(batch) },
    // Stream stages of every stored reading: send 1, produce 4, delivery 5, processing 10, commit 30 ms.
    streamStages: {
      intended: Float64Array.from(readings, (r) => r.event_time),
      sent: Float64Array.from(readings, (r) => r.event_time + 1),
      appended: Float64Array.from(readings, (r) => r.event_time + 5),
      fetched: Float64Array.from(readings, (r) => r.event_time + 10),
      commitStart: Float64Array.from(readings, (r) => r.event_time + 20),
      committed: Float64Array.from(stream),
    },
    // Batch stages: ingest 30, wait for the pass 1470, dispatch 10, read 20, evaluate 40, write 430 ms.
    batchStages: {
      intended: Float64Array.from(readings, (r) => r.event_time),
      stored: Float64Array.from(readings, (r) => r.event_time + 30),
      passStart: Float64Array.from(batch, (t) => t - 500),
      taskStart: Float64Array.from(batch, (t) => t - 490),
      readDone: Float64Array.from(batch, (t) => t - 470),
      commitStart: Float64Array.from(batch, (t) => t - 430),
      committed: Float64Array.from(batch),
    },
  };
  const truth: GroundTruth = {
    intended,
    expectedAlerts: [alert(4, null), alert(5, null)].map(({ committed_at: _c, ...a }) => a),
    episodes: [
      {
        id: 'p1001-e0',
        patient_id: 1001,
        sourceIndex: 0,
        type: 'tachycardia',
        start_seq: 3,
        end_seq: 5,
        complete: true,
      },
    ],
  };
  const sendDelay = new LatencyHistogram();
  for (let i = 5; i < PLANNED; i++) sendDelay.record(1);
  const producer: ProducerResult = {
    complete: true,
    startMs: START,
    endMs: START + 2000,
    lastAckMs: START + 1905,
    planned: PLANNED,
    sentReadings: PLANNED,
    sentDuplicates: 0,
    sentMalformed: 0,
    acknowledged: PLANNED,
    acknowledgedReadings: PLANNED,
    sendDelay,
    offeredPerSecond: [10, 10],
    acknowledgedPerSecond: [10, 10],
    faults: null,
  };
  return {
    runId: 'unit-run',
    startedAt: new Date(START),
    endedAt: new Date(START + 5000),
    complete: true,
    parameters: {},
    environment: {},
    rate: RATE,
    warmupSeconds: 0.5,
    batchIntervalSeconds: 2,
    modes: ['stream', 'batch'],
    ruleSet: RULES,
    producer,
    data,
    truth,
    backlog: [],
    streamLate: [],
    batchPasses: [],
    pipelineFailures: [],
  };
}

describe('computeRunResult (METRICS.md definitions on a hand-made run)', () => {
  it('computes event-time, processing-time and detection latency from the right timestamps, warm-up excluded', () => {
    const r = computeRunResult(scenario());
    expect(r.verdict).toEqual({ passed: true, failures: [] });
    expect(r.warmup.excluded_readings).toBe(5); // intended before START + 500 ms
    const stream = r.modes.find((m) => m.mode === 'stream')!;
    const batch = r.modes.find((m) => m.mode === 'batch')!;
    expect(stream.event_time_latency.count).toBe(15);
    expect(stream.event_time_latency.p50).toBeCloseTo(50, 0);
    expect(stream.processing_time_latency.p50).toBeCloseTo(45, 0); // t_committed - t_appended
    expect(batch.event_time_latency.max).toBeCloseTo(2000, -1);
    // First alert of the episode (seq 4) committed 250 ms (stream) and 2200 ms (batch) after the
    // episode's first reading (seq 3) was intended.
    expect(stream.detection_latency.count).toBe(1);
    expect(stream.detection_latency.p50).toBeCloseTo(250, 0);
    expect(batch.detection_latency.p50).toBeCloseTo(2200, -1);
    expect(stream.episodes_detected).toBe(1);
    expect(r.storage).toEqual({
      stored: 20,
      loss: 0,
      duplicates: 0,
      rejected: 0,
      foreign: 0,
      conflicting_duplicates: 0,
      refused_by_database: 0,
    });
    // Achieved rate over the schedule's span (20 readings at 10/s = 2 s).
    expect(r.input.achieved_rate).toBeCloseTo(10, 5);
    expect(r.input.generator_fell_behind).toBe(false);
    for (const a of r.agreement) expect(a.jaccard).toBe(1);
  });

  it('splits the stream latency of the measured readings into stages whose means add up to the event-time mean', () => {
    const r = computeRunResult(scenario());
    const b = r.stages!.stream!;
    expect(b.readings).toBe(15); // the 5 warm-up readings are left out
    expect(b.incomplete).toBe(0);
    expect(b.stages.map((s) => [s.id, s.mean_ms])).toEqual([
      ['send_delay', 1],
      ['produce', 4],
      ['delivery', 5],
      ['processing', 10],
      ['commit', 30],
    ]);
    expect(b.mean_total_ms).toBe(50);
    expect(b.mean_total_ms).toBeCloseTo(r.modes.find((m) => m.mode === 'stream')!.event_time_latency.mean, 1);
  });

  it('splits the batch latency the same way: ingest, wait for the pass, dispatch, read, evaluate, write', () => {
    const r = computeRunResult(scenario());
    const b = r.stages!.batch!;
    expect(b.readings).toBe(15);
    expect(b.incomplete).toBe(0);
    expect(b.stages.map((s) => [s.id, s.mean_ms])).toEqual([
      ['ingest', 30],
      ['pass_wait', 1470],
      ['dispatch', 10],
      ['read', 20],
      ['evaluate', 40],
      ['write', 430],
    ]);
    expect(b.mean_total_ms).toBe(2000);
    // The event-time mean comes from an HDR histogram: within its 0.1 %.
    const eventTimeMean = r.modes.find((m) => m.mode === 'batch')!.event_time_latency.mean;
    expect(Math.abs(b.mean_total_ms - eventTimeMean)).toBeLessThanOrEqual(2000 * 0.001);
  });

  it('a batch-only run has batch stages and no stream stages; a reading lost to storage is not counted', () => {
    const r = computeRunResult({ ...scenario({ lose: [7] }), modes: ['batch'] });
    expect(r.stages?.stream).toBeUndefined();
    expect(r.stages!.batch!.readings).toBe(14);
  });

  it('fails the run on loss and on record-rule disagreement, naming both', () => {
    const r = computeRunResult(scenario({ lose: [7, 12], batchAlertMissing: true }));
    expect(r.storage.loss).toBe(2);
    expect(r.verdict.passed).toBe(false);
    expect(r.verdict.failures.join('\n')).toMatch(/loss: 2 valid readings sent but not stored/);
    expect(r.verdict.failures.join('\n')).toMatch(/record-rule alerts of stream and batch differ/);
    const sb = r.agreement.find((a) => a.a === 'stream' && a.b === 'batch' && a.scope === 'record')!;
    expect(sb).toMatchObject({ tp: 1, fp: 1, fn: 0 });
    expect(r.modes.find((m) => m.mode === 'stream')!.event_time_latency.count).toBe(13);
  });

  it('marks every failure of an interrupted run as such', () => {
    const x = scenario({ lose: [19] });
    const r = computeRunResult({ ...x, complete: false, incompleteReason: 'interrupted (Ctrl-C) during the load' });
    expect(r.verdict.failures[0]).toBe('run incomplete: interrupted (Ctrl-C) during the load');
    expect(r.verdict.failures.slice(1).every((f) => f.endsWith('(the run stopped before the pipelines drained)'))).toBe(
      true,
    );
  });
});

describe('throughput figures say what they divide by', () => {
  it('output over the measured phase (never above the input), processing rate over the busy time', () => {
    const x = scenario();
    const r = computeRunResult({
      ...x,
      busySeconds: { stream: 0.5 },
      batchPasses: [
        { pass: 1, readings: 12, alerts: 1, windows: 0, duration_ms: 150, final: false },
        { pass: 2, readings: 8, alerts: 1, windows: 0, duration_ms: 250, final: true },
      ],
    });
    const stream = r.modes.find((m) => m.mode === 'stream')!;
    const batch = r.modes.find((m) => m.mode === 'batch')!;
    // 15 measured readings over the measured phase (0.5 s .. 2 s, the schedule's end), although
    // the last stream result committed at 1.95 s: 10/s, the input rate, not 10.3/s.
    expect(stream.output_span_s).toBe(1.5);
    expect(stream.output_rate).toBeCloseTo(10, 5);
    // Batch results came up to 3.9 s: its span is longer, its output rate lower.
    expect(batch.output_span_s).toBeCloseTo(3.4, 5);
    expect(batch.output_rate).toBeCloseTo(15 / 3.4, 5);
    // All 20 stored readings over the busy time: 0.5 s (stream), 0.4 s of passes (batch).
    expect(stream.processing_rate_while_busy).toBeCloseTo(40, 5);
    expect(batch.processing_rate_while_busy).toBeCloseTo(50, 5);
  });
});
