import type { Kafka, Message, Producer } from 'kafkajs';
import { topicForSource, type Reading } from '../domain/reading.js';
import { LatencyHistogram } from '../harness/histogram.js';
import { describeError, isRetriable } from '../infra/retry.js';
import { FaultPlanner, payloadFor, type FaultOptions, type SendAction } from './faults.js';
import type { Schedule } from './schedule.js';

/** Where the readings come from: the generated data set, or a recorded file for replay. */
export interface ReadingSource {
  /** Total readings to send (finite). */
  readonly total: number;
  /** The i-th reading (called once per i, in order), stamped with event time eventTimeMs. */
  readingAt(i: number, eventTimeMs: number): { reading: Reading; sourceIndex: number };
}

export interface ProducerOptions {
  kafka: Kafka;
  source: ReadingSource;
  schedule: Schedule;
  topicPrefix?: string;
  faults?: FaultOptions;
  /**
   * How long messages may wait to be sent together (ms). kafkajs has no linger of its own:
   * each send() is one request, so the loop batches what fell due within this interval.
   */
  lingerMs?: number;
  /** Requests in flight at most; beyond it messages wait, and the wait shows as send delay. */
  maxInFlight?: number;
  /** Messages in one request at most (default 2000, about 450 KB of readings). */
  maxBatchMessages?: number;
  /** Readings with index < warmupCount are sent but not recorded in the send-delay histogram. */
  warmupCount?: number;
  /** Stamped into every reading, so that pipelines can tell this run's readings from another's. */
  runId?: string;
  /**
   * How long a broker may stay unreachable before the load fails (ms, default 180 s): a
   * failed request is sent again meanwhile, its readings keeping their intended times.
   */
  outageBudgetMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  onProgress?: (p: ProducerProgress) => void;
}

export interface ProducerProgress {
  planned: number;
  sent: number;
  acknowledged: number;
  elapsedMs: number;
}

export interface ProducerResult {
  complete: boolean;
  startMs: number;
  endMs: number;
  /** When the last acknowledgement arrived (epoch ms). */
  lastAckMs: number;
  /** Readings whose schedule came due (valid readings, not counting duplicates or malformed extras). */
  planned: number;
  /** Messages handed to the Kafka client, by kind. */
  sentReadings: number;
  sentDuplicates: number;
  sentMalformed: number;
  /** Messages Kafka acknowledged (all kinds). */
  acknowledged: number;
  acknowledgedReadings: number;
  /** t_sent - t_intended of valid readings after warm-up, ms (injected fault delays excluded). */
  sendDelay: LatencyHistogram;
  /** Per second since start: readings the schedule asked for (by intended time). */
  offeredPerSecond: number[];
  /** Per second since start: readings acknowledged by Kafka (by acknowledgement time). */
  acknowledgedPerSecond: number[];
  faults: ReturnType<FaultPlanner['groundTruth']> | null;
}

interface Outgoing {
  topic: string;
  message: Message;
  /** Intended send time including any injected delay, ms (fractional). */
  sendAt: number;
  kind: SendAction['kind'];
  index: number;
  /** Sent before and failed: not counted again. */
  retry?: boolean;
}

// The same clock as t_committed in the pipelines (Date.now, 1 ms resolution): latencies are
// differences across processes, and a second, monotonic clock would drift from it.
const nowMs = (): number => Date.now();
const bump = (arr: number[], second: number, n: number): void => {
  while (arr.length <= second) arr.push(0);
  arr[second] = (arr[second] ?? 0) + n;
};

/**
 * Open-loop load: readings are sent when the schedule says, whether or not Kafka has
 * acknowledged earlier ones. Falling behind is never hidden: it is measured as send delay.
 */
export async function runOpenLoopProducer(opts: ProducerOptions): Promise<ProducerResult> {
  const linger = opts.lingerMs ?? 2;
  const maxInFlight = opts.maxInFlight ?? 16;
  const maxBatchMessages = opts.maxBatchMessages ?? 2000;
  const warmup = opts.warmupCount ?? 0;
  const planner = opts.faults ? new FaultPlanner(opts.faults) : null;
  const producer: Producer = opts.kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 5 } });
  await producer.connect();

  const result: ProducerResult = {
    complete: false, startMs: 0, endMs: 0, lastAckMs: 0, planned: 0, sentReadings: 0, sentDuplicates: 0, sentMalformed: 0,
    acknowledged: 0, acknowledgedReadings: 0, sendDelay: new LatencyHistogram(), offeredPerSecond: [], acknowledgedPerSecond: [],
    faults: null,
  };
  const ready: Outgoing[] = [];
  const delayed: Outgoing[] = []; // kept sorted by sendAt
  let inFlight = 0;
  let sendError: Error | null = null;
  const inFlightDone = new Set<Promise<void>>();
  const start = opts.schedule.intendedExact(0, nowMs());
  result.startMs = start;
  const total = opts.source.total;

  const plan = (now: number): void => {
    const due = Math.min(total, opts.schedule.dueCount(now));
    while (result.planned < due) {
      const i = result.planned;
      const intended = opts.schedule.intendedExact(i, now);
      const { reading, sourceIndex } = opts.source.readingAt(i, Math.floor(intended));
      if (opts.runId !== undefined) reading.run_id = opts.runId;
      const topic = topicForSource(sourceIndex, opts.topicPrefix);
      const key = String(reading.patient_id);
      const actions: SendAction[] = planner ? planner.plan(reading) : [{ delayMs: 0, kind: 'reading' }];
      for (const a of actions) {
        const out: Outgoing = { topic, message: { key, value: payloadFor(a, reading) }, sendAt: intended + a.delayMs, kind: a.kind, index: i };
        if (a.delayMs > 0) insertSorted(delayed, out);
        else ready.push(out);
      }
      bump(result.offeredPerSecond, Math.max(0, Math.floor((intended - start) / 1000)), 1);
      result.planned++;
    }
    while (delayed.length > 0 && delayed[0]!.sendAt <= now) ready.push(delayed.shift()!);
  };

  const outageBudget = opts.outageBudgetMs ?? 180_000;
  let outageSince: number | undefined;
  let outageLogged = false;
  let retryAfter = 0;
  const flush = (now: number): void => {
    if (now < retryAfter) return;
    while (ready.length > 0 && inFlight < maxInFlight) sendOne(now);
  };

  const sendOne = (now: number): void => {
    // Bounded so that one request stays under the broker's message.max.bytes (1 MiB by default)
    // even when a backlog of due readings has built up.
    const batch = ready.splice(0, maxBatchMessages);
    const byTopic = new Map<string, Message[]>();
    let readings = 0;
    let firstSends = 0;
    for (const o of batch) {
      const list = byTopic.get(o.topic) ?? [];
      list.push(o.message);
      byTopic.set(o.topic, list);
      if (o.kind === 'reading') readings++;
      if (o.retry) continue;
      if (o.kind === 'reading') {
        firstSends++;
        if (o.index >= warmup) result.sendDelay.record(Math.max(0, now - o.sendAt));
      } else if (o.kind === 'duplicate') result.sentDuplicates++;
      else result.sentMalformed++;
    }
    result.sentReadings += firstSends;
    inFlight++;
    const p = producer
      .sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) })
      .then(() => {
        const ackAt = nowMs();
        if (outageSince !== undefined) opts.log?.(`broker reachable again after ${ackAt - outageSince} ms`);
        outageSince = undefined;
        outageLogged = false;
        result.acknowledged += batch.length;
        result.acknowledgedReadings += readings;
        result.lastAckMs = Math.max(result.lastAckMs, ackAt);
        bump(result.acknowledgedPerSecond, Math.max(0, Math.floor((ackAt - start) / 1000)), readings);
      })
      .catch((err: Error) => {
        // A broker restart: send the same messages again (the pipelines keep the first copy
        // of a reading), first in line, until the outage outlasts its budget.
        const now = nowMs();
        outageSince ??= now;
        if (isRetriable(err) && now - outageSince < outageBudget) {
          if (!outageLogged) opts.log?.(`send failed (${describeError(err)}); sending again while the broker is unreachable`);
          outageLogged = true;
          for (const o of batch) o.retry = true;
          ready.unshift(...batch);
          retryAfter = now + 500;
        } else {
          sendError ??= err;
        }
      })
      .finally(() => {
        inFlight--;
        inFlightDone.delete(p);
      });
    inFlightDone.add(p);
  };

  let lastProgress = 0;
  try {
    for (;;) {
      if (sendError) throw sendError;
      const now = nowMs();
      if (opts.signal?.aborted) break;
      plan(now);
      flush(now);
      if (now - lastProgress >= 1000 && opts.onProgress) {
        lastProgress = now;
        opts.onProgress({ planned: result.planned, sent: result.sentReadings, acknowledged: result.acknowledgedReadings, elapsedMs: now - start });
      }
      // Done only when nothing is left to send and nothing in flight: a failed request puts
      // its messages back in line (a broker restart), even after the schedule has ended.
      if (result.planned >= total && ready.length === 0 && delayed.length === 0 && inFlight === 0) break;
      const nextDue = result.planned < total ? opts.schedule.intendedExact(result.planned, now) : Infinity;
      const nextDelayed = delayed[0]?.sendAt ?? Infinity;
      const wait = Math.min(nextDue, nextDelayed) - nowMs();
      // Sleep until the next reading is due, but no longer than the linger interval, so that
      // a burst that came due together leaves together.
      await sleep(ready.length > 0 ? 1 : Math.max(0, Math.min(linger, wait)));
    }
    await Promise.all([...inFlightDone]);
    if (sendError) throw sendError;
    result.complete = !opts.signal?.aborted;
  } finally {
    await Promise.allSettled([...inFlightDone]);
    await producer.disconnect();
  }
  result.endMs = nowMs();
  result.faults = planner ? planner.groundTruth() : null;
  return result;
}

function insertSorted(list: Outgoing[], o: Outgoing): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.sendAt <= o.sendAt) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, o);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => (ms <= 0 ? setImmediate(r) : setTimeout(r, ms)));
