import net from 'node:net';
import tls from 'node:tls';
import { Kafka, logLevel, type Admin, type ISocketFactory, type ITopicConfig } from 'kafkajs';
import { partitionKey } from '../domain/keys.js';
// kafkajs 2.2.4 spins a 1 ms timer per connection without it.
import './kafkajs-idle-fix.js';
// kafkajs hands every partition of a fetch, empty or not, through its worker queue without it.
import './kafkajs-empty-batches.js';
// kafkajs 2.2.4 allocates and copies a buffer per varint it writes without it.
import './kafkajs-encoder-fix.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

export function createKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    socketFactory: noDelaySocketFactory,
  });
}

/**
 * kafkajs's own socket factory, plus TCP_NODELAY as Kafka's Java clients set it: with Nagle's
 * algorithm on, a small request (a fetch) written while another is unacknowledged on the same
 * connection (an offset commit, a heartbeat) can wait for the broker's delayed ACK.
 */
const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : net.connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.setNoDelay(true);
  return socket;
};

export interface TopicSpec {
  topics: string[];
  partitions: number;
}

/**
 * Topics carry the broker's log-append time as the record timestamp, so that the Kafka
 * timestamp is t_appended in METRICS.md's sense (not the producer's create time).
 */
const TOPIC_CONFIG = [{ name: 'message.timestamp.type', value: 'LogAppendTime' }];

export async function ensureTopics(admin: Admin, spec: TopicSpec): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = spec.topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  const topics: ITopicConfig[] = missing.map((topic) => ({
    topic,
    numPartitions: spec.partitions,
    replicationFactor: 1,
    configEntries: TOPIC_CONFIG,
  }));
  await admin.createTopics({ topics, waitForLeaders: true });
}

/** Delete and create the topics, so a run starts from empty logs. */
export async function recreateTopics(admin: Admin, spec: TopicSpec): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = spec.topics.filter((t) => existing.has(t));
  if (present.length > 0) {
    await admin.deleteTopics({ topics: present, timeout: 30_000 });
    // Deletion is asynchronous in the controller: wait until the names are gone.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = new Set(await admin.listTopics());
      if (!present.some((t) => now.has(t))) break;
      if (Date.now() > deadline) throw new Error(`topics ${present.join(', ')} still present 30 s after deletion`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  // Creation right after deletion can fail with TOPIC_ALREADY_EXISTS while the controller
  // finishes; retry for a while.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await ensureTopics(admin, spec);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Log end offset per `topic:partition`. */
export async function endOffsets(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) out.set(partitionKey(topic, p.partition), Number(p.high));
  }
  return out;
}

/** Sum over partitions of (log end offset - group committed offset). */
export async function consumerLag(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  let lag = 0;
  const committed = await admin.fetchOffsets({ groupId, topics });
  for (const t of committed) {
    const ends = await admin.fetchTopicOffsets(t.topic);
    const endByPartition = new Map(ends.map((e) => [e.partition, Number(e.high)]));
    for (const p of t.partitions) {
      const end = endByPartition.get(p.partition) ?? 0;
      const done = Number(p.offset) < 0 ? 0 : Number(p.offset);
      lag += Math.max(0, end - done);
    }
  }
  return lag;
}
