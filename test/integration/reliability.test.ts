/**
 * Poison messages, conflicting duplicates, database refusals and the run registry, on the
 * real broker and database: nothing that can be put on a topic stops a pipeline or takes a
 * valid reading with it, and both modes keep the same copy of a reading.
 */
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReading, type Reading } from '../../src/domain/reading.js';
import { consumerLag } from '../../src/infra/kafka.js';
import { bulkInsert, inTransaction, type Pool } from '../../src/infra/mysql.js';
import { BatchPipeline } from '../../src/pipelines/batch/batch.js';
import { writeIsolating } from '../../src/pipelines/isolate.js';
import { VITALS_COLUMNS, vitalsRow } from '../../src/pipelines/rows.js';
import type { StreamPipeline } from '../../src/pipelines/stream.js';
import { registerRun, RunConflictError } from '../../src/harness/run/run-registry.js';
import { fuzzMessages, type FuzzMessage } from '../fuzz-messages.js';
import {
  config,
  countVitals,
  isolation,
  normalReading,
  openPool,
  readAlertKeys,
  readVitals,
  TEST_RULES,
  waitUntil,
} from './helpers.js';
import { InProcessPipelines } from './in-process.js';

interface Rejected {
  kafka_partition: number;
  kafka_offset: number;
  role: string;
  reason: string;
}

async function readRejected(pool: Pool, runId: string): Promise<Rejected[]> {
  const [rows] = await pool.query(
    'SELECT kafka_partition, kafka_offset, role, reason FROM rejected_readings WHERE run_id = ?',
    [runId],
  );
  return (rows as Rejected[]).map((r) => ({
    ...r,
    kafka_partition: Number(r.kafka_partition),
    kafka_offset: Number(r.kafka_offset),
  }));
}

describe('poison messages and conflicting duplicates through ingest, stream and batch', () => {
  const env = new InProcessPipelines({ label: 'rel', sources: 1, partitions: 2 });
  const { runId, topics, kafka, admin, ingestGroup, streamGroup } = env;
  const fatal = env.fatal;
  let pool: Pool;
  let ingest: InProcessPipelines['ingest'] | undefined;
  let stream: StreamPipeline | undefined;
  const now = Date.now();
  const reading = (patient: number, seq: number, hr: number): Reading => normalReading(now, patient, seq, hr);
  const N = 10_000;
  // Fuzz: valid readings of 50 patients with unique seqs, mutated and broken in many ways.
  const fuzz: FuzzMessage[] = fuzzMessages(N, { seed: 7, base: (i) => reading(1001 + (i % 50), 1000 + i, 72) });
  const sent: Array<{ value: FuzzMessage; partition: number; offset: number }> = [];

  beforeAll(async () => {
    await env.start();
    ({ pool, ingest, stream } = env);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      // The same (patient, seq) twice with other content (first 75 bpm, then 140: only the
      // second would fire hr_over_85), and an identical copy of another reading.
      const first = reading(1001, 1, 75);
      const conflicting = { ...first, heart_rate: 140 };
      const twice = reading(1002, 1, 72);
      const values: FuzzMessage[] = [
        JSON.stringify(first),
        JSON.stringify(conflicting),
        JSON.stringify(twice),
        JSON.stringify(twice),
        ...fuzz,
      ];
      // Explicit partitions (a patient's readings on one), so that each offset's message is known.
      const partitionOf = (i: number): number => (i < 4 ? i >> 1 : ((i - 4) % 50) % 2);
      for (let i = 0; i < values.length; i += 500) {
        const chunk = values.slice(i, i + 500).map((value, k) => ({ value, partition: partitionOf(i + k) }));
        const result = await producer.send({
          topic: topics[0]!,
          acks: -1,
          messages: chunk.map((m) => ({ partition: m.partition, value: m.value })),
        });
        const next = new Map(result.map((r) => [r.partition, Number(r.baseOffset)]));
        for (const m of chunk) {
          const offset = next.get(m.partition)!;
          next.set(m.partition, offset + 1);
          sent.push({ value: m.value, partition: m.partition, offset });
        }
      }
    } finally {
      await producer.disconnect();
    }
    const ends = await admin.fetchTopicOffsets(topics[0]!);
    const total = ends.reduce((s, p) => s + Number(p.high), 0);
    expect(total).toBe(N + 4);
    await waitUntil(
      'both groups to commit to the end of the topic',
      async () =>
        (await consumerLag(admin, ingestGroup, topics)) === 0 &&
        (await consumerLag(admin, streamGroup, topics)) === 0 &&
        fatal.length === 0,
      90_000,
      async () =>
        `ingest lag ${await consumerLag(admin, ingestGroup, topics)}, stream lag ${await consumerLag(admin, streamGroup, topics)}, fatal ${fatal.map((e) => e.message).join('; ')}`,
    );
  }, 180_000);

  afterAll(() => env.tearDown());

  it('no pipeline stopped: no fatal error, both consumer groups at the log end', () => {
    expect(fatal).toEqual([]);
  });

  it('every message is stored once, rejected with a reason, or an identical copy of a stored reading', async () => {
    const stored = await readVitals(pool, runId);
    const storedAt = new Map(stored.map((r) => [`${r.kafka_partition}:${r.kafka_offset}`, r]));
    const byKey = new Map(stored.map((r) => [`${r.patient_id}|${r.seq}`, r]));
    const rejected = new Map(
      (await readRejected(pool, runId))
        .filter((r) => r.role === 'ingest')
        .map((r) => [`${r.kafka_partition}:${r.kafka_offset}`, r]),
    );
    const outcome = { stored: 0, rejected: 0, identicalCopy: 0 };
    for (const m of sent) {
      const at = `${m.partition}:${m.offset}`;
      if (storedAt.has(at)) {
        expect(rejected.has(at), at).toBe(false);
        outcome.stored++;
      } else if (rejected.has(at)) {
        expect(rejected.get(at)!.reason.length).toBeGreaterThan(0);
        outcome.rejected++;
      } else {
        // Not stored from this offset: it must be a valid reading whose first copy is stored, unchanged.
        const parsed = parseReading(m.value, { topic: topics[0]!, runId });
        expect(parsed.ok, `${at} neither stored nor rejected: ${String(m.value).slice(0, 120)}`).toBe(true);
        if (!parsed.ok) continue;
        const { timestamp: _t, run_id: _r, ...content } = parsed.reading;
        const first = byKey.get(`${content.patient_id}|${content.seq}`)!;
        expect(first.kafka_offset < m.offset || first.kafka_partition !== m.partition).toBe(true);
        expect({
          ...first,
          timestamp: undefined,
          kafka_topic: undefined,
          kafka_partition: undefined,
          kafka_offset: undefined,
        }).toMatchObject(content);
        outcome.identicalCopy++;
      }
    }
    expect(outcome.stored + outcome.rejected + outcome.identicalCopy).toBe(N + 4);
    expect(outcome.stored).toBe(stored.length);
    // The hand-made identical copy of (1002, 1) is one of them.
    expect(outcome.identicalCopy).toBeGreaterThanOrEqual(1);
    expect(outcome.rejected).toBeGreaterThan(N / 2);
    expect(outcome.stored).toBeGreaterThan(N / 10);
  });

  it('the first copy of a (patient, seq) wins; the conflicting copy is rejected with its reason by both roles', async () => {
    const [rows] = await pool.query(
      'SELECT heart_rate FROM patient_vitals WHERE run_id = ? AND patient_id = 1001 AND seq = 1',
      [runId],
    );
    expect(rows).toEqual([{ heart_rate: 75 }]);
    const conflicts = (await readRejected(pool, runId)).filter((r) =>
      r.reason.startsWith('duplicate with different content: (patient_id 1001, seq 1)'),
    );
    // Each role keeps its first copy and rejects the other, counted as a conflict.
    expect(conflicts.map((c) => c.role).sort()).toEqual(['ingest', 'stream']);
    expect(conflicts.find((c) => c.role === 'stream')!.reason).toMatch(/differs from the copy processed first$/);
    expect(ingest!.stats.conflicts).toBeGreaterThanOrEqual(1);
    expect(stream!.stats.conflicts).toBeGreaterThanOrEqual(1);
    expect(stream!.stats.duplicatesSkipped).toBeGreaterThanOrEqual(2);
  });

  it('stream and batch both see the first copy: neither alerts on the 140 bpm copy', async () => {
    const hrAlert = (keys: string[]): string[] => keys.filter((k) => k.startsWith('hr_over_85|1001|reading|1|'));
    expect(hrAlert(await readAlertKeys(pool, runId, 'stream'))).toEqual([]);
    const batch = new BatchPipeline({
      pool,
      mysqlUrl: config.mysqlUrl,
      runId,
      ruleSet: TEST_RULES,
      allowedLatenessMs: 500,
      threads: 2,
    });
    await batch.runPass(true);
    await batch.close();
    const batchKeys = await readAlertKeys(pool, runId, 'batch');
    expect(hrAlert(batchKeys)).toEqual([]);
    // And the record-rule alerts of the two modes are the same set.
    const records = (keys: string[]): string[] => keys.filter((k) => k.split('|')[2] === 'reading');
    expect(records(await readAlertKeys(pool, runId, 'stream'))).toEqual(records(batchKeys));
  });

  it('ingest and stream reject the same malformed messages', async () => {
    const rejected = await readRejected(pool, runId);
    const parseFailures = (role: string): string[] =>
      rejected
        .filter((r) => r.role === role && !r.reason.startsWith('duplicate with different content'))
        .map((r) => `${r.kafka_partition}:${r.kafka_offset}`)
        .sort();
    expect(parseFailures('stream').length).toBeGreaterThan(N / 2);
    expect(parseFailures('stream')).toEqual(parseFailures('ingest'));
  });
});

describe('a write the database refuses is isolated, the rest stored (real MariaDB)', () => {
  const { runId } = isolation('iso');
  let pool: Pool;
  beforeAll(async () => {
    pool = await openPool();
  });
  afterAll(async () => {
    await pool.query('DELETE FROM patient_vitals WHERE run_id = ?', [runId]);
    await pool.end();
  });

  it("bisects a batch with rows out of the columns' range down to those rows, with the database's message", async () => {
    const now = Date.now();
    const rows: Reading[] = Array.from({ length: 40 }, (_, i) => ({
      patient_id: i === 7 ? 3_000_000_000 : 5000 + i,
      source: i === 23 ? 'x'.repeat(40) : 'Device_A',
      seq: i,
      event_time: now + i,
      heart_rate: 72,
      body_temperature: 36.8,
      blood_pressure_systolic: 120,
      blood_pressure_diastolic: 80,
      spo2_level: 97,
      timestamp: '',
    }));
    const write = (part: Reading[]): Promise<void> =>
      inTransaction(pool, async (conn) => {
        await bulkInsert(
          conn,
          `INSERT INTO patient_vitals ${VITALS_COLUMNS}`,
          part.map((r) => vitalsRow(runId, r, 't', 0, r.seq, now)),
        );
      });
    const refused = await writeIsolating(rows, write);
    expect(refused.map((r) => r.item.seq)).toEqual([7, 23]);
    expect(refused[0]!.message).toMatch(/Out of range value for column 'patient_id'/);
    expect(refused[1]!.message).toMatch(/Data too long for column 'source'/);
    expect(await countVitals(pool, runId)).toBe(38);
  });
});

describe('the run registry: runs left by dead processes are aborted, live ones protect their topics', () => {
  let pool: Pool;
  const { tag } = isolation('reg');
  const ids = [`reg_dead_${tag}`, `reg_live_${tag}`, `reg_new_${tag}`, `reg_other_${tag}`, `reg_stale_${tag}`];
  beforeAll(async () => {
    pool = await openPool();
    // A run whose owner on this machine is gone (pid 2^22+ is above Linux's pid_max default), one
    // that stopped reporting in long ago, and a live one: this test process, reporting now.
    await pool.query(
      `INSERT INTO runs (run_id, status, heartbeat_at, owner, topics) VALUES (?, 'running', ?, ?, ?), (?, 'running', ?, ?, ?), (?, 'running', ?, ?, ?)`,
      [
        ids[0],
        Date.now(),
        `${hostname()}:4194305`,
        `reg_${tag}_a`,
        ids[4],
        Date.now() - 3_600_000,
        'elsewhere:1',
        `reg_${tag}_b`,
        ids[1],
        Date.now(),
        `${hostname()}:${process.pid}`,
        `reg_${tag}_c,reg_${tag}_d`,
      ],
    );
  });
  afterAll(async () => {
    await pool.query('DELETE FROM runs WHERE run_id IN (?)', [ids]);
    await pool.end();
  });

  it("marks the dead and the silent run aborted, refuses a run on a live run's topics, allows one on others", async () => {
    const err = await registerRun(pool, {
      runId: ids[2]!,
      topics: [`reg_${tag}_d`],
      parameters: {},
      environment: {},
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RunConflictError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `another bench is running on the same topics \\(run ${ids[1]}, owner .*:${process.pid}, topics reg_${tag}_d\\)`,
      ),
    );
    const [status] = await pool.query('SELECT run_id, status FROM runs WHERE run_id IN (?) ORDER BY run_id', [ids]);
    const byId = new Map((status as Array<{ run_id: string; status: string }>).map((r) => [r.run_id, r.status]));
    expect(byId.get(ids[0]!)).toBe('aborted');
    expect(byId.get(ids[4]!)).toBe('aborted');
    expect(byId.get(ids[1]!)).toBe('running');
    expect(byId.has(ids[2]!)).toBe(false);
    await registerRun(pool, { runId: ids[3]!, topics: [`reg_${tag}_e`], parameters: {}, environment: {} });
    const [rows] = await pool.query('SELECT status, owner FROM runs WHERE run_id = ?', [ids[3]]);
    expect(rows).toEqual([{ status: 'running', owner: `${hostname()}:${process.pid}` }]);
  });
});
