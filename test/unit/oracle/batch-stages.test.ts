import { describe, expect, it } from 'vitest';
import {
  batchCommitTimes,
  batchStageTimes,
  type TimedReading,
  type WriteBatchRange,
} from '../../oracle/commit-attribution.js';
import { BATCH_INSTANTS, BATCH_STAGES, stageBreakdown } from '../../oracle/stages.js';

/** A stored reading read by ingest from t1/0 at `offset`, committed to patient_vitals as `ingest_id`. */
const timed = (ingest_id: number, patient_id: number, offset: number, event_time: number): TimedReading => ({
  ingest_id,
  patient_id,
  topic: 't1',
  partition: 0,
  offset,
  event_time,
  appended_at: event_time + 3,
  sent_at: event_time + 1,
});

/** An ingest transaction's range, as the CommitRecorder writes it. */
const ingestRange = (first_offset: number, last_offset: number, committed_at: number): WriteBatchRange => ({
  role: 'ingest',
  committed_at,
  commit_started_at: committed_at - 10,
  kafka_topic: 't1',
  kafka_partition: 0,
  first_offset,
  last_offset,
  ingest_lo: 0,
  ingest_hi: 0,
  patient_lo: 0,
  patient_hi: 0,
});

/** A batch task's range with its instants: [t_pass_start, t_task_start, t_read_done, t_commit_start, t_committed]. */
const task = (
  [ingest_lo, ingest_hi]: [number, number],
  [patient_lo, patient_hi]: [number, number],
  [pass_started_at, task_started_at, read_done_at, commit_started_at, committed_at]: number[],
): WriteBatchRange => ({
  role: 'batch',
  committed_at: committed_at!,
  commit_started_at,
  pass_started_at,
  task_started_at,
  read_done_at,
  kafka_topic: '',
  kafka_partition: -1,
  first_offset: -1,
  last_offset: -1,
  ingest_lo,
  ingest_hi,
  patient_lo,
  patient_hi,
});

/**
 * A hand-made run. Ingest committed offsets 0-1 at 1050 and offset 2 at 1230, then replayed
 * 0-2 (committed 1400, too late to count); offset 3's ingest commit was not recorded. Pass 1
 * (ingest_id 0..2] began at 2000, pass 2 (2..4] at 5000, each with two patient-range tasks.
 */
const readings = [
  timed(1, 1001, 0, 1000), // A
  timed(2, 1002, 1, 1010), // B
  timed(3, 1001, 2, 1200), // C
  timed(4, 1003, 3, 1300), // D: its t_stored is unknown
];
const ranges = [
  ingestRange(0, 1, 1050),
  ingestRange(2, 2, 1230),
  ingestRange(0, 2, 1400),
  task([0, 2], [1001, 1001], [2000, 2005, 2015, 2040, 2100]),
  task([0, 2], [1002, 1003], [2000, 2030, 2035, 2050, 2060]),
  task([2, 4], [1001, 1002], [5000, 5002, 5010, 5030, 5045]),
  task([2, 4], [1003, 1003], [5000, 5003, 5008, 5020, 5025]),
];

const instantsOf = (times: ReturnType<typeof batchStageTimes>, i: number): number[] =>
  BATCH_INSTANTS.map((k) => times[k][i]!);

describe('batchStageTimes', () => {
  const times = batchStageTimes(readings, ranges);

  it("takes t_stored from ingest's first commit of the reading and the rest from the task that committed its batch result", () => {
    expect(instantsOf(times, 0)).toEqual([1000, 1050, 2000, 2005, 2015, 2040, 2100]);
    expect(instantsOf(times, 1)).toEqual([1010, 1050, 2000, 2030, 2035, 2050, 2060]);
    expect(instantsOf(times, 2)).toEqual([1200, 1230, 5000, 5002, 5010, 5030, 5045]);
    expect(instantsOf(times, 3)).toEqual([1300, NaN, 5000, 5003, 5008, 5020, 5025]);
  });

  it("each reading's stages add up exactly to its batch event-time latency, t_committed (batchCommitTimes) - t_intended", () => {
    const committed = batchCommitTimes(
      readings,
      ranges.filter((r) => r.role === 'batch'),
    );
    const durations = (i: number): number[] => BATCH_STAGES.map((s) => times[s.to][i]! - times[s.from][i]!);
    // By hand: ingest, wait for the pass, planning and queue, read, evaluate, write.
    expect(durations(0)).toEqual([50, 950, 5, 10, 25, 60]);
    expect(durations(1)).toEqual([40, 950, 30, 5, 15, 10]);
    expect(durations(2)).toEqual([30, 3770, 2, 8, 20, 15]);
    for (const i of [0, 1, 2]) {
      const sum = durations(i).reduce((a, b) => a + b, 0);
      expect(sum).toBe(committed[i]! - readings[i]!.event_time);
    }
    expect([...committed]).toEqual([2100, 2060, 5045, 5025]);
  });

  it('the breakdown leaves out the reading without t_stored, and its means add up to the mean latency of the rest', () => {
    const b = stageBreakdown(times, () => true, BATCH_STAGES);
    expect(b.readings).toBe(3);
    expect(b.incomplete).toBe(1);
    expect(b.stages.map((s) => s.id)).toEqual(['ingest', 'pass_wait', 'dispatch', 'read', 'evaluate', 'write']);
    expect(b.stages.map((s) => s.mean_ms)).toEqual([40, 1890, 37 / 3, 23 / 3, 20, 85 / 3]);
    expect(b.mean_total_ms).toBe((1100 + 1050 + 3845) / 3);
    expect(b.stages.reduce((sum, s) => sum + s.mean_ms, 0)).toBeCloseTo(b.mean_total_ms, 9);
  });

  it('leaves the task instants unknown for a task recorded before migration 5, and every one for a reading no task covered', () => {
    const {
      pass_started_at: _p,
      task_started_at: _t,
      read_done_at: _r,
      ...old
    } = task([0, 2], [1001, 1003], [0, 0, 0, 2040, 2100]);
    const t = batchStageTimes([readings[0]!, timed(9, 1001, 1, 1020)], [ingestRange(0, 1, 1050), old]);
    expect(instantsOf(t, 0)).toEqual([1000, 1050, NaN, NaN, NaN, 2040, 2100]);
    expect(instantsOf(t, 1)).toEqual([1020, 1050, NaN, NaN, NaN, NaN, NaN]);
  });
});
