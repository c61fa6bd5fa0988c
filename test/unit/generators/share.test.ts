import { describe, expect, it } from 'vitest';
import type { Reading } from '../../../src/domain/reading.js';
import { Dataset } from '../../../src/generators/dataset.js';
import type { FaultOptions } from '../../../src/generators/faults.js';
import {
  runOpenLoopSender,
  type ProducerResult,
  type ReadingSource,
  type SenderClock,
  type TopicMessages,
} from '../../../src/generators/open-loop-sender.js';
import { OpenLoopSchedule, ReplaySchedule, type Schedule } from '../../../src/generators/schedule.js';
import { checkLoadShare, describeShare, isInShare, type LoadShare } from '../../../src/generators/share.js';
import { datasetSource, replaySource } from '../../../src/generators/sources.js';
import { mergeLoadResults } from '../../../src/harness/measure/merge-load-results.js';

const S = 1_700_000_000_000;
const PARAMS = { seed: 11, patients: 7, sources: 3, prevalence: 0.2 };
/** 2.5 s at 100/s: three seconds of per-second figures; 250 is no multiple of 7, so shares differ in size. */
const RATE = 100;
const TOTAL = 250;
const WARMUP = 40;
const FAULTS: FaultOptions = {
  seed: 5,
  jitterMs: 30,
  jitterFraction: 0.3,
  latenessMs: 40,
  lateFraction: 0.1,
  duplicateFraction: 0.2,
  malformedFraction: 0.3,
};

/** Time moves only when the sender sleeps; every request is acknowledged at once. */
class InstantClock implements SenderClock {
  constructor(public t: number) {}
  now = (): number => this.t;
  sleep = (ms: number): Promise<void> => {
    this.t += Math.max(0, ms);
    return new Promise((resolve) => setImmediate(resolve));
  };
}

interface Sent {
  topic: string;
  key: string;
  value: string;
}

async function send(
  source: ReadingSource,
  schedule: Schedule,
  opts: { share?: LoadShare; faults?: FaultOptions },
): Promise<{ sent: Sent[]; result: ProducerResult }> {
  const clock = new InstantClock(S);
  const sent: Sent[] = [];
  const result = await runOpenLoopSender({
    source,
    schedule,
    send: async (topicMessages: TopicMessages[]) => {
      for (const t of topicMessages) for (const m of t.messages) sent.push({ topic: t.topic, ...m });
    },
    clock,
    warmupCount: WARMUP,
    runId: 'r1',
    ...opts,
  });
  return { sent, result };
}

const sendDataset = (opts: { share?: LoadShare; faults?: FaultOptions }) =>
  send(datasetSource(PARAMS, TOTAL), new OpenLoopSchedule({ start: S, rate: RATE, total: TOTAL }), opts);

const asMultiset = (sent: readonly Sent[]): string[] => sent.map((m) => `${m.topic}\t${m.key}\t${m.value}`).sort();
const sortedJson = (xs: readonly unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

async function sendShares(count: number, faults?: FaultOptions) {
  const shares = [];
  for (let index = 0; index < count; index++) shares.push(await sendDataset({ share: { index, count }, faults }));
  return shares;
}

/** The figures one generator reports that do not depend on when exactly it woke up. */
function figures(r: ProducerResult) {
  return {
    complete: r.complete,
    startMs: r.startMs,
    planned: r.planned,
    sentReadings: r.sentReadings,
    sentDuplicates: r.sentDuplicates,
    sentMalformed: r.sentMalformed,
    acknowledged: r.acknowledged,
    acknowledgedReadings: r.acknowledgedReadings,
    offeredPerSecond: r.offeredPerSecond,
    acknowledgedTotal: r.acknowledgedPerSecond.reduce((a, b) => a + b, 0),
    sendDelayCount: r.sendDelay.count,
    faultCounts: r.faults?.counts ?? null,
  };
}

describe('load shares: N generators send exactly what one sends', { timeout: 30_000 }, () => {
  for (const count of [1, 2, 3, 8]) {
    it(`${count} generator(s): the same messages (readings, t_intended, duplicates, malformed) and figures`, async () => {
      const whole = await sendDataset({ faults: FAULTS });
      const shares = await sendShares(count, FAULTS);
      expect(asMultiset(shares.flatMap((s) => s.sent))).toEqual(asMultiset(whole.sent));
      const merged = mergeLoadResults(shares.map((s) => s.result));
      expect(figures(merged)).toEqual(figures(whole.result));
      expect(merged.sendDelay.count).toBe(TOTAL - WARMUP);
      for (const list of ['jittered', 'late', 'duplicates'] as const)
        expect(sortedJson(merged.faults![list])).toEqual(sortedJson(whole.result.faults![list]));
    });
  }

  it("each patient is one generator's, and its readings leave in seq order at their intended times", async () => {
    const ds = new Dataset(PARAMS);
    const patientIndices = Array.from({ length: PARAMS.patients }, (_, p) => p);
    const shares = await sendShares(3);
    shares.forEach(({ sent }, index) => {
      const lastSeq = new Map<number, number>();
      for (const r of sent.map((m) => JSON.parse(m.value) as Reading)) {
        const p = patientIndices.find((q) => ds.patientIdAt(q) === r.patient_id)!;
        expect(isInShare(p, { index, count: 3 })).toBe(true);
        // Reading i is patient i % P's seq floor(i / P), intended at S + i * 10 ms.
        expect(r.event_time).toBe(S + (r.seq * PARAMS.patients + p) * 10);
        expect(r.seq).toBe((lastSeq.get(r.patient_id) ?? -1) + 1);
        lastSeq.set(r.patient_id, r.seq);
      }
    });
  });

  it('splits a replayed recording by patient too', async () => {
    const gen = datasetSource(PARAMS, 60);
    const readings = Array.from({ length: 60 }, (_, i) => gen.readingAt(i, S + i).reading);
    const replay = () =>
      new ReplaySchedule(
        readings.map((r) => r.event_time),
        S,
        { kind: 'recorded' },
      );
    const whole = await send(replaySource(readings), replay(), {});
    const shares = [];
    for (let index = 0; index < 2; index++)
      shares.push(await send(replaySource(readings), replay(), { share: { index, count: 2 } }));
    // Patients 0-3 have 9 readings of the 60, patients 4-6 have 8: shares {0, 2, 4, 6} and {1, 3, 5}.
    expect(shares.map((s) => s.result.planned)).toEqual([34, 26]);
    expect(asMultiset(shares.flatMap((s) => s.sent))).toEqual(asMultiset(whole.sent));
  });

  it('rejects an invalid share, and a share of a source that cannot be split by patient', async () => {
    expect(() => checkLoadShare({ index: 3, count: 3 })).toThrow(RangeError);
    expect(() => checkLoadShare({ index: 0, count: 0 })).toThrow(RangeError);
    expect(() => checkLoadShare({ index: 0.5, count: 2 })).toThrow(RangeError);
    expect(describeShare({ index: 1, count: 3 })).toBe('load generator 2 of 3');
    const { patientIndexAt: _unsplittable, ...source } = datasetSource(PARAMS, 10);
    await expect(
      send(source, new OpenLoopSchedule({ start: S, rate: RATE, total: 10 }), { share: { index: 0, count: 2 } }),
    ).rejects.toThrow(/cannot be split by patient/);
  });
});

describe('Dataset.nextOfPatient', () => {
  it('reading i of the global stream is nextOfPatient(i % patients)', () => {
    const byStream = new Dataset(PARAMS);
    const byPatient = new Dataset(PARAMS);
    for (let i = 0; i < 50; i++) expect(byPatient.nextOfPatient(i % PARAMS.patients)).toEqual(byStream.next());
    expect(byPatient.episodes()).toEqual(byStream.episodes());
    expect(() => byPatient.nextOfPatient(PARAMS.patients)).toThrow(RangeError);
    expect(() => byPatient.nextOfPatient(-1)).toThrow(RangeError);
  });
});
