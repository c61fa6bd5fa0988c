import { describe, expect, it } from 'vitest';
import type { CommittedAlert, RunData, StoredReading } from '../../oracle/collect.js';
import type { GroundTruth } from '../../oracle/ground-truth.js';
import { LatencyHistogram } from '../../../src/results/histogram.js';
import {
  computeRunResult,
  storageFailures,
  storageFigures,
  vacuityWarnings,
  type RunInputs,
} from '../../oracle/metrics.js';
import type { ProducerResult } from '../../../src/generators/producer.js';
import type { RuleSet } from '../../../src/pipelines/rules/types.js';

const START = 1_700_000_000_000;
const RATE = 10; // readings/s: reading i is intended at START + 100 i ms
const PLANNED = 20;
const RULES: RuleSet = {
  name: 'test',
  rules: [{ kind: 'record', id: 'hr_high', vital: 'heart_rate', op: '>', value: 100, severity: 'high' }],
};

/** A stand-in for a reading's content digest: any number unique per reading. */
const contentOf = (patient: number, seq: number): number => patient * 1000 + seq;

/** Two patients (1001, 1002) alternating; reading i is (patient 1001 + i % 2, seq floor(i / 2)). */
function scenario(opts: { lose?: number[]; substitute?: number[]; batchAlertMissing?: boolean } = {}): RunInputs {
  const intended = new Map<string, number>();
  const content = new Map<string, number>();
  const readings: StoredReading[] = [];
  const stream: number[] = [];
  const batch: number[] = [];
  for (let i = 0; i < PLANNED; i++) {
    const patient = 1001 + (i % 2);
    const seq = Math.floor(i / 2);
    const t = START + i * 100;
    intended.set(`${patient}|${seq}`, t);
    content.set(`${patient}|${seq}`, contentOf(patient, seq));
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
      // A substituted reading: stored under the generator's key with other content, from a message without t_sent.
      content: opts.substitute?.includes(i) ? contentOf(patient, seq) + 1 : contentOf(patient, seq),
      ...(opts.substitute?.includes(i) ? { sent_at: null } : {}),
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
    rejectedKinds: { foreign: 0, noRunId: 0, conflicts: 0, refused: 0 },
    streamRejectedKinds: { foreign: 0, noRunId: 0, conflicts: 0, refused: 0 },
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
    content,
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
      no_run_id: 0,
      substituted: 0,
      stream_rejected: 0,
      stream_conflicting_duplicates: 0,
    });
    expect(r.vacuous).toBeUndefined();
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

describe('storage compares what was stored with what the generator sent, content included', () => {
  it('a reading stored under a generated key with other content fails the run, counted, with an example', () => {
    const r = computeRunResult(scenario({ substitute: [6, 9] }));
    expect(r.storage).toMatchObject({ stored: 20, loss: 0, duplicates: 0, substituted: 2 });
    expect(r.verdict.passed).toBe(false);
    expect(r.verdict.failures).toEqual([
      'substituted: 2 stored readings differ in content from what the generator sent with their (patient_id, seq), ' +
        `e.g. (patient_id 1001, seq 3) stored from health_data_source1:0@6, event_time ${START + 600} as sent, without a t_sent header`,
    ]);
  });

  it('the same content under the same key is no substitution; an unknown key is counted apart', () => {
    const x = scenario();
    const extra = { ...x.data.readings[0]!, patient_id: 4242, seq: 0, ingest_id: 99, offset: 99 };
    const r = computeRunResult({ ...x, data: { ...x.data, readings: [...x.data.readings, extra] } });
    expect(r.storage.substituted).toBe(0);
    expect(r.verdict.failures).toContain('1 stored readings were never sent by the generator');
  });

  it('storageFigures names the event time the generator meant when the stored one differs', () => {
    const x = scenario();
    const moved = { ...x.data.readings[2]!, event_time: START + 12_345, content: -1 };
    const figures = storageFigures({ truth: x.truth, data: { ...x.data, readings: [moved] } });
    expect(figures.substituted).toBe(1);
    expect(figures.substitutedExample).toBe(
      `(patient_id 1001, seq 1) stored from health_data_source1:0@2, event_time ${START + 12_345} (the generator's ${START + 200}), with a t_sent header`,
    );
    expect(storageFailures(figures)).toContain('loss: 19 valid readings sent but not stored');
  });
});

describe('vacuous runs are flagged: agreement on nothing', () => {
  const producer = { planned: 15_000 } as RunInputs['producer'];
  const mode = (name: 'stream' | 'batch', alerts: number, detected: number, injected = 7) => ({
    mode: name,
    alerts,
    episodes_injected: injected,
    episodes_detected: detected,
  });

  it('no alert in any mode, no episode detected, fewer readings than patients: one warning each', () => {
    const w = vacuityWarnings({ producer, patients: 20_000, expectedAlerts: 0 }, [
      mode('stream', 0, 0),
      mode('batch', 0, 0),
    ]);
    expect(w).toEqual([
      'agreement on nothing: no mode raised an alert (the rule reference expects 0): the rules never fired on this data, so agreement and detection measure nothing (more readings per patient, or rules that fire)',
      'agreement on nothing: stream and batch detected none of the 7 anomaly episodes injected in the measured phase: detection latency has no sample',
      'agreement on nothing: 15000 readings for 20000 patients: most patients have one reading or none, so windows and episodes have next to no data (fewer --patients, or a longer --duration)',
    ]);
  });

  it('a run with alerts and detected episodes, and more readings than patients, has none', () => {
    expect(
      vacuityWarnings({ producer, patients: 500, expectedAlerts: 40 }, [mode('stream', 40, 7), mode('batch', 40, 6)]),
    ).toEqual([]);
    // Without a patient count, readings are not checked against it; no episode injected is nothing to detect.
    expect(vacuityWarnings({ producer, expectedAlerts: 3 }, [mode('stream', 3, 0, 0)])).toEqual([]);
  });

  it('names the one mode that detected nothing, and a single mode without alerts', () => {
    expect(vacuityWarnings({ producer, expectedAlerts: 5 }, [mode('stream', 5, 2), mode('batch', 4, 0)])).toEqual([
      'agreement on nothing: batch detected none of the 7 anomaly episodes injected in the measured phase: detection latency has no sample',
    ]);
    expect(vacuityWarnings({ producer, expectedAlerts: 0 }, [mode('stream', 0, 1)])[0]).toMatch(
      /^agreement on nothing: stream raised no alert \(the rule reference expects 0\)/,
    );
  });

  it('computeRunResult records them in `vacuous`, apart from the run-length warnings, and the run still passes', () => {
    const x = scenario();
    const none = { ...x.data, alerts: { stream: [], batch: [] } };
    const r = computeRunResult({ ...x, data: none, truth: { ...x.truth, expectedAlerts: [] }, patients: 2 });
    expect(r.verdict).toEqual({ passed: true, failures: [] });
    expect(r.vacuous).toEqual([
      expect.stringMatching(/^agreement on nothing: no mode raised an alert/),
      expect.stringMatching(/^agreement on nothing: stream and batch detected none of the 1 anomaly episodes/),
    ]);
    expect(r.warnings ?? []).not.toContain(r.vacuous![0]);
  });
});
