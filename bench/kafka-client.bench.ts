/**
 * Raw Kafka client rates over the real broker, no processing: how fast each of the project's
 * clients puts the project's messages into Kafka and gets them back out, through the driver
 * interface the generator and the pipelines use (src/infra/kafka-client).
 *
 *   produce: N readings (the generator's JSON, keyed by patient_id, with the t_sent header) into
 *            a fresh 3-partition topic, as src/generators/producer.ts sends a backlog: one
 *            ClientProducer.send per request of up to 2000 messages, up to 16 in flight, acks all,
 *            no compression (open-loop-sender.ts defaults; its 2 ms linger never applies when
 *            everything is due). rate = N / (last acknowledgement - first send); generation and
 *            connect excluded (@platformatic/kafka has no connect step: it connects within the
 *            first timed send).
 *   consume: a fresh consumer group reads the topic from the beginning (eachBatch counting the
 *            messages, no commits; the consumer settings of the stream bench's raw consume).
 *            rate = N / (t_done - t_group_join), as in stream-throughput.bench.ts.
 *
 * Repetitions interleave produce and consume, and the clients, each on its own topic; each
 * produce adds N messages to the client's topic and each consume reads the first N with a new
 * group. MiB/s counts message values only.
 *
 * Run: npm run build && node dist/bench/kafka-client.bench.js [--kafka-messages 200000] [--reps 3]
 *      [--clients kafkajs,platformatic] [--patients 3000] [--event-rate 3000] [--seed 42]
 *      (env BENCH_KAFKA_MESSAGES, BENCH_REPS, BENCH_CLIENTS)
 */
import { loadServiceConfig } from '../src/config.js';
import { serializeReading } from '../src/domain/reading.js';
import { stampSentAt } from '../src/generators/producer.js';
import { createKafka, ensureTopics } from '../src/infra/kafka.js';
import { createKafkaClient, type KafkaClientName } from '../src/infra/kafka-client/index.js';
import { createPool } from '../src/infra/mysql.js';
import {
  clientLabel,
  clientsArg,
  CpuMeter,
  cpuText,
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
  waitUntil,
  type BenchRow,
  type CpuShare,
  type GenParams,
} from './common.js';
import { RAW_CONSUMER } from './stream-throughput.bench.js';

export const KAFKA_PARTITIONS = 3;
/** open-loop-sender.ts defaults: messages per request, requests in flight. */
const PER_REQUEST = 2000;
const MAX_IN_FLIGHT = 16;

export interface KafkaBenchOptions extends GenParams {
  messages: number;
  /** N of Kafka's own perf tools (kafka-tools.bench.ts), larger by default: see there. */
  toolsMessages: number;
  reps: number;
  clients: KafkaClientName[];
}

export function kafkaOptionsFromArgs(argv?: string[]): KafkaBenchOptions {
  return {
    messages: intArg('kafka-messages', 'BENCH_KAFKA_MESSAGES', 200_000, argv),
    toolsMessages: intArg('tools-messages', 'BENCH_KAFKA_TOOLS_MESSAGES', 1_000_000, argv),
    reps: intArg('reps', 'BENCH_REPS', 3, argv),
    patients: intArg('patients', 'BENCH_PATIENTS', 3000, argv),
    eventRate: intArg('event-rate', 'BENCH_EVENT_RATE', 3000, argv),
    seed: intArg('seed', 'BENCH_SEED', 42, argv),
    clients: clientsArg(argv),
  };
}

export interface BenchMessage {
  key: string;
  value: string;
}

/** The first N readings of the generator, serialised as the producer sends them. */
export function benchMessages(opts: KafkaBenchOptions, runId: string): { messages: BenchMessage[]; bytes: number } {
  const messages: BenchMessage[] = [];
  let bytes = 0;
  for (const { reading } of stampedReadings(opts, opts.messages)) {
    reading.run_id = runId; // the harness stamps every reading with its run
    const value = serializeReading(reading);
    bytes += Buffer.byteLength(value);
    messages.push({ key: String(reading.patient_id), value });
  }
  return { messages, bytes };
}

/** Unique per run: parts_<epoch ms>_<kind>. */
export const partsTopic = (kind: string): string => `parts_${Date.now()}_${kind}`;

/** The run_id stamped into the messages: the same length in every bench, so message sizes agree. */
export const partsRunId = (): string => `parts_${Date.now()}`;

export const progress = (line: string): void => {
  process.stderr.write(`[kafka-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** The timed part of one sample: wall time and CPU shares between start() and stop(). */
export class Stopwatch {
  private t0 = 0;
  private c0: ReturnType<CpuMeter['snapshot']> = null;
  seconds = NaN;
  cpu: CpuShare | undefined;
  constructor(private readonly meter: CpuMeter) {}
  get started(): boolean {
    return this.t0 > 0;
  }
  start(): void {
    if (this.started) return;
    this.t0 = nowMs();
    this.c0 = this.meter.snapshot();
  }
  stop(): void {
    const c1 = this.meter.snapshot();
    this.seconds = (nowMs() - this.t0) / 1000;
    this.cpu = CpuMeter.between(this.c0, c1);
  }
}

export interface ProduceRun {
  brokers: string[];
  topic: string;
  messages: BenchMessage[];
}

export interface ConsumeRun {
  brokers: string[];
  topic: string;
  count: number;
  groupId: string;
}

/** Sends every message in requests of `perRequest`, at most `maxInFlight` outstanding. */
async function sendAll(
  messages: BenchMessage[],
  send: (chunk: BenchMessage[]) => Promise<unknown>,
  perRequest = PER_REQUEST,
  maxInFlight = MAX_IN_FLIGHT,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  for (let i = 0; i < messages.length && !failure; i += perRequest) {
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    // Failures are caught into `failure`, so that no request's rejection goes unhandled.
    const p: Promise<void> = send(messages.slice(i, i + perRequest))
      .then(
        () => undefined,
        (e: Error) => void (failure ??= e),
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
}

/** As runOpenLoopProducer sends: each request stamped with t_sent as it is handed to the client. */
async function produce(name: KafkaClientName, run: ProduceRun, sw: Stopwatch): Promise<void> {
  const producer = await createKafkaClient(name, run.brokers, 'vitals-bench-client-produce').createProducer();
  try {
    sw.start();
    await sendAll(run.messages, (chunk) =>
      producer.send(stampSentAt([{ topic: run.topic, messages: chunk }], Date.now())),
    );
    sw.stop();
  } finally {
    await producer.close();
  }
}

async function consume(name: KafkaClientName, run: ConsumeRun, sw: Stopwatch): Promise<void> {
  const client = createKafkaClient(name, run.brokers, 'vitals-bench-client-consume');
  let count = 0;
  let fatal: Error | undefined;
  const check = (): void => {
    if (fatal) throw fatal;
  };
  const consumer = await client.createConsumer(
    { groupId: run.groupId, topics: [run.topic], ...RAW_CONSUMER },
    {
      eachBatch: async (batch) => {
        count += batch.messages.length;
      },
      onGroupJoin: () => sw.start(),
      onCrash: (e) => (fatal = e),
    },
  );
  try {
    await waitUntil(() => sw.started, `${name} consumer group join`, 60_000, check);
    await waitUntil(
      () => count >= run.count,
      `${name} consume of ${run.count} (at ${count})`,
      60_000 + run.count,
      check,
    );
    sw.stop();
  } finally {
    await consumer.stop();
  }
}

interface ClientSamples {
  produce: Stopwatch[];
  consume: Stopwatch[];
}

function sampleLine(rep: number, what: string, n: number, meanBytes: number, sw: Stopwatch): string {
  const rate = n / sw.seconds;
  return `rep ${rep} ${what.padEnd(18)} ${fmtInt(rate).padStart(8)} msg/s ${fmt1((rate * meanBytes) / 2 ** 20).padStart(6)} MiB/s (${sw.seconds.toFixed(2)} s; cpu node/kafka/db/other ${sw.cpu ? cpuText(sw.cpu) : 'n/a'} cores)`;
}

async function measureClient(
  name: KafkaClientName,
  brokers: string[],
  topic: string,
  messages: BenchMessage[],
  meanBytes: number,
  rep: number,
  meter: CpuMeter,
  groups: string[],
): Promise<{ produce: Stopwatch; consume: Stopwatch }> {
  const produced = new Stopwatch(meter);
  await produce(name, { brokers, topic, messages }, produced);
  console.log(sampleLine(rep, `${name} produce`, messages.length, meanBytes, produced));
  const groupId = `${topic}_g${rep}`;
  groups.push(groupId);
  const consumed = new Stopwatch(meter);
  await consume(name, { brokers, topic, count: messages.length, groupId }, consumed);
  console.log(sampleLine(rep, `${name} consume`, messages.length, meanBytes, consumed));
  return { produce: produced, consume: consumed };
}

/** Two rows (msg/s, MiB/s) for one operation of one source. */
function rateRows(
  bench: string,
  measure: string,
  n: number,
  meanBytes: number,
  seconds: number[],
  cpu?: CpuShare,
): BenchRow[] {
  const rates = seconds.map((s) => n / s);
  return [
    { bench, measure, unit: 'msg/s', summary: summarise(rates), cpu },
    { bench, measure, unit: 'MiB/s', summary: summarise(rates.map((r) => (r * meanBytes) / 2 ** 20)) },
  ];
}

function clientRows(name: KafkaClientName, s: ClientSamples, n: number, meanBytes: number): BenchRow[] {
  const label = clientLabel(name);
  const secs = (xs: Stopwatch[]): number[] => xs.map((x) => x.seconds);
  const cpu = (xs: Stopwatch[]): CpuShare | undefined => meanCpu(xs.map((x) => x.cpu));
  return [
    ...rateRows(
      'kafka-client',
      `${label}: produce, acks=all, ${PER_REQUEST}/request, ${MAX_IN_FLIGHT} in flight`,
      n,
      meanBytes,
      secs(s.produce),
      cpu(s.produce),
    ),
    ...rateRows(
      'kafka-client',
      `${label}: consume, eachBatch, no processing`,
      n,
      meanBytes,
      secs(s.consume),
      cpu(s.consume),
    ),
  ];
}

async function printFactsHeader(opts: KafkaBenchOptions, meanBytes: number): Promise<void> {
  const pool = createPool(loadServiceConfig().mysqlUrl, { connectionLimit: 1 });
  try {
    printHeader('kafka client raw produce/consume', await machineFacts(pool), {
      ...opts,
      meanMessageBytes: Math.round(meanBytes),
      partitions: KAFKA_PARTITIONS,
      consumer: RAW_CONSUMER,
    });
  } finally {
    await pool.end();
  }
}

export async function runKafkaClientBench(opts: KafkaBenchOptions, printFacts = true): Promise<BenchRow[]> {
  const { clients } = opts;
  const brokers = loadServiceConfig().kafkaBrokers;
  const admin = createKafka(brokers, 'vitals-bench-admin').admin();
  const topics = clients.map((c) => partsTopic(`raw_${c}`));
  const groups: string[] = [];
  const meter = new CpuMeter();
  const { messages, bytes } = benchMessages(opts, partsRunId());
  const meanBytes = bytes / messages.length;
  if (printFacts) await printFactsHeader(opts, meanBytes);
  console.log(
    `messages: ${fmtInt(messages.length)} generator readings, ${fmt1(meanBytes)} bytes of JSON each on average; topics ${topics.join(', ')}`,
  );
  try {
    await admin.connect();
    await ensureTopics(admin, { topics, partitions: KAFKA_PARTITIONS });
    const samples: ClientSamples[] = clients.map(() => ({ produce: [], consume: [] }));
    for (let rep = 1; rep <= opts.reps; rep++) {
      for (const [i, name] of clients.entries()) {
        const s = await measureClient(name, brokers, topics[i]!, messages, meanBytes, rep, meter, groups);
        samples[i]!.produce.push(s.produce);
        samples[i]!.consume.push(s.consume);
      }
    }
    const rows = clients.flatMap((c, i) => clientRows(c, samples[i]!, messages.length, meanBytes));
    printRows(
      `kafka client, N = ${fmtInt(messages.length)} messages of ${fmt1(meanBytes)} bytes per sample, ${opts.reps} samples each`,
      rows,
    );
    return rows;
  } finally {
    progress(`clean-up: topics ${topics.join(', ')}, ${groups.length} consumer groups`);
    await deleteTopics(admin, topics).catch((e: Error) => progress(`topic deletion failed: ${e.message}`));
    if (groups.length)
      await admin.deleteGroups(groups).catch((e: Error) => progress(`group deletion failed: ${e.message}`));
    await admin.disconnect().catch(() => undefined);
  }
}

if (isMain(import.meta.url)) {
  await runKafkaClientBench(kafkaOptionsFromArgs());
}
