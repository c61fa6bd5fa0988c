import { access, writeFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { loadServiceConfig } from '../config.js';
import { topicsFor } from '../domain/reading.js';
import { pollDeviceApi } from '../generators/api-poller.js';
import { startDeviceApi } from '../generators/device-api.js';
import { generateToFile, readDataset } from '../generators/files.js';
import { runOpenLoopProducer, type ProducerResult, type ReadingSource } from '../generators/producer.js';
import type { Dataset } from '../generators/dataset.js';
import { OpenLoopSchedule, ReplaySchedule, type ReplayMode, type Schedule } from '../generators/schedule.js';
import { datasetSource, replaySource } from '../generators/sources.js';
import { createKafka, ensureTopics } from '../infra/kafka.js';
import { createKafkaClient } from '../infra/kafka-client/index.js';
import { fraction, kafkaClientArg, nonNegative, positiveInt, positiveNumber, UsageError } from './args.js';
import { declareOptions, LIMITS, type ArgsOf } from './options.js';
import { fmtCount, fmtMs, fmtNum, fmtPercent, fmtSeconds } from '../harness/report/format.js';

/** The data set options of generate, produce and api (declared in parameters.ts). */
export type DatasetArgs = ArgsOf<'dataset'>;

export function datasetOptions<T>(y: Argv<T>): Argv<T & DatasetArgs> {
  return declareOptions(y, 'dataset');
}

function checkDataset(a: DatasetArgs): DatasetArgs {
  if (!Number.isSafeInteger(a.seed)) throw new UsageError(`--seed must be an integer, got ${a.seed}`);
  positiveInt('patients', a.patients);
  positiveInt('sources', a.sources);
  if (a.patients > LIMITS.patients)
    throw new UsageError(`--patients must be at most ${LIMITS.patients}, got ${a.patients}`);
  if (a.patients < a.sources)
    throw new UsageError(`--patients (${a.patients}) must be at least --sources (${a.sources})`);
  fraction('prevalence', a.prevalence);
  return a;
}

export type GenerateArgs = DatasetArgs & ArgsOf<'generate'>;

export async function generateCommand(a: GenerateArgs): Promise<void> {
  checkDataset(a);
  positiveInt('count', a.count);
  positiveNumber('rate', a.rate);
  if (a.format !== 'jsonl' && a.format !== 'csv')
    throw new UsageError(`--format must be jsonl or csv, got ${a.format}`);
  const r = await generateToFile({ ...a, format: a.format, truthOut: `${a.out}.truth.json` });
  process.stdout.write(
    `wrote ${r.count} readings to ${r.out} (${r.episodes.length} anomaly episodes in ${a.out}.truth.json)\n`,
  );
}

export type ProduceArgs = DatasetArgs & ArgsOf<'produce'>;

function parseRate(rate: string): number | 'max' {
  if (rate === 'max') return 'max';
  const r = Number(rate);
  if (!Number.isFinite(r) || r <= 0) throw new UsageError(`--rate must be a positive number or "max", got ${rate}`);
  return r;
}

export async function produceCommand(a: ProduceArgs): Promise<void> {
  const { rate, recordedTiming, total } = await checkProduceArgs(a);
  const config = loadServiceConfig();
  const kafka = createKafka(config.kafkaBrokers, 'vitals-producer');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, { topics: topicsFor(a.sources, a.topicPrefix), partitions: a.partitions });
  await admin.disconnect();
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());

  if (a.fromApi) {
    const r = await pollDeviceApi({
      kafka,
      urls: a.fromApi,
      intervalMs: a.pollMs,
      count: total ?? Infinity,
      topicPrefix: a.topicPrefix,
      signal: abort.signal,
      log: (l) => process.stderr.write(`[produce] ${l}\n`),
    });
    process.stdout.write(`sent ${r.sent} readings from ${a.fromApi.length} endpoint(s); ${r.failed} polls failed\n`);
    return;
  }

  const { source, schedule, dataset } = await loadFor(a, rate, recordedTiming, total);
  const faults =
    a.jitterMs > 0 || a.lateFraction > 0 || a.duplicateFraction > 0 || a.malformedFraction > 0
      ? {
          seed: a.seed,
          jitterMs: a.jitterMs,
          latenessMs: a.lateByMs,
          lateFraction: a.lateFraction,
          duplicateFraction: a.duplicateFraction,
          malformedFraction: a.malformedFraction,
        }
      : undefined;
  const result = await runOpenLoopProducer({
    client: createKafkaClient(kafkaClientArg(a.kafkaClient), config.kafkaBrokers, 'vitals-producer'),
    source,
    schedule,
    topicPrefix: a.topicPrefix,
    faults,
    signal: abort.signal,
    onProgress: (p) =>
      process.stderr.write(
        `[produce] ${fmtSeconds(Math.round(p.elapsedMs / 1000))}: planned ${fmtCount(p.planned)}, sent ${fmtCount(p.sent)}, acknowledged ${fmtCount(p.acknowledged)}\n`,
      ),
  });
  if (a.truthOut) {
    // The generator's ground truth of this send: parameters, timing, injected episodes and faults.
    const truth = {
      params: {
        seed: a.seed,
        patients: a.patients,
        sources: a.sources,
        prevalence: a.prevalence,
        rate: a.rate ?? null,
        replay: a.replay ?? null,
      },
      start_ms: result.startMs,
      planned: result.planned,
      acknowledged: result.acknowledgedReadings,
      episodes: dataset?.episodes() ?? [],
      faults: result.faults,
    };
    await writeFile(a.truthOut, JSON.stringify(truth, null, 2) + '\n');
  }
  process.stdout.write(produceSummary(result, rate === 'max' || recordedTiming ? null : rate));
}

/** Check the produce options; the rate ('max' for replay at recorded timing and API polling) and the count to send. */
export async function checkProduceArgs(
  a: ProduceArgs,
): Promise<{ rate: number | 'max'; recordedTiming: boolean; total: number | undefined }> {
  checkDataset(a);
  positiveInt('partitions', a.partitions);
  nonNegative('jitter-ms', a.jitterMs);
  nonNegative('late-by-ms', a.lateByMs);
  fraction('late-fraction', a.lateFraction);
  fraction('duplicate-fraction', a.duplicateFraction);
  fraction('malformed-fraction', a.malformedFraction);
  if (a.lateFraction > 0 && !(a.lateByMs > 0)) throw new UsageError('--late-fraction needs --late-by-ms > 0');
  const client = kafkaClientArg(a.kafkaClient);
  // The device-API poller is the seed's producer: kafkajs only.
  if (a.fromApi && client !== 'kafkajs') throw new UsageError('--from-api sends with kafkajs: drop --kafka-client');
  // A replay without --rate keeps its recorded timing.
  const recordedTiming = Boolean(a.replay) && (a.rate === undefined || a.rate === 'recorded');
  if (!a.replay && !a.fromApi && a.rate === undefined)
    throw new UsageError('--rate is required (readings per second, or "max")');
  const rate = a.fromApi || recordedTiming ? 'max' : parseRate(a.rate!);
  if (a.replay) {
    await access(a.replay).catch(() => {
      throw new UsageError(`--replay: cannot read ${a.replay}`);
    });
  }
  let total: number | undefined = a.count;
  if (total === undefined && a.duration !== undefined) {
    positiveNumber('duration', a.duration);
    if (rate === 'max' && !a.replay && !a.fromApi) throw new UsageError('--rate max needs --count or --replay');
    total = rate === 'max' ? undefined : Math.round(rate * a.duration);
  }
  if (total !== undefined) positiveInt('count', total);
  if (total === undefined && !a.replay) throw new UsageError('give --duration or --count (or --replay FILE)');
  return { rate, recordedTiming, total };
}

/** The readings and their schedule, starting 200 ms from now: a replayed file, or the generated data set. */
async function loadFor(
  a: ProduceArgs,
  rate: number | 'max',
  recordedTiming: boolean,
  total: number | undefined,
): Promise<{ source: ReadingSource; schedule: Schedule; dataset?: Dataset }> {
  const now = Date.now() + 200;
  if (a.replay) {
    const readings = await readDataset(a.replay);
    const recorded = readings.map((r) => r.event_time);
    const mode: ReplayMode = recordedTiming
      ? { kind: 'recorded' }
      : rate === 'max'
        ? { kind: 'max' }
        : { kind: 'rate', rate };
    const source = replaySource(total !== undefined ? readings.slice(0, total) : readings);
    return { source, schedule: new ReplaySchedule(recorded.slice(0, source.total), now, mode) };
  }
  const generated = datasetSource(a, total!);
  return {
    source: generated,
    schedule: new OpenLoopSchedule({ start: now, rate: rate as number, total }),
    dataset: generated.dataset,
  };
}

/** The lines printed at the end of `produce`; offered is null for 'max' and recorded timing. */
export function produceSummary(result: ProducerResult, offered: number | null): string {
  const seconds = (Math.max(result.lastAckMs, result.startMs + 1) - result.startMs) / 1000;
  const sd = result.sendDelay.summary();
  const achieved = result.acknowledgedReadings / seconds;
  return (
    [
      `${result.complete ? 'complete' : 'interrupted'}: ${fmtCount(result.acknowledgedReadings)} readings acknowledged in ${fmtSeconds(seconds)}`,
      `offered rate ${offered === null ? 'max' : fmtNum(offered)}/s, achieved ${fmtNum(achieved)}/s${offered ? ` (${fmtPercent(((achieved - offered) / offered) * 100)})` : ''}`,
      `send delay (t_sent - t_intended, ms, n=${fmtCount(sd.count)}): p50 ${fmtMs(sd.p50)} p99 ${fmtMs(sd.p99)} p99.9 ${fmtMs(sd.p999)} max ${fmtMs(sd.max)}`,
      result.faults ? `faults: ${JSON.stringify(result.faults.counts)}` : '',
    ]
      .filter(Boolean)
      .join('\n') + '\n'
  );
}

export type ApiArgs = DatasetArgs & ArgsOf<'api'>;

export async function apiCommand(a: ApiArgs): Promise<void> {
  checkDataset(a);
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535)
    throw new UsageError(`--port must be 0..65535, got ${a.port}`);
  const api = await startDeviceApi({ ...a });
  process.stdout.write(
    `device API on ${api.url}: GET ${Array.from({ length: a.sources }, (_, i) => `/source${i + 1}`).join(', ')}, /patient_vitals\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await api.close();
}
