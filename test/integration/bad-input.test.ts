import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reading } from '../../src/domain/reading.js';
import { runOpenLoopProducer, type ProducerResult } from '../../src/generators/producer.js';
import { OpenLoopSchedule } from '../../src/generators/schedule.js';
import { datasetSource } from '../../src/generators/sources.js';
import { consumerLag } from '../../src/infra/kafka.js';
import type { Pool } from '../../src/infra/mysql.js';
import { BatchPipeline } from '../../src/pipelines/batch/batch.js';
import type { StreamPipeline } from '../../src/pipelines/stream.js';
import {
  alertDifferences,
  config,
  countVitals,
  countWindows,
  readAlertKeys,
  readVitals,
  readWindows,
  reference,
  runCli,
  sleep,
  TEST_RULES,
  waitUntil,
  windowDifferences,
} from './helpers.js';
import { InProcessPipelines } from './in-process.js';

const LATENESS_MS = 500;
const IDLE_MS = 500;

interface RejectedRow {
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
  role: string;
  reason: string;
  payload: Buffer | null;
}

/** A reading that is valid in every field; the raw bad messages each break one thing. */
const base: Reading = {
  patient_id: 1001,
  source: 'Device_A',
  seq: 900_000,
  event_time: Date.now(),
  heart_rate: 72,
  body_temperature: 36.8,
  blood_pressure_systolic: 120,
  blood_pressure_diastolic: 80,
  spo2_level: 97,
  timestamp: new Date().toISOString(),
};
const without = (field: keyof Reading): string => {
  const copy: Partial<Reading> = { ...base };
  delete copy[field];
  return JSON.stringify(copy);
};

/** Raw messages sent by hand: the value, and what the rejection reason must say. */
const RAW_BAD: Array<{ name: string; value: string | null; reason: RegExp; topicIndex?: number }> = [
  { name: 'invalid JSON', value: '{"patient_id": 1001, "seq": ', reason: /^invalid JSON: / },
  { name: 'empty string', value: '', reason: /^invalid JSON: / },
  { name: 'null value (tombstone)', value: null, reason: /^empty message value$/ },
  { name: 'not an object', value: '[1, 2, 3]', reason: /^message is not a JSON object$/ },
  { name: 'missing field', value: without('spo2_level'), reason: /^missing field spo2_level$/ },
  { name: 'missing key field', value: without('event_time'), reason: /^missing field event_time$/ },
  {
    name: 'wrong type',
    value: JSON.stringify({ ...base, heart_rate: '72' }),
    reason: /^field heart_rate must be a number, got "72"$/,
  },
  {
    name: 'negative seq',
    value: JSON.stringify({ ...base, seq: -1 }),
    reason: /^field seq must be a non-negative integer, got -1$/,
  },
  {
    name: 'fractional integer vital',
    value: JSON.stringify({ ...base, heart_rate: 72.5 }),
    reason: /^field heart_rate must be an integer, got 72.5$/,
  },
  {
    name: 'impossible value',
    value: JSON.stringify({ ...base, spo2_level: 150 }),
    reason: /^impossible spo2_level 150 \(possible range 50\.\.100\)$/,
  },
  {
    name: 'empty source',
    value: JSON.stringify({ ...base, source: '' }),
    reason: /^field source must be a string of 1\.\.32 characters/,
  },
  // What the database would refuse, what would move the watermark wrongly, what belongs elsewhere.
  {
    name: 'patient_id beyond INT',
    value: JSON.stringify({ ...base, patient_id: 3_000_000_000 }),
    reason: /^field patient_id 3000000000 is out of range \(0\.\.2147483647\)$/,
  },
  {
    name: 'seq beyond INT UNSIGNED',
    value: JSON.stringify({ ...base, seq: 5_000_000_000 }),
    reason: /^field seq 5000000000 is out of range/,
  },
  {
    name: 'largest safe event_time, no timestamp',
    value: without('timestamp').replace(/"event_time":\d+/, '"event_time":9007199254740991'),
    reason: /^event_time in the future: /,
  },
  {
    name: 'event_time a year ahead',
    value: JSON.stringify({ ...base, event_time: base.event_time + 365 * 86_400_000 }),
    reason: /^event_time in the future: /,
  },
  {
    name: 'event_time in 1970',
    value: JSON.stringify({ ...base, event_time: 1000 }),
    reason: /^event_time 1000 is before 2000-01-01/,
  },
  {
    name: 'two decimals of temperature',
    value: JSON.stringify({ ...base, body_temperature: 37.25 }),
    reason: /^field body_temperature must have at most one decimal, got 37\.25$/,
  },
  {
    name: 'source of another topic',
    value: JSON.stringify({ ...base, source: 'Device_B' }),
    reason: /^source "Device_B" does not match topic it_\w+_health_data_source1 \(expected Device_A\)$/,
    topicIndex: 0,
  },
  {
    name: "another run's reading",
    value: JSON.stringify({ ...base, run_id: 'some-other-run' }),
    reason: /^foreign run "some-other-run"/,
  },
];

/** The topic of the message's own source (so that only the source check can refuse it there). */
function topicIndexOf(bad: (typeof RAW_BAD)[number], i: number): number {
  if (bad.topicIndex !== undefined) return bad.topicIndex;
  const m = /"source":"Device_([A-C])"/.exec(bad.value ?? '');
  return m ? m[1]!.charCodeAt(0) - 65 : i % 3;
}

/** The FaultPlanner's malformed kinds, recognised from their payloads, and their reasons. */
function classifyMalformed(payload: string): { kind: string; reason: RegExp } {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return { kind: 'invalid_json', reason: /^invalid JSON: / };
  }
  if (o.heart_rate === undefined) return { kind: 'missing_field', reason: /^missing field heart_rate$/ };
  if (typeof o.body_temperature === 'string')
    return { kind: 'wrong_type', reason: /^field body_temperature must be a number, got "[\d.]+"$/ };
  if (o.heart_rate === 900)
    return { kind: 'impossible_value', reason: /^impossible heart_rate 900 \(possible range 20\.\.300\)$/ };
  if ((o.blood_pressure_diastolic as number) >= (o.blood_pressure_systolic as number)) {
    // diastolic = systolic + 5: when that exceeds 200 the range check names diastolic first.
    return {
      kind: 'bp_inverted',
      reason:
        /^(impossible blood pressure \d+\/\d+ \(diastolic >= systolic\)|impossible blood_pressure_diastolic \d+ \(possible range 20\.\.200\))$/,
    };
  }
  return { kind: 'unknown', reason: /^$/ };
}

describe('bad input: malformed messages rejected with reasons, duplicates stored once', () => {
  const params = { seed: 31337, patients: 30, sources: 3 };
  const total = 3000;
  const env = new InProcessPipelines({
    label: 'bad',
    sources: params.sources,
    partitions: 3,
    latenessMs: LATENESS_MS,
    idleMs: IDLE_MS,
  });
  const { runId, prefix, topics, kafka, admin, ingestGroup, streamGroup } = env;
  const fatalErrors = env.fatal;
  let pool: Pool;
  let ingest: InProcessPipelines['ingest'] | undefined;
  let stream: StreamPipeline | undefined;
  let produced: ProducerResult;
  /** Where each raw bad message landed. */
  const rawSent: Array<{ name: string; topic: string; partition: number; offset: number; reason: RegExp }> = [];
  let ref: ReturnType<typeof reference>;

  const readRejected = async (): Promise<RejectedRow[]> => {
    const [rows] = await pool.query(
      'SELECT kafka_topic, kafka_partition, kafka_offset, role, reason, payload FROM rejected_readings WHERE run_id = ?',
      [runId],
    );
    return (rows as RejectedRow[]).map((r) => ({
      ...r,
      kafka_partition: Number(r.kafka_partition),
      kafka_offset: Number(r.kafka_offset),
    }));
  };

  beforeAll(async () => {
    await env.start();
    ({ pool, ingest, stream } = env);

    const producing = runOpenLoopProducer({
      kafka,
      source: datasetSource(params, total),
      schedule: new OpenLoopSchedule({ start: Date.now() + 100, rate: 1500, total }),
      topicPrefix: prefix,
      faults: { seed: 5, malformedFraction: 0.05, duplicateFraction: 0.05 },
    });
    // The hand-made bad messages, one at a time in the middle of the valid stream, spread
    // over the topics and (by key) partitions.
    const raw = kafka.producer({ allowAutoTopicCreation: false });
    await raw.connect();
    try {
      await sleep(500);
      for (const [i, bad] of RAW_BAD.entries()) {
        const topic = topics[topicIndexOf(bad, i)]!;
        const [meta] = await raw.send({ topic, acks: -1, messages: [{ key: `bad-${i}`, value: bad.value }] });
        rawSent.push({
          name: bad.name,
          topic,
          partition: meta!.partition,
          offset: Number(meta!.baseOffset ?? meta!.offset),
          reason: bad.reason,
        });
        await sleep(60);
      }
    } finally {
      await raw.disconnect();
    }
    produced = await producing;
    const expectedRejects = produced.sentMalformed + RAW_BAD.length;

    await waitUntil(
      'ingest and stream to take every message',
      async () =>
        (await countVitals(pool, runId)) >= total &&
        ingest!.stats.rejected >= expectedRejects &&
        stream!.stats.processed + stream!.stats.duplicatesSkipped >= total + produced.sentDuplicates &&
        stream!.stats.rejected >= expectedRejects,
      30_000,
      async () =>
        `stored ${await countVitals(pool, runId)}/${total}; ingest ${JSON.stringify(ingest!.stats)}; stream ${JSON.stringify({ ...stream!.stats, late: stream!.stats.late.length })}`,
    );
    ref = reference(params, total, await readVitals(pool, runId), TEST_RULES);
    await waitUntil(
      'the stream to close every window',
      async () => (await countWindows(pool, runId, 'stream')) >= ref.windows.length,
      30_000,
      async () => `windows ${await countWindows(pool, runId, 'stream')}/${ref.windows.length}`,
    );
    await sleep(2 * IDLE_MS);
  }, 150_000);

  afterAll(() => env.tearDown());

  it('the producer sent malformed messages of every kind and duplicates', () => {
    expect(produced.complete).toBe(true);
    expect(produced.acknowledgedReadings).toBe(total);
    expect(produced.acknowledged).toBe(total + produced.sentDuplicates + produced.sentMalformed);
    const counts = produced.faults!.counts;
    expect(counts.malformed).toBe(produced.sentMalformed);
    expect(counts.duplicates).toBe(produced.sentDuplicates);
    expect(counts.duplicates).toBeGreaterThan(50);
    for (const [kind, n] of Object.entries(counts.malformedByKind)) expect(n, kind).toBeGreaterThan(5);
  });

  it('every hand-made bad message is rejected by ingest and by stream, with a reason naming the problem', async () => {
    const rejected = await readRejected();
    for (const role of ['ingest', 'stream']) {
      for (const sent of rawSent) {
        const row = rejected.find(
          (r) =>
            r.role === role &&
            r.kafka_topic === sent.topic &&
            r.kafka_partition === sent.partition &&
            r.kafka_offset === sent.offset,
        );
        expect(row, `${role}: ${sent.name}`).toBeDefined();
        expect(row!.reason, `${role}: ${sent.name}`).toMatch(sent.reason);
        const value = RAW_BAD.find((b) => b.name === sent.name)!.value;
        if (value === null) expect(row!.payload).toBeNull();
        else expect(row!.payload!.toString('utf8')).toBe(value);
      }
    }
  });

  it('every generated malformed message is rejected by both roles, with the reason of its kind', async () => {
    const rejected = await readRejected();
    const raw = new Set(rawSent.map((s) => `${s.topic}:${s.partition}:${s.offset}`));
    for (const role of ['ingest', 'stream']) {
      const mine = rejected.filter(
        (r) => r.role === role && !raw.has(`${r.kafka_topic}:${r.kafka_partition}:${r.kafka_offset}`),
      );
      expect(mine).toHaveLength(produced.sentMalformed);
      const byKind: Record<string, number> = {};
      for (const r of mine) {
        const { kind, reason } = classifyMalformed(r.payload!.toString('utf8'));
        byKind[kind] = (byKind[kind] ?? 0) + 1;
        expect(r.reason, `${role} ${kind}`).toMatch(reason);
      }
      expect(byKind).toEqual(produced.faults!.counts.malformedByKind);
    }
    // Both roles rejected exactly the same messages.
    const where = (role: string): string[] =>
      rejected
        .filter((r) => r.role === role)
        .map((r) => `${r.kafka_topic}:${r.kafka_partition}:${r.kafka_offset}`)
        .sort();
    expect(where('stream')).toEqual(where('ingest'));
    expect(ingest!.stats.rejected).toBe(produced.sentMalformed + RAW_BAD.length);
    expect(stream!.stats.rejected).toBe(produced.sentMalformed + RAW_BAD.length);
  });

  it('every valid reading is stored exactly once, duplicates included', async () => {
    expect(fatalErrors).toEqual([]);
    const stored = await readVitals(pool, runId);
    expect(stored).toHaveLength(total);
    const keys = new Set(stored.map((r) => `${r.patient_id}:${r.seq}`));
    expect(keys.size).toBe(total);
    for (const d of produced.faults!.duplicates) expect(keys.has(`${d.patient_id}:${d.seq}`)).toBe(true);
    expect(ref.mismatches).toEqual([]);
    // Ingest took both copies of a duplicate and kept one row.
    expect(ingest!.stats.stored).toBe(total + produced.sentDuplicates);
  });

  it('duplicates raise their alerts once, and windows count them once: stream = batch = reference', async () => {
    // The stream keeps the first copy of a reading, as ingest does, and skips the second.
    expect(stream!.stats.processed).toBe(total);
    expect(stream!.stats.duplicatesSkipped).toBe(produced.sentDuplicates);
    expect(stream!.stats.late).toEqual([]);
    const streamA = await readAlertKeys(pool, runId, 'stream');
    expect(alertDifferences(streamA, ref.alerts)).toEqual([]);
    expect(streamA).toEqual(ref.alerts);
    // Some alerts are on duplicated readings.
    const dupKeys = new Set(produced.faults!.duplicates.map((d) => `${d.patient_id}|reading|${d.seq}`));
    expect(streamA.filter((k) => dupKeys.has(k.split('|').slice(1, 4).join('|'))).length).toBeGreaterThan(0);
    const streamW = await readWindows(pool, runId, 'stream');
    expect(windowDifferences(streamW, ref.windows)).toEqual([]);

    const batch = new BatchPipeline({
      pool,
      mysqlUrl: config.mysqlUrl,
      runId,
      ruleSet: TEST_RULES,
      allowedLatenessMs: LATENESS_MS,
      threads: 2,
    });
    await batch.runPass(true);
    await batch.close();
    expect(await readAlertKeys(pool, runId, 'batch')).toEqual(streamA);
    expect(await readWindows(pool, runId, 'batch')).toEqual(streamW);
  });

  it('the pipelines keep running past bad input: both groups commit to the end of every partition', async () => {
    // A valid reading sent now, after all the bad ones, still gets through both roles.
    const late = {
      ...base,
      patient_id: 1001,
      seq: 100_000,
      event_time: Date.now(),
      timestamp: new Date().toISOString(),
    };
    const p = kafka.producer({ allowAutoTopicCreation: false });
    await p.connect();
    await p.send({ topic: topics[0]!, acks: -1, messages: [{ key: '1001', value: JSON.stringify(late) }] });
    await p.disconnect();
    await waitUntil(
      'the last reading to be stored',
      async () => (await countVitals(pool, runId)) === total + 1,
      20_000,
    );
    await waitUntil('stream to process it', () => stream!.stats.processed === total + 1, 20_000);
    await waitUntil(
      'ingest offsets to reach the log end',
      async () => (await consumerLag(admin, ingestGroup, topics)) === 0,
      20_000,
      async () => `lag ${await consumerLag(admin, ingestGroup, topics)}`,
    );
    // The stream holds offsets back only for open windows; once idle time closes them, none is held.
    await waitUntil(
      'stream offsets to reach the log end',
      async () => (await consumerLag(admin, streamGroup, topics)) === 0,
      20_000,
      async () => `lag ${await consumerLag(admin, streamGroup, topics)}`,
    );
    expect(fatalErrors).toEqual([]);
  });
});

// The CLI refuses bad arguments with exit code 2 and a message naming the problem, before
// touching Kafka or the database.
describe('CLI: bad arguments exit with code 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitals-cli-'));
  const cases: Array<{ args: string[]; message: RegExp }> = [
    {
      args: ['produce', '--rate', '0', '--duration', '1'],
      message: /--rate must be a positive number or "max", got 0/,
    },
    {
      args: ['produce', '--patients', '0', '--rate', '10', '--duration', '1'],
      message: /--patients must be a positive integer, got 0/,
    },
    { args: ['produce', '--rate', '10'], message: /give --duration or --count/ },
    {
      args: ['produce', '--rate', '10', '--duration', '1', '--duplicate-fraction', '2'],
      message: /--duplicate-fraction must be between 0 and 1, got 2/,
    },
    {
      args: ['generate', '--count', '10', '--out', join(dir, 'x'), '--format', 'xml'],
      message: /--format must be jsonl or csv, got xml/,
    },
    {
      args: ['stream', '--rules', '/no/such/file'],
      message: /rule set "\/no\/such\/file": not a built-in profile .* no such file: \/no\/such\/file/,
    },
    { args: ['stream', '--idle-ms', '0'], message: /--idle-ms must be > 0, got 0/ },
    { args: ['ingest', '--partitions', '0'], message: /--partitions must be a positive integer, got 0/ },
    { args: ['batch', '--threads', '0'], message: /--threads must be a positive integer, got 0/ },
    { args: ['stream', '--no-such-option', '1'], message: /Unknown argument/i },
    { args: [], message: /name a command/ },
  ];
  for (const c of cases) {
    it(`vitals-bench ${c.args.join(' ') || '(no command)'}`, async () => {
      const r = await runCli(c.args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(c.message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    });
  }
  it('writes no output file for a refused generate', () => {
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
