/**
 * Shared plumbing of the integration tests: the real Kafka broker and the real MariaDB, a
 * unique run id and topic prefix per test, the test rule set, readers of the result tables
 * and the reference evaluation over the regenerated data set. No mocks.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { expect } from 'vitest';
import { loadServiceConfig, PROJECT_ROOT } from '../../src/config.js';
import { VITAL_NAMES, type Reading } from '../../src/domain/reading.js';
import { Dataset, stampEventTime, type DatasetParams } from '../../src/generators/dataset.js';
import { createKafka, ensureTopics } from '../../src/infra/kafka.js';
import { createKafkaClient, type KafkaClientDriver, type KafkaClientName } from '../../src/infra/kafka-client/index.js';
import { createPool, type Pool } from '../../src/infra/mysql.js';
import { evaluateAll } from '../../src/pipelines/rules/reference.js';
import type { AlertRecord, RuleSet, WindowResult } from '../../src/pipelines/rules/types.js';
import { migrate } from '../../src/pipelines/store/schema.js';
import type { RunResult } from '../../src/results/schema.js';

export const config = loadServiceConfig();
export const CLI = join(PROJECT_ROOT, 'dist/src/cli.js');

/** A unique run id and topic prefix: tests never see each other's data. */
export function isolation(label: string): { runId: string; prefix: string; tag: string } {
  const tag = randomUUID().slice(0, 8);
  return { runId: `it_${label}_${tag}`, prefix: `it_${tag}_`, tag };
}

export function kafkaClient(clientId: string): Kafka {
  return createKafka(config.kafkaBrokers, clientId);
}

export { KAFKA_CLIENTS } from '../../src/infra/kafka-client/index.js';

/** The named Kafka client (the tests that exercise Kafka run with each). */
export function clientDriver(name: KafkaClientName, clientId: string): KafkaClientDriver {
  return createKafkaClient(name, config.kafkaBrokers, clientId);
}

export async function openPool(): Promise<Pool> {
  const pool = createPool(config.mysqlUrl, { connectionLimit: 6 });
  await migrate(pool);
  return pool;
}

export async function createTopics(admin: Admin, topics: string[], partitions = 3): Promise<void> {
  await ensureTopics(admin, { topics, partitions });
}

export async function deleteTopics(admin: Admin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics().catch(() => [] as string[]));
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 }).catch(() => undefined);
}

/**
 * Record rules and window rules of 2 s and 5 s, with thresholds inside the generated data's
 * normal ranges (baseline HR ~75 +- 8, SpO2 ~97 +- 1, temperature ~36.8) so that all of them
 * fire often, and a count rule (a patient's readings at ~50/s fill at least one 5 s window
 * with 100 or more whatever the alignment of the run to the window grid).
 */
export const TEST_RULES: RuleSet = {
  name: 'integration',
  rules: [
    { kind: 'record', id: 'hr_over_85', vital: 'heart_rate', op: '>', value: 85, severity: 'medium' },
    { kind: 'record', id: 'spo2_under_96', vital: 'spo2_level', op: '<', value: 96, severity: 'high' },
    { kind: 'record', id: 'temp_at_least_37', vital: 'body_temperature', op: '>=', value: 37, severity: 'low' },
    {
      kind: 'window',
      id: 'w2_avg_hr_over_76',
      vital: 'heart_rate',
      agg: 'avg',
      window_s: 2,
      op: '>',
      value: 76,
      severity: 'medium',
    },
    {
      kind: 'window',
      id: 'w2_min_temp_under_36_8',
      vital: 'body_temperature',
      agg: 'min',
      window_s: 2,
      op: '<',
      value: 36.8,
      severity: 'low',
    },
    {
      kind: 'window',
      id: 'w5_max_spo2_at_least_98',
      vital: 'spo2_level',
      agg: 'max',
      window_s: 5,
      op: '>=',
      value: 98,
      severity: 'low',
    },
    {
      kind: 'window',
      id: 'w5_avg_sbp_over_120',
      vital: 'blood_pressure_systolic',
      agg: 'avg',
      window_s: 5,
      op: '>',
      value: 120,
      severity: 'medium',
    },
    {
      kind: 'window',
      id: 'w5_count_at_least_100',
      vital: 'heart_rate',
      agg: 'count',
      window_s: 5,
      op: '>=',
      value: 100,
      severity: 'low',
    },
  ],
};

/** The rule set as a JSON file for the CLI's --rules (kind/id/... as parseRuleSet reads them). */
export function writeRulesFile(ruleSet: RuleSet = TEST_RULES): string {
  const dir = mkdtempSync(join(tmpdir(), 'vitals-it-'));
  const file = join(dir, 'rules.json');
  writeFileSync(file, JSON.stringify({ description: 'integration test rules', rules: ruleSet.rules }, null, 2));
  return file;
}

/**
 * A rules file for end-to-end benches: record rules and 2 s window rules that fire at the
 * generator's normal ranges, so that short runs raise alerts and drain quickly.
 */
export function writeShortWindowRules(dir: string): string {
  const file = join(dir, 'rules.json');
  writeFileSync(
    file,
    JSON.stringify({
      rules: [
        { id: 'hr_high', vital: 'heart_rate', op: '>=', value: 100, severity: 'medium' },
        { id: 'spo2_low', vital: 'spo2_level', op: '<', value: 94, severity: 'high' },
        { id: 'hr_avg_high', vital: 'heart_rate', agg: 'avg', window_s: 2, op: '>', value: 85, severity: 'medium' },
        { id: 'spo2_min_low', vital: 'spo2_level', agg: 'min', window_s: 2, op: '<', value: 95, severity: 'high' },
      ],
    }),
  );
  return file;
}

/**
 * The bench options that go with writeShortWindowRules: 30 patients, 20% of them abnormal, the
 * rules file, batches every 3 s, and windows that close 500 ms late or after 500 ms idle.
 */
export function shortWindowBench(rulesFile: string): string[] {
  return [
    '--patients',
    '30',
    '--prevalence',
    '0.2',
    '--rules',
    rulesFile,
    '--batch-interval',
    '3',
    '--lateness-ms',
    '500',
    '--idle-ms',
    '500',
  ];
}

/** A normal reading from Device_A, `seq` ms after `now` (heart rate `hr`), of the run `runId`
 * when one is given. */
export function normalReading(now: number, patient: number, seq: number, hr: number, runId?: string): Reading {
  return {
    patient_id: patient,
    source: 'Device_A',
    seq,
    event_time: now + seq,
    heart_rate: hr,
    body_temperature: 36.8,
    blood_pressure_systolic: 120,
    blood_pressure_diastolic: 80,
    spo2_level: 97,
    timestamp: new Date(now + seq).toISOString(),
    ...(runId === undefined ? {} : { run_id: runId }),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until check() returns true; throws with describe()'s text at the deadline. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  describe: () => Promise<string> | string = () => '',
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}. ${await describe()}`);
    await sleep(intervalMs);
  }
}

export async function count(pool: Pool, sql: string, params: unknown[]): Promise<number> {
  const [rows] = await pool.query(sql, params);
  return Number((rows as Array<{ n: number }>)[0]!.n);
}

export const countVitals = (pool: Pool, runId: string): Promise<number> =>
  count(pool, 'SELECT COUNT(*) AS n FROM patient_vitals WHERE run_id = ?', [runId]);

export const countWindows = (pool: Pool, runId: string, mode: Mode): Promise<number> =>
  count(pool, 'SELECT COUNT(*) AS n FROM window_stats WHERE run_id = ? AND mode = ?', [runId, mode]);

export const countAlerts = (pool: Pool, runId: string, mode: Mode): Promise<number> =>
  count(pool, 'SELECT COUNT(*) AS n FROM alerts WHERE run_id = ? AND mode = ?', [runId, mode]);

export type Mode = 'stream' | 'batch';

export interface StoredReading extends Reading {
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
}

/** patient_vitals of a run, as readings (timestamp rendered from event_time). */
export async function readVitals(pool: Pool, runId: string): Promise<StoredReading[]> {
  const [rows] = await pool.query(
    `SELECT patient_id, seq, source, event_time, heart_rate, body_temperature, blood_pressure_systolic,
            blood_pressure_diastolic, spo2_level, kafka_topic, kafka_partition, kafka_offset
       FROM patient_vitals WHERE run_id = ? ORDER BY patient_id, seq`,
    [runId],
  );
  return (rows as Array<Record<string, unknown>>).map((r) => ({
    patient_id: Number(r.patient_id),
    source: String(r.source),
    seq: Number(r.seq),
    event_time: Number(r.event_time),
    heart_rate: Number(r.heart_rate),
    body_temperature: Number(r.body_temperature),
    blood_pressure_systolic: Number(r.blood_pressure_systolic),
    blood_pressure_diastolic: Number(r.blood_pressure_diastolic),
    spo2_level: Number(r.spo2_level),
    timestamp: new Date(Number(r.event_time)).toISOString(),
    kafka_topic: String(r.kafka_topic),
    kafka_partition: Number(r.kafka_partition),
    kafka_offset: Number(r.kafka_offset),
  }));
}

/** Alert identity as the brief compares them: (rule_id, patient_id, subject_kind, subject). */
export type AlertKey = string;

export async function readAlertKeys(pool: Pool, runId: string, mode: Mode): Promise<AlertKey[]> {
  const [rows] = await pool.query(
    `SELECT rule_id, patient_id, subject_kind, subject, severity, event_time FROM alerts
      WHERE run_id = ? AND mode = ?`,
    [runId, mode],
  );
  // Sorted here, not by the server: its collation orders '_' differently from JavaScript.
  return sortKeys(
    (rows as Array<Record<string, unknown>>).map(
      (r) =>
        `${String(r.rule_id)}|${Number(r.patient_id)}|${String(r.subject_kind)}|${Number(r.subject)}|${String(r.severity)}|${Number(r.event_time)}`,
    ),
  );
}

export function referenceAlertKeys(alerts: AlertRecord[]): AlertKey[] {
  return alerts
    .map((a) => {
      const isRecord = a.seq !== null;
      return `${a.rule_id}|${a.patient_id}|${isRecord ? 'reading' : 'window'}|${isRecord ? a.seq : a.window_start}|${a.severity}|${a.event_time}`;
    })
    .sort(compareKeys);
}

/** Order by (rule_id, patient_id, subject_kind, subject). */
function compareKeys(a: string, b: string): number {
  const pa = a.split('|');
  const pb = b.split('|');
  if (pa[0] !== pb[0]) return pa[0]! < pb[0]! ? -1 : 1;
  return (
    Number(pa[1]) - Number(pb[1]) || (pa[2]! < pb[2]! ? -1 : pa[2]! > pb[2]! ? 1 : 0) || Number(pa[3]) - Number(pb[3])
  );
}

export const sortKeys = (keys: AlertKey[]): AlertKey[] => [...keys].sort(compareKeys);

/** A window row of window_stats without its write_batch: the figures both modes must agree on. */
export interface StoredWindow {
  key: string;
  patient_id: number;
  window_s: number;
  window_start: number;
  count: number;
  max_event_time: number;
  stats: number[];
}

export async function readWindows(pool: Pool, runId: string, mode: Mode): Promise<StoredWindow[]> {
  const statCols = VITAL_NAMES.flatMap((v) => [`avg_${v}`, `min_${v}`, `max_${v}`]);
  const [rows] = await pool.query(
    `SELECT patient_id, window_s, window_start, reading_count, max_event_time, ${statCols.join(', ')}
       FROM window_stats WHERE run_id = ? AND mode = ? ORDER BY window_s, patient_id, window_start`,
    [runId, mode],
  );
  return (rows as Array<Record<string, unknown>>).map((r) => ({
    key: `${Number(r.window_s)}|${Number(r.patient_id)}|${Number(r.window_start)}`,
    patient_id: Number(r.patient_id),
    window_s: Number(r.window_s),
    window_start: Number(r.window_start),
    count: Number(r.reading_count),
    max_event_time: Number(r.max_event_time),
    stats: statCols.map((c) => Number(r[c])),
  }));
}

export function referenceWindows(windows: WindowResult[]): StoredWindow[] {
  return windows
    .map((w) => ({
      key: `${w.window_s}|${w.patient_id}|${w.window_start}`,
      patient_id: w.patient_id,
      window_s: w.window_s,
      window_start: w.window_start,
      count: w.count,
      max_event_time: w.max_event_time,
      stats: VITAL_NAMES.flatMap((v) => [w.stats[v].avg, w.stats[v].min, w.stats[v].max]),
    }))
    .sort((a, b) => a.window_s - b.window_s || a.patient_id - b.patient_id || a.window_start - b.window_start);
}

/** Windows without their floating-point figures, for exact comparison of the integer parts. */
export const windowShape = (ws: StoredWindow[]): string[] => ws.map((w) => `${w.key}|n${w.count}|t${w.max_event_time}`);

/**
 * Asserts two window lists agree: same keys, counts and max event times exactly, and every
 * avg/min/max equal within a relative 1e-12 (DOUBLE round trip through MariaDB's text protocol).
 * Returns a list of human-readable differences (empty when equal).
 */
export function windowDifferences(a: StoredWindow[], b: StoredWindow[], cap = 10): string[] {
  const out: string[] = [];
  const byKey = new Map(b.map((w) => [w.key, w]));
  const aKeys = new Set(a.map((w) => w.key));
  for (const w of a) {
    const o = byKey.get(w.key);
    if (!o) {
      out.push(`only in first: ${w.key} (n=${w.count})`);
      continue;
    }
    if (o.count !== w.count || o.max_event_time !== w.max_event_time) {
      out.push(`${w.key}: count ${w.count} vs ${o.count}, max_event_time ${w.max_event_time} vs ${o.max_event_time}`);
      continue;
    }
    for (let i = 0; i < w.stats.length; i++) {
      const x = w.stats[i]!;
      const y = o.stats[i]!;
      if (Math.abs(x - y) > 1e-12 * Math.max(1, Math.abs(x), Math.abs(y))) {
        out.push(`${w.key}: stat ${i} ${x} vs ${y}`);
        break;
      }
    }
  }
  for (const w of b) if (!aKeys.has(w.key)) out.push(`only in second: ${w.key} (n=${w.count})`);
  return out.slice(0, cap).concat(out.length > cap ? [`... ${out.length - cap} more`] : []);
}

/** Symmetric difference of two alert key lists, capped, for failure messages. */
export function alertDifferences(a: AlertKey[], b: AlertKey[], cap = 10): string[] {
  const sa = new Set(a);
  const sb = new Set(b);
  const out = [
    ...a.filter((k) => !sb.has(k)).map((k) => `only in first: ${k}`),
    ...b.filter((k) => !sa.has(k)).map((k) => `only in second: ${k}`),
  ];
  return out.slice(0, cap).concat(out.length > cap ? [`... ${out.length - cap} more`] : []);
}

/**
 * The reference: regenerate the first n readings of the data set from its seed, stamp each
 * with the event time stored for it (producer timing is wall-clock), check every stored value
 * equals the regenerated one, and evaluate the rules over them.
 */
export function reference(
  params: DatasetParams,
  n: number,
  stored: StoredReading[],
  ruleSet: RuleSet,
): {
  readings: Reading[];
  mismatches: string[];
  alerts: AlertKey[];
  windows: StoredWindow[];
} {
  const byKey = new Map(stored.map((r) => [`${r.patient_id}:${r.seq}`, r]));
  const ds = new Dataset(params);
  const readings: Reading[] = [];
  const mismatches: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = ds.next();
    const s = byKey.get(`${p.patient_id}:${p.seq}`);
    if (!s) {
      mismatches.push(`reading ${p.patient_id}:${p.seq} not stored`);
      continue;
    }
    const r = stampEventTime(p, s.event_time);
    for (const f of ['source', ...VITAL_NAMES] as const) {
      if (r[f] !== s[f]) mismatches.push(`${p.patient_id}:${p.seq} ${f}: generated ${r[f]}, stored ${s[f]}`);
    }
    readings.push(r);
  }
  const ref = evaluateAll(readings, ruleSet);
  return {
    readings,
    mismatches: mismatches.slice(0, 20),
    alerts: referenceAlertKeys(ref.alerts),
    windows: referenceWindows(ref.windows),
  };
}

/** A `node dist/src/cli.js ...` child with its stderr kept for diagnostics. */
export interface CliChild {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnCli(args: string[]): CliChild {
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, output: () => out, exited };
}

/** Run the CLI to completion (bounded), returning its exit code and output. */
export async function runCli(
  args: string[],
  timeoutMs = 30_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Stop a CLI child we started: SIGTERM (graceful stop), then SIGKILL if it lingers. */
export async function stopChild(child: CliChild | undefined, graceMs = 15_000): Promise<void> {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export type ExampleName = 'spark' | 'flink';

/** An example's Python environment and jars under .cache/<name>, by scripts/<name>.sh
 * (idempotent: minutes on a fresh clone, seconds after). */
export function setUpExample(name: ExampleName): void {
  execFileSync('bash', [join(PROJECT_ROOT, `scripts/${name}.sh`)], { stdio: 'inherit', timeout: 900_000 });
}

/** A short bench of the example beside the built-in stream on the seed rules, into `out`: the run
 * must pass, and the example must agree with the rule reference and the stream exactly, with no
 * loss or duplicates, and stop cleanly when told. */
export async function benchExampleBesideStream(
  name: ExampleName,
  out: string,
): Promise<{ dir: string; result: RunResult }> {
  const { code, stdout, stderr } = await runCli(
    [
      'bench',
      `--with-${name}`,
      '--modes',
      `stream,${name}`,
      '--rules',
      'seed',
      '--rate',
      '200',
      '--duration',
      '8',
      '--warmup',
      '3',
      '--patients',
      '20',
      '--external-quiet-s',
      '5',
      '--topic-prefix',
      `${name}_e2e_`,
      '--out',
      out,
      '--quiet',
      '--no-history',
      '--no-services',
    ],
    600_000,
  );
  expect(code, stdout + stderr).toBe(0);
  expect(stdout).toMatch(/run .*: PASSED/);
  const dir = join(
    out,
    readdirSync(out).find((f) => !f.endsWith('.json'))!,
  );
  const result = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult;
  const job = result.external!.jobs.find((j) => j.name === name)!;
  expect(job).toMatchObject({ kind: 'alerts', loss: 0, duplicates: 0, unexpected: 0 });
  // Stopped by SIGTERM to its process group, and ended within the grace period (not killed).
  expect(job.exit).toBe('exited with code 0 when stopped');
  expect(job.startup_s).toBeGreaterThan(0);
  expect(job.result_latency.count).toBeGreaterThan(0);
  expect(result.cost?.external?.[name]?.cpu_s).toBeGreaterThan(0);
  for (const b of ['ground_truth', 'stream']) {
    const a = result.agreement.find((x) => x.a === name && x.b === b && x.scope === 'record')!;
    expect(a.jaccard).toBe(1);
    expect(a.tp).toBeGreaterThan(0);
  }
  expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(new RegExp(`\\| ${name} \\| per-rule alerts \\|`));
  return { dir, result };
}
