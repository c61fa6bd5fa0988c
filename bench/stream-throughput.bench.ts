/**
 * Streaming throughput over real Kafka and MariaDB: how many readings per second a consumer
 * group gets through when the input is already waiting in Kafka (a backlog drain).
 *
 * Each measure runs with each Kafka client (src/infra/kafka-client, the driver the pipelines use):
 *   (a) raw consume: a consumer group that only reads and JSON-parses (the ceiling of this
 *       machine and client for the same consumer settings as the pipelines);
 *   (b) ingest: startIngest (validate, store every reading in patient_vitals);
 *   (c) stream: StreamPipeline, clinical profile (record rules, 30 s windows, writes).
 *
 * Definition of a sample: readings / (t_done - t_join), where t_join is the consumer's first
 * group join as the driver reports it (onGroupJoin; connect and the broker's initial rebalance
 * delay are excluded) and t_done the first 5 ms poll at which the consumer's count reached N
 * (raw: messages parsed; ingest: stats.stored + stats.rejected, i.e. committed in MySQL;
 * stream: stats.processed + stats.rejected, i.e. their record alerts committed). Every sample
 * uses a fresh consumer group (and a fresh run_id), reading the same pre-loaded topics from the
 * beginning. Repetitions interleave the measures and the clients (raw, ingest, stream of one
 * client, then of the next, then the next repetition).
 *
 * Run: npm run build && node dist/bench/stream-throughput.bench.js [--readings 300000] [--reps 3]
 *      [--clients kafkajs,platformatic] [--patients 3000] [--event-rate 3000] [--seed 42]
 *      (env BENCH_STREAM_READINGS or BENCH_READINGS, BENCH_REPS, BENCH_CLIENTS)
 */
import type { Kafka, Message } from 'kafkajs';
import { loadServiceConfig } from '../src/config.js';
import { serializeReading, topicForSource, topicsFor } from '../src/domain/reading.js';
import { createKafka, ensureTopics } from '../src/infra/kafka.js';
import {
  createKafkaClient,
  type ConsumerSettings,
  type KafkaClientDriver,
  type KafkaClientName,
} from '../src/infra/kafka-client/index.js';
import { createPool, type Pool } from '../src/infra/mysql.js';
import { SESSION_TIMEOUT_MS } from '../src/pipelines/consumer-loop.js';
import { startIngest } from '../src/pipelines/ingest.js';
import { compileRuleSet } from '../src/pipelines/rules/evaluate.js';
import { PROFILES } from '../src/pipelines/rules/profiles.js';
import { migrate } from '../src/pipelines/store/schema.js';
import { StreamPipeline } from '../src/pipelines/stream.js';
import {
  clientLabel,
  clientsArg,
  CpuMeter,
  cpuText,
  deleteRunRows,
  deleteTopics,
  fmt1,
  fmtInt,
  intArg,
  isMain,
  machineFacts,
  meanCpu,
  nowMs,
  printHeader,
  printRows,
  stampedReadings,
  summarise,
  uniqueTag,
  waitUntil,
  WindowCounter,
  type BenchRow,
  type CpuShare,
  type GenParams,
} from './common.js';

export const STREAM_TARGET = 20_000;
const SOURCES = 3;
const PARTITIONS = 3;
const LATENESS_MS = 2000; // the CLI defaults (src/cli/roles.ts)
const IDLE_MS = 1000;

/**
 * The consumer settings of src/pipelines/consumer-loop.ts, so that the raw ceiling is comparable;
 * partitionsConsumedConcurrently is its default (16 since commit 2414e8b; 1 before).
 */
export const RAW_CONSUMER: Omit<ConsumerSettings, 'groupId' | 'topics'> = {
  maxWaitMs: 100,
  maxBytesPerPartition: 512 * 1024,
  sessionTimeoutMs: SESSION_TIMEOUT_MS,
  heartbeatIntervalMs: 1_000,
  partitionsConsumedConcurrently: 16,
};

export interface StreamBenchOptions extends GenParams {
  readings: number;
  reps: number;
  clients: KafkaClientName[];
}

export function streamOptionsFromArgs(
  argv?: string[],
  readingsEnv = process.env.BENCH_STREAM_READINGS ? 'BENCH_STREAM_READINGS' : 'BENCH_READINGS',
): StreamBenchOptions {
  return {
    readings: intArg('readings', readingsEnv, 300_000, argv),
    reps: intArg('reps', 'BENCH_REPS', 3, argv),
    patients: intArg('patients', 'BENCH_PATIENTS', 3000, argv),
    eventRate: intArg('event-rate', 'BENCH_EVENT_RATE', 3000, argv),
    seed: intArg('seed', 'BENCH_SEED', 42, argv),
    clients: clientsArg(argv),
  };
}

interface Sample {
  rate: number;
  seconds: number;
  joinMs: number;
  cpu: CpuShare | undefined;
  note: string;
}

const progress = (line: string): void => {
  process.stderr.write(`[stream-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** The client, its consumers reporting their first group join time (their own handlers still called). */
export function joinTimed(client: KafkaClientDriver): { client: KafkaClientDriver; joinedAt: () => number } {
  let joinedAt = 0;
  const timed: KafkaClientDriver = {
    name: client.name,
    createProducer: () => client.createProducer(),
    createConsumer: (settings, handlers) =>
      client.createConsumer(settings, {
        ...handlers,
        onGroupJoin: (assignment) => {
          if (joinedAt === 0) joinedAt = nowMs();
          handlers.onGroupJoin(assignment);
        },
      }),
  };
  return { client: timed, joinedAt: () => joinedAt };
}

/** What every sample of one run shares. */
interface SampleContext {
  brokers: string[];
  pool: Pool;
  topics: string[];
  n: number;
  expectedWindows: number;
  meter: CpuMeter;
  /** Filled as samples start, for the clean-up. */
  runIds: string[];
  groups: string[];
}

/** A pipeline's Kafka (admin, end offsets) and the client under test, its join timed. */
function clientFor(ctx: SampleContext, name: KafkaClientName, clientId: string) {
  return { kafka: createKafka(ctx.brokers, clientId), ...joinTimed(createKafkaClient(name, ctx.brokers, clientId)) };
}

/** Plain kafkajs producer, big sendBatch calls, a few in flight: fill the topics as fast as possible. */
async function preload(
  kafka: Kafka,
  prefix: string,
  opts: StreamBenchOptions,
  windows: WindowCounter,
): Promise<{ seconds: number; bytes: number }> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 5 } });
  await producer.connect();
  const CHUNK = 10_000;
  const MAX_IN_FLIGHT = 4;
  const inFlight = new Set<Promise<void>>();
  let failure: Error | null = null;
  // A function, not inline checks: failure is set in the send callbacks, and TypeScript would keep
  // the narrowing of `failure` to null from its declaration, typing an inline check's error as never.
  const throwIfFailed = (): void => {
    if (failure) throw failure;
  };
  let acked = 0;
  let bytes = 0;
  let buffer = new Map<string, Message[]>();
  let buffered = 0;
  const t0 = nowMs();
  let lastLog = t0;
  const flush = async (): Promise<void> => {
    while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    throwIfFailed();
    const topicMessages = [...buffer].map(([topic, messages]) => ({ topic, messages }));
    const n = buffered;
    buffer = new Map();
    buffered = 0;
    const p: Promise<void> = producer
      .sendBatch({ acks: -1, topicMessages })
      .then(() => {
        acked += n;
      })
      .catch((err: Error) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (nowMs() - lastLog > 5000) {
      lastLog = nowMs();
      progress(`preload: ${fmtInt(acked)} acknowledged`);
    }
  };
  try {
    for (const { reading, sourceIndex } of stampedReadings(opts, opts.readings)) {
      windows.add(reading);
      const topic = topicForSource(sourceIndex, prefix);
      const value = serializeReading(reading);
      bytes += Buffer.byteLength(value);
      let list = buffer.get(topic);
      if (!list) buffer.set(topic, (list = []));
      list.push({ key: String(reading.patient_id), value });
      if (++buffered >= CHUNK) await flush();
    }
    if (buffered > 0) await flush();
    await Promise.all([...inFlight]);
    throwIfFailed();
  } finally {
    await Promise.allSettled([...inFlight]);
    await producer.disconnect();
  }
  if (acked !== opts.readings) throw new Error(`preload: ${acked} of ${opts.readings} acknowledged`);
  return { seconds: (nowMs() - t0) / 1000, bytes };
}

function timeoutFor(readings: number): number {
  return 120_000 + readings * 2; // i.e. gives up below ~500 readings/s
}

async function measureRaw(ctx: SampleContext, name: KafkaClientName): Promise<Sample> {
  const { client, joinedAt } = joinTimed(createKafkaClient(name, ctx.brokers, 'vitals-bench-raw'));
  const groupId = uniqueTag('raw');
  ctx.groups.push(groupId);
  let count = 0;
  let unparsable = 0;
  let fatal: Error | null = null;
  const tStart = nowMs();
  const consumer = await client.createConsumer(
    { groupId, topics: ctx.topics, ...RAW_CONSUMER },
    {
      eachBatch: async (batch) => {
        for (const m of batch.messages) {
          const o = m.value ? (JSON.parse(m.value.toString('utf8')) as { seq?: unknown }) : null;
          if (o && typeof o.seq === 'number') count++;
          else unparsable++;
        }
      },
      onGroupJoin: () => undefined,
      onCrash: (e) => (fatal = e),
    },
  );
  try {
    const check = (): void => {
      if (fatal) throw fatal;
    };
    await waitUntil(() => joinedAt() > 0, 'raw consumer group join', 60_000, check);
    const c0 = ctx.meter.snapshot();
    const tEnd = await waitUntil(
      () => count + unparsable >= ctx.n,
      `raw consume of ${ctx.n} messages (at ${count})`,
      timeoutFor(ctx.n),
      check,
    );
    const c1 = ctx.meter.snapshot();
    const seconds = (tEnd - joinedAt()) / 1000;
    return {
      rate: ctx.n / seconds,
      seconds,
      joinMs: joinedAt() - tStart,
      cpu: CpuMeter.between(c0, c1),
      note: `parsed ${count}, unparsable ${unparsable}`,
    };
  } finally {
    await consumer.stop();
  }
}

async function measureIngest(ctx: SampleContext, name: KafkaClientName): Promise<Sample> {
  const { kafka, client, joinedAt } = clientFor(ctx, name, 'vitals-bench-ingest');
  const { n, pool } = ctx;
  const runId = uniqueTag('ingest');
  ctx.runIds.push(runId);
  const groupId = `vitals-ingest-${runId}`;
  ctx.groups.push(groupId);
  let fatal: Error | null = null;
  const tStart = nowMs();
  const ingest = await startIngest({
    kafka,
    client,
    pool,
    runId,
    topics: ctx.topics,
    groupId,
    onFatal: (e) => (fatal = e),
    log: (l) => progress(`ingest: ${l}`),
  });
  const stats = ingest.stats;
  let sample: Sample;
  try {
    const check = (): void => {
      if (fatal) throw fatal;
    };
    await waitUntil(() => joinedAt() > 0, 'ingest group join', 60_000, check);
    const c0 = ctx.meter.snapshot();
    const tEnd = await waitUntil(
      () => stats.stored + stats.rejected >= n,
      `ingest of ${n} readings (at ${stats.stored})`,
      timeoutFor(n),
      check,
    );
    const c1 = ctx.meter.snapshot();
    const seconds = (tEnd - joinedAt()) / 1000;
    sample = { rate: n / seconds, seconds, joinMs: joinedAt() - tStart, cpu: CpuMeter.between(c0, c1), note: '' };
  } finally {
    await ingest.stop(); // consumer, pending group commit and the write_batches recorder
  }
  const [rows] = await pool.query('SELECT COUNT(*) AS n FROM patient_vitals WHERE run_id = ?', [runId]);
  const stored = Number((rows as Array<{ n: number }>)[0]!.n);
  sample.note = `stored ${stats.stored} in ${stats.batches} transactions (${fmt1(stats.stored / Math.max(1, stats.batches))} rows/tx), rejected ${stats.rejected}, rows in patient_vitals ${stored}${stored === n ? '' : ` != ${n}: LOSS OR DUPLICATES`}`;
  return sample;
}

type StreamSample = Sample & { windowsRate: number | null };

async function measureStream(ctx: SampleContext, name: KafkaClientName): Promise<StreamSample> {
  const { kafka, client, joinedAt } = clientFor(ctx, name, 'vitals-bench-stream');
  const { n, expectedWindows } = ctx;
  const runId = uniqueTag('stream');
  ctx.runIds.push(runId);
  const groupId = `vitals-stream-${runId}`;
  ctx.groups.push(groupId);
  let fatal: Error | null = null;
  const stream = new StreamPipeline({
    kafka,
    client,
    pool: ctx.pool,
    runId,
    topics: ctx.topics,
    ruleSet: PROFILES.clinical!,
    allowedLatenessMs: LATENESS_MS,
    idleMs: IDLE_MS,
    groupId,
    onFatal: (e) => (fatal = e),
    log: (l) => progress(`stream: ${l}`),
  });
  const tStart = nowMs();
  await stream.start();
  let sample: StreamSample;
  try {
    const check = (): void => {
      if (fatal) throw fatal;
    };
    await waitUntil(() => joinedAt() > 0, 'stream group join', 60_000, check);
    const c0 = ctx.meter.snapshot();
    const s = stream.stats;
    const tEnd = await waitUntil(
      () => s.processed + s.rejected >= n,
      `stream processing of ${n} readings (at ${s.processed})`,
      timeoutFor(n),
      check,
    );
    const c1 = ctx.meter.snapshot();
    // Secondary: until every window is written. Includes the idle time (idleMs) the watermark
    // needs to pass the last windows once input stops; late readings can leave windows unwritten.
    let windowsRate: number | null = null;
    try {
      const tWin = await waitUntil(() => s.windows >= expectedWindows, 'all windows', 15_000, check, 10);
      windowsRate = n / ((tWin - joinedAt()) / 1000);
    } catch {
      windowsRate = null;
    }
    const seconds = (tEnd - joinedAt()) / 1000;
    sample = {
      rate: n / seconds,
      seconds,
      joinMs: joinedAt() - tStart,
      cpu: CpuMeter.between(c0, c1),
      windowsRate,
      note: `processed ${s.processed}, rejected ${s.rejected}, alerts ${s.alerts}, windows ${s.windows}/${expectedWindows} expected, late readings ${s.late.length}`,
    };
  } finally {
    await stream.stop();
  }
  return sample;
}

interface ClientSamples {
  raw: Sample[];
  ingest: Sample[];
  stream: StreamSample[];
}

function sampleLine(what: string, rep: number, s: Sample): string {
  return `rep ${rep} ${what.padEnd(20)} ${fmtInt(s.rate).padStart(8)} readings/s (${s.seconds.toFixed(2)} s after join; join took ${fmtInt(s.joinMs)} ms; cpu node/kafka/db/other ${s.cpu ? cpuText(s.cpu) : 'n/a'} cores) ${s.note}`;
}

/** One repetition of the three measures with one client; each sample's rows deleted before the next. */
async function measureClientRep(ctx: SampleContext, name: KafkaClientName, rep: number, out: ClientSamples) {
  const r = await measureRaw(ctx, name);
  out.raw.push(r);
  console.log(sampleLine(`${name} raw`, rep, r));
  const i = await measureIngest(ctx, name);
  out.ingest.push(i);
  console.log(sampleLine(`${name} ingest`, rep, i));
  await deleteRunRows(ctx.pool, ctx.runIds.at(-1)!); // same starting table size for every sample (not timed)
  const s = await measureStream(ctx, name);
  out.stream.push(s);
  console.log(sampleLine(`${name} stream`, rep, s));
  if (s.windowsRate !== null)
    console.log(
      `rep ${rep} ${name} stream until all ${fmtInt(ctx.expectedWindows)} windows written: ${fmtInt(s.windowsRate)} readings/s`,
    );
  await deleteRunRows(ctx.pool, ctx.runIds.at(-1)!);
}

/** The rows of one client, "of ceiling" relative to its own raw consume (a). */
function clientRows(name: KafkaClientName, s: ClientSamples): BenchRow[] {
  const label = clientLabel(name);
  const ceiling = summarise(s.raw.map((x) => x.rate));
  const row = (measure: string, samples: Sample[], rates = samples.map((x) => x.rate)): BenchRow => {
    const summary = summarise(rates);
    return {
      bench: 'stream',
      measure: `${label}: ${measure}`,
      unit: 'readings/s',
      summary,
      ofCeiling: samples === s.raw ? undefined : summary.mean / ceiling.mean,
      target: STREAM_TARGET,
      cpu: meanCpu(samples.map((x) => x.cpu)),
    };
  };
  const rows = [
    row('(a) raw consume + JSON.parse (ceiling)', s.raw),
    row('(b) ingest -> patient_vitals', s.ingest),
    row('(c) stream clinical (processed)', s.stream),
  ];
  const winRates = s.stream.map((x) => x.windowsRate).filter((x): x is number => x !== null);
  if (winRates.length > 0)
    rows.push({
      ...row("(c') stream until all windows written", s.stream, winRates),
      target: undefined,
      cpu: undefined,
    });
  return rows;
}

async function preloadTopics(brokers: string[], prefix: string, topics: string[], opts: StreamBenchOptions) {
  const windows = new WindowCounter(compileRuleSet(PROFILES.clinical!).windowSizes);
  progress(`preloading ${fmtInt(opts.readings)} readings into ${topics.join(', ')}`);
  const pre = await preload(createKafka(brokers, 'vitals-bench-preload'), prefix, opts, windows);
  console.log(
    `preload: ${fmtInt(opts.readings)} readings (${fmt1(pre.bytes / 2 ** 20)} MiB JSON) acknowledged (acks=all) in ${pre.seconds.toFixed(2)} s = ${fmtInt(opts.readings / pre.seconds)} readings/s incl. generation (1 sample); ${fmtInt(windows.total)} windows expected`,
  );
  return windows.total;
}

export async function runStreamBench(opts: StreamBenchOptions, printFacts = true): Promise<BenchRow[]> {
  const config = loadServiceConfig();
  const pool = createPool(config.mysqlUrl, { connectionLimit: 4 });
  const admin = createKafka(config.kafkaBrokers, 'vitals-bench-admin').admin();
  const prefix = `${uniqueTag('st')}-`;
  const topics = topicsFor(SOURCES, prefix);
  const ctx: SampleContext = {
    brokers: config.kafkaBrokers,
    pool,
    topics,
    n: opts.readings,
    expectedWindows: 0,
    meter: new CpuMeter(),
    runIds: [],
    groups: [],
  };
  try {
    await migrate(pool);
    if (printFacts) {
      printHeader('stream throughput (backlog drain)', await machineFacts(pool), {
        ...opts,
        topics: `${SOURCES} x ${PARTITIONS} partitions, prefix ${prefix}`,
        profile: 'clinical',
        allowedLatenessMs: LATENESS_MS,
        idleMs: IDLE_MS,
        rawConsumer: RAW_CONSUMER,
      });
    }
    await admin.connect();
    await ensureTopics(admin, { topics, partitions: PARTITIONS });
    ctx.expectedWindows = await preloadTopics(config.kafkaBrokers, prefix, topics, opts);

    const samples = opts.clients.map((): ClientSamples => ({ raw: [], ingest: [], stream: [] }));
    for (let rep = 1; rep <= opts.reps; rep++)
      for (const [i, name] of opts.clients.entries()) await measureClientRep(ctx, name, rep, samples[i]!);

    const rows = opts.clients.flatMap((name, i) => clientRows(name, samples[i]!));
    printRows(
      `stream throughput, N = ${fmtInt(ctx.n)} pre-loaded readings per sample, ${opts.reps} samples each; rate = N / (t_done - t_group_join); ` +
        `"of ceiling" = mean / mean of the same client's (a); cpu = mean cores used during the timed part (2 = the whole machine)`,
      rows,
    );
    return rows;
  } finally {
    progress(
      `clean-up: topics ${topics.join(', ')}, ${ctx.groups.length} consumer groups, run ids ${ctx.runIds.join(', ') || '(none)'}`,
    );
    for (const runId of ctx.runIds)
      await deleteRunRows(pool, runId).catch((e: Error) => progress(`clean-up of ${runId} failed: ${e.message}`));
    await deleteTopics(admin, topics).catch((e: Error) => progress(`topic deletion failed: ${e.message}`));
    if (ctx.groups.length)
      await admin.deleteGroups(ctx.groups).catch((e: Error) => progress(`group deletion failed: ${e.message}`));
    await admin.disconnect().catch(() => undefined);
    await pool.end();
  }
}

if (isMain(import.meta.url)) {
  await runStreamBench(streamOptionsFromArgs());
}
