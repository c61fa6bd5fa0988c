/**
 * The broker's ceiling on this machine: Kafka's own perf tools, Java clients from the jars that
 * scripts/services/kafka.sh fetches, against the same broker, on their own fresh topic.
 *
 *   produce: org.apache.kafka.tools.ProducerPerformance, N records, acks=all, no throttle; the
 *            payloads are the same generator readings as kafka-client.bench.ts (up to 10,000
 *            distinct lines in a payload file, drawn at random), no key; batch.size 256 KiB,
 *            else the Java producer's defaults (linger.ms 5, no compression, idempotent).
 *            Its own figures: records/s and MB/s (MiB) from its first send to the last ack.
 *   consume: org.apache.kafka.tools.ConsumerPerformance, N messages from the beginning with a new
 *            group: fetch.nMsg.sec and fetch.MB.sec, which leave out the group join as the
 *            kafkajs consume rate does.
 *
 * batch.size: the default 16 KiB caps the Java producer well below the broker (42-72k msg/s here
 * at 100-200k records, against 98-200k with 256 KiB); a kafkajs request of 2000 messages carries
 * about 180 KiB per partition, so 256 KiB is the comparable setting, and the ceiling.
 *
 * N (--tools-messages) is 1M by default, not the client's 200k: JVM start-up is outside both
 * figures but JIT warm-up is inside, and at 200k it caps them (here produce ~160k vs ~310k msg/s
 * at 1M, consume ~320k vs ~1M msg/s), while the kafkajs rates hardly change with N. A ceiling
 * that is the JVM warming up would be none; --tools-messages 200k gives the client's N.
 *
 * Repetitions interleave produce and consume, as in kafka-client.bench.ts. Both JVMs run as in
 * Kafka's kafka-*-perf-test.sh (-Xmx512M, G1); their CPU is in no row (the tool's own window is
 * not visible from here).
 *
 * Run: npm run build && node dist/bench/kafka-tools.bench.js [--tools-messages 1000000] [--reps 3]
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, loadServiceConfig, parseEnvFile } from '../src/config.js';
import { createKafka, ensureTopics } from '../src/infra/kafka.js';
import { deleteTopics, fmt1, fmtInt, isMain, nowMs, printRows, summarise, type BenchRow } from './common.js';
import {
  benchMessages,
  KAFKA_PARTITIONS,
  kafkaOptionsFromArgs,
  partsRunId,
  partsTopic,
  progress,
  type KafkaBenchOptions,
} from './kafka-client.bench.js';

const PAYLOAD_LINES = 10_000;
const PRODUCER_PROPS = ['acks=all', 'batch.size=262144', 'client.id=vitals-bench-perf'];
/** kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS and the perf-test scripts' heap. */
const JVM_OPTS = [
  '-Xmx512M',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
];

const run = promisify(execFile);

/** The same rule as scripts/services/kafka.sh kafka_libs: $KAFKA_HOME/libs, else <cache>/kafka/libs-<version>. */
export function kafkaLibsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KAFKA_HOME) return join(env.KAFKA_HOME, 'libs');
  const envFile = env.VITALS_ENV_FILE ?? join(cacheDir(env), 'services.env');
  const recorded = existsSync(envFile) ? parseEnvFile(readFileSync(envFile, 'utf8')).KAFKA_VERSION : undefined;
  return join(cacheDir(env), 'kafka', `libs-${env.KAFKA_VERSION ?? recorded ?? '4.1.1'}`);
}

function requireToolsJar(libs: string): string {
  const jar = existsSync(libs) ? readdirSync(libs).find((f) => /^kafka-tools-\d.*\.jar$/.test(f)) : undefined;
  if (!jar)
    throw new Error(
      `no kafka-tools jar in ${libs}: run "npm run services:up" with a local broker (it fetches the jars), or set KAFKA_HOME`,
    );
  return jar;
}

async function java(libs: string, mainClass: string, args: string[]): Promise<{ stdout: string; seconds: number }> {
  const t0 = nowMs();
  try {
    const { stdout } = await run('java', [...JVM_OPTS, '-cp', `${libs}/*`, mainClass, ...args], {
      maxBuffer: 16 * 2 ** 20,
      timeout: 300_000,
    });
    return { stdout, seconds: (nowMs() - t0) / 1000 };
  } catch (e) {
    const err = e as Error & { stderr?: string; stdout?: string };
    throw new Error(`${mainClass} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`.trim());
  }
}

export interface ToolRates {
  msgPerSec: number;
  mibPerSec: number;
  /** Everything else the tool printed that the log line shows. */
  detail: string;
}

/** ProducerPerformance's final line: "N records sent, R records/sec (M MB/sec), A ms avg latency, ..., P ms 99.9th." */
export function parseProducerPerformance(stdout: string): ToolRates {
  const line = stdout.split('\n').find((l) => / records sent, .* 50th/.test(l));
  const m = line && /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), (.*)$/.exec(line);
  if (!m) throw new Error(`no summary line in ProducerPerformance output:\n${stdout}`);
  return { msgPerSec: Number(m[1]), mibPerSec: Number(m[2]), detail: `latency ${m[3]!.replace(/\.$/, '')}` };
}

/** ConsumerPerformance's header line and the value line below it, as name -> value. */
export function parseConsumerPerformance(stdout: string): ToolRates {
  const lines = stdout.split('\n').map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith('start.time,'));
  const names = at >= 0 ? lines[at]!.split(/,\s*/) : [];
  const values = at >= 0 ? (lines[at + 1] ?? '').split(/,\s*/) : [];
  const field = (name: string): number => {
    const v = Number(values[names.indexOf(name)]);
    if (names.indexOf(name) < 0 || !Number.isFinite(v))
      throw new Error(`no ${name} in ConsumerPerformance output:\n${stdout}`);
    return v;
  };
  return {
    msgPerSec: field('fetch.nMsg.sec'),
    mibPerSec: field('fetch.MB.sec'),
    detail: `read ${field('data.consumed.in.nMsg')}, group join ${field('rebalance.time.ms')} ms, incl. join ${fmtInt(field('nMsg.sec'))} msg/s`,
  };
}

function producerPerformance(libs: string, brokers: string[], topic: string, n: number, payloadFile: string) {
  return java(libs, 'org.apache.kafka.tools.ProducerPerformance', [
    ...['--topic', topic, '--num-records', String(n), '--throughput', '-1', '--payload-file', payloadFile],
    ...['--producer-props', ...PRODUCER_PROPS, `bootstrap.servers=${brokers.join(',')}`],
  ]);
}

function consumerPerformance(libs: string, brokers: string[], topic: string, n: number, group: string) {
  return java(libs, 'org.apache.kafka.tools.ConsumerPerformance', [
    ...['--bootstrap-server', brokers.join(','), '--topic', topic, '--messages', String(n), '--group', group],
    ...['--timeout', '30000'],
  ]);
}

/** Up to PAYLOAD_LINES generator readings, one per line (JSON has no raw newlines). */
function writePayloadFile(dir: string, opts: KafkaBenchOptions): { file: string; meanBytes: number } {
  const { messages, bytes } = benchMessages(
    { ...opts, messages: Math.min(opts.toolsMessages, PAYLOAD_LINES) },
    partsRunId(),
  );
  const file = join(dir, 'payloads.txt');
  writeFileSync(file, messages.map((m) => m.value).join('\n'));
  return { file, meanBytes: bytes / messages.length };
}

function toolLine(rep: number, what: string, r: ToolRates, jvmSeconds: number): string {
  return `rep ${rep} ${what.padEnd(19)} ${fmtInt(r.msgPerSec).padStart(8)} msg/s ${fmt1(r.mibPerSec).padStart(6)} MiB/s (JVM ${jvmSeconds.toFixed(2)} s in all; ${r.detail})`;
}

function toolRows(measure: string, rates: ToolRates[]): BenchRow[] {
  return [
    { bench: 'kafka-tools', measure, unit: 'msg/s', summary: summarise(rates.map((r) => r.msgPerSec)) },
    { bench: 'kafka-tools', measure, unit: 'MiB/s', summary: summarise(rates.map((r) => r.mibPerSec)) },
  ];
}

export async function runKafkaToolsBench(opts: KafkaBenchOptions): Promise<BenchRow[]> {
  const n = opts.toolsMessages;
  const libs = kafkaLibsDir();
  const jar = requireToolsJar(libs);
  const brokers = loadServiceConfig().kafkaBrokers;
  const admin = createKafka(brokers, 'vitals-bench-admin').admin();
  const topic = partsTopic('tools');
  const groups: string[] = [];
  const dir = mkdtempSync(join(os.tmpdir(), 'vitals-kafka-tools-'));
  try {
    const payload = writePayloadFile(dir, opts);
    console.log(
      `${jar} from ${libs}; topic ${topic}; payloads: ${fmtInt(Math.min(n, PAYLOAD_LINES))} generator readings, ${fmt1(payload.meanBytes)} bytes on average`,
    );
    await admin.connect();
    await ensureTopics(admin, { topics: [topic], partitions: KAFKA_PARTITIONS });
    const produced: ToolRates[] = [];
    const consumed: ToolRates[] = [];
    for (let rep = 1; rep <= opts.reps; rep++) {
      const p = await producerPerformance(libs, brokers, topic, n, payload.file);
      produced.push(parseProducerPerformance(p.stdout));
      console.log(toolLine(rep, 'ProducerPerformance', produced.at(-1)!, p.seconds));
      const group = `${topic}_g${rep}`;
      groups.push(group);
      const c = await consumerPerformance(libs, brokers, topic, n, group);
      consumed.push(parseConsumerPerformance(c.stdout));
      console.log(toolLine(rep, 'ConsumerPerformance', consumed.at(-1)!, c.seconds));
    }
    const rows = [
      ...toolRows('ProducerPerformance (Java): produce, acks=all, batch.size 256 KiB', produced),
      ...toolRows('ConsumerPerformance (Java): consume, fetch rate (join excluded)', consumed),
    ];
    printRows(`kafka tools (the broker's ceiling), N = ${fmtInt(n)} per sample`, rows);
    return rows;
  } finally {
    progress(`clean-up: topic ${topic}, ${groups.length} consumer groups`);
    rmSync(dir, { recursive: true, force: true });
    await deleteTopics(admin, [topic]).catch((e: Error) => progress(`topic deletion failed: ${e.message}`));
    if (groups.length)
      await admin.deleteGroups(groups).catch((e: Error) => progress(`group deletion failed: ${e.message}`));
    await admin.disconnect().catch(() => undefined);
  }
}

const operation = (r: BenchRow): string | undefined => /\b(produce|consume)\b/.exec(r.measure)?.[1];

/** Sets "of ceiling" on each row to its mean over the tool row of the same operation and unit. */
export function relateToCeiling(rows: BenchRow[], ceilings: BenchRow[]): void {
  for (const r of rows) {
    const c = ceilings.find((t) => t.unit === r.unit && operation(t) !== undefined && operation(t) === operation(r));
    if (c) r.ofCeiling = r.summary.mean / c.summary.mean;
  }
}

if (isMain(import.meta.url)) {
  await runKafkaToolsBench(kafkaOptionsFromArgs());
}
