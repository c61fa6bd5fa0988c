/**
 * Batch throughput over real MariaDB: N stored readings of one fresh run_id, then
 *
 *   (a) bulk insert (once): multi-row INSERTs of N rows into patient_vitals from one
 *       connection, autocommit per statement: the MariaDB write ceiling for these rows.
 *       rows/s = N / sum of the INSERT statements' round-trip times (generation excluded);
 *   (b) read ceiling: SELECT of the worker's columns FROM patient_vitals WHERE run_id = ?,
 *       fetched (buffered, as the worker does) and streamed (row events), rows/s = N / time;
 *   (c) BatchPipeline.runPass(true) (clinical profile) with 1 and 2 Piscina threads:
 *       readings/s = PassResult.readings / (endedAt - startedAt) — every stored reading
 *       through record rules, 30 s windows and the alert/window writes, committed.
 *
 * Each (b) and (c) sample repeats R times, interleaved (threads 1, threads 2, threads 1, ...);
 * before every pass the run's batch outputs are deleted (not timed), so each pass writes
 * into the same, empty, output state. A new BatchPipeline per sample: its first pass
 * (ingestLo 0) reads everything, as a one-off nightly batch would.
 *
 * Run: npm run build && node dist/bench/batch-throughput.bench.js [--readings 1000000] [--reps 3]
 *      [--patients 3000] [--event-rate 3000] [--insert-chunk 5000] [--seed 42]  (env BENCH_BATCH_READINGS or BENCH_READINGS, BENCH_REPS)
 */
import type { Readable } from 'node:stream';
import { loadServiceConfig } from '../src/config.js';
import { topicForSource } from '../src/domain/reading.js';
import { createPool, type Pool } from '../src/infra/mysql.js';
import { BatchPipeline, type PassResult } from '../src/pipelines/batch/batch.js';
import { compileRuleSet } from '../src/pipelines/rules/evaluate.js';
import { PROFILES } from '../src/pipelines/rules/profiles.js';
import { VITALS_COLUMNS, vitalsRow } from '../src/pipelines/rows.js';
import { migrate } from '../src/pipelines/store/schema.js';
import {
  CpuMeter,
  cpuText,
  deleteRunRows,
  fmt1,
  fmtInt,
  intArg,
  isMain,
  machineFacts,
  meanCpu,
  nowMs,
  printHeader,
  printRows,
  sleep,
  stampedReadings,
  summarise,
  uniqueTag,
  WindowCounter,
  type BenchRow,
  type CpuShare,
  type GenParams,
} from './common.js';

export const BATCH_TARGET = 100_000;
const LATENESS_MS = 2000;
const THREADS = [1, 2];
/** The columns BatchTask reads (src/pipelines/batch/worker.ts). */
const WORKER_COLUMNS = `patient_id, seq, ingest_id, source, event_time, heart_rate, body_temperature,
  blood_pressure_systolic, blood_pressure_diastolic, spo2_level`;

export interface BatchBenchOptions extends GenParams {
  readings: number;
  reps: number;
  insertChunk: number;
}

export function batchOptionsFromArgs(
  argv?: string[],
  readingsEnv = process.env.BENCH_BATCH_READINGS ? 'BENCH_BATCH_READINGS' : 'BENCH_READINGS',
): BatchBenchOptions {
  return {
    readings: intArg('readings', readingsEnv, 1_000_000, argv),
    reps: intArg('reps', 'BENCH_REPS', 3, argv),
    patients: intArg('patients', 'BENCH_PATIENTS', 3000, argv),
    eventRate: intArg('event-rate', 'BENCH_EVENT_RATE', 3000, argv),
    insertChunk: intArg('insert-chunk', 'BENCH_INSERT_CHUNK', 5000, argv),
    seed: intArg('seed', 'BENCH_SEED', 42, argv),
  };
}

const progress = (line: string): void => {
  process.stderr.write(`[batch-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

async function bulkLoad(
  pool: Pool,
  runId: string,
  opts: BatchBenchOptions,
  windows: WindowCounter,
): Promise<{ seconds: number; wallSeconds: number; chunkRates: number[] }> {
  const conn = await pool.getConnection();
  const offsets = new Map<string, number>();
  const chunkRates: number[] = [];
  let queryMs = 0;
  let rows: unknown[][] = [];
  const t0 = nowMs();
  let lastLog = t0;
  let done = 0;
  const flush = async (): Promise<void> => {
    const t = nowMs();
    await conn.query(`INSERT INTO patient_vitals ${VITALS_COLUMNS} VALUES ?`, [rows]);
    const ms = nowMs() - t;
    queryMs += ms;
    chunkRates.push(rows.length / (ms / 1000));
    done += rows.length;
    rows = [];
    if (nowMs() - lastLog > 10_000) {
      lastLog = nowMs();
      progress(`insert: ${fmtInt(done)} rows`);
    }
  };
  try {
    for (const { reading, sourceIndex } of stampedReadings(opts, opts.readings)) {
      windows.add(reading);
      const topic = topicForSource(sourceIndex, 'bench-');
      const partition = reading.patient_id % 3;
      const key = `${topic}:${partition}`;
      const offset = offsets.get(key) ?? 0;
      offsets.set(key, offset + 1);
      rows.push(vitalsRow(runId, reading, topic, partition, offset, reading.event_time + 3));
      if (rows.length >= opts.insertChunk) await flush();
    }
    if (rows.length) await flush();
  } finally {
    conn.release();
  }
  return { seconds: queryMs / 1000, wallSeconds: (nowMs() - t0) / 1000, chunkRates };
}

interface ReadSample {
  rate: number;
  rows: number;
  cpu: CpuShare | undefined;
}

async function readBuffered(pool: Pool, runId: string, meter: CpuMeter): Promise<ReadSample> {
  const c0 = meter.snapshot();
  const t = nowMs();
  const [rows] = await pool.query(`SELECT ${WORKER_COLUMNS} FROM patient_vitals WHERE run_id = ?`, [runId]);
  const ms = nowMs() - t;
  const n = (rows as unknown[]).length;
  return { rate: n / (ms / 1000), rows: n, cpu: CpuMeter.between(c0, meter.snapshot()) };
}

async function readStreamed(pool: Pool, runId: string, meter: CpuMeter): Promise<ReadSample> {
  const conn = await pool.getConnection();
  try {
    const core = conn.connection as unknown as {
      query(sql: string, values: unknown[]): { stream(o?: { highWaterMark?: number }): Readable };
    };
    const c0 = meter.snapshot();
    const t = nowMs();
    let n = 0;
    for await (const row of core
      .query(`SELECT ${WORKER_COLUMNS} FROM patient_vitals WHERE run_id = ?`, [runId])
      .stream({ highWaterMark: 1000 })) {
      if (row) n++;
    }
    const ms = nowMs() - t;
    return { rate: n / (ms / 1000), rows: n, cpu: CpuMeter.between(c0, meter.snapshot()) };
  } finally {
    conn.release();
  }
}

/**
 * Diagnostic: the statements a pass runs before any worker reads its rows, copied from
 * BatchPipeline.pass() (src/pipelines/batch/batch.ts) and the worker's MIN(event_time)
 * (src/pipelines/batch/worker.ts, for the whole patient range), timed one after another.
 */
async function preambleMs(pool: Pool, runId: string): Promise<{ maxMs: number; distinctMs: number; minMs: number }> {
  let t = nowMs();
  const [hiRows] = await pool.query(
    'SELECT COALESCE(MAX(ingest_id), 0) AS hi, COALESCE(MAX(event_time), -1) AS wm FROM patient_vitals WHERE run_id = ?',
    [runId],
  );
  const maxMs = nowMs() - t;
  const hi = Number((hiRows as Array<{ hi: number }>)[0]!.hi);
  t = nowMs();
  await pool.query('SELECT DISTINCT patient_id FROM patient_vitals WHERE run_id = ? ORDER BY patient_id', [runId]);
  const distinctMs = nowMs() - t;
  t = nowMs();
  await pool.query(
    `SELECT MIN(event_time) AS t FROM patient_vitals
      WHERE run_id = ? AND patient_id BETWEEN ? AND ? AND ingest_id > ? AND ingest_id <= ?`,
    [runId, 0, 2 ** 31 - 1, 0, hi],
  );
  return { maxMs, distinctMs, minMs: nowMs() - t };
}

async function deleteBatchOutputs(pool: Pool, runId: string): Promise<void> {
  await deleteRunRows(pool, runId, ['alerts', 'window_stats', 'write_batch_ranges', 'write_batches']);
}

interface PassSample {
  rate: number;
  pass: PassResult;
  cpu: CpuShare | undefined;
  wallMs: number;
}

async function timedPass(
  pool: Pool,
  mysqlUrl: string,
  runId: string,
  threads: number,
  meter: CpuMeter,
): Promise<PassSample> {
  await deleteBatchOutputs(pool, runId);
  const pipeline = new BatchPipeline({
    pool,
    mysqlUrl,
    runId,
    ruleSet: PROFILES.clinical!,
    allowedLatenessMs: LATENESS_MS,
    threads,
  });
  try {
    await sleep(1000); // let Piscina start its threads and load the worker module (not timed)
    const c0 = meter.snapshot();
    const t = nowMs();
    const pass = await pipeline.runPass(true);
    const wallMs = nowMs() - t;
    const cpu = CpuMeter.between(c0, meter.snapshot());
    if (!pass) throw new Error('final pass returned null');
    return { rate: pass.readings / ((pass.endedAt - pass.startedAt) / 1000), pass, cpu, wallMs };
  } finally {
    await pipeline.close();
  }
}

/** What the timed steps of one batch bench measured, in the order they ran. */
interface BatchMeasured {
  load: LoadSample;
  buffered: ReadSample[];
  streamed: ReadSample[];
  pre: Preamble[];
  passes: Map<number, PassSample[]>;
}

interface LoadSample {
  seconds: number;
  wallSeconds: number;
  chunkRates: number[];
  cpu: CpuShare | undefined;
}

type Preamble = Awaited<ReturnType<typeof preambleMs>>;

export async function runBatchBench(opts: BatchBenchOptions, printFacts = true): Promise<BenchRow[]> {
  const config = loadServiceConfig();
  const pool = createPool(config.mysqlUrl, { connectionLimit: 4 });
  const runId = uniqueTag('batch');
  const meter = new CpuMeter();
  try {
    await migrate(pool);
    if (printFacts) {
      printHeader('batch throughput', await machineFacts(pool), {
        ...opts,
        runId,
        profile: 'clinical',
        allowedLatenessMs: LATENESS_MS,
        threads: THREADS,
      });
    }
    const windows = new WindowCounter(compileRuleSet(PROFILES.clinical!).windowSizes);
    const load = await loadStep(pool, runId, opts, windows, meter);
    const { buffered, streamed } = await readStep(pool, runId, opts, meter);
    const pre = await preambleStep(pool, runId, opts);
    const passes = await passStep(pool, config.mysqlUrl, runId, opts, windows, meter);
    const rows = batchRows(opts, { load, buffered, streamed, pre, passes });
    printBatchRows(opts, load, rows);
    return rows;
  } finally {
    await cleanUp(pool, runId);
  }
}

/** (a) The bulk INSERT of the readings, timed per statement. */
async function loadStep(
  pool: Pool,
  runId: string,
  opts: BatchBenchOptions,
  windows: WindowCounter,
  meter: CpuMeter,
): Promise<LoadSample> {
  progress(`inserting ${fmtInt(opts.readings)} rows for run ${runId}`);
  const c0 = meter.snapshot();
  const load = await bulkLoad(pool, runId, opts, windows);
  const loadCpu = CpuMeter.between(c0, meter.snapshot());
  const chunks = summarise(load.chunkRates);
  console.log(
    `insert: ${fmtInt(opts.readings)} rows in ${load.chunkRates.length} INSERTs of ${fmtInt(opts.insertChunk)} rows: ${fmtInt(opts.readings / load.seconds)} rows/s over the statements' time (${load.seconds.toFixed(2)} s; ` +
      `${load.wallSeconds.toFixed(2)} s wall incl. generation); per statement mean ${fmtInt(chunks.mean)}, min ${fmtInt(chunks.min)}, max ${fmtInt(chunks.max)} rows/s; ` +
      `cpu node/kafka/db/other ${loadCpu ? cpuText(loadCpu) : 'n/a'} cores; ${fmtInt(windows.total)} windows expected`,
  );
  return { ...load, cpu: loadCpu };
}

/** (b) The run's rows read back, fetched and streamed, `reps` times each. */
async function readStep(
  pool: Pool,
  runId: string,
  opts: BatchBenchOptions,
  meter: CpuMeter,
): Promise<{ buffered: ReadSample[]; streamed: ReadSample[] }> {
  const buffered: ReadSample[] = [];
  const streamed: ReadSample[] = [];
  for (let rep = 1; rep <= opts.reps; rep++) {
    const b = await readBuffered(pool, runId, meter);
    buffered.push(b);
    const s = await readStreamed(pool, runId, meter);
    streamed.push(s);
    console.log(
      `rep ${rep} read: fetched ${fmtInt(b.rate)} rows/s (${fmtInt(b.rows)} rows), streamed ${fmtInt(s.rate)} rows/s (${fmtInt(s.rows)} rows)`,
    );
  }
  return { buffered, streamed };
}

/** (diag) The statements a pass runs before its workers read, `reps` times. */
async function preambleStep(pool: Pool, runId: string, opts: BatchBenchOptions): Promise<Preamble[]> {
  const pre: Preamble[] = [];
  for (let rep = 1; rep <= opts.reps; rep++) pre.push(await preambleMs(pool, runId));
  const preMax = summarise(pre.map((x) => x.maxMs));
  const preDistinct = summarise(pre.map((x) => x.distinctMs));
  const preMin = summarise(pre.map((x) => x.minMs));
  console.log(
    `pass preamble (diagnostic, ${pre.length} samples, ms mean [min..max]): MAX(ingest_id), MAX(event_time) ${fmt1(preMax.mean)} [${fmt1(preMax.min)}..${fmt1(preMax.max)}]; ` +
      `DISTINCT patient_id ${fmt1(preDistinct.mean)} [${fmt1(preDistinct.min)}..${fmt1(preDistinct.max)}]; worker MIN(event_time) over all patients ${fmt1(preMin.mean)} [${fmt1(preMin.min)}..${fmt1(preMin.max)}]`,
  );
  return pre;
}

/** (c) A full batch pass over the stored readings, per thread count, `reps` times each. */
async function passStep(
  pool: Pool,
  mysqlUrl: string,
  runId: string,
  opts: BatchBenchOptions,
  windows: WindowCounter,
  meter: CpuMeter,
): Promise<Map<number, PassSample[]>> {
  const passes = new Map<number, PassSample[]>(THREADS.map((t) => [t, []]));
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const threads of THREADS) {
      const s = await timedPass(pool, mysqlUrl, runId, threads, meter);
      passes.get(threads)!.push(s);
      const p = s.pass;
      const ok = p.readings === opts.readings && p.windows === windows.total;
      console.log(
        `rep ${rep} batch threads=${threads}: ${fmtInt(s.rate)} readings/s (${p.readings} readings, ${p.alerts} alerts, ${p.windows}/${windows.total} windows in ${fmtInt(p.endedAt - p.startedAt)} ms; ` +
          `cpu node/kafka/db/other ${s.cpu ? cpuText(s.cpu) : 'n/a'} cores)${ok ? '' : ' MISMATCH: readings or windows differ from what was stored'}`,
      );
    }
  }
  return passes;
}

/** The bench's table: (a), (b) fetched and streamed, the preamble, and (c) per thread count. */
function batchRows(opts: BatchBenchOptions, m: BatchMeasured): BenchRow[] {
  const readCeiling = summarise(m.buffered.map((s) => s.rate));
  const rows: BenchRow[] = [
    {
      bench: 'batch',
      measure: `(a) bulk INSERT, ${fmtInt(opts.insertChunk)} rows/statement`,
      unit: 'rows/s',
      summary: summarise([opts.readings / m.load.seconds]),
      cpu: m.load.cpu,
    },
    {
      bench: 'batch',
      measure: '(b) SELECT run rows, fetched (ceiling)',
      unit: 'rows/s',
      summary: readCeiling,
      cpu: meanCpu(m.buffered.map((s) => s.cpu)),
    },
    {
      bench: 'batch',
      measure: '(b) SELECT run rows, streamed',
      unit: 'rows/s',
      summary: summarise(m.streamed.map((s) => s.rate)),
      cpu: meanCpu(m.streamed.map((s) => s.cpu)),
    },
  ];
  rows.push({
    bench: 'batch',
    measure: '(diag) pass preamble: MAX + DISTINCT + MIN',
    unit: 'ms',
    summary: summarise(m.pre.map((x) => x.maxMs + x.distinctMs + x.minMs)),
  });
  for (const threads of THREADS) {
    const xs = m.passes.get(threads)!;
    const s = summarise(xs.map((x) => x.rate));
    rows.push({
      bench: 'batch',
      measure: `(c) runPass(true), threads=${threads}`,
      unit: 'readings/s',
      summary: s,
      ofCeiling: s.mean / readCeiling.mean,
      target: BATCH_TARGET,
      cpu: meanCpu(xs.map((x) => x.cpu)),
    });
  }
  return rows;
}

function printBatchRows(opts: BatchBenchOptions, load: LoadSample, rows: BenchRow[]): void {
  const chunks = summarise(load.chunkRates);
  printRows(
    `batch throughput, N = ${fmtInt(opts.readings)} stored readings (${fmtInt(opts.patients)} patients, ${fmtInt(opts.eventRate)} readings/s of event time); ` +
      `(a) 1 sample, (b) and (c) ${opts.reps} samples each; "of ceiling" = mean / mean of (b) fetched; cpu = mean cores used during the timed part`,
    rows,
  );
  console.log(
    `(per-statement INSERT rates over ${chunks.n} statements: mean ${fmtInt(chunks.mean)}, min ${fmtInt(chunks.min)}, max ${fmtInt(chunks.max)}, sd ${fmt1((chunks.sd / chunks.mean) * 100)}% of mean)`,
  );
}

/** Deletes the run's rows (a failure is reported, not thrown) and ends the pool. */
async function cleanUp(pool: Pool, runId: string): Promise<void> {
  progress(`clean-up: run ${runId}`);
  const t = nowMs();
  const deleted = await deleteRunRows(pool, runId).catch((e: Error) => {
    progress(`clean-up failed: ${e.message}`);
    return -1;
  });
  progress(`clean-up: ${fmtInt(deleted)} rows deleted in ${((nowMs() - t) / 1000).toFixed(1)} s`);
  await pool.end();
}

if (isMain(import.meta.url)) {
  await runBatchBench(batchOptionsFromArgs());
}
