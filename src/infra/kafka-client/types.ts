/**
 * The Kafka client behind one small interface, in the manner of OpenMessaging Benchmark's
 * driver API (BenchmarkDriver: createProducer, createConsumer): what the producer and the
 * pipelines' consumer loop use, nothing more. Admin operations (topics, end offsets, lag)
 * stay on kafkajs in ../kafka.ts: they are not measured, and one admin client is simpler.
 */

export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];
export const DEFAULT_KAFKA_CLIENT: KafkaClientName = 'kafkajs';

export function isKafkaClientName(name: unknown): name is KafkaClientName {
  return (KAFKA_CLIENTS as readonly unknown[]).includes(name);
}

interface OutgoingRecord {
  /** The partitioning key: records of one key land on one partition, in order. */
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface TopicRecords {
  topic: string;
  messages: OutgoingRecord[];
}

export interface ClientProducer {
  /**
   * One request (acks from all in-sync replicas, no idempotence): resolves when every record
   * is acknowledged, rejects when any failed (the caller resends the whole request).
   */
  send(topicRecords: TopicRecords[]): Promise<void>;
  close(): Promise<void>;
}

/** Header values as the clients hand them over (kafkajs: a list when a name repeats). */
export type MessageHeaders = Record<string, Buffer | string | Array<Buffer | string> | undefined>;

interface ConsumedMessage {
  offset: number;
  /** The record timestamp: the broker's log-append time on this project's topics. */
  timestamp: number;
  headers: MessageHeaders;
  value: Buffer | null;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  /** In offset order, never empty. */
  messages: ConsumedMessage[];
}

export interface OffsetCommit {
  topic: string;
  partition: number;
  /** The next offset to read after a restart. */
  offset: number;
}

export interface ConsumerSettings {
  groupId: string;
  topics: string[];
  /** How long the broker may hold a fetch waiting for data (ms). */
  maxWaitMs: number;
  maxBytesPerPartition: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Partition batches of one fetch handed over at once. */
  partitionsConsumedConcurrently: number;
}

export interface ConsumerHandlers {
  /**
   * One partition's messages from a fetch. The client fetches on once the promises of all the
   * batches of a fetch have resolved (its backpressure), and keeps its group membership alive
   * meanwhile. Nothing is committed unless commit() is called.
   */
  eachBatch(batch: ConsumedBatch): Promise<void>;
  /** Every group join, with this member's assignment (topic -> partitions). */
  onGroupJoin(assignment: Record<string, number[]>): void;
  /** The group started rebalancing: the assignment may change. */
  onRebalancing?(): void;
  /** The consumer stopped on an error it does not recover from by itself. */
  onCrash(err: Error): void;
  /** The consumer lost its connection to the group or the broker and reads on inside the process. */
  onReconnect?(cause: Error): void;
}

export interface ClientConsumer {
  /** Commit these offsets for the group, whatever the fetch position (which runs ahead). */
  commit(offsets: OffsetCommit[]): Promise<void>;
  /** Leave the group and close; no batch is handed over after it resolves. */
  stop(): Promise<void>;
}

export interface KafkaClientDriver {
  readonly name: KafkaClientName;
  /** A connected producer. */
  createProducer(): Promise<ClientProducer>;
  /**
   * A consumer subscribed to the topics and running: reading from the group's committed offsets,
   * else from the beginning; each group join is reported to handlers.onGroupJoin.
   */
  createConsumer(settings: ConsumerSettings, handlers: ConsumerHandlers): Promise<ClientConsumer>;
}
