/**
 * Collection memory (issue 20 item 3): what the harness's collection of a run of N readings
 * takes in memory and time, without the pipelines' CPU. A synthetic but schema-true stream +
 * batch run is written straight into MariaDB (collect-memory-run.ts), then collected by
 * collectRun in a child process (collect-memory-child.ts) whose RSS this process samples from
 * /proc every SAMPLE_MS. Prints the peak RSS (sampled, and the kernel's getrusage peak), the
 * child's heap by phase, and collection time per reading. The run's rows are deleted after.
 *
 * Run: npm run bench:collect-memory -- [--readings 100000] [--patients 9] [--rate 5000] [--partitions 3]
 *      [--batch-interval 10] [--tick-ms 5] [--warmup 5] [--seed 42] [--no-sightings] [--node-flags "--max-old-space-size=256"]
 *      [--keep] (leave the run stored) [--reuse <run id>] (collect a kept run again)
 * The target: --readings 1200000 at most 400 MiB peak RSS (the harness's whole process: this
 * child holds only what collection needs, as result.ts does after the run).
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadServiceConfig } from '../src/config.js';
import { createPool, queryRows, type Pool } from '../src/infra/mysql.js';
import { PROFILES } from '../src/pipelines/rules/profiles.js';
import { migrate } from '../src/pipelines/store/schema.js';
import type { ChildJob, ChildReport } from './collect-memory-child.js';
import { writeSyntheticRun, type SyntheticRun } from './collect-memory-run.js';
import { argValue, deleteRunRows, fmt1, fmtInt, intArg, uniqueTag } from './common.js';

const SAMPLE_MS = 50;

const log = (line: string): void => {
  process.stderr.write(`[collect-memory ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

type BenchOptions = SyntheticRun & { warmupS: number; sightings: boolean };

function optionsFromArgs(argv = process.argv.slice(2)): BenchOptions {
  const rate = intArg('rate', undefined, 5000, argv);
  const readings = intArg('readings', 'BENCH_READINGS', 100_000, argv);
  return {
    runId: uniqueTag('collect-mem'),
    dataset: {
      seed: intArg('seed', undefined, 42, argv),
      patients: intArg('patients', undefined, 9, argv),
      sources: 3,
      prevalence: 0.05,
    },
    rate,
    readings,
    partitions: intArg('partitions', undefined, 3, argv),
    batchIntervalS: intArg('batch-interval', undefined, 10, argv),
    // A whole second, so that window starts fall on whole milliseconds.
    startMs: Math.floor((Date.now() - Math.ceil((readings * 1000) / rate) - 120_000) / 1000) * 1000,
    ruleSet: PROFILES.clinical!,
    topicPrefix: 'collect_mem_',
    tickMs: intArg('tick-ms', undefined, 5, argv),
    warmupS: intArg('warmup', undefined, 5, argv),
    sightings: !argv.includes('--no-sightings'),
  };
}

/** VmRSS of a live process, bytes (undefined once it is gone). */
function rssOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Collects the run in a child with the given node flags, sampling its RSS. */
function collectInChild(
  job: ChildJob,
  nodeFlags: string[],
): Promise<{ report: ChildReport; peak: number; samples: number }> {
  const child = fork(fileURLToPath(new URL('./collect-memory-child.js', import.meta.url)), [JSON.stringify(job)], {
    execArgv: nodeFlags,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let peak = 0;
  let samples = 0;
  const timer = setInterval(() => {
    const rss = rssOf(child.pid!);
    if (rss === undefined) return;
    samples++;
    peak = Math.max(peak, rss);
  }, SAMPLE_MS);
  return new Promise((resolve, reject) => {
    let report: ChildReport | undefined;
    child.on('message', (m) => (report = m as ChildReport));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (report && code === 0) resolve({ report, peak, samples });
      else reject(new Error(`the collection child ended with ${signal ?? `exit code ${code}`} and no report`));
    });
  });
}

function printReport(
  opts: ReturnType<typeof optionsFromArgs>,
  flags: string[],
  r: ChildReport,
  peak: number,
  samples: number,
): void {
  const mib = (b: number): string => fmtInt(b / (1024 * 1024));
  console.log(
    `\nCollection memory: ${fmtInt(opts.readings)} readings (${fmtInt(r.stored)} stored), ${opts.dataset.patients} patients, ` +
      `${fmtInt(opts.rate)}/s, stream + batch, ${opts.sightings ? 'with' : 'without'} sightings, node flags: ${flags.join(' ') || 'none'}`,
  );
  console.log('| phase | RSS (MiB) | heap used (MiB) | external (MiB) |');
  console.log('|---|---:|---:|---:|');
  for (const p of r.phases)
    console.log(`| ${p.phase} | ${fmtInt(p.rssMiB)} | ${fmtInt(p.heapUsedMiB)} | ${fmtInt(p.externalMiB)} |`);
  console.log(
    `\npeak RSS: ${mib(peak)} MiB sampled every ${SAMPLE_MS} ms (${fmtInt(samples)} samples); ${fmtInt(r.maxRssMiB)} MiB by getrusage`,
  );
  console.log(`peak heap used: ${fmtInt(r.peakHeapUsedMiB)} MiB`);
  console.log(
    `collection: ${fmt1(r.collectMs / 1000)} s, ${fmt1((r.collectMs * 1000) / Math.max(1, r.stored))} µs per stored reading`,
  );
}

async function cleanUp(pool: Pool, runId: string): Promise<void> {
  await deleteRunRows(pool, runId);
  await pool.query('DELETE FROM runs WHERE run_id = ?', [runId]);
}

/** A synthetic run kept by an earlier --keep, to measure again without writing it again. */
async function keptRun(pool: Pool, runId: string, fresh: BenchOptions): Promise<BenchOptions> {
  const rows = await queryRows(pool, 'SELECT parameters FROM runs WHERE run_id = ?', [runId], (r) => r.parameters);
  const stored = (typeof rows[0] === 'string' ? JSON.parse(rows[0]) : rows[0]) as
    { synthetic?: SyntheticRun } | undefined;
  if (!stored?.synthetic) throw new Error(`--reuse: no synthetic run ${runId} is stored (write one with --keep)`);
  return { ...stored.synthetic, warmupS: fresh.warmupS, sightings: fresh.sightings };
}

async function main(): Promise<void> {
  const flags = (argValue('node-flags') ?? '').split(/\s+/).filter(Boolean);
  const reuse = argValue('reuse');
  const pool = createPool(loadServiceConfig().mysqlUrl, { connectionLimit: 2 });
  let opts = optionsFromArgs();
  try {
    await migrate(pool);
    if (reuse) opts = await keptRun(pool, reuse, opts);
    else {
      log(`writing ${fmtInt(opts.readings)} readings as run ${opts.runId}`);
      await writeSyntheticRun(pool, opts, log);
    }
    log(`collecting run ${opts.runId} in a child process`);
    const { warmupS, sightings, runId, dataset, rate, readings: planned, startMs, ruleSet } = opts;
    const capacity = argValue('capacity-ranges');
    const job: ChildJob = {
      ...{ runId, dataset, rate, planned, startMs, warmupS, ruleSet, sightings },
      ...(capacity ? { tuning: { capacityRanges: Number(capacity) } } : {}),
    };
    const { report, peak, samples } = await collectInChild(job, flags);
    printReport(opts, flags, report, peak, samples);
  } finally {
    if (!process.argv.includes('--keep') && !reuse) await cleanUp(pool, opts.runId);
    await pool.end();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
