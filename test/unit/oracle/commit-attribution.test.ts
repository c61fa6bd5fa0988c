import { describe, expect, it } from 'vitest';
import {
  batchCommitTimes,
  commitTimes,
  streamCommitTimes,
  streamStageTimes,
  type AttributedReading,
  type TimedReading,
  type WriteBatchRange,
} from '../../oracle/commit-attribution.js';

/** A stored reading: where ingest read it (topic, partition, offset) and its commit order (ingest_id). */
const reading = (
  ingest_id: number,
  patient_id: number,
  topic = 't1',
  partition = 0,
  offset = 0,
): AttributedReading => ({ ingest_id, patient_id, topic, partition, offset });

/** A stream write batch's range, as recordCommit writes it: its ingest and patient columns are 0. */
const streamRange = (
  topic: string,
  partition: number,
  first_offset: number,
  last_offset: number,
  committed_at: number,
): WriteBatchRange => ({
  role: 'stream',
  committed_at,
  kafka_topic: topic,
  kafka_partition: partition,
  first_offset,
  last_offset,
  ingest_lo: 0,
  ingest_hi: 0,
  patient_lo: 0,
  patient_hi: 0,
});

/** A batch task's range, as recordCommit writes it: no Kafka topic, partition and offsets -1. */
const batchRange = (
  ingest_lo: number,
  ingest_hi: number,
  patient_lo: number,
  patient_hi: number,
  committed_at: number,
): WriteBatchRange => ({
  role: 'batch',
  committed_at,
  kafka_topic: '',
  kafka_partition: -1,
  first_offset: -1,
  last_offset: -1,
  ingest_lo,
  ingest_hi,
  patient_lo,
  patient_hi,
});

const at = (offset: number, topic = 't1', partition = 0): AttributedReading =>
  reading(1, 1001, topic, partition, offset);
const list = (a: Float64Array): number[] => [...a];

describe('streamCommitTimes: a range covers [first_offset, last_offset] of one topic-partition', () => {
  it('a reading covered by one range takes its commit time; both ends of the range are inclusive', () => {
    const ranges = [streamRange('t1', 0, 10, 19, 5_000)];
    expect(list(streamCommitTimes([at(10), at(15), at(19)], ranges))).toEqual([5_000, 5_000, 5_000]);
  });

  it('a reading covered by no range is NaN: before the first, after the last, in a gap between two', () => {
    const ranges = [streamRange('t1', 0, 10, 19, 5_000), streamRange('t1', 0, 30, 39, 6_000)];
    expect(list(streamCommitTimes([at(9), at(20), at(25), at(29), at(40)], ranges))).toEqual([NaN, NaN, NaN, NaN, NaN]);
    expect(list(streamCommitTimes([at(30)], ranges))).toEqual([6_000]);
  });

  it('covered by two ranges (a replay after a crash): the earliest commit wins, whatever the input order', () => {
    // The first consumer committed [10, 19] at 5000 and crashed before committing its offsets;
    // its successor replayed from 10 and committed [10, 25] at 7000.
    const first = streamRange('t1', 0, 10, 19, 5_000);
    const replay = streamRange('t1', 0, 10, 25, 7_000);
    const readings = [at(12), at(19), at(20), at(25)];
    expect(list(streamCommitTimes(readings, [first, replay]))).toEqual([5_000, 5_000, 7_000, 7_000]);
    expect(list(streamCommitTimes(readings, [replay, first]))).toEqual([5_000, 5_000, 7_000, 7_000]);
  });

  it('the earliest commit wins even when it is the range that starts later in the partition', () => {
    // Offset 13 is in both [0, 30] (9000) and [12, 14] (4000): 4000. Offset 20 only in [0, 30].
    const ranges = [streamRange('t1', 0, 0, 30, 9_000), streamRange('t1', 0, 12, 14, 4_000)];
    expect(list(streamCommitTimes([at(13), at(20)], ranges))).toEqual([4_000, 9_000]);
  });

  it('a long range that starts far before the offset still counts (the scan looks back as far as the longest range)', () => {
    // Longest range [0, 100] (span 100). Offset 97: [95, 99] at 2000, [0, 100] at 9000 -> 2000;
    // [50, 59] ends before it. Offset 100: only [0, 100] -> 9000. Offset 55: [50, 59] at 3000.
    const ranges = [
      streamRange('t1', 0, 0, 100, 9_000),
      streamRange('t1', 0, 50, 59, 3_000),
      streamRange('t1', 0, 95, 99, 2_000),
    ];
    expect(list(streamCommitTimes([at(97), at(100), at(55), at(101)], ranges))).toEqual([2_000, 9_000, 3_000, NaN]);
  });

  it('ranges of other partitions and other topics never count, even over the same offsets', () => {
    const ranges = [
      streamRange('t1', 1, 10, 19, 1_000), // same topic, other partition
      streamRange('t2', 0, 10, 19, 2_000), // other topic, same partition number
      streamRange('t1', 0, 0, 9, 3_000),
    ];
    expect(
      list(
        streamCommitTimes([at(15, 't1', 0), at(15, 't1', 1), at(15, 't2', 0), at(5, 't1', 0), at(5, 't3', 0)], ranges),
      ),
    ).toEqual([NaN, 1_000, 2_000, 3_000, NaN]);
  });

  it('returns one value per reading, in the order of the readings; no ranges: all NaN', () => {
    expect(streamCommitTimes([], [streamRange('t1', 0, 0, 9, 1)])).toHaveLength(0);
    expect(list(streamCommitTimes([at(1), at(2)], []))).toEqual([NaN, NaN]);
  });
});

describe('batchCommitTimes: a task covers ingest_id in (ingest_lo, ingest_hi] x patient_id in [patient_lo, patient_hi]', () => {
  // Two complete passes of two tasks each.
  const passes = [
    batchRange(0, 100, 1001, 1005, 10_000),
    batchRange(0, 100, 1006, 1010, 10_200),
    batchRange(100, 250, 1001, 1005, 20_000),
    batchRange(100, 250, 1006, 1010, 20_100),
  ];

  it('a reading takes the commit time of the task whose ingest range and patient range hold it; ingest_lo is exclusive, ingest_hi and both patient ends inclusive', () => {
    const readings = [
      reading(1, 1001),
      reading(100, 1005),
      reading(100, 1006),
      reading(101, 1001),
      reading(250, 1010),
      reading(180, 1007),
    ];
    expect(list(batchCommitTimes(readings, passes))).toEqual([10_000, 10_000, 10_200, 20_000, 20_100, 20_100]);
  });

  it('the order of the ranges does not matter: passes are taken in ingest_hi order', () => {
    const readings = [reading(1, 1001), reading(101, 1001), reading(250, 1010)];
    expect(list(batchCommitTimes(readings, [...passes].reverse()))).toEqual([10_000, 20_000, 20_100]);
  });

  it('a reading no pass reached (ingest_id above every ingest_hi) or in no patient range is NaN', () => {
    expect(list(batchCommitTimes([reading(251, 1001), reading(50, 1011), reading(50, 1000)], passes))).toEqual([
      NaN,
      NaN,
      NaN,
    ]);
    expect(list(batchCommitTimes([reading(1, 1001)], []))).toEqual([NaN]);
  });

  it('a pass cut short by a restart covered some patient ranges: the readings it missed take the commit of the later pass that covered them', () => {
    // Pass (0, 100] committed only its task for 1001..1005 before the crash. The restarted role
    // resumed after the last completed pass (none) and ran (0, 180] for every patient.
    const ranges = [
      batchRange(0, 100, 1001, 1005, 10_000),
      batchRange(0, 180, 1001, 1005, 30_000),
      batchRange(0, 180, 1006, 1010, 30_100),
    ];
    const readings = [reading(40, 1003), reading(40, 1008), reading(150, 1003), reading(150, 1008)];
    // 40/1003: the cut-short pass (the first ingest_hi >= 40 holding it) committed it first: 10000.
    // 40/1008: the cut-short pass has no task for 1008; the later pass (0, 180] does: 30100.
    // 150: above the cut-short pass's ingest_hi, only the later pass holds it.
    expect(list(batchCommitTimes(readings, ranges))).toEqual([10_000, 30_100, 30_000, 30_100]);
  });

  it('a later pass covers a missed reading only if its (ingest_lo, ingest_hi] holds the reading: one that starts at or after it does not', () => {
    const ranges = [batchRange(0, 100, 1001, 1005, 10_000), batchRange(100, 180, 1006, 1010, 30_100)];
    expect(list(batchCommitTimes([reading(40, 1008), reading(100, 1008), reading(101, 1008)], ranges))).toEqual([
      NaN,
      NaN,
      30_100,
    ]);
  });

  it('within one pass (the same ingest_hi), overlapping tasks: the first matching range in input order wins, not the earliest commit', () => {
    const late = batchRange(0, 100, 1001, 1010, 9_000);
    const early = batchRange(0, 100, 1001, 1005, 5_000);
    expect(list(batchCommitTimes([reading(10, 1003)], [late, early]))).toEqual([9_000]);
    expect(list(batchCommitTimes([reading(10, 1003)], [early, late]))).toEqual([5_000]);
  });
});

describe('commitTimes: each mode from its own role', () => {
  it('stream readings are attributed from stream ranges only and batch from batch ranges only', () => {
    const ranges = [
      streamRange('t1', 0, 0, 9, 1_500),
      batchRange(0, 10, 1001, 1001, 2_500),
      // A batch range's Kafka columns ('' / -1) never match a reading's topic; a stream range's
      // ingest columns (0, 0] never hold an ingest_id.
    ];
    const readings = [reading(1, 1001, 't1', 0, 3), reading(11, 1001, 't1', 0, 10)];
    const out = commitTimes(readings, ranges);
    expect(list(out.stream)).toEqual([1_500, NaN]);
    expect(list(out.batch)).toEqual([2_500, NaN]);
  });
});

describe('streamStageTimes', () => {
  const timed = (offset: number, event_time: number, sent_at: number | null): TimedReading => ({
    ...at(offset),
    event_time,
    appended_at: event_time + 3,
    sent_at,
  });
  const withStages = (r: WriteBatchRange, fetched_at: number, commit_started_at: number): WriteBatchRange => ({
    ...r,
    fetched_at,
    commit_started_at,
  });

  it('takes t_fetched and t_commit_start from the range whose commit came first (a replay later does not count)', () => {
    const readings = [timed(5, 1000, 1001), timed(6, 1002, null)];
    const ranges = [
      withStages(streamRange('t1', 0, 0, 9, 1100), 1050, 1090), // a replay after a crash
      withStages(streamRange('t1', 0, 5, 6, 1040), 1010, 1030),
      batchRange(0, 10, 1001, 1001, 900), // another role's range never counts
    ];
    const t = streamStageTimes(readings, ranges);
    expect([t.intended[0], t.sent[0], t.appended[0], t.fetched[0], t.commitStart[0], t.committed[0]]).toEqual([
      1000, 1001, 1003, 1010, 1030, 1040,
    ]);
    // No t_sent header: that instant is unknown, the others are not.
    expect([t.intended[1], t.sent[1], t.appended[1], t.fetched[1], t.commitStart[1], t.committed[1]]).toEqual([
      1002,
      NaN,
      1005,
      1010,
      1030,
      1040,
    ]);
  });

  it('leaves every pipeline instant unknown for a reading no range covers, and for ranges recorded without them', () => {
    const t = streamStageTimes([timed(50, 1000, 1001), timed(5, 1000, 1001)], [streamRange('t1', 0, 0, 9, 1100)]);
    expect([t.fetched[0], t.commitStart[0], t.committed[0]]).toEqual([NaN, NaN, NaN]);
    expect([t.fetched[1], t.commitStart[1], t.committed[1]]).toEqual([NaN, NaN, 1100]);
  });
});
