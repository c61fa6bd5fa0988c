/**
 * The @platformatic/kafka consumer behind ClientConsumer: a group member with manual offset
 * commits, its message stream grouped back into partition batches.
 */
import { Consumer, MessagesStreamFallbackModes, MessagesStreamModes, type Message } from '@platformatic/kafka';
import type { MessagesStream } from '@platformatic/kafka';
import { useLogAppendTime } from './log-append-time.js';
import { baseOptions } from './platformatic-base.js';
import type { ClientConsumer, ConsumedBatch, ConsumerHandlers, ConsumerSettings, MessageHeaders } from './types.js';

type BufferMessage = Message<Buffer, Buffer, Buffer, Buffer>;

export async function startPlatformaticConsumer(
  brokers: string[],
  clientId: string,
  settings: ConsumerSettings,
  handlers: ConsumerHandlers,
): Promise<ClientConsumer> {
  const consumer = new Consumer({
    ...baseOptions(brokers, clientId),
    groupId: settings.groupId,
    autocommit: false,
    maxWaitTime: settings.maxWaitMs,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
  });
  useLogAppendTime(consumer);
  consumer.on('consumer:group:join', (e) => {
    const assignment: Record<string, number[]> = {};
    for (const a of e.assignments ?? []) assignment[a.topic] = [...a.partitions];
    handlers.onGroupJoin(assignment);
  });
  consumer.on('consumer:group:rebalance', () => handlers.onRebalancing?.());
  // A rejoin that failed after its retries; the consumer would sit idle.
  consumer.on('error', (err: Error) => handlers.onCrash(err));
  const consume = (): Promise<MessagesStream<Buffer, Buffer, Buffer, Buffer>> =>
    consumer.consume({
      topics: settings.topics,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    });
  let stopped = false;
  let current = attach(await consume());

  function attach(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Reading {
    const batcher = new Batcher(stream, handlers);
    stream.on('data', (m: BufferMessage) => batcher.add(m));
    stream.on('error', (err: Error) => void reconsume(err));
    return { stream, batcher };
  }

  /**
   * The stream is unusable after an error (a fetch that failed on every retry: the broker away).
   * The library's advice is to consume() again: the same member rejoins the group (no session to
   * wait out, no process restart) and reads on from the committed offsets. What it re-reads was
   * handed over already and is stored idempotently, as after a restart. Only when the broker does
   * not answer within the budget does the consumer crash.
   */
  async function reconsume(err: Error): Promise<void> {
    if (stopped) return;
    handlers.onReconnect?.(err);
    current.batcher.stop();
    await current.stream.close().catch(() => undefined);
    const giveUpAt = Date.now() + RECONSUME_BUDGET_MS;
    let last = err;
    while (!stopped) {
      try {
        const stream = await consume();
        if (stopped) return void (await stream.close().catch(() => undefined));
        current = attach(stream);
        return;
      } catch (e) {
        last = e as Error;
        if (Date.now() >= giveUpAt) break;
        await new Promise((r) => setTimeout(r, RECONSUME_PAUSE_MS));
      }
    }
    if (!stopped)
      handlers.onCrash(
        new Error(`no stream again within ${RECONSUME_BUDGET_MS / 1000} s after: ${err.message}`, { cause: last }),
      );
  }

  return {
    commit: (offsets) =>
      consumer.commit({
        offsets: offsets.map((c) => ({ ...c, offset: BigInt(c.offset), leaderEpoch: -1 })),
      }),
    stop: async () => {
      stopped = true;
      current.batcher.stop();
      await current.stream.close();
      await consumer.close();
    },
  };
}

interface Reading {
  stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
  batcher: Batcher;
}

/**
 * How long a consumer whose stream failed keeps consuming again before it crashes: longer than a
 * broker's restart (its log recovery included: 27 s seen on a loaded 2-core machine).
 */
const RECONSUME_BUDGET_MS = 120_000;
const RECONSUME_PAUSE_MS = 1_000;

/**
 * A fetch response's messages are pushed one by one in the same turn of the event loop: the
 * messages of a turn, per partition in offset order, make the batches handed over together.
 * The stream is paused until their handlers resolve, as kafkajs waits for eachBatch.
 */
class Batcher {
  private pending = new Map<string, ConsumedBatch>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>,
    private readonly handlers: ConsumerHandlers,
  ) {}

  add(m: BufferMessage): void {
    const key = `${m.topic}:${m.partition}`;
    let batch = this.pending.get(key);
    if (!batch) this.pending.set(key, (batch = { topic: m.topic, partition: m.partition, messages: [] }));
    batch.messages.push({
      offset: Number(m.offset),
      timestamp: Number(m.timestamp),
      headers: headersOf(m.headers),
      value: m.value ?? null,
    });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.handOver());
  }

  stop(): void {
    this.stopped = true;
  }

  private handOver(): void {
    this.scheduled = false;
    const batches = [...this.pending.values()];
    this.pending = new Map();
    if (this.stopped || batches.length === 0) return;
    this.stream.pause();
    Promise.all(batches.map((b) => this.handlers.eachBatch(b))).then(
      () => {
        if (!this.stopped) this.stream.resume();
      },
      (err: Error) => this.handlers.onCrash(err),
    );
  }
}

function headersOf(headers: Map<Buffer, Buffer>): MessageHeaders {
  const out: MessageHeaders = {};
  for (const [k, v] of headers) out[k.toString('latin1')] = v;
  return out;
}
