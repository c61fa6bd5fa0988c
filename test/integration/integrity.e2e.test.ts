/**
 * Integrity of a run, end to end through `vitals-bench bench`, with messages sent into its
 * topics by hand while it runs: a forged reading under a generator key (this run's id, other
 * content) fails the run with the substituted count; a reading without a run id, a burst of
 * 1 MB bad messages and a message of the largest size the broker accepts are rejected, counted,
 * kept truncated, and stop no role: the run passes with no role exit.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceName, topicsFor, type Reading } from '../../src/domain/reading.js';
import type { RunResult } from '../../src/results/schema.js';
import type { Pool } from '../../src/infra/mysql.js';
import { REJECTED_PAYLOAD_MAX_BYTES } from '../../src/pipelines/rows.js';
import {
  kafkaClient,
  openPool,
  sleep,
  spawnCli,
  stopChild,
  waitUntil,
  shortWindowBench,
  writeShortWindowRules,
  type CliChild,
} from './helpers.js';

const out = mkdtempSync(join(tmpdir(), 'vitals-integrity-e2e-'));
const rules = writeShortWindowRules(out);

/** A bench of 30 patients (1001..1010, 2001..2010, 3001..3010) at 300/s: each patient's seq advances 10 a second. */
function bench(prefix: string, dir: string): CliChild {
  return spawnCli([
    'bench',
    ...shortWindowBench(rules),
    '--rate',
    '300',
    '--duration',
    '16',
    '--warmup',
    '2',
    '--quiet',
    '--no-services',
    '--topic-prefix',
    prefix,
    '--out',
    dir,
  ]);
}

function resultIn(dir: string): { result: RunResult; report: string } {
  const runs = readdirSync(dir).filter((d) => d.startsWith('20'));
  expect(runs).toHaveLength(1);
  return {
    result: JSON.parse(readFileSync(join(dir, runs[0]!, 'results.json'), 'utf8')) as RunResult,
    report: readFileSync(join(dir, runs[0]!, 'report.md'), 'utf8'),
  };
}

/** The running bench's run id (from the run registry), once patient 1001 has readings stored. */
async function runningRun(pool: Pool, prefix: string, child: CliChild): Promise<string> {
  let runId = '';
  await waitUntil(
    'the bench to store readings',
    async () => {
      const [runs] = await pool.query(`SELECT run_id FROM runs WHERE status = 'running' AND topics LIKE ?`, [
        `${prefix}%`,
      ]);
      runId = (runs as Array<{ run_id: string }>)[0]?.run_id ?? '';
      return runId !== '' && (await maxSeq(pool, runId, 1001)) >= 20;
    },
    120_000,
    () => child.output().slice(-2000),
    500,
  );
  return runId;
}

async function maxSeq(pool: Pool, runId: string, patient: number): Promise<number> {
  const [rows] = await pool.query('SELECT MAX(seq) AS s FROM patient_vitals WHERE run_id = ? AND patient_id = ?', [
    runId,
    patient,
  ]);
  return Number((rows as Array<{ s: number | null }>)[0]?.s ?? -1);
}

/** A reading with normal vitals, stamped now. */
function handMade(patient: number, seq: number, runId: string | null): Reading {
  const now = Date.now();
  return {
    patient_id: patient,
    source: sourceName(Math.floor(patient / 1000) - 1),
    seq,
    event_time: now,
    heart_rate: 71,
    body_temperature: 36.7,
    blood_pressure_systolic: 117,
    blood_pressure_diastolic: 77,
    spo2_level: 98,
    timestamp: new Date(now).toISOString(),
    ...(runId === null ? {} : { run_id: runId }),
  };
}

describe('integrity of a run (bench)', () => {
  const kafka = kafkaClient('it-integrity-e2e');
  let producer: Producer;
  let pool: Pool;
  const children: CliChild[] = [];
  beforeAll(async () => {
    pool = await openPool();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });
  afterAll(async () => {
    for (const c of children) await stopChild(c);
    await producer.disconnect();
    await pool.end();
  });

  it('a forged reading under a generator key (this run, other content) fails the run, counted as substituted', async () => {
    const prefix = 'intg1_';
    const dir = join(out, 'forged');
    const child = bench(prefix, dir);
    children.push(child);
    const runId = await runningRun(pool, prefix, child);
    const topics = topicsFor(3, prefix);
    // For 1001, 2001 and 3001: the seq the generator sends 5 s from now, sent now, keyed as the generator keys it.
    const forged: Reading[] = [];
    for (const patient of [1001, 2001, 3001])
      forged.push(handMade(patient, (await maxSeq(pool, runId, patient)) + 50, runId));
    for (const r of forged) {
      await producer.send({
        topic: topics[Math.floor(r.patient_id / 1000) - 1]!,
        acks: -1,
        messages: [{ key: String(r.patient_id), value: JSON.stringify(r) }],
      });
    }
    const { code } = await child.exited;
    expect(code, child.output().slice(-3000)).toBe(1);
    const { result: r, report } = resultIn(dir);
    expect(r.complete).toBe(true);
    expect(r.storage).toMatchObject({ loss: 0, duplicates: 0, substituted: 3 });
    // The generator's own copies came later: rejected by ingest and by the stream, as conflicting.
    expect(r.storage.conflicting_duplicates).toBe(3);
    expect(r.storage.stream_conflicting_duplicates).toBe(3);
    const failure = r.verdict.failures.find((f) => f.startsWith('substituted: '));
    expect(failure).toMatch(
      /^substituted: 3 stored readings differ in content from what the generator sent with their \(patient_id, seq\), e\.g\. \(patient_id [123]001, seq \d+\) stored from intg1_health_data_source[123]:\d+@\d+, event_time \d+ \(the generator's \d+\), without a t_sent header$/,
    );
    expect(child.output()).toMatch(/run \S+: FAILED/);
    expect(child.output()).toContain(`FAILURE: ${failure}`);
    expect(report).toContain(failure);
    expect(report).toContain('| substituted (stored with other content than the generator sent) | 3 |');
  }, 300_000);

  it('a reading without a run id, forty 1 MB messages and the largest message the broker takes: rejected, kept truncated, no role stops', async () => {
    const prefix = 'intg2_';
    const dir = join(out, 'poison');
    const child = bench(prefix, dir);
    children.push(child);
    const runId = await runningRun(pool, prefix, child);
    const topics = topicsFor(3, prefix);
    const admin = kafka.admin();
    await admin.connect();
    const config = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topics[0]!, configNames: ['max.message.bytes'] }],
      includeSynonyms: false,
    });
    await admin.disconnect();
    const maxMessageBytes = Number(config.resources[0]!.configEntries[0]!.configValue);
    // A record batch of one record with no key adds 72 bytes to its value.
    const largest = maxMessageBytes - 72;
    // This run's, valid up to its source: a string of a megabyte (the reason quotes it, cut at 512 characters).
    const eventTime = Date.now();
    const huge = (size: number): string => {
      const head = `{"run_id":"${runId}","patient_id":1001,"seq":1,"event_time":${eventTime},"source":"`;
      return `${head}${'x'.repeat(size - head.length - 2)}"}`;
    };

    await producer.send({
      topic: topics[0]!,
      acks: -1,
      messages: [{ key: '1999', value: JSON.stringify(handMade(1999, 0, null)) }],
    });
    // The burst: forty 1 MB messages that are not JSON, over the three topics, at once.
    const burst = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1_000_000, 0x61 + (i % 26)));
    await Promise.all(
      burst.map((value, i) => producer.send({ topic: topics[i % 3]!, acks: -1, messages: [{ value }] })),
    );
    await producer.send({ topic: topics[1]!, acks: -1, messages: [{ value: huge(largest) }] });
    const tooLarge = await producer
      .send({ topic: topics[1]!, acks: -1, messages: [{ value: huge(largest + 1) }] })
      .catch((e: Error & { type?: string }) => e.type ?? e.message);
    expect(tooLarge).toBe('MESSAGE_TOO_LARGE');
    await sleep(100);

    const { code } = await child.exited;
    expect(code, child.output().slice(-3000)).toBe(0);
    const { result: r, report } = resultIn(dir);
    expect(r.verdict).toEqual({ passed: true, failures: [] });
    expect(r.storage).toMatchObject({
      loss: 0,
      duplicates: 0,
      substituted: 0,
      rejected: 42,
      foreign: 1,
      no_run_id: 1,
      stream_rejected: 42,
    });
    // No role ended: no exit or restart for the harness to report.
    expect(r.faults ?? []).toEqual([]);
    expect(child.output()).not.toMatch(/fatal:|restarted in/);
    expect(report).toContain('| of which without a run id (counted as foreign) | 1 |');

    const [rows] = await pool.query(
      `SELECT role, reason, LENGTH(payload) AS kept, payload_bytes, payload_sha256 FROM rejected_readings
        WHERE run_id = ? ORDER BY role, payload_bytes`,
      [runId],
    );
    const rejected = rows as Array<{
      role: string;
      reason: string;
      kept: number;
      payload_bytes: number;
      payload_sha256: string;
    }>;
    for (const role of ['ingest', 'stream']) {
      const mine = rejected.filter((x) => x.role === role);
      expect(mine, role).toHaveLength(42);
      expect(mine[0]!.reason).toBe(`foreign run: no run_id (this run is ${runId})`);
      const big = mine.slice(1);
      expect(big.map((x) => x.kept)).toEqual(Array(41).fill(REJECTED_PAYLOAD_MAX_BYTES));
      expect(big.slice(0, 40).every((x) => x.payload_bytes === 1_000_000 && x.reason.startsWith('invalid JSON'))).toBe(
        true,
      );
      const last = big[40]!;
      expect(last.payload_bytes).toBe(largest);
      expect(last.payload_sha256).toBe(createHash('sha256').update(huge(largest)).digest('hex'));
      expect(last.reason).toMatch(/^field source must be a string of 1\.\.32 characters, got "x+$/);
      expect(Array.from(last.reason)).toHaveLength(512);
    }
  }, 300_000);
});
