/**
 * The open-loop sender without Kafka: the schedule, batching of what fell due, the in-flight
 * limit, resending during a broker outage and the send-delay record. Time comes from an
 * injected clock and requests go through an injected send function, in the manner of
 * OpenMessaging Benchmark's UniformRateLimiter(opsPerSec, Supplier<Long> clock); producer.ts
 * wires it to a Kafka client (infra/kafka-client) and the system clock.
 */
import { topicForSource, type Reading } from '../domain/reading.js';
import { LatencyHistogram } from '../results/histogram.js';
import { describeError, isRetriable } from '../infra/retry.js';
import { FaultPlanner, payloadFor, type FaultOptions, type SendAction } from './faults.js';
import type { Schedule } from './schedule.js';
import { checkLoadShare, isInShare, WHOLE_LOAD, type LoadShare } from './share.js';

/** Where the readings come from: the generated data set, or a recorded file for replay. */
export interface ReadingSource {
  /** Total readings to send (finite). */
  readonly total: number;
  /**
   * The i-th reading, stamped with event time eventTimeMs: called once per i, in increasing
   * order (with a share of the run, only for the share's i).
   */
  readingAt(i: number, eventTimeMs: number): { reading: Reading; sourceIndex: number };
  /** Reading i's patient as a dense index (0, 1, ...), without producing it. Needed to split a run (share.ts). */
  patientIndexAt?: (i: number) => number;
}

/** The sender's time: epoch ms, and a wait. */
export interface SenderClock {
  now(): number;
  /** Resolves after ms (ms <= 0: on the next turn of the event loop). */
  sleep(ms: number): Promise<void>;
}

// The same clock as t_committed in the pipelines (Date.now, 1 ms resolution): latencies are
// differences across processes, and a second, monotonic clock would drift from it.
const systemClock: SenderClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => (ms <= 0 ? setImmediate(r) : setTimeout(r, ms))),
};

interface OutgoingMessage {
  key: string;
  value: string;
}

export interface TopicMessages {
  topic: string;
  messages: OutgoingMessage[];
}

/** Sends one request (all topics together); resolves when acknowledged, rejects when it failed. */
type SendBatch = (topicMessages: TopicMessages[]) => Promise<unknown>;

export interface SenderOptions {
  source: ReadingSource;
  schedule: Schedule;
  /** Sends one request (producer.ts: the Kafka client's send, acks -1). */
  send: SendBatch;
  /** Default: Date.now, setTimeout/setImmediate. */
  clock?: SenderClock;
  topicPrefix?: string;
  faults?: FaultOptions;
  /**
   * How long messages may wait to be sent together (ms): when several are ready, at most one
   * request leaves per interval (a full one, maxBatchMessages, at once). The clients' send() is one
   * request (kafkajs has no linger of its own), so the loop batches what fell due meanwhile. A lone
   * message leaves at once: the wait applies only when readings come faster than the loop wakes
   * (about 1 ms), and shows as send delay. Fewer, larger requests cost less CPU per reading.
   */
  lingerMs?: number;
  /** Requests in flight at most; beyond it messages wait, and the wait shows as send delay. */
  maxInFlight?: number;
  /** Messages in one request at most (default 2000, about 450 KB of readings). */
  maxBatchMessages?: number;
  /**
   * Readings with index < warmupCount are sent but not recorded in the send-delay histogram.
   * The index is the global one: with a share, give the whole run's warm-up count.
   */
  warmupCount?: number;
  /**
   * Send only this share of the schedule's readings (generator k of N, share.ts), each at its
   * intended time on the global schedule. Default: all of them. Needs source.patientIndexAt.
   */
  share?: LoadShare;
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
  /** Readings (of the share) whose schedule came due (valid readings, not counting duplicates or malformed extras). */
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
  message: OutgoingMessage;
  /** Intended send time including any injected delay, ms (fractional). */
  sendAt: number;
  kind: SendAction['kind'];
  index: number;
  /** Sent before and failed: not counted again. */
  retry?: boolean;
}

const bump = (arr: number[], second: number, n: number): void => {
  while (arr.length <= second) arr.push(0);
  arr[second] = (arr[second] ?? 0) + n;
};

/** Run the open-loop sender to the end of its schedule (see OpenLoopSender). */
export async function runOpenLoopSender(opts: SenderOptions): Promise<ProducerResult> {
  const sender = new OpenLoopSender(opts);
  await sender.run();
  return sender.finish();
}

/**
 * Open-loop load: readings are sent when the schedule says, whether or not earlier requests
 * have been acknowledged. Falling behind is never hidden: it is measured as send delay.
 * Use: construct (checks the fault options), run(), then finish() for the result.
 */
export class OpenLoopSender {
  private readonly clock: SenderClock;
  private readonly linger: number;
  private readonly maxInFlight: number;
  private readonly maxBatchMessages: number;
  private readonly warmup: number;
  private readonly outageBudget: number;
  private readonly total: number;
  private readonly share: LoadShare;
  private readonly planner: FaultPlanner | null;
  private readonly result: ProducerResult = {
    complete: false,
    startMs: 0,
    endMs: 0,
    lastAckMs: 0,
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
  };
  private readonly ready: Outgoing[] = [];
  private readonly delayed: Outgoing[] = []; // kept sorted by sendAt
  private readonly inFlightDone = new Set<Promise<void>>();
  private inFlight = 0;
  private sendError: Error | null = null;
  private start = 0;
  /** The next schedule index neither planned nor passed over as another generator's. */
  private cursor = 0;
  private outageSince: number | undefined;
  private outageLogged = false;
  private retryAfter = 0;
  /** When the last request left (epoch ms); -Infinity before the first. */
  private lastSendAt = -Infinity;

  constructor(private readonly opts: SenderOptions) {
    this.clock = opts.clock ?? systemClock;
    this.linger = opts.lingerMs ?? 2;
    this.maxInFlight = opts.maxInFlight ?? 16;
    this.maxBatchMessages = opts.maxBatchMessages ?? 2000;
    this.warmup = opts.warmupCount ?? 0;
    this.outageBudget = opts.outageBudgetMs ?? 180_000;
    this.total = opts.source.total;
    this.share = checkLoadShare(opts.share ?? WHOLE_LOAD);
    if (this.share.count > 1 && !opts.source.patientIndexAt)
      throw new Error('this reading source cannot be split by patient (no patientIndexAt)');
    this.planner = opts.faults ? new FaultPlanner(opts.faults) : null;
  }

  /** Send everything the schedule plans; rejects with the first send error that is not resent. */
  async run(): Promise<void> {
    const { opts, result } = this;
    this.start = opts.schedule.intendedExact(0, this.clock.now());
    result.startMs = this.start;
    this.passOverOthers();
    let lastProgress = 0;
    try {
      for (;;) {
        this.throwIfSendFailed();
        const now = this.clock.now();
        if (opts.signal?.aborted) break;
        this.plan(now);
        this.flush(now);
        if (now - lastProgress >= 1000 && opts.onProgress) {
          lastProgress = now;
          opts.onProgress({
            planned: result.planned,
            sent: result.sentReadings,
            acknowledged: result.acknowledgedReadings,
            elapsedMs: now - this.start,
          });
        }
        // Done only when nothing is left to send and nothing in flight: a failed request puts
        // its messages back in line (a broker restart), even after the schedule has ended.
        if (this.cursor >= this.total && this.ready.length === 0 && this.delayed.length === 0 && this.inFlight === 0)
          break;
        await this.clock.sleep(this.idleMs(now));
      }
      await Promise.all([...this.inFlightDone]);
      this.throwIfSendFailed();
      result.complete = !opts.signal?.aborted;
    } finally {
      await Promise.allSettled([...this.inFlightDone]);
    }
  }

  /** The result, once run() has returned. */
  finish(): ProducerResult {
    this.result.endMs = this.clock.now();
    this.result.faults = this.planner ? this.planner.groundTruth() : null;
    return this.result;
  }

  /**
   * With readings ready: until the linger interval since the last request is over (1 ms while
   * requests in flight are at their limit or a resend waits). Otherwise until the next reading is
   * due, but no longer than the linger interval, so that a burst that came due together leaves together.
   */
  private idleMs(now: number): number {
    if (this.ready.length > 0) {
      const blocked = this.inFlight >= this.maxInFlight || now < this.retryAfter || this.ready.length === 1;
      return blocked ? 1 : Math.max(0, this.lastSendAt + this.linger - this.clock.now());
    }
    const nextDue = this.cursor < this.total ? this.opts.schedule.intendedExact(this.cursor, now) : Infinity;
    const nextDelayed = this.delayed[0]?.sendAt ?? Infinity;
    const wait = Math.min(nextDue, nextDelayed) - this.clock.now();
    return Math.max(0, Math.min(this.linger, wait));
  }

  /** Queue the share's readings (and fault actions) that came due by `now`. */
  private plan(now: number): void {
    const due = Math.min(this.total, this.opts.schedule.dueCount(now));
    while (this.cursor < due) {
      this.planReading(this.cursor, now);
      this.cursor++;
      this.passOverOthers();
    }
    while (this.delayed.length > 0 && this.delayed[0]!.sendAt <= now) this.ready.push(this.delayed.shift()!);
  }

  /** Moves the cursor to the share's next reading (the fault planner still counts the others'). */
  private passOverOthers(): void {
    if (this.share.count === 1) return;
    const patientIndexAt = this.opts.source.patientIndexAt!;
    while (this.cursor < this.total && !isInShare(patientIndexAt(this.cursor), this.share)) {
      this.planner?.skip();
      this.cursor++;
    }
  }

  /** Queue reading i (and its fault actions) at its intended time. */
  private planReading(i: number, now: number): void {
    const { opts, result } = this;
    const intended = opts.schedule.intendedExact(i, now);
    const { reading, sourceIndex } = opts.source.readingAt(i, Math.floor(intended));
    if (opts.runId !== undefined) reading.run_id = opts.runId;
    const topic = topicForSource(sourceIndex, opts.topicPrefix);
    const key = String(reading.patient_id);
    const actions: SendAction[] = this.planner ? this.planner.plan(reading) : [{ delayMs: 0, kind: 'reading' }];
    for (const a of actions) {
      const out: Outgoing = {
        topic,
        message: { key, value: payloadFor(a, reading) },
        sendAt: intended + a.delayMs,
        kind: a.kind,
        index: i,
      };
      if (a.delayMs > 0) insertSorted(this.delayed, out);
      else this.ready.push(out);
    }
    bump(result.offeredPerSecond, Math.max(0, Math.floor((intended - this.start) / 1000)), 1);
    result.planned++;
  }

  /**
   * Sends what is ready: a lone message at once (readings that come no faster than the timer
   * wakes), several at most once per linger interval, and a backlog (a full request's worth) at
   * once, all of it, its last partial request included.
   */
  private flush(now: number): void {
    if (now < this.retryAfter) return;
    if (this.ready.length > 1 && this.ready.length < this.maxBatchMessages && now - this.lastSendAt < this.linger)
      return;
    while (this.ready.length > 0 && this.inFlight < this.maxInFlight) {
      this.sendOne(now);
      this.lastSendAt = now;
    }
  }

  private sendOne(now: number): void {
    const { result } = this;
    // Bounded so that one request stays under the broker's message.max.bytes (1 MiB by default)
    // even when a backlog of due readings has built up.
    const batch = this.ready.splice(0, this.maxBatchMessages);
    const byTopic = new Map<string, OutgoingMessage[]>();
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
        if (o.index >= this.warmup) result.sendDelay.record(Math.max(0, now - o.sendAt));
      } else if (o.kind === 'duplicate') result.sentDuplicates++;
      else result.sentMalformed++;
    }
    result.sentReadings += firstSends;
    this.inFlight++;
    const p = this.opts
      .send([...byTopic].map(([topic, messages]) => ({ topic, messages })))
      .then(() => this.acknowledged(batch, readings))
      .catch((err: Error) => this.failed(batch, err))
      .finally(() => {
        this.inFlight--;
        this.inFlightDone.delete(p);
      });
    this.inFlightDone.add(p);
  }

  private acknowledged(batch: Outgoing[], readings: number): void {
    const { result } = this;
    const ackAt = this.clock.now();
    if (this.outageSince !== undefined) this.opts.log?.(`broker reachable again after ${ackAt - this.outageSince} ms`);
    this.outageSince = undefined;
    this.outageLogged = false;
    result.acknowledged += batch.length;
    result.acknowledgedReadings += readings;
    result.lastAckMs = Math.max(result.lastAckMs, ackAt);
    bump(result.acknowledgedPerSecond, Math.max(0, Math.floor((ackAt - this.start) / 1000)), readings);
  }

  /**
   * Rethrows the first send error that is not resent. A method, not an inline check: sendError is
   * set by send callbacks, and TypeScript would keep an inline check's narrowing (to null) across
   * the awaits in run(), typing the second check's error as never.
   */
  private throwIfSendFailed(): void {
    if (this.sendError) throw this.sendError;
  }

  /**
   * A broker restart: send the same messages again (the pipelines keep the first copy of a
   * reading), first in line, until the outage outlasts its budget.
   */
  private failed(batch: Outgoing[], err: Error): void {
    const now = this.clock.now();
    this.outageSince ??= now;
    if (isRetriable(err) && now - this.outageSince < this.outageBudget) {
      if (!this.outageLogged)
        this.opts.log?.(`send failed (${describeError(err)}); sending again while the broker is unreachable`);
      this.outageLogged = true;
      for (const o of batch) o.retry = true;
      this.ready.unshift(...batch);
      this.retryAfter = now + 500;
    } else {
      this.sendError ??= err;
    }
  }
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
