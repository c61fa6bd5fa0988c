import type { Kafka } from 'kafkajs';
import { parseReading, topicForSource } from '../domain/reading.js';
import { sourceIndexOf } from './sources.js';

export interface PollOptions {
  kafka: Kafka;
  urls: string[];
  /** Poll every endpoint once per interval (the seed polled every 2 s). */
  intervalMs: number;
  /** Stop after this many readings in total (or when the signal aborts). */
  count: number;
  timeoutMs?: number;
  topicPrefix?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface PollResult {
  sent: number;
  failed: number;
}

/**
 * The seed's producer, done properly: poll the device API endpoints, send each reading to the
 * topic of its source keyed by patient, and wait for Kafka's acknowledgement (a flush per
 * poll round). A failing endpoint is reported and skipped, never silently dropped.
 */
export async function pollDeviceApi(opts: PollOptions): Promise<PollResult> {
  const producer = opts.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const result: PollResult = { sent: 0, failed: 0 };
  try {
    while (result.sent < opts.count && !opts.signal?.aborted) {
      const round = Date.now();
      const fetched = await Promise.all(
        opts.urls.map(async (url) => {
          try {
            const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 2000) });
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
            const parsed = parseReading(await res.text());
            if (!parsed.ok) throw new Error(`invalid reading: ${parsed.reason}`);
            return parsed.reading;
          } catch (err) {
            result.failed++;
            opts.log?.(`${url}: ${(err as Error).message}`);
            return null;
          }
        }),
      );
      const messages = fetched.filter((r) => r !== null).slice(0, opts.count - result.sent);
      if (messages.length > 0) {
        const byTopic = new Map<string, Array<{ key: string; value: string }>>();
        for (const r of messages) {
          const topic = topicForSource(sourceIndexOf(r), opts.topicPrefix);
          byTopic.set(topic, [...(byTopic.get(topic) ?? []), { key: String(r.patient_id), value: JSON.stringify(r) }]);
        }
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, m]) => ({ topic, messages: m })),
        });
        result.sent += messages.length;
      }
      const wait = opts.intervalMs - (Date.now() - round);
      if (wait > 0 && result.sent < opts.count) await new Promise((r) => setTimeout(r, wait));
    }
  } finally {
    await producer.disconnect();
  }
  return result;
}
