import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServiceConfig, PROJECT_ROOT } from '../../src/config.js';
import { parseReading, topicsFor, type Reading } from '../../src/domain/reading.js';
import { pollDeviceApi } from '../../src/generators/api-poller.js';
import { startDeviceApi } from '../../src/generators/device-api.js';
import { readDataset } from '../../src/generators/files.js';
import { createKafka, ensureTopics } from '../../src/infra/kafka.js';

const run = promisify(execFile);
const CLI = join(PROJECT_ROOT, 'dist/src/cli.js');

/** Read every message of the topics from the beginning (plain consumer group). */
async function consumeAll(
  kafka: ReturnType<typeof createKafka>,
  topics: string[],
  expected: number,
): Promise<Array<{ topic: string; reading: Reading; key: string }>> {
  const consumer = kafka.consumer({ groupId: `check-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const out: Array<{ topic: string; reading: Reading; key: string }> = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${out.length} of ${expected} messages arrived`)), 60_000);
    void consumer.run({
      eachMessage: async ({ topic, message }) => {
        const parsed = parseReading(message.value);
        if (!parsed.ok) throw new Error(parsed.reason);
        out.push({ topic, reading: parsed.reading, key: message.key!.toString() });
        if (out.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

describe('replay and the seed device API, through the real broker', () => {
  const config = loadServiceConfig();
  const kafka = createKafka(config.kafkaBrokers, 'replay-api-test');
  const admin = kafka.admin();
  const prefixes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vitals-replay-'));

  beforeAll(() => admin.connect());
  afterAll(async () => {
    const existing = new Set(await admin.listTopics());
    const mine = prefixes.flatMap((p) => topicsFor(3, p)).filter((t) => existing.has(t));
    if (mine.length) await admin.deleteTopics({ topics: mine });
    await admin.disconnect();
  });

  it('replays a generated data set: same readings, re-stamped, each on its source topic', async () => {
    const prefix = `replay_${randomUUID().slice(0, 8)}_`;
    prefixes.push(prefix);
    const file = join(dir, 'data.jsonl');
    await run('node', [CLI, 'generate', '--seed', '7', '--count', '600', '--patients', '12', '--out', file]);
    const recorded = await readDataset(file);
    expect(recorded).toHaveLength(600);
    const { stdout } = await run('node', [CLI, 'produce', '--replay', file, '--rate', 'max', '--topic-prefix', prefix]);
    expect(stdout).toMatch(/complete: 600 readings acknowledged/);

    const got = await consumeAll(kafka, topicsFor(3, prefix), 600);
    const bySeq = new Map(got.map((g) => [`${g.reading.patient_id}|${g.reading.seq}`, g]));
    expect(bySeq.size).toBe(600);
    for (const r of recorded) {
      const g = bySeq.get(`${r.patient_id}|${r.seq}`)!;
      expect(g.topic).toBe(`${prefix}health_data_source${Math.floor(r.patient_id / 1000)}`);
      expect(g.key).toBe(String(r.patient_id));
      expect({ ...g.reading, event_time: 0, timestamp: '' }).toEqual({ ...r, event_time: 0, timestamp: '' });
      expect(g.reading.event_time).toBeGreaterThan(r.event_time); // re-stamped at replay time
    }
  });

  it("polls the seed's device API endpoints into the matching topics, keyed by patient", async () => {
    const prefix = `api_${randomUUID().slice(0, 8)}_`;
    prefixes.push(prefix);
    await ensureTopics(admin, { topics: topicsFor(3, prefix), partitions: 3 });
    const api = await startDeviceApi({ seed: 3, patients: 9, sources: 3, port: 0 });
    try {
      const urls = [1, 2, 3].map((s) => `${api.url}/source${s}`).concat([`${api.url}/nope`]);
      const lines: string[] = [];
      const result = await pollDeviceApi({
        kafka,
        urls,
        intervalMs: 50,
        count: 30,
        topicPrefix: prefix,
        log: (l) => lines.push(l),
      });
      expect(result.sent).toBe(30);
      // The bad endpoint is reported each round, never silently skipped.
      expect(result.failed).toBeGreaterThanOrEqual(10);
      expect(lines.some((l) => l.includes('/nope') && l.includes('404'))).toBe(true);
      const got = await consumeAll(kafka, topicsFor(3, prefix), 30);
      for (const g of got) {
        const source = Math.floor(g.reading.patient_id / 1000);
        expect(g.topic).toBe(`${prefix}health_data_source${source}`);
        expect(g.reading.source).toBe(['Device_A', 'Device_B', 'Device_C'][source - 1]);
        expect(g.key).toBe(String(g.reading.patient_id));
      }
      expect(new Set(got.map((g) => g.topic)).size).toBe(3);
    } finally {
      await api.close();
    }
  });
});
