import type { Kafka } from 'kafkajs';
import { partitionKey } from '../domain/keys.js';
import { SENT_AT_HEADER } from '../domain/reading.js';
import {
  kafkajsDriver,
  type ClientConsumer,
  type ConsumedBatch,
  type KafkaClientDriver,
  type MessageHeaders,
  type OffsetCommit,
} from '../infra/kafka-client/index.js';

export type { OffsetCommit } from '../infra/kafka-client/index.js';

/** Above the broker's group.min.session.timeout.ms (6 s) with room for a paused process. */
export const SESSION_TIMEOUT_MS = 10_000;

interface PartitionMessage {
  offset: number;
  /** Kafka record timestamp: the broker's log-append time on this project's topics. */
  timestamp: number;
  /** t_sent from the message's `t_sent` header (epoch ms), null when absent or not a number. */
  sentAt: number | null;
  value: Buffer | null;
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: PartitionMessage[];
  /** t_fetched: when the loop received this batch from the client (epoch ms). */
  fetchedAt: number;
}

/**
 * Processes one partition batch (storing its results) and returns the offsets to commit:
 * usually the batch's own partition, possibly others whose stored state it completed.
 * Offsets are committed only after this resolves, i.e. after the database commit. The loop
 * does not wait for it before fetching on (see startConsumerLoop), so the handler must take
 * everything it needs from the batch before its first await, and its promises must resolve
 * in the order the batches were handed over (a serial writer such as GroupCommit does).
 */
type BatchHandler = (batch: PartitionBatch) => Promise<OffsetCommit[]>;

/** Batches handed over whose writes have not completed, at most; beyond it the loop waits. */
const MAX_BATCHES_IN_FLIGHT = 64;

export interface ConsumerLoopOptions {
  kafka: Kafka;
  /** The client that consumes (default: kafkajs over `kafka`). */
  client?: KafkaClientDriver;
  groupId: string;
  topics: string[];
  onBatch: BatchHandler;
  /** Called with the error when a batch fails (after the handler's own retries); the loop stops. */
  onFatal: (err: Error) => void;
  /** Partition batches handed over at once (their writes group-commit together). */
  concurrency?: number;
  /** Called on every group join with this member's assignment (topic -> partitions). */
  onGroupJoin?: (assignment: Record<string, number[]>) => void;
  /** Called when the group starts rebalancing (the assignment may change). */
  onRebalancing?: () => void;
  log?: (line: string) => void;
}

export interface ConsumerLoop {
  /** Commit offsets now, outside the write pipeline (the stream's idle window closes). */
  commit(offsets: OffsetCommit[]): Promise<void>;
  /** Resolves once the consumer has first joined its group. */
  joined: Promise<void>;
  stop(): Promise<void>;
}

/**
 * A consumer-group loop with at-least-once delivery into an idempotent store: read a
 * partition batch, store it, then commit its offsets.
 */
export async function startConsumerLoop(opts: ConsumerLoopOptions): Promise<ConsumerLoop> {
  const client = opts.client ?? kafkajsDriver(opts.kafka);
  let markJoined: () => void = () => undefined;
  const joined = new Promise<void>((resolve) => (markJoined = resolve));
  // Offsets are committed after a database write, so never before the consumer is returned.
  let created: (c: ClientConsumer) => void = () => undefined;
  const consumerReady = new Promise<ClientConsumer>((resolve) => (created = resolve));
  const pipeline = new CommitPipeline(async (offsets) => (await consumerReady).commit(offsets), opts.log);
  let fatal = false;
  const consumer = await client.createConsumer(
    {
      groupId: opts.groupId,
      topics: opts.topics,
      maxWaitMs: 100,
      maxBytesPerPartition: 512 * 1024,
      // A member killed without leaving holds its partitions until its session times out, so a
      // restarted role waits that long to rejoin: keep it short. The client keeps the session
      // alive while a batch waits for the database.
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: 1_000,
      partitionsConsumedConcurrently: opts.concurrency ?? 16,
    },
    {
      eachBatch: async (batch) => {
        if (fatal) return;
        const written = opts.onBatch(toPartitionBatch(batch, Date.now())).catch((err: Error) => {
          // The handler already retried its database writes; state may be half-applied, so the
          // process stops and a restart resumes from the committed offsets.
          fatal = true;
          opts.onFatal(err);
          return null;
        });
        // The next fetch starts once every batch of this fetch has returned: not waiting here for
        // the database commit lets reading, processing and writing overlap. The read position may
        // move ahead of what is durable; the committed offsets never do.
        pipeline.add(written);
        if (pipeline.size > MAX_BATCHES_IN_FLIGHT) await pipeline.waitBelow(MAX_BATCHES_IN_FLIGHT);
      },
      onGroupJoin: (assignment) => {
        opts.onGroupJoin?.(assignment);
        markJoined();
      },
      onRebalancing: () => opts.onRebalancing?.(),
      onCrash: opts.onFatal,
    },
  );
  created(consumer);
  return {
    commit: (offsets) => consumer.commit(offsets),
    joined,
    stop: async () => {
      await pipeline.drain();
      await consumer.stop();
    },
  };
}

/** t_fetched is when the loop received the batch from the client. */
function toPartitionBatch(batch: ConsumedBatch, fetchedAt: number): PartitionBatch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    messages: batch.messages.map((m) => ({
      offset: m.offset,
      timestamp: m.timestamp,
      sentAt: sentAtHeader(m.headers),
      value: m.value,
    })),
    fetchedAt,
  };
}

/** Measurement metadata, never a reason to refuse a reading: anything but a whole number is null. */
export function sentAtHeader(headers: MessageHeaders | undefined): number | null {
  const raw = headers?.[SENT_AT_HEADER];
  const text = Buffer.isBuffer(raw) ? raw.toString('latin1') : typeof raw === 'string' ? raw : undefined;
  if (text === undefined || !/^\d{1,16}$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * Offset commits follow the writes: once a batch is written (in the order the batches were
 * handed over), its offsets become the partition's next commit. One OffsetCommit request is
 * in flight at a time and carries the latest offset of every partition written meanwhile: a
 * commit per batch would pace the whole loop at the group coordinator's round trip. A failed
 * offset commit (for example during a rebalance) is logged, not fatal: the next one covers
 * it, and until then a restart only re-reads more.
 */
class CommitPipeline {
  private unwritten = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly waiters: Array<() => void> = [];
  private readonly due = new Map<string, OffsetCommit>();
  private committing: Promise<void> | null = null;

  constructor(
    private readonly commit: (offsets: OffsetCommit[]) => Promise<void>,
    private readonly log?: (line: string) => void,
  ) {}

  /** Batches handed over and not yet written. */
  get size(): number {
    return this.unwritten;
  }

  add(written: Promise<OffsetCommit[] | null>): void {
    this.unwritten++;
    this.chain = this.chain.then(async () => {
      const commits = await written;
      this.unwritten--;
      for (const wake of this.waiters.splice(0)) wake();
      for (const c of commits ?? []) this.due.set(partitionKey(c.topic, c.partition), c);
      this.committing ??= this.commitDue().finally(() => (this.committing = null));
    });
  }

  async waitBelow(limit: number): Promise<void> {
    while (this.unwritten > limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Resolves when every batch handed over is written and its offsets committed. */
  async drain(): Promise<void> {
    await this.chain;
    while (this.committing) await this.committing;
  }

  private async commitDue(): Promise<void> {
    while (this.due.size > 0) {
      const commits = [...this.due.values()];
      this.due.clear();
      try {
        await this.commit(commits);
      } catch (err) {
        this.log?.(`offset commit failed (${(err as Error).message}); the next commit covers it`);
      }
    }
  }
}
