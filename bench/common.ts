/**
 * Shared helpers of the throughput benches: arguments, summaries, machine facts, CPU
 * accounting, clean-up. Nothing here measures by itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Admin } from 'kafkajs';
import { parseEnvFile, PROJECT_ROOT } from '../src/config.js';
import type { Reading } from '../src/domain/reading.js';
import { Dataset, stampEventTime } from '../src/generators/dataset.js';
import { isKafkaClientName, KAFKA_CLIENTS, type KafkaClientName } from '../src/infra/kafka-client/types.js';
import type { Pool } from '../src/infra/mysql.js';

/** Wall clock, epoch ms with sub-ms resolution (monotonic within the process). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- arguments

/** `--name value`, `--name=value`, else env[envName], else undefined. */
export function argValue(name: string, envName?: string, argv: string[] = process.argv.slice(2)): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return envName ? process.env[envName] : undefined;
}

/** A positive integer; accepts 300000, 300_000, 300,000, 300k, 1m. */
export function intArg(name: string, envName: string | undefined, fallback: number, argv?: string[]): number {
  const raw = argValue(name, envName, argv);
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d[\d_,]*)(k|m)?$/i.exec(raw.trim());
  if (!m) throw new Error(`--${name}: expected a positive integer, got ${JSON.stringify(raw)}`);
  const n = Number(m[1]!.replace(/[_,]/g, '')) * (m[2] ? (m[2].toLowerCase() === 'k' ? 1e3 : 1e6) : 1);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`--${name}: expected a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** `--clients kafkajs,platformatic` (env BENCH_CLIENTS): the Kafka clients to measure, all by default. */
export function clientsArg(argv?: string[]): KafkaClientName[] {
  const raw = argValue('clients', 'BENCH_CLIENTS', argv);
  if (raw === undefined || raw.trim() === '') return [...KAFKA_CLIENTS];
  const names = raw.split(',').map((s) => s.trim());
  if (!names.every(isKafkaClientName))
    throw new Error(`--clients: expected a list of ${KAFKA_CLIENTS.join(', ')}, got ${JSON.stringify(raw)}`);
  return KAFKA_CLIENTS.filter((c) => names.includes(c));
}

// ---------------------------------------------------------------- summaries

export interface Summary {
  n: number;
  mean: number;
  min: number;
  max: number;
  /** Sample standard deviation (0 for n < 2). */
  sd: number;
}

export function summarise(xs: number[]): Summary {
  const n = xs.length;
  if (n === 0) return { n: 0, mean: NaN, min: NaN, max: NaN, sd: NaN };
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const sd = n < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  return { n, mean, min: Math.min(...xs), max: Math.max(...xs), sd };
}

export const fmtInt = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : String(x));
export const fmt1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : String(x));
const fmt2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : String(x));
/** A table value: whole numbers, but one decimal below 100 (MiB/s), where rounding would hide the spread. */
const fmtValue = (x: number): string => (Math.abs(x) < 100 ? fmt1(x) : fmtInt(x));

/** (max - min) / mean, %: the spread the tables print next to the mean. */
const spreadPct = (s: Summary): number => (s.n > 1 ? ((s.max - s.min) / s.mean) * 100 : 0);

/** One line of a combined results table. */
export interface BenchRow {
  bench: string;
  measure: string;
  unit: string;
  summary: Summary;
  /** Mean as a fraction of the ceiling it is compared with, when there is one. */
  ofCeiling?: number;
  /** The target, in the same unit, when there is one. */
  target?: number;
  /** Mean CPU use during the measurement, cores (2 = both cores of this machine busy). */
  cpu?: CpuShare;
}

export function printRows(title: string, rows: BenchRow[]): void {
  console.log(`\n${title}`);
  console.table(rows.map(rowView));
}

function rowView(r: BenchRow): Record<string, string | number> {
  const s = r.summary;
  const v: Record<string, string | number> = {
    bench: r.bench,
    measure: r.measure,
    unit: r.unit,
    n: s.n,
    mean: fmtValue(s.mean),
    min: fmtValue(s.min),
    max: fmtValue(s.max),
    'spread %': fmt1(spreadPct(s)),
    'of ceiling': r.ofCeiling === undefined ? '' : `${(r.ofCeiling * 100).toFixed(0)}%`,
    target: r.target === undefined ? '' : `>= ${fmtInt(r.target)}: ${verdict(s, r.target)}`,
  };
  if (r.cpu) v['cpu node/kafka/db/other (cores)'] = cpuText(r.cpu);
  return v;
}

/** Whether the samples reach a target: never an assertion, only a statement. */
function verdict(s: Summary, target: number): string {
  if (s.min >= target) return 'met (every sample)';
  if (s.mean >= target) return 'met on mean, not every sample';
  if (s.max >= target) return 'not met on mean (max reaches it)';
  return 'NOT met';
}

// ---------------------------------------------------------------- machine facts

/** A client's package and version, as the rows name it. */
export function clientLabel(name: KafkaClientName): string {
  const pkg = name === 'platformatic' ? '@platformatic/kafka' : name;
  return `${pkg} ${pkgVersion(pkg)}`;
}

function pkgVersion(name: string): string {
  try {
    const p = JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return p.version ?? '?';
  } catch {
    return '?';
  }
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (+ uncommitted changes)` : head;
  } catch {
    return '?';
  }
}

function kafkaVersion(): string {
  const file =
    process.env.VITALS_ENV_FILE ?? join(process.env.VITALS_CACHE_DIR ?? join(PROJECT_ROOT, '.cache'), 'services.env');
  if (!existsSync(file)) return 'unknown (no services.env)';
  return parseEnvFile(readFileSync(file, 'utf8')).KAFKA_VERSION ?? 'unknown (KAFKA_VERSION not in services.env)';
}

export async function machineFacts(pool: Pool): Promise<Record<string, string>> {
  const [rows] = await pool.query('SELECT VERSION() AS v');
  const cpus = os.cpus();
  return {
    cpu: `${cpus[0]?.model ?? '?'} x ${cpus.length} logical cores (os.availableParallelism ${os.availableParallelism()})`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    kafka: kafkaVersion(),
    mariadb: String((rows as Array<{ v: string }>)[0]?.v ?? '?'),
    clients: `${KAFKA_CLIENTS.map(clientLabel).join(', ')}, mysql2 ${pkgVersion('mysql2')}, piscina ${pkgVersion('piscina')}`,
    commit: gitCommit(),
    'load average (1/5/15 min)': os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' / '),
    started: new Date().toISOString(),
  };
}

export function printHeader(title: string, facts: Record<string, string>, params: Record<string, unknown>): void {
  console.log(`\n=== ${title} ===`);
  for (const [k, v] of Object.entries(facts)) console.log(`${k.padEnd(26)} ${v}`);
  console.log(`${'parameters'.padEnd(26)} ${JSON.stringify(params)}`);
}

// ---------------------------------------------------------------- CPU accounting

/**
 * CPU time of this Node process (all its threads, Piscina workers included), the Kafka
 * broker (java), MariaDB (mariadbd/mysqld) and the whole machine, from /proc. Linux only;
 * elsewhere it reports nothing.
 */
export interface CpuShare {
  node: number;
  kafka: number;
  db: number;
  /** Everything else busy on the machine: other processes, the kernel's share of them. */
  other: number;
}

interface CpuSnapshot {
  at: number;
  node: number;
  kafka: number;
  db: number;
  machineBusy: number;
}

const CLK_TCK = 100;

function procTicks(pid: string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  } catch {
    return 0;
  }
}

/** Processes named one of `names` whose command line contains `cmdline` when given. */
function findPids(names: string[], cmdline?: string): string[] {
  if (!existsSync('/proc')) return [];
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!names.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue;
      if (cmdline === undefined || readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(cmdline)) out.push(pid);
    } catch {
      // gone
    }
  }
  return out;
}

export class CpuMeter {
  // The broker only: another JVM (a perf tool, a Spark job) that exits mid-sample would make
  // the kafka share negative.
  private readonly kafkaPids = findPids(['java'], 'kafka.Kafka');
  private readonly dbPids = findPids(['mariadbd', 'mysqld']);
  readonly available = existsSync('/proc/stat');

  snapshot(): CpuSnapshot | null {
    if (!this.available) return null;
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = line.slice(0, 8).reduce((s, x, i) => (i === 3 || i === 4 ? s : s + x), 0);
    return {
      at: nowMs(),
      node: procTicks('self'),
      kafka: this.kafkaPids.reduce((s, p) => s + procTicks(p), 0),
      db: this.dbPids.reduce((s, p) => s + procTicks(p), 0),
      machineBusy: busy,
    };
  }

  /** Mean cores used between two snapshots. */
  static between(a: CpuSnapshot | null, b: CpuSnapshot | null): CpuShare | undefined {
    if (!a || !b) return undefined;
    const secs = (b.at - a.at) / 1000;
    if (secs <= 0) return undefined;
    const c = (ticks: number): number => ticks / CLK_TCK / secs;
    const node = c(b.node - a.node);
    const kafka = c(b.kafka - a.kafka);
    const db = c(b.db - a.db);
    const other = Math.max(0, c(b.machineBusy - a.machineBusy) - node - kafka - db);
    return { node, kafka, db, other };
  }
}

export function cpuText(c: CpuShare): string {
  return `${fmt2(c.node)}/${fmt2(c.kafka)}/${fmt2(c.db)}/${fmt2(c.other)}`;
}

/** Mean of several CPU shares (one per repetition). */
export function meanCpu(xs: Array<CpuShare | undefined>): CpuShare | undefined {
  const ok = xs.filter((x): x is CpuShare => x !== undefined);
  if (ok.length === 0) return undefined;
  const m = (k: keyof CpuShare): number => ok.reduce((s, x) => s + x[k], 0) / ok.length;
  return { node: m('node'), kafka: m('kafka'), db: m('db'), other: m('other') };
}

// ---------------------------------------------------------------- clean-up

/** Every table a run writes, children first. */
const RUN_TABLES = [
  'alerts',
  'window_stats',
  'write_batch_ranges',
  'write_batches',
  'rejected_readings',
  'patient_vitals',
] as const;

/** DELETE a run's rows in chunks (a 1M-row single DELETE makes a huge undo log). Returns rows deleted. */
export async function deleteRunRows(
  pool: Pool,
  runId: string,
  tables: readonly string[] = RUN_TABLES,
  chunk = 50_000,
): Promise<number> {
  let total = 0;
  for (const t of tables) {
    for (;;) {
      const [res] = await pool.query(`DELETE FROM ${t} WHERE run_id = ? LIMIT ${chunk}`, [runId]);
      const n = (res as { affectedRows: number }).affectedRows;
      total += n;
      if (n < chunk) break;
    }
  }
  return total;
}

export async function deleteTopics(admin: Admin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
}

/** Unique, sortable, short: fits run_id VARCHAR(64) and topic names. */
export function uniqueTag(kind: string): string {
  return `bench-${kind}-${Date.now().toString(36)}-${Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')}`;
}

/** Poll until pred() holds; returns the time it was first seen true. */
export async function waitUntil(
  pred: () => boolean,
  what: string,
  timeoutMs: number,
  check?: () => void,
  pollMs = 5,
): Promise<number> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    check?.();
    if (pred()) return nowMs();
    if (nowMs() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** True when this module file is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  return metaUrl === pathToFileURL(resolve(arg)).href;
}

// ---------------------------------------------------------------- data

export interface GenParams {
  seed: number;
  patients: number;
  /** Readings per second of event time (patients / eventRate = seconds between a patient's readings). */
  eventRate: number;
}

/**
 * The first `count` readings of the Dataset's global round-robin stream, stamped
 * event_time = base + floor(i * 1000 / eventRate). `base` is chosen so that the last event
 * time lies at least a minute in the past: a replay of recorded data, so that a stream watermark
 * driven by idle time closes every window when input stops.
 */
export function* stampedReadings(
  p: GenParams,
  count: number,
  // Aligned to a minute, so every run puts the same readings in the same windows (windowed
  // alerts and window counts then agree between runs).
  base = Math.floor((Date.now() - Math.ceil((count * 1000) / p.eventRate) - 60_000) / 60_000) * 60_000,
): Generator<{ reading: Reading; sourceIndex: number }, void, undefined> {
  const ds = new Dataset({ seed: p.seed, patients: p.patients, sources: 3 });
  for (let i = 0; i < count; i++) {
    const partial = ds.next();
    yield {
      reading: stampEventTime(partial, base + Math.floor((i * 1000) / p.eventRate)),
      sourceIndex: partial.sourceIndex,
    };
  }
}

/** Counts distinct (patient, window) pairs per window size: the windows a complete run writes. */
export class WindowCounter {
  private readonly seen = new Map<number, Set<string>>();
  constructor(readonly sizes: readonly number[]) {
    for (const s of sizes) this.seen.set(s, new Set());
  }
  add(r: Reading): void {
    for (const s of this.sizes) this.seen.get(s)!.add(`${r.patient_id}|${Math.floor(r.event_time / (s * 1000))}`);
  }
  get total(): number {
    let n = 0;
    for (const set of this.seen.values()) n += set.size;
    return n;
  }
}
