import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';

/** Above the broker's group.min.session.timeout.ms (6 s) with room for a paused process. */
export const SESSION_TIMEOUT_MS = 10_000;

export interface PartitionMessage {
  offset: number;
  /** Kafka record timestamp: the broker's log-append time on this project's topics. */
  timestamp: number;
  value: Buffer | null;
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: PartitionMessage[];
}

export interface OffsetCommit {
  topic: string;
  partition: number;
  /** The next offset to read after a restart. */
  offset: number;
}

/**
 * Processes one partition batch (storing its results) and returns the offsets to commit:
 * usually the batch's own partition, possibly others whose stored state it completed.
 * Offsets are committed only after this resolves, i.e. after the database commit.
 */
export type BatchHandler = (batch: PartitionBatch) => Promise<OffsetCommit[]>;

export interface ConsumerLoopOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  onBatch: BatchHandler;
  /** Called with the error when a batch fails (after the handler's own retries); the loop stops. */
  onFatal: (err: Error) => void;
  /** Partition batches handed over at once (their writes group-commit together). */
  concurrency?: number;
  /** Called on every group join with this member's assignment (topic -> partitions). */
  onGroupJoin?: (assignment: Record<string, number[]>) => void;
  log?: (line: string) => void;
}

export interface ConsumerLoop {
  consumer: Consumer;
  /** Resolves once the consumer has first joined its group. */
  joined: Promise<void>;
  stop(): Promise<void>;
}

/**
 * A consumer-group loop with at-least-once delivery into an idempotent store: read a
 * partition batch, store it, then commit its offsets.
 */
export async function startConsumerLoop(opts: ConsumerLoopOptions): Promise<ConsumerLoop> {
  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 512 * 1024,
    // A member killed without leaving holds its partitions until its session times out, so a
    // restarted role waits that long to rejoin: keep it short, and keep heartbeating while a
    // batch waits for the database (below), so that a slow write does not expire the session.
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: 1_000,
    retry: { retries: 10 },
  });
  let markJoined: () => void = () => undefined;
  const joined = new Promise<void>((resolve) => (markJoined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    opts.onGroupJoin?.(e.payload.memberAssignment as Record<string, number[]>);
    markJoined();
  });
  consumer.on(consumer.events.CRASH, (e) => {
    // kafkajs restarts the consumer itself on retriable errors; otherwise it would sit idle.
    if (!e.payload.restart) opts.onFatal(e.payload.error);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: opts.topics, fromBeginning: true });
  let fatal = false;
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.concurrency ?? 16,
    eachBatch: async (payload: EachBatchPayload) => {
      if (fatal || payload.batch.messages.length === 0) return;
      const { batch } = payload;
      const partitionBatch: PartitionBatch = {
        topic: batch.topic,
        partition: batch.partition,
        messages: batch.messages.map((m) => ({ offset: Number(m.offset), timestamp: Number(m.timestamp), value: m.value })),
      };
      let commits: OffsetCommit[];
      const keepAlive = setInterval(() => {
        // Fails while the group rebalances; the next batch or heartbeat rejoins.
        payload.heartbeat().catch(() => undefined);
      }, 1_000);
      try {
        commits = await opts.onBatch(partitionBatch);
      } catch (err) {
        // The handler already retried its database writes; state may be half-applied, so the
        // process stops and a restart resumes from the committed offsets.
        fatal = true;
        opts.onFatal(err as Error);
        return;
      } finally {
        clearInterval(keepAlive);
      }
      for (const m of batch.messages) payload.resolveOffset(m.offset);
      if (commits.length > 0) {
        await consumer.commitOffsets(commits.map((c) => ({ topic: c.topic, partition: c.partition, offset: String(c.offset) })));
      }
      await payload.heartbeat();
    },
  });
  return {
    consumer,
    joined,
    stop: async () => {
      await consumer.disconnect();
    },
  };
}
