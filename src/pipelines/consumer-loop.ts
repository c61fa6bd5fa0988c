import type { Kafka } from 'kafkajs';
import { SENT_AT_HEADER } from '../domain/reading.js';
import {
  kafkajsDriver,
  type ClientConsumer,
  type ConsumedBatch,
  type KafkaClientDriver,
  type MessageHeaders,
  type OffsetCommit,
} from '../infra/kafka-client/index.js';
import { FetchPacer } from './fetch-pacer.js';
import { OffsetCommits } from './offset-commits.js';

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
 * Offsets are committed only after this resolves, i.e. after the database commit, and after
 * `beforeOffsetCommit`. The loop does not wait for it before fetching on (see
 * startConsumerLoop), so the handler must take everything it needs from the batch before its
 * first await, and its promises must resolve in the order the batches were handed over (a
 * serial writer such as GroupCommit does).
 */
type BatchHandler = (batch: PartitionBatch) => Promise<OffsetCommit[]>;

/** Batches handed over whose writes have not completed, at most; beyond it the loop waits. */
const MAX_BATCHES_IN_FLIGHT = 64;

/**
 * Offset commits at most this often (ms). An offset commit is on no reading's path (the
 * database commit is): it only bounds what a restart re-reads. Kafka's own consumer
 * auto-commits every 5 s. Each one costs an OffsetCommit request (about as costly as a fetch in
 * kafkajs) and, before it, a transaction of commit records (write-batches.ts): every 100 ms that
 * was 20 of each per 1,000 readings at 500/s, a fifth of the stream's round trips once its empty
 * transactions were gone. 250 ms keeps the harness's lag checks (committed offsets; a
 * sustainable run's backlog may reach 2 s of input) and a restart's re-reading small.
 */
const OFFSET_COMMIT_INTERVAL_MS = 250;

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
  /**
   * The least time between the starts of two fetches that both brought data (ms, default 0).
   * While readings arrive closer together than this, each fetch takes everything that arrived
   * since the last one, and its batches are written in one transaction: fetches, transactions
   * and their fixed costs are paid per interval, not per reading. A fetch that waited for data
   * longer than this is never held back, so at a low rate no reading waits for a timer.
   */
  fetchIntervalMs?: number;
  /** Run before each offset commit (the pipelines make their commit records durable first). */
  beforeOffsetCommit?: () => Promise<void>;
  log?: (line: string) => void;
}

export interface ConsumerLoop {
  /**
   * Commit offsets outside the write pipeline (the stream's idle window closes), with the next
   * offset commit; resolves once it has been made (a failed one is logged: the next covers it).
   */
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
  const commits = new OffsetCommits(
    async (offsets) => (await consumerReady).commit(offsets),
    opts.beforeOffsetCommit,
    OFFSET_COMMIT_INTERVAL_MS,
    opts.log,
  );
  const pacer = new FetchPacer(opts.fetchIntervalMs ?? 0);
  let fatal = false;
  let handedOver = 0;
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
        handedOver += batch.messages.length;
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
        commits.add(written);
        await pacer.nextFetch();
        if (commits.size > MAX_BATCHES_IN_FLIGHT) await commits.waitBelow(MAX_BATCHES_IN_FLIGHT);
      },
      onGroupJoin: (assignment) => {
        opts.onGroupJoin?.(assignment);
        markJoined();
      },
      onRebalancing: () => opts.onRebalancing?.(),
      onCrash: opts.onFatal,
      onReconnect: (cause) => opts.log?.(`consumer ${opts.groupId}: reading again in-process after: ${cause.message}`),
    },
  );
  created(consumer);
  return {
    commit: (offsets) => commits.commitSoon(offsets),
    joined,
    stop: async () => {
      await commits.drain();
      await consumer.stop();
      // What the loop paid per reading is what it did per fetch and per offset commit.
      opts.log?.(
        `consumer ${opts.groupId}: ${handedOver} readings in ${pacer.fetches} fetches with data, ${commits.made} offset commits${commits.failed ? ` (${commits.failed} failed)` : ''}`,
      );
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
