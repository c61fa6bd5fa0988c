import { describe, expect, it } from 'vitest';
import type { FaultGroundTruth } from '../../../../src/generators/faults.js';
import type { ProducerProgress, ProducerResult } from '../../../../src/generators/producer.js';
import { LatencyHistogram } from '../../../../src/results/histogram.js';
import {
  LoadProgressMerger,
  finalProgress,
  mergeFaultTruths,
  mergeLoadResults,
  mergeProgress,
  sumPerSecond,
} from '../../../../src/harness/measure/merge-load-results.js';

function histogram(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

function result(o: Partial<ProducerResult>): ProducerResult {
  return {
    complete: true,
    startMs: 1000,
    endMs: 5000,
    lastAckMs: 4900,
    planned: 0,
    sentReadings: 0,
    sentDuplicates: 0,
    sentMalformed: 0,
    acknowledged: 0,
    acknowledgedReadings: 0,
    sendDelay: new LatencyHistogram(),
    offeredPerSecond: [],
    acknowledgedPerSecond: [],
    faults: null,
    ...o,
  };
}

const A = (): ProducerResult =>
  result({
    endMs: 5000,
    lastAckMs: 4900,
    planned: 10,
    sentReadings: 10,
    sentDuplicates: 1,
    sentMalformed: 2,
    acknowledged: 13,
    acknowledgedReadings: 10,
    sendDelay: histogram([1, 2]),
    offeredPerSecond: [4, 6],
    acknowledgedPerSecond: [3, 7],
  });

const B = (): ProducerResult =>
  result({
    endMs: 5200,
    lastAckMs: 4800,
    planned: 5,
    sentReadings: 5,
    sentMalformed: 1,
    acknowledged: 6,
    acknowledgedReadings: 5,
    sendDelay: histogram([3]),
    offeredPerSecond: [2, 2, 1],
    acknowledgedPerSecond: [1, 4],
  });

function truth(o: {
  readings: number;
  late: FaultGroundTruth['late'];
  duplicates: FaultGroundTruth['duplicates'];
  invalidJson: number;
  seed?: number;
}): FaultGroundTruth {
  return {
    options: {
      seed: o.seed ?? 1,
      jitterMs: 0,
      jitterFraction: 0.1,
      latenessMs: 100,
      lateFraction: 0.5,
      duplicateFraction: 0.5,
      malformedFraction: 0.5,
    },
    counts: {
      readings: o.readings,
      jittered: 0,
      late: o.late.length,
      duplicates: o.duplicates.length,
      malformed: o.invalidJson + 1,
      malformedByKind: {
        invalid_json: o.invalidJson,
        missing_field: 1,
        wrong_type: 0,
        impossible_value: 0,
        bp_inverted: 0,
      },
    },
    jittered: [],
    late: o.late,
    duplicates: o.duplicates,
  };
}

describe('mergeLoadResults', () => {
  it('sums the counts and per-second figures, merges the send delays, keeps the latest end', () => {
    const merged = mergeLoadResults([A(), B()]);
    expect({ ...merged, sendDelay: undefined }).toEqual({
      complete: true,
      startMs: 1000,
      endMs: 5200,
      lastAckMs: 4900,
      planned: 15,
      sentReadings: 15,
      sentDuplicates: 1,
      sentMalformed: 3,
      acknowledged: 19,
      acknowledgedReadings: 15,
      sendDelay: undefined,
      offeredPerSecond: [6, 8, 1],
      acknowledgedPerSecond: [4, 11],
      faults: null,
    });
    const sd = merged.sendDelay.summary();
    expect(sd.count).toBe(3);
    expect(sd.min).toBeCloseTo(1, 2);
    expect(sd.max).toBeCloseTo(3, 2);
    expect(sd.mean).toBeCloseTo(2, 2);
  });

  it('leaves its inputs as they were, and merges histograms that came through encode/decode', () => {
    const a = A();
    const b = B();
    const merged = mergeLoadResults([a, { ...b, sendDelay: LatencyHistogram.decode(b.sendDelay.encode()) }]);
    expect(merged.sendDelay.count).toBe(3);
    expect(merged.sendDelay.percentile(100)).toBeCloseTo(3, 2);
    expect([a.sendDelay.count, b.sendDelay.count]).toEqual([2, 1]);
  });

  it('sums the negative send delays clamped to 0', () => {
    const a = A();
    a.sendDelay.negativeClamped = 2;
    const b = B();
    b.sendDelay.negativeClamped = 3;
    expect(mergeLoadResults([a, b]).sendDelay.negativeClamped).toBe(5);
  });

  it('is complete only when every generator completed', () => {
    expect(mergeLoadResults([A(), { ...B(), complete: false }]).complete).toBe(false);
    expect(mergeLoadResults([{ ...A(), complete: false }, B()]).complete).toBe(false);
  });

  it('one result: the same figures', () => {
    const a = A();
    expect({ ...mergeLoadResults([a]), sendDelay: undefined }).toEqual({ ...a, sendDelay: undefined });
  });

  it('refuses results of different schedule starts, and no results at all', () => {
    expect(() => mergeLoadResults([A(), { ...B(), startMs: 1001 }])).toThrow(
      /disagree on the schedule start: 1000, 1001/,
    );
    expect(() => mergeLoadResults([])).toThrow(/no load generator results/);
  });

  it('a generator that acknowledged nothing (lastAckMs 0) does not move the last acknowledgement', () => {
    expect(mergeLoadResults([A(), result({ lastAckMs: 0, endMs: 1200 })]).lastAckMs).toBe(4900);
  });
});

describe('sumPerSecond', () => {
  it('sums element-wise, shorter arrays counting as zeros', () => {
    expect(sumPerSecond([[1, 2, 3], [10], [], [0, 0, 0, 5]])).toEqual([11, 2, 3, 5]);
    expect(sumPerSecond([])).toEqual([]);
  });
});

describe('mergeFaultTruths', () => {
  const t1 = truth({
    readings: 6,
    late: [{ patient_id: 1001, seq: 0, delayMs: 150 }],
    duplicates: [{ patient_id: 1001, seq: 2 }],
    invalidJson: 1,
  });
  const t2 = truth({
    readings: 4,
    late: [
      { patient_id: 2001, seq: 1, delayMs: 120 },
      { patient_id: 2001, seq: 3, delayMs: 190 },
    ],
    duplicates: [],
    invalidJson: 2,
  });

  it('sums the counts (by malformed kind too) and concatenates the lists share by share', () => {
    const merged = mergeFaultTruths([t1, t2])!;
    expect(merged.options).toEqual(t1.options);
    expect(merged.counts).toEqual({
      readings: 10,
      jittered: 0,
      late: 3,
      duplicates: 1,
      malformed: 5,
      malformedByKind: { invalid_json: 3, missing_field: 2, wrong_type: 0, impossible_value: 0, bp_inverted: 0 },
    });
    expect(merged.late).toEqual([...t1.late, ...t2.late]);
    expect(merged.duplicates).toEqual([{ patient_id: 1001, seq: 2 }]);
    expect(merged.jittered).toEqual([]);
  });

  it('null when no generator injected faults; refuses generators that disagree', () => {
    expect(mergeFaultTruths([null, null])).toBeNull();
    expect(() => mergeFaultTruths([t1, null])).toThrow(/some have none/);
    expect(() => mergeFaultTruths([t1, { ...t2, options: { ...t2.options, seed: 2 } }])).toThrow(/fault options/);
  });
});

const progress = (planned: number, sent: number, acknowledged: number, elapsedMs: number): ProducerProgress => ({
  planned,
  sent,
  acknowledged,
  elapsedMs,
});

describe('mergeProgress', () => {
  it('sums the counts; the time is the latest report', () => {
    expect(mergeProgress([progress(10, 9, 8, 1000), progress(5, 5, 4, 1003), progress(0, 0, 0, 998)])).toEqual(
      progress(15, 14, 12, 1003),
    );
  });

  it("a finished generator's final figures", () => {
    expect(finalProgress(A())).toEqual(progress(10, 10, 10, 4000));
  });
});

describe('LoadProgressMerger', () => {
  it('reports once every generator has reported since the last merged report, with their latest', () => {
    const m = new LoadProgressMerger(2);
    expect(m.report(0, progress(1, 1, 0, 0))).toBeUndefined();
    expect(m.report(0, progress(3, 3, 2, 1000))).toBeUndefined();
    expect(m.report(1, progress(2, 2, 1, 1002))).toEqual(progress(5, 5, 3, 1002));
    expect(m.report(1, progress(4, 4, 4, 2002))).toBeUndefined();
    expect(m.report(0, progress(6, 6, 5, 2001))).toEqual(progress(10, 10, 9, 2002));
  });

  it("a finished generator's final figures stand, and the others' reports no longer wait for it", () => {
    const m = new LoadProgressMerger(3);
    m.report(0, progress(1, 1, 1, 0));
    m.report(1, progress(1, 1, 1, 0));
    m.finish(2, progress(7, 7, 7, 900));
    expect(m.report(2, progress(1, 1, 1, 1000))).toBeUndefined(); // a late report after the end is ignored
    expect(m.report(0, progress(2, 2, 2, 1000))).toEqual(progress(10, 10, 10, 1000));
    expect(m.report(1, progress(3, 3, 3, 1001))).toBeUndefined();
    m.finish(1, progress(4, 4, 4, 1500));
    expect(m.report(0, progress(5, 5, 5, 2000))).toEqual(progress(16, 16, 16, 2000));
    expect(m.report(0, progress(6, 6, 6, 3000))).toEqual(progress(17, 17, 17, 3000));
  });

  it('one generator: every report as it came', () => {
    const m = new LoadProgressMerger(1);
    expect(m.report(0, progress(1, 1, 0, 0))).toEqual(progress(1, 1, 0, 0));
    expect(m.report(0, progress(2, 2, 1, 1000))).toEqual(progress(2, 2, 1, 1000));
  });
});
