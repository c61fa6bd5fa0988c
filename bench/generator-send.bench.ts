/**
 * The load generator's CPU per reading sent, over the real broker: the bench's load-generator
 * process in one (producer-child.ts's runOpenLoopProducer: generated data set, open-loop schedule,
 * run id, warm-up, the chosen Kafka client, acks all) at a fixed rate for a while, its own
 * process.cpuUsage() from before the producer connects to the last acknowledgement, divided by
 * the readings acknowledged. Beside it: the send delay (t_sent - t_intended) and the machine's
 * load, since the figure is taken on a shared machine. Topics are fresh (bench-gensend-...) and
 * deleted at the end.
 *
 * A V8 profile of the same work: node --cpu-prof --cpu-prof-dir=DIR dist/bench/generator-send.bench.js ...
 *
 * Run: npm run build && node dist/bench/generator-send.bench.js [--rate 15000] [--duration 60] [--reps 3]
 *      [--patients <rate>] [--client kafkajs|platformatic] [--linger-ms N] [--seed 42]
 */
import os from 'node:os';
import { loadServiceConfig } from '../src/config.js';
import { topicsFor } from '../src/domain/reading.js';
import { runOpenLoopProducer } from '../src/generators/producer.js';
import { OpenLoopSchedule } from '../src/generators/schedule.js';
import { datasetSource } from '../src/generators/sources.js';
import { createKafka, ensureTopics } from '../src/infra/kafka.js';
import { createKafkaClient, type KafkaClientDriver, type KafkaClientName } from '../src/infra/kafka-client/index.js';
import { kafkaClientArg } from '../src/cli/args.js';
import {
  argValue,
  CpuMeter,
  cpuText,
  deleteTopics,
  fmt1,
  fmtInt,
  intArg,
  isMain,
  summarise,
  uniqueTag,
} from './common.js';

interface SendBenchOptions {
  rate: number;
  durationS: number;
  reps: number;
  patients: number;
  seed: number;
  client: KafkaClientName;
  /** The sender's linger interval, ms (open-loop-sender.ts's default when not given). */
  lingerMs: number | undefined;
}

function optionsFromArgs(argv?: string[]): SendBenchOptions {
  const rate = intArg('rate', 'BENCH_GEN_RATE', 15_000, argv);
  return {
    rate,
    durationS: intArg('duration', 'BENCH_GEN_DURATION', 60, argv),
    reps: intArg('reps', 'BENCH_REPS', 3, argv),
    // As the bench's default: one patient per reading per second (1 Hz monitors).
    patients: intArg('patients', 'BENCH_PATIENTS', rate, argv),
    seed: intArg('seed', 'BENCH_SEED', 42, argv),
    client: kafkaClientArg(argValue('client', 'BENCH_CLIENT', argv) ?? 'kafkajs'),
    lingerMs:
      argValue('linger-ms', undefined, argv) === undefined ? undefined : intArg('linger-ms', undefined, 0, argv),
  };
}

/** One timed send: µs of CPU per reading acknowledged, its user/system split, and what it ran beside. */
async function sendOnce(
  o: SendBenchOptions,
  brokers: string[],
  prefix: string,
): Promise<{ line: string; usPerReading: number }> {
  const total = o.rate * o.durationS;
  const meter = new CpuMeter();
  const c0 = meter.snapshot();
  const cpu0 = process.cpuUsage();
  const requests = { count: 0 };
  const result = await runOpenLoopProducer({
    client: countingRequests(createKafkaClient(o.client, brokers, 'vitals-bench-gensend'), requests),
    source: datasetSource({ seed: o.seed, patients: o.patients, sources: 3 }, total),
    // As the harness: the schedule starts a little after the process is told to (connect included).
    schedule: new OpenLoopSchedule({ start: Date.now() + 500, rate: o.rate, total }),
    topicPrefix: prefix,
    // Send delay is summarised after the warm-up: at most half the readings are warm-up.
    warmupCount: Math.min(Math.floor(total / 2), o.rate * 5),
    runId: prefix,
    ...(o.lingerMs === undefined ? {} : { lingerMs: o.lingerMs }),
  });
  const cpu = process.cpuUsage(cpu0);
  const share = CpuMeter.between(c0, meter.snapshot());
  const n = result.acknowledgedReadings;
  const perReading = (us: number): string => fmt1(us / n);
  const sd = result.sendDelay.summary();
  const line =
    `${fmtInt(n)} readings ${result.complete ? '' : '(incomplete) '}in ${fmt1((result.lastAckMs - result.startMs) / 1000)} s: ` +
    `${perReading(cpu.user + cpu.system)} µs CPU per reading (user ${perReading(cpu.user)}, system ${perReading(cpu.system)}); ` +
    `${fmt1(n / requests.count)} readings per request; send delay p50 ${fmt1(sd.p50)} p99 ${fmt1(sd.p99)} max ${fmt1(sd.max)} ms; ` +
    `machine ${share ? cpuText(share) : 'n/a'}; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}`;
  return { line, usPerReading: (cpu.user + cpu.system) / n };
}

/** The driver, its producers' requests counted. */
function countingRequests(driver: KafkaClientDriver, requests: { count: number }): KafkaClientDriver {
  return {
    ...driver,
    createProducer: async () => {
      const producer = await driver.createProducer();
      return {
        ...producer,
        send: (topicMessages) => {
          requests.count++;
          return producer.send(topicMessages);
        },
      };
    },
  };
}

async function runGeneratorSendBench(o: SendBenchOptions): Promise<void> {
  const config = loadServiceConfig();
  const kafka = createKafka(config.kafkaBrokers, 'vitals-bench-gensend-admin');
  const admin = kafka.admin();
  await admin.connect();
  console.log(
    `generator send: ${o.client}, ${fmtInt(o.rate)}/s for ${o.durationS} s, ${fmtInt(o.patients)} patients, linger ${o.lingerMs ?? 'default'} ms, Node ${process.version}`,
  );
  const perReading: number[] = [];
  try {
    for (let rep = 1; rep <= o.reps; rep++) {
      const prefix = `${uniqueTag('gensend')}-`;
      const topics = topicsFor(3, prefix);
      await ensureTopics(admin, { topics, partitions: 3 });
      try {
        const { line, usPerReading } = await sendOnce(o, config.kafkaBrokers, prefix);
        perReading.push(usPerReading);
        console.log(`rep ${rep}: ${line}`);
      } finally {
        await deleteTopics(admin, topics);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const s = summarise(perReading);
  console.log(
    `CPU per reading sent: mean ${fmt1(s.mean)} µs (${fmt1(s.min)}..${fmt1(s.max)}, sd ${fmt1(s.sd)}) over ${s.n} reps`,
  );
}

if (isMain(import.meta.url)) await runGeneratorSendBench(optionsFromArgs());
