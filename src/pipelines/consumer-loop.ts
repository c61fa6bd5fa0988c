import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';

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
  /** Called with the error when a batch still fails after all retries; the loop stops. */
  onFatal: (err: Error) => void;
  /** Called on every group join with this member's assignment (topic -> partitions). */
  onGroupJoin?: (assignment: Record<string, number[]>) => void;
  retries?: number;
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
 * partition batch, store it (retrying with backoff when the database fails), then commit.
 */
export async function startConsumerLoop(opts: ConsumerLoopOptions): Promise<ConsumerLoop> {
  const retries = opts.retries ?? 8;
  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 512 * 1024,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    retry: { retries: 10 },
  });
  let markJoined: () => void = () => undefined;
  const joined = new Promise<void>((resolve) => (markJoined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    opts.onGroupJoin?.(e.payload.memberAssignment as Record<string, number[]>);
    markJoined();
  });
  await consumer.connect();
  await consumer.subscribe({ topics: opts.topics, fromBeginning: true });
  let fatal = false;
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async (payload: EachBatchPayload) => {
      if (fatal || payload.batch.messages.length === 0) return;
      const { batch } = payload;
      const partitionBatch: PartitionBatch = {
        topic: batch.topic,
        partition: batch.partition,
        messages: batch.messages.map((m) => ({ offset: Number(m.offset), timestamp: Number(m.timestamp), value: m.value })),
      };
      let commits: OffsetCommit[] = [];
      for (let attempt = 0; ; attempt++) {
        try {
          commits = await opts.onBatch(partitionBatch);
          break;
        } catch (err) {
          if (attempt >= retries) {
            fatal = true;
            opts.onFatal(err as Error);
            return;
          }
          const delay = Math.min(10_000, 200 * 2 ** attempt);
          opts.log?.(`batch ${batch.topic}[${batch.partition}] failed (${(err as Error).message}); retry ${attempt + 1}/${retries} in ${delay} ms`);
          await new Promise((r) => setTimeout(r, delay));
          await payload.heartbeat().catch(() => undefined);
        }
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
