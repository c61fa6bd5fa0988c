import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadServiceConfig, PROJECT_ROOT } from '../config.js';
import { topicsFor } from '../domain/reading.js';
import type { ProducerResult } from '../generators/producer.js';
import { OpenLoopSchedule } from '../generators/schedule.js';
import { consumerLag, createKafka, endOffsets, recreateTopics } from '../infra/kafka.js';
import { createPool, type Pool } from '../infra/mysql.js';
import type { ChildMessage } from '../pipelines/ipc.js';
import { loadRuleSet } from '../pipelines/rules/parse.js';
import type { RuleSet } from '../pipelines/rules/types.js';
import type { LateReadingNote } from '../pipelines/stream.js';
import { migrate } from '../pipelines/store/schema.js';
import { isFinalDone, isLate, isReady, PipelineProcess } from './children.js';
import { runLoadProcess } from './producer-process.js';
import { collectRun } from './collect.js';
import { collectEnvironment } from './environment.js';
import { buildGroundTruth } from './ground-truth.js';
import { computeRunResult, type BacklogSample, type Mode } from './metrics.js';
import type { Progress } from './progress.js';
import type { RunResult } from './results.js';
import { writeRunReport } from './report/write.js';

export interface RunOptions {
  rate: number;
  /** Measured phase, seconds (after the warm-up). */
  duration: number;
  warmup: number;
  patients: number;
  sources: number;
  partitions: number;
  rules: string;
  batchInterval: number;
  threads: number;
  seed: number;
  prevalence: number;
  modes: Mode[];
  latenessMs: number;
  idleMs: number;
  topicPrefix: string;
  /** Folder the run's folder is created in. */
  outDir: string;
  label?: string;
}

export interface RunOutcome {
  dir: string;
  result: RunResult;
}

/** A run: fresh topics and run_id, pipelines forked, open-loop load, drain, collect, report. */
export async function runOnce(opts: RunOptions, progress: Progress, signal: AbortSignal): Promise<RunOutcome> {
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19)}_${randomBytes(3).toString('hex')}`;
  const dir = join(opts.outDir, opts.label ? `${runId}_${opts.label}` : runId);
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'pipelines.log');
  const log = (line: string): void => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  const ruleSet = await loadRuleSet(opts.rules);
  const config = loadServiceConfig();
  const pool = createPool(config.mysqlUrl);
  const kafka = createKafka(config.kafkaBrokers, 'vitals-harness');
  const admin = kafka.admin();
  const children: PipelineProcess[] = [];
  const failures: string[] = [];
  let producer: ProducerResult | undefined;
  let complete = true;
  let incompleteReason: string | undefined;
  const backlog: BacklogSample[] = [];
  let streamLate: LateReadingNote[] = [];
  const batchPasses: NonNullable<RunResult['batch_passes']> = [];
  const topics = topicsFor(opts.sources, opts.topicPrefix);
  let sampling = false;
  let sampler: Promise<void> = Promise.resolve();
  try {
    await migrate(pool);
    await admin.connect();
    const environment = await collectEnvironment(pool);
    const parameters = { ...opts, rules_resolved: ruleSet, run_id: runId, topics };
    await pool.query('INSERT INTO runs (run_id, status, parameters, environment) VALUES (?, ?, ?, ?)', [runId, 'running', JSON.stringify(parameters), JSON.stringify(environment)]);
    progress.log(`[bench] run ${runId}: rate ${opts.rate}/s, ${opts.warmup} s warm-up + ${opts.duration} s measured, ${opts.patients} patients, rules ${ruleSet.name}, modes ${opts.modes.join('+')}`);
    await recreateTopics(admin, { topics, partitions: opts.partitions });

    const common = ['--run-id', runId, '--sources', String(opts.sources), '--partitions', String(opts.partitions), '--topic-prefix', opts.topicPrefix,
      '--rules', opts.rules, '--lateness-ms', String(opts.latenessMs), '--idle-ms', String(opts.idleMs)];
    const ingest = new PipelineProcess('ingest', common, (l) => log(`[ingest] ${l}`));
    children.push(ingest);
    const stream = opts.modes.includes('stream') ? new PipelineProcess('stream', common, (l) => log(`[stream] ${l}`)) : undefined;
    if (stream) children.push(stream);
    const batch = opts.modes.includes('batch')
      ? new PipelineProcess('batch', [...common, '--threads', String(opts.threads), '--every', String(opts.batchInterval)], (l) => log(`[batch] ${l}`))
      : undefined;
    if (batch) children.push(batch);
    await Promise.all(children.map((c) => c.waitFor(isReady, 90_000, 'ready signal')));

    let batchProcessed = 0;
    batch?.on((m: ChildMessage) => {
      if (m.type !== 'pass') return;
      batchProcessed += m.pass.readings;
      const p = m.pass;
      batchPasses.push({ pass: p.pass, readings: p.readings, alerts: p.alerts, windows: p.windows, duration_ms: p.endedAt - p.startedAt, final: p.final });
    });
    const storedByIngest = (): number => (ingest.lastStats?.type === 'stats' && ingest.lastStats.role === 'ingest' ? ingest.lastStats.stats.stored : 0);
    const sampleBacklog = async (): Promise<Record<string, number>> => {
      const b: Record<string, number> = { ingest: await consumerLag(admin, `vitals-ingest-${runId}`, topics) };
      if (stream) {
        // The stream commits offsets only up to its oldest open window (for recovery), so its
        // backlog is measured from what it has read, which it reports itself.
        const stats = stream.lastStats?.type === 'stats' && stream.lastStats.role === 'stream' ? stream.lastStats.stats : undefined;
        let lag = 0;
        for (const [key, end] of await endOffsets(admin, topics)) lag += Math.max(0, end - (stats?.positions[key] ?? 0));
        b.stream = lag;
      }
      if (batch) b.batch = Math.max(0, storedByIngest() - batchProcessed);
      return b;
    };

    const total = Math.round(opts.rate * (opts.warmup + opts.duration));
    const totalSeconds = opts.warmup + opts.duration;
    // Started a moment ahead, so the load process is connected when reading 0 is due.
    const schedule = new OpenLoopSchedule({ start: Date.now() + 1500, rate: opts.rate, total });
    let lastProgress = { planned: 0, acknowledged: 0, elapsedMs: 0 };
    sampling = true;
    sampler = (async () => {
      while (sampling) {
        const at = Date.now();
        try {
          const b = await sampleBacklog();
          backlog.push({ at, backlog: b });
          const elapsedS = Math.max(0, (at - schedule.start) / 1000);
          progress.update({
            phase: elapsedS < opts.warmup ? 'warm-up' : elapsedS < totalSeconds ? 'measuring' : 'draining',
            elapsedS, totalS: totalSeconds,
            offered: lastProgress.elapsedMs > 0 ? lastProgress.planned / (lastProgress.elapsedMs / 1000) : 0,
            achieved: lastProgress.elapsedMs > 0 ? lastProgress.acknowledged / (lastProgress.elapsedMs / 1000) : 0,
            backlog: b,
          });
        } catch (err) {
          log(`[harness] backlog sample failed: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - at))));
      }
    })();

    const pipelineDied = new Promise<never>((_, reject) => {
      for (const c of children) c.child.once('exit', (code) => {
        if (sampling) reject(new Error(`${c.role} pipeline exited (code ${code}) during the run${c.fatal ? `: ${c.fatal}` : ''}; see ${logFile}`));
      });
    });
    pipelineDied.catch(() => undefined);

    producer = await Promise.race([
      runLoadProcess({
        brokers: config.kafkaBrokers, seed: opts.seed, patients: opts.patients, sources: opts.sources, prevalence: opts.prevalence,
        rate: opts.rate, total, startMs: schedule.start, warmupCount: Math.round(opts.rate * opts.warmup), topicPrefix: opts.topicPrefix,
      }, signal, (p) => (lastProgress = p)),
      pipelineDied,
    ]);
    if (!producer.complete) {
      complete = false;
      incompleteReason = 'interrupted (Ctrl-C) during the load';
    }

    // Drain: every consumer caught up, every stream window closed, a final batch pass.
    const maxWindowS = Math.max(0, ...ruleSet.rules.map((r) => (r.kind === 'window' ? r.window_s : 0)));
    const drainDeadline = Date.now() + (maxWindowS * 1000 + opts.latenessMs + opts.idleMs) * 2 + 120_000;
    progress.log(`[bench] load done (${producer.acknowledgedReadings} readings acknowledged); draining`);
    while (!signal.aborted) {
      const b = backlog[backlog.length - 1]?.backlog ?? {};
      const streamStats = stream?.lastStats?.type === 'stats' && stream.lastStats.role === 'stream' ? stream.lastStats.stats : undefined;
      const caughtUp = (b.ingest ?? 1) === 0 && storedByIngest() >= producer.acknowledgedReadings && (!stream || ((b.stream ?? 1) === 0 && streamStats?.openWindows === 0 && streamStats.processed >= producer.acknowledgedReadings));
      if (caughtUp) break;
      if (Date.now() > drainDeadline) {
        complete = false;
        incompleteReason = `pipelines did not drain within ${Math.round((drainDeadline - producer.endMs) / 1000)} s of the end of the load (backlog ${JSON.stringify(b)})`;
        break;
      }
      await Promise.race([new Promise((r) => setTimeout(r, 500)), pipelineDied]);
    }
    if (signal.aborted && complete) {
      complete = false;
      incompleteReason = 'interrupted (Ctrl-C) while draining';
    }
    if (batch && !signal.aborted) {
      batch.send({ type: 'final-pass' });
      await batch.waitFor(isFinalDone, 300_000, 'final batch pass');
    }
    if (stream) {
      stream.send({ type: 'report-late' });
      streamLate = (await stream.waitFor(isLate, 10_000, 'late-reading report')).late;
    }
  } catch (err) {
    complete = false;
    incompleteReason = (err as Error).message;
    failures.push((err as Error).message);
  } finally {
    sampling = false;
    await sampler;
    for (const c of children) {
      const code = await c.stop();
      if (code !== 0 && code !== null) failures.push(`${c.role} pipeline exited with code ${code}${c.fatal ? `: ${c.fatal}` : ''} (see ${logFile})`);
    }
  }

  try {
    if (!producer) throw new Error(`the run stopped before the load finished: ${incompleteReason ?? 'unknown reason'}`);
    progress.log('[bench] collecting results from MySQL');
    const data = await collectRun(pool, runId);
    const truth = buildGroundTruth({ seed: opts.seed, patients: opts.patients, sources: opts.sources, prevalence: opts.prevalence }, producer.startMs, opts.rate, producer.planned, ruleSet);
    const [envRows] = await pool.query('SELECT environment, parameters FROM runs WHERE run_id = ?', [runId]);
    const row = (envRows as Array<{ environment: unknown; parameters: unknown }>)[0]!;
    const result = computeRunResult({
      runId, startedAt, endedAt: new Date(), complete, incompleteReason,
      parameters: parseJson(row.parameters), environment: parseJson(row.environment),
      rate: opts.rate, warmupSeconds: opts.warmup, batchIntervalSeconds: opts.batchInterval, modes: opts.modes, ruleSet,
      producer, data, truth, backlog, streamLate, batchPasses, pipelineFailures: failures,
    });
    await writeRunReport(dir, result);
    await pool.query('UPDATE runs SET status = ? WHERE run_id = ?', [result.verdict.passed ? 'passed' : complete ? 'failed' : 'incomplete', runId]);
    return { dir, result };
  } finally {
    await admin.disconnect().catch(() => undefined);
    await pool.end();
  }
}

function parseJson(v: unknown): Record<string, unknown> {
  return typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : (v as Record<string, unknown>);
}

/** Bring the services up (idempotent) unless the user manages them. */
export function ensureServices(progress: Progress): void {
  progress.log('[bench] checking services (npm run services:up)');
  execFileSync('bash', [join(PROJECT_ROOT, 'scripts/services.sh'), 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export type { Pool, RuleSet };
