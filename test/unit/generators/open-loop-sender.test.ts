import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../../src/domain/reading.js';
import {
  runOpenLoopSender,
  type ProducerResult,
  type ReadingSource,
  type SenderClock,
  type SenderOptions,
  type TopicMessages,
} from '../../../src/generators/open-loop-sender.js';
import { runOpenLoopProducer, stampSentAt } from '../../../src/generators/producer.js';
import { OpenLoopSchedule, ReplaySchedule } from '../../../src/generators/schedule.js';

const S = 1_700_000_000_000;

/**
 * A simulated clock: sleeps and request completions are timers on one queue, and time jumps
 * to the earliest once the sender has nothing left to do but wait (each jump is one real
 * setImmediate, after every pending promise callback has run). Equal times fire in the order
 * they were set. timerResolutionMs > 0 rounds a sleep up as a real timer does (Node's
 * setTimeout waits at least 1 ms).
 */
class FakeClock implements SenderClock {
  t: number;
  readonly sleeps: number[] = [];
  private readonly timers: Array<{ at: number; seq: number; fire: () => void }> = [];
  private seq = 0;
  private pending = false;

  constructor(
    start: number,
    private readonly timerResolutionMs = 0,
  ) {
    this.t = start;
  }

  now = (): number => this.t;

  sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    const r = this.timerResolutionMs;
    const d = ms <= 0 ? 0 : r > 0 ? Math.ceil(ms / r) * r : ms;
    return new Promise((resolve) => this.at(this.t + d, resolve));
  };

  at(time: number, fire: () => void): void {
    this.timers.push({ at: time, seq: this.seq++, fire });
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.advanceSoon();
  }

  private advanceSoon(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      const next = this.timers.shift();
      if (!next) return;
      this.t = Math.max(this.t, next.at);
      next.fire();
      if (this.timers.length > 0) this.advanceSoon();
    });
  }
}

interface Request {
  at: number;
  topics: string[];
  /** seq (= reading index) of each message, in request order. */
  seqs: number[];
  /** event_time (= floor of the intended time) of each message. */
  eventTimes: number[];
}

/** A fake broker: each request is acknowledged (or fails) after latencyMs of clock time. */
class FakeBroker {
  readonly requests: Request[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly clock: FakeClock,
    private readonly outcome: (request: number) => { latencyMs: number; error?: Error },
  ) {}

  send = (topicMessages: TopicMessages[]): Promise<void> => {
    const readings = topicMessages.flatMap((t) => t.messages.map((m) => JSON.parse(m.value) as Reading));
    this.requests.push({
      at: this.clock.t,
      topics: topicMessages.map((t) => t.topic),
      seqs: readings.map((r) => r.seq),
      eventTimes: readings.map((r) => r.event_time),
    });
    const { latencyMs, error } = this.outcome(this.requests.length - 1);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve, reject) =>
      this.clock.at(this.clock.t + latencyMs, () => {
        this.inFlight--;
        if (error) reject(error);
        else resolve();
      }),
    );
  };

  /** [t_sent - S, seqs in index order] of each request. */
  timeline(): Array<[number, number[]]> {
    return this.requests.map((q) => [q.at - S, [...q.seqs].sort((a, b) => a - b)]);
  }

  /** t_sent - event_time of every message, in reading order (first send of each). */
  delays(): number[] {
    const out: number[] = [];
    for (const r of this.requests) r.seqs.forEach((seq, k) => (out[seq] ??= r.at - r.eventTimes[k]!));
    return out;
  }
}

/** Reading i: seq i, on source i % 2 (so a request may span two topics). */
function source(total: number): ReadingSource {
  return {
    total,
    readingAt: (i, t) => ({
      reading: {
        patient_id: 1001 + (i % 2) * 1000,
        source: i % 2 ? 'Device_B' : 'Device_A',
        seq: i,
        event_time: t,
        heart_rate: 70,
        body_temperature: 36.6,
        blood_pressure_systolic: 120,
        blood_pressure_diastolic: 80,
        spo2_level: 98,
        timestamp: new Date(t).toISOString(),
      },
      sourceIndex: i % 2,
    }),
  };
}

function setup(o: {
  rate?: number;
  total: number;
  latencyMs?: number;
  outcome?: (request: number) => { latencyMs: number; error?: Error };
  timerResolutionMs?: number;
  options?: Partial<SenderOptions>;
}) {
  const clock = new FakeClock(S, o.timerResolutionMs);
  const broker = new FakeBroker(clock, o.outcome ?? (() => ({ latencyMs: o.latencyMs ?? 1 })));
  const log: string[] = [];
  const run = (): Promise<ProducerResult> =>
    runOpenLoopSender({
      source: source(o.total),
      schedule: new OpenLoopSchedule({ start: S, rate: o.rate ?? 10, total: o.total }),
      send: broker.send,
      clock,
      log: (l) => log.push(l),
      ...o.options,
    });
  return { clock, broker, log, run };
}

const retriable = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });

describe('open-loop sender on a fake clock', { timeout: 30_000 }, () => {
  it('sends each reading at its intended time, one request each, with no send delay', async () => {
    const { broker, clock, run } = setup({ rate: 10, total: 5, latencyMs: 1 });
    const r = await run();
    expect(broker.requests.map((q) => q.at - S)).toEqual([0, 100, 200, 300, 400]);
    expect(broker.requests.map((q) => q.seqs)).toEqual([[0], [1], [2], [3], [4]]);
    expect(broker.requests.map((q) => q.topics)).toEqual([
      ['health_data_source1'],
      ['health_data_source2'],
      ['health_data_source1'],
      ['health_data_source2'],
      ['health_data_source1'],
    ]);
    expect(broker.delays()).toEqual([0, 0, 0, 0, 0]);
    expect(r.sendDelay.count).toBe(5);
    expect(r.sendDelay.summary().max).toBe(0);
    expect(r).toMatchObject({
      complete: true,
      startMs: S,
      lastAckMs: S + 401,
      endMs: S + 402,
      planned: 5,
      sentReadings: 5,
      acknowledged: 5,
      acknowledgedReadings: 5,
      sentDuplicates: 0,
      sentMalformed: 0,
      offeredPerSecond: [5],
      acknowledgedPerSecond: [5],
      faults: null,
    });
    // Idle, it wakes at least every linger interval (2 ms by default), never later than a reading is due.
    expect(Math.max(...clock.sleeps)).toBe(2);
  });

  it('readings that fall due within the linger interval leave together in one request (across topics)', async () => {
    // 4000/s: a reading every 0.25 ms; one request per linger interval (2 ms by default) at most.
    const { broker, run } = setup({ rate: 4000, total: 9, latencyMs: 1, timerResolutionMs: 1 });
    const r = await run();
    expect(broker.requests.map((q) => q.at - S)).toEqual([0, 2]);
    expect(broker.timeline().map(([, seqs]) => seqs)).toEqual([[0], [1, 2, 3, 4, 5, 6, 7, 8]]);
    expect(broker.requests[1]!.topics.sort()).toEqual(['health_data_source1', 'health_data_source2']);
    // Send delay: t_sent - t_intended, intended = S + i * 0.25: the wait for the interval shows there.
    expect(r.sendDelay.count).toBe(9);
    expect(r.sendDelay.summary().max).toBeCloseTo(1.75, 2);
    expect(r.sendDelay.summary().mean).toBeCloseTo(7 / 9, 2);
  });

  it('one request per linger interval while several are ready; a lone reading leaves at once', async () => {
    // A reading every 0.5 ms up to 6 ms with a 5 ms interval: requests at 0, 5, 10; then a reading
    // alone at 31 (a recorded schedule) leaves at 31, not at the next interval.
    const times = [...Array.from({ length: 13 }, (_, i) => i * 0.5), 31];
    const clock = new FakeClock(S, 1);
    const broker = new FakeBroker(clock, () => ({ latencyMs: 1 }));
    await runOpenLoopSender({
      source: source(times.length),
      schedule: new ReplaySchedule(times, S, { kind: 'recorded' }),
      send: broker.send,
      clock,
      lingerMs: 5,
    });
    expect(broker.timeline()).toEqual([
      [0, [0]],
      [5, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
      [10, [11, 12]],
      [31, [13]],
    ]);
  });

  it('at 500/s each reading leaves alone when it falls due (no linger wait)', async () => {
    const { broker, run } = setup({ rate: 500, total: 6, latencyMs: 1, timerResolutionMs: 1 });
    await run();
    expect(broker.timeline()).toEqual([0, 2, 4, 6, 8, 10].map((t, i) => [t, [i]]));
    expect(broker.delays()).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('a burst due at once is one request, split at maxBatchMessages', async () => {
    const clock = new FakeClock(S);
    const broker = new FakeBroker(clock, () => ({ latencyMs: 3 }));
    const r = await runOpenLoopSender({
      source: source(5),
      schedule: new ReplaySchedule([7, 7, 7, 7, 7], S, { kind: 'recorded' }),
      send: broker.send,
      clock,
      maxBatchMessages: 2,
    });
    expect(broker.timeline()).toEqual([
      [0, [0, 1]],
      [0, [2, 3]],
      [0, [4]],
    ]);
    expect(broker.maxInFlight).toBe(3);
    expect(r.sendDelay.summary().max).toBe(0);
  });

  it('a send slower than the schedule shows as send delay, never hidden', async () => {
    // 10/s, one request in flight at most, each taking 250 ms: the schedule runs ahead.
    //   S+0    [r0]      delay 0          acknowledged S+250
    //   S+250  [r1, r2]  delays 150, 50   acknowledged S+500
    //   S+500  [r3, r4]  delays 200, 100  acknowledged S+750
    const { broker, run } = setup({ rate: 10, total: 5, latencyMs: 250, options: { maxInFlight: 1 } });
    const r = await run();
    expect(broker.timeline()).toEqual([
      [0, [0]],
      [250, [1, 2]],
      [500, [3, 4]],
    ]);
    expect(broker.delays()).toEqual([0, 150, 50, 200, 100]);
    const sd = r.sendDelay.summary();
    expect(sd.count).toBe(5);
    expect(sd.min).toBe(0);
    expect(sd.max).toBeCloseTo(200, 0); // HDR: within 0.1%
    expect(sd.p50).toBeCloseTo(100, 0);
    expect(sd.mean).toBeCloseTo(100, 0);
    expect(r).toMatchObject({
      complete: true,
      lastAckMs: S + 750,
      endMs: S + 750,
      acknowledgedReadings: 5,
      offeredPerSecond: [5],
      acknowledgedPerSecond: [5],
    });
  });

  it('warm-up readings are sent but not recorded in the send-delay histogram', async () => {
    const { broker, run } = setup({ rate: 10, total: 5, latencyMs: 250, options: { maxInFlight: 1, warmupCount: 2 } });
    const r = await run();
    expect(broker.delays()).toEqual([0, 150, 50, 200, 100]);
    const sd = r.sendDelay.summary();
    // r2, r3, r4 only: 50, 200, 100.
    expect(sd.count).toBe(3);
    expect(sd.min).toBeCloseTo(50, 0);
    expect(sd.max).toBeCloseTo(200, 0);
    expect(sd.mean).toBeCloseTo(350 / 3, 0);
    expect(r.sentReadings).toBe(5);
    expect(r.acknowledgedReadings).toBe(5);
  });

  it('keeps at most maxInFlight requests in flight; the wait is send delay', async () => {
    // 100/s, each request 35 ms, 2 in flight at most:
    //   S+0 [r0] -> S+35; S+10 [r1] -> S+45; r2 (S+20), r3 (S+30) wait;
    //   S+35 [r2, r3] -> S+70 (delays 15, 5); r4 (S+40) waits; S+45 [r4] -> S+80 (delay 5);
    //   r5 (S+50) waits; S+70 [r5] -> S+105 (delay 20).
    const { broker, run } = setup({ rate: 100, total: 6, latencyMs: 35, options: { maxInFlight: 2 } });
    const r = await run();
    expect(broker.maxInFlight).toBe(2);
    expect(broker.timeline()).toEqual([
      [0, [0]],
      [10, [1]],
      [35, [2, 3]],
      [45, [4]],
      [70, [5]],
    ]);
    expect(broker.delays()).toEqual([0, 0, 15, 5, 5, 20]);
    expect(r.sendDelay.summary().max).toBeCloseTo(20, 1);
    expect(r.sendDelay.summary().mean).toBeCloseTo(45 / 6, 1);
    expect(r).toMatchObject({ complete: true, lastAckMs: S + 105, endMs: S + 106, acknowledgedReadings: 6 });
  });

  it('resends a request that failed with a retriable error, and does not finish while requests fail', async () => {
    // Requests 0-2 fail 5 ms after being sent; each failure holds sending back for 500 ms.
    //   S+0 [r0] fails S+5; S+505 [r0, r1, r2] fails S+510; S+1010 again, fails S+1015;
    //   S+1515 [r0, r1, r2] acknowledged S+1520.
    // r1 and r2 are first sent at S+505: send delays 405 and 305; r0's resends are not counted again.
    const { broker, log, run } = setup({
      rate: 10,
      total: 3,
      outcome: (n) => ({ latencyMs: 5, error: n < 3 ? retriable() : undefined }),
    });
    const r = await run();
    expect(broker.timeline()).toEqual([
      [0, [0]],
      [505, [0, 1, 2]],
      [1010, [0, 1, 2]],
      [1515, [0, 1, 2]],
    ]);
    const sd = r.sendDelay.summary();
    expect(sd.count).toBe(3);
    expect(sd.min).toBe(0);
    expect(sd.max).toBeCloseTo(405, 0);
    expect(sd.mean).toBeCloseTo(710 / 3, 0);
    expect(r).toMatchObject({
      complete: true,
      sentReadings: 3,
      acknowledged: 3,
      acknowledgedReadings: 3,
      lastAckMs: S + 1520,
      endMs: S + 1521,
      acknowledgedPerSecond: [0, 3],
    });
    expect(log).toEqual([
      'send failed (connect ECONNREFUSED 127.0.0.1:9092); sending again while the broker is unreachable',
      'broker reachable again after 1515 ms',
    ]);
  });

  it('a broker outage longer than its budget ends the run with the error', async () => {
    // Fails at S+5 (outage starts), S+510 (505 ms: resent), S+1015 (1010 ms >= 1000: give up).
    const errors: Error[] = [];
    const { broker, run } = setup({
      rate: 10,
      total: 3,
      options: { outageBudgetMs: 1000 },
      outcome: () => {
        errors.push(retriable());
        return { latencyMs: 5, error: errors.at(-1) };
      },
    });
    const err = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(errors).toHaveLength(3);
    expect(err).toBe(errors[2]);
    expect(broker.requests.map((q) => q.at - S)).toEqual([0, 505, 1010]);
  });

  it('a non-retriable error ends the run with that error', async () => {
    const bad = new TypeError('value must be a string or Buffer');
    const { broker, clock, run } = setup({ rate: 10, total: 3, outcome: () => ({ latencyMs: 5, error: bad }) });
    await expect(run()).rejects.toBe(bad);
    expect(broker.timeline()).toEqual([[0, [0]]]);
    // It stops at its next turn after the failure (S+5), not at the end of the schedule.
    expect(clock.t - S).toBe(6);
  });

  it('injected fault delays are not send delay; duplicates go with their reading, uncounted', async () => {
    const { broker, run } = setup({
      rate: 10,
      total: 4,
      options: { faults: { seed: 3, latenessMs: 50, lateFraction: 1, duplicateFraction: 1 } },
    });
    const r = await run();
    const late = r.faults!.late;
    expect(late.map((d) => d.seq)).toEqual([0, 1, 2, 3]);
    // Each reading and its duplicate leave together at intended + injected delay.
    expect(broker.timeline()).toEqual(late.map((d) => [d.seq * 100 + d.delayMs, [d.seq, d.seq]]));
    expect(r.sendDelay.count).toBe(4);
    expect(r.sendDelay.summary().max).toBe(0);
    expect(r).toMatchObject({ sentReadings: 4, sentDuplicates: 4, acknowledged: 8, acknowledgedReadings: 4 });
  });

  it('stops when aborted, incomplete', async () => {
    const abort = new AbortController();
    const { broker, clock, run } = setup({ rate: 10, total: 10, latencyMs: 1, options: { signal: abort.signal } });
    clock.at(S + 250, () => abort.abort());
    const r = await run();
    expect(broker.requests.map((q) => q.at - S)).toEqual([0, 100, 200]);
    expect(r.complete).toBe(false);
    expect(r.planned).toBe(3);
  });
});

describe('runOpenLoopProducer: kafkajs wiring', () => {
  function fakeKafka(fail?: Error) {
    const calls: unknown[][] = [];
    const kafka = {
      producer: (config: unknown) => {
        calls.push(['producer', config]);
        return {
          connect: async () => void calls.push(['connect']),
          disconnect: async () => void calls.push(['disconnect']),
          sendBatch: async (batch: unknown) => {
            calls.push(['sendBatch', batch]);
            if (fail) throw fail;
            return [];
          },
        };
      },
    } as unknown as Kafka;
    return { kafka, calls };
  }

  it('connects, sends each request with sendBatch acks -1, disconnects', async () => {
    const { kafka, calls } = fakeKafka();
    const r = await runOpenLoopProducer({
      kafka,
      source: source(2),
      schedule: new ReplaySchedule([0, 0], Date.now(), { kind: 'recorded' }),
      topicPrefix: 't_',
    });
    expect(r.complete).toBe(true);
    expect(calls.map((c) => c[0])).toEqual(['producer', 'connect', 'sendBatch', 'disconnect']);
    expect(calls[0]![1]).toEqual({ allowAutoTopicCreation: false, retry: { retries: 5 } });
    const batch = calls[2]![1] as { acks: number; topicMessages: TopicMessages[] };
    expect(batch.acks).toBe(-1);
    expect(batch.topicMessages.map((t) => [t.topic, t.messages.length, t.messages[0]!.key])).toEqual([
      ['t_health_data_source1', 1, '1001'],
      ['t_health_data_source2', 1, '2001'],
    ]);
  });

  it('disconnects when the load fails; invalid fault options fail before a producer exists', async () => {
    const bad = new TypeError('bad');
    const { kafka, calls } = fakeKafka(bad);
    await expect(
      runOpenLoopProducer({
        kafka,
        source: source(1),
        schedule: new ReplaySchedule([0], Date.now(), { kind: 'recorded' }),
      }),
    ).rejects.toBe(bad);
    expect(calls.map((c) => c[0])).toEqual(['producer', 'connect', 'sendBatch', 'disconnect']);
    const other = fakeKafka();
    await expect(
      runOpenLoopProducer({
        kafka: other.kafka,
        source: source(1),
        schedule: new ReplaySchedule([0], Date.now(), { kind: 'recorded' }),
        faults: { seed: 1, lateFraction: 2 },
      }),
    ).rejects.toThrow(RangeError);
    expect(other.calls).toEqual([]);
  });
});

describe('stampSentAt', () => {
  it('puts the request time in the t_sent header of every message, keeping key and value', () => {
    const stamped = stampSentAt(
      [
        {
          topic: 't1',
          messages: [
            { key: '1', value: 'a' },
            { key: '2', value: 'b' },
          ],
        },
        { topic: 't2', messages: [{ key: '3', value: 'c' }] },
      ],
      1_700_000_000_123,
    );
    expect(stamped).toEqual([
      {
        topic: 't1',
        messages: [
          { key: '1', value: 'a', headers: { t_sent: '1700000000123' } },
          { key: '2', value: 'b', headers: { t_sent: '1700000000123' } },
        ],
      },
      { topic: 't2', messages: [{ key: '3', value: 'c', headers: { t_sent: '1700000000123' } }] },
    ]);
  });
});
