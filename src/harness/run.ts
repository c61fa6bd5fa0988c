import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadServiceConfig, PROJECT_ROOT } from '../config.js';
import { topicsFor } from '../domain/reading.js';
import type { ProducerProgress, ProducerResult } from '../generators/producer.js';
import { OpenLoopSchedule } from '../generators/schedule.js';
import { consumerLag, createKafka, endOffsets, recreateTopics } from '../infra/kafka.js';
import { createPool, type Pool } from '../infra/mysql.js';
import { ServiceUnavailableError } from '../infra/preflight.js';
import { withRetry } from '../infra/retry.js';
import type { ChildMessage, RoleName } from '../pipelines/ipc.js';
import { loadRuleSet } from '../pipelines/rules/parse.js';
import type { RuleSet } from '../pipelines/rules/types.js';
import type { LateReadingNote } from '../pipelines/stream.js';
import { migrate } from '../pipelines/store/schema.js';
import { isFinalDone, isLate, isReady } from './children.js';
import { collectRun, type RunData } from './collect.js';
import { collectEnvironment } from './environment.js';
import { FaultInjector } from './fault-injector.js';
import { analyseFaults, type AvailabilitySample, type LatencyPoint } from './fault-report.js';
import type { FaultSpec } from './fault-spec.js';
import { buildGroundTruth, type GroundTruth } from './ground-truth.js';
import { computeRunResult, type BacklogSample, type Mode } from './metrics.js';
import { computeCost, CostSampler } from './cost.js';
import { serverPids } from './server-pids.js';
import { runLoadProcess } from './producer-process.js';
import type { Progress, ProgressState } from './progress.js';
import type { RunResult } from './results.js';
import { heartbeat, registerRun, setRunStatus } from './run-registry.js';
import { writeRunReport } from './report/write.js';
import { DEFAULT_RESTART_POLICY, SupervisedRole, type RoleIncident } from './supervisor.js';

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
  /** In a sweep: the option the sweep varies (as on the command line, e.g. "batch-interval") and this run's value of it. */
  swept?: { option: string; value: number };
  /** Faults to inject during the run (--fault). */
  faults?: FaultSpec[];
  /** Restarts of a role that ended unexpectedly, per role and run (default 3). */
  maxRestarts?: number;
  /** Calibration (METRICS.md, measurement integrity): the stream waits this long before each database commit. */
  injectDelayMs?: number;
}

export interface RunOutcome {
  dir: string;
  result: RunResult;
}

/** A probe or sample that does not answer within this is a failed one (the broker may be down). */
const SAMPLE_TIMEOUT_MS = 2500;

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
  const admin = kafka.admin({ retry: { retries: 1 } });
  const topics = topicsFor(opts.sources, opts.topicPrefix);
  const retry = { log: (l: string) => log(`[harness] ${l}`) };
  const roles = new Map<RoleName, SupervisedRole>();
  const incidents: RoleIncident[] = [];
  const failures: string[] = [];
  const backlog: BacklogSample[] = [];
  const availability: AvailabilitySample[] = [];
  const batchPasses: NonNullable<RunResult['batch_passes']> = [];
  const batchPassEnds: number[] = [];
  const loadAbort = new AbortController();
  const onOuterAbort = (): void => loadAbort.abort();
  signal.addEventListener('abort', onOuterAbort, { once: true });
  let producer: ProducerResult | undefined;
  let complete = true;
  let incompleteReason: string | undefined;
  let streamLate: LateReadingNote[] = [];
  let registered = false;
  let loadStartMs = Number.NaN;
  const clock = (): number => (Number.isNaN(loadStartMs) ? 0 : (Date.now() - loadStartMs) / 1000);
  let injector: FaultInjector | undefined;
  const costs = new CostSampler();
  let sampling = false;
  let sampler: Promise<void> = Promise.resolve();
  try {
    await withRetry('schema migration', () => migrate(pool), retry);
    await admin.connect();
    const environment = await collectEnvironment(pool);
    const parameters = { ...opts, faults: (opts.faults ?? []).map((f) => f.text), rules_resolved: ruleSet, run_id: runId, topics };
    const { aborted } = await registerRun(pool, { runId, topics, parameters, environment });
    registered = true;
    if (aborted.length) progress.log(`[bench] marked ${aborted.length} run(s) left running by a process that is gone as aborted: ${aborted.join(', ')}`);
    progress.log(`[bench] run ${runId}: rate ${opts.rate}/s, ${opts.warmup} s warm-up + ${opts.duration} s measured, ${opts.patients} patients, rules ${ruleSet.name}, modes ${opts.modes.join('+')}` +
      `${opts.faults?.length ? `, faults ${opts.faults.map((f) => f.text).join(' ')}` : ''}`);
    await recreateTopics(admin, { topics, partitions: opts.partitions });
    // The servers' CPU over the run, when they are this project's own (not someone else's server).
    const servers = await serverPids(pool);
    costs.track('broker', servers.broker, false);
    costs.track('database', servers.database, false);

    // Pipelines: each role in its own process, restarted by the harness when it ends unexpectedly.
    const common = ['--run-id', runId, '--sources', String(opts.sources), '--partitions', String(opts.partitions), '--topic-prefix', opts.topicPrefix,
      '--rules', opts.rules, '--lateness-ms', String(opts.latenessMs), '--idle-ms', String(opts.idleMs),
      // The services answered a moment ago; a role restarted during an outage waits for them.
      '--wait-for-services-s', '180'];
    const policy = { ...DEFAULT_RESTART_POLICY, ...(opts.maxRestarts !== undefined ? { maxRestarts: opts.maxRestarts } : {}) };
    const supervise = (role: RoleName, args: string[]): SupervisedRole => {
      const s = new SupervisedRole(role, args, (l) => log(l.startsWith('[') ? l : `[${role}] ${l}`), clock, policy, (inc) => incidents.push(inc));
      roles.set(role, s);
      return s;
    };
    const ingest = supervise('ingest', common);
    const stream = opts.modes.includes('stream')
      ? supervise('stream', [...common, ...(opts.injectDelayMs ? ['--inject-delay-ms', String(opts.injectDelayMs)] : [])])
      : undefined;
    const batch = opts.modes.includes('batch') ? supervise('batch', [...common, '--threads', String(opts.threads), '--every', String(opts.batchInterval)]) : undefined;
    await Promise.all([...roles.values()].map((r) => r.current.waitFor(isReady, 90_000, 'ready signal')));
    const roleGaveUp = Promise.race([...roles.values()].map((r) => r.gaveUp));
    roleGaveUp.catch(() => undefined);

    let batchProcessed = 0;
    batch?.on((m: ChildMessage) => {
      if (m.type !== 'pass') return;
      batchProcessed += m.pass.readings;
      const p = m.pass;
      batchPasses.push({ pass: p.pass, readings: p.readings, alerts: p.alerts, windows: p.windows, duration_ms: p.endedAt - p.startedAt, final: p.final });
      batchPassEnds.push(p.endedAt);
    });
    const ingestStats = () => (ingest.lastStats?.type === 'stats' && ingest.lastStats.role === 'ingest' ? ingest.lastStats.stats : undefined);
    const streamStats = () => (stream?.lastStats?.type === 'stats' && stream.lastStats.role === 'stream' ? stream.lastStats.stats : undefined);
    const sampleBacklog = async (): Promise<Record<string, number>> => {
      const b: Record<string, number> = { ingest: await consumerLag(admin, `vitals-ingest-${runId}`, topics) };
      if (stream) {
        // The stream commits offsets only up to its oldest open window (for recovery), so its
        // backlog is measured from what it has read, which it reports itself.
        const stats = streamStats();
        let lag = 0;
        for (const [key, end] of await endOffsets(admin, topics)) lag += Math.max(0, end - (stats?.positions[key] ?? 0));
        b.stream = lag;
      }
      if (batch) b.batch = Math.max(0, (ingestStats()?.stored ?? 0) - batchProcessed);
      return b;
    };

    const total = Math.round(opts.rate * (opts.warmup + opts.duration));
    // Started a moment ahead, so the load process is connected when reading 0 is due.
    const schedule = new OpenLoopSchedule({ start: Date.now() + 1500, rate: opts.rate, total });
    loadStartMs = schedule.start;
    // Progress: each phase counts its own seconds; the rates are those between the load
    // generator's two latest reports, and none is shown once the load has ended.
    const noProgress: ProducerProgress = { planned: 0, sent: 0, acknowledged: 0, elapsedMs: 0 };
    let loadProgress: { prev: ProducerProgress; last?: ProducerProgress; at: number } = { prev: noProgress, at: 0 };
    const onLoadProgress = (p: ProducerProgress): void => {
      loadProgress = { prev: loadProgress.last ?? noProgress, last: p, at: Date.now() };
    };
    let loadEndedAt: number | undefined;
    let finalPassAt: number | undefined;
    const progressState = (at: number, b: Record<string, number>): ProgressState => {
      if (loadEndedAt !== undefined) {
        const acknowledged = producer?.acknowledgedReadings;
        if (finalPassAt !== undefined) return { phase: 'final batch pass', elapsedS: (at - finalPassAt) / 1000, loadDone: true, acknowledged, backlog: b };
        return { phase: 'draining', elapsedS: (at - loadEndedAt) / 1000, loadDone: true, acknowledged, backlog: b };
      }
      const sinceStart = (at - schedule.start) / 1000;
      if (sinceStart < 0) return { phase: 'starting', elapsedS: 0, loadDone: false, backlog: b };
      const { prev, last } = loadProgress;
      // elapsedMs counts from the schedule's start (negative before it): nothing is due before it.
      const dt = last ? (last.elapsedMs - Math.max(0, prev.elapsedMs)) / 1000 : 0;
      const silentS = last ? (at - loadProgress.at) / 1000 : undefined;
      // A rate is the difference of two reports at least half a second of schedule apart, the latest from the last 5 s.
      const rates = last && dt >= 0.5 && silentS! < 5
        ? { offered: (last.planned - prev.planned) / dt, achieved: (last.acknowledged - prev.acknowledged) / dt }
        : silentS !== undefined && silentS >= 5 ? { loadSilentS: silentS } : {};
      if (sinceStart < opts.warmup) return { phase: 'warm-up', elapsedS: sinceStart, totalS: opts.warmup, loadDone: false, ...rates, backlog: b };
      return { phase: 'measuring', elapsedS: sinceStart - opts.warmup, totalS: opts.duration, loadDone: false, ...rates, backlog: b };
    };
    sampling = true;
    sampler = (async () => {
      while (sampling) {
        const at = Date.now();
        // From each process's first sample: the roles' start-up before the run is not the run's cost.
        for (const [role, r] of roles) costs.track(role, r.current.child.pid, false);
        costs.sample();
        const dbUp = await bounded(heartbeat(pool, runId)).then(() => true, (err: Error) => (log(`[harness] database probe failed: ${err.message}`), false));
        let kafkaUp = true;
        try {
          const b = await bounded(sampleBacklog());
          backlog.push({ at, backlog: b });
          progress.update(progressState(at, b));
        } catch (err) {
          kafkaUp = false;
          log(`[harness] backlog sample failed: ${(err as Error).message}`);
        }
        availability.push({ at, kafka: kafkaUp, db: dbUp });
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - at))));
      }
    })();

    // Windows aligned to the schedule's start: the same seed and options put the same readings
    // in the same windows in every run. Told before the first reading exists, and to restarts.
    const isOriginSet = (m: ChildMessage): m is Extract<ChildMessage, { type: 'window-origin-set' }> => m.type === 'window-origin-set' && m.originMs === schedule.start;
    for (const r of [stream, batch]) {
      if (!r) continue;
      r.setArg('window-origin-ms', String(schedule.start));
      await r.request({ type: 'window-origin', originMs: schedule.start }, isOriginSet, 30_000, 'window origin');
    }

    if (opts.faults?.length) {
      injector = new FaultInjector(opts.faults, { clock, roles, pool, log });
      await injector.start();
    }

    const load = runLoadProcess({
      brokers: config.kafkaBrokers, seed: opts.seed, patients: opts.patients, sources: opts.sources, prevalence: opts.prevalence,
      rate: opts.rate, total, startMs: schedule.start, warmupCount: Math.round(opts.rate * opts.warmup), topicPrefix: opts.topicPrefix, runId,
    }, loadAbort.signal, onLoadProgress);
    load.catch(() => undefined);
    producer = await Promise.race([load, roleGaveUp]);
    loadEndedAt = Date.now();
    if (!producer.complete) {
      complete = false;
      incompleteReason = 'interrupted (Ctrl-C) during the load';
    }

    // Drain: every fault over, every consumer caught up, every stream window closed, a final batch pass.
    const maxWindowS = Math.max(0, ...ruleSet.rules.map((r) => (r.kind === 'window' ? r.window_s : 0)));
    const drainDeadline = Date.now() + (maxWindowS * 1000 + opts.latenessMs + opts.idleMs) * 2 + 120_000;
    progress.log(`[bench] load done (${producer.acknowledgedReadings} readings acknowledged); draining`);
    if (injector) await Promise.race([injector.done(), roleGaveUp]);
    const acknowledged = producer.acknowledgedReadings;
    while (!signal.aborted) {
      const b = backlog[backlog.length - 1]?.backlog ?? {};
      const s = streamStats();
      // A restarted role's counters start again from zero: then its consumer lag alone says it is done.
      const ingestDone = (b.ingest ?? 1) === 0 && (ingest.restarted || (ingestStats()?.stored ?? 0) >= acknowledged);
      const streamDone = !stream || ((b.stream ?? 1) === 0 && s?.openWindows === 0 && (stream.restarted || s.processed >= acknowledged));
      if (ingestDone && streamDone && availability[availability.length - 1]?.kafka !== false) break;
      if (Date.now() > drainDeadline) {
        complete = false;
        incompleteReason = `pipelines did not drain within ${Math.round((drainDeadline - producer.endMs) / 1000)} s of the end of the load (backlog ${JSON.stringify(b)})`;
        break;
      }
      await Promise.race([new Promise((r) => setTimeout(r, 500)), roleGaveUp]);
    }
    if (signal.aborted && complete) {
      complete = false;
      incompleteReason = 'interrupted (Ctrl-C) while draining';
    }
    if (batch) finalPassAt = Date.now();
    if (batch && !signal.aborted) await batch.request({ type: 'final-pass' }, isFinalDone, 300_000, 'final batch pass');
    if (stream) streamLate = (await stream.request({ type: 'report-late' }, isLate, 10_000, 'late-reading report')).late;
  } catch (err) {
    complete = false;
    incompleteReason = (err as Error).message;
    failures.push((err as Error).message);
  } finally {
    loadAbort.abort();
    signal.removeEventListener('abort', onOuterAbort);
    injector?.cancel();
    sampling = false;
    await sampler;
    for (const r of roles.values()) {
      const exit = await r.stop();
      if (exit && exit.code !== 0 && exit.code !== null) {
        failures.push(`${r.role} pipeline exited with code ${exit.code}${r.current.fatal ? `: ${r.current.fatal}` : ''} (see ${logFile})`);
      }
    }
  }

  try {
    if (!producer) throw new Error(`the run stopped before the load finished: ${incompleteReason ?? 'unknown reason'}`);
    progress.log('[bench] collecting results from MySQL');
    const data = await withRetry('collecting results', () => collectRun(pool, runId), retry);
    const truth = buildGroundTruth({ seed: opts.seed, patients: opts.patients, sources: opts.sources, prevalence: opts.prevalence }, producer.startMs, opts.rate, producer.planned, ruleSet, producer.startMs);
    const [envRows] = await withRetry('reading the run record', () => pool.query('SELECT environment, parameters FROM runs WHERE run_id = ?', [runId]), retry);
    const row = (envRows as Array<{ environment: unknown; parameters: unknown }>)[0]!;
    const warmupEndMs = producer.startMs + opts.warmup * 1000;
    const faults = analyseFaults({
      startMs: producer.startMs, warmupEndMs, rate: opts.rate, batchIntervalS: opts.batchInterval,
      injected: injector?.faults ?? [], incidents, availability, backlog, batchPassEndsMs: batchPassEnds,
      latencies: Object.fromEntries(opts.modes.map((m) => [m, latencyPoints(data, truth, m, warmupEndMs)])),
    });
    const busySeconds = busyOf(roles);
    const sampled = costs.totals();
    const cost = computeCost({
      processes: sampled.groups, sampledS: sampled.sampledS, writes: data.writes, modes: opts.modes,
      busyS: { ...busySeconds, batch: batchPasses.reduce((t, p) => t + p.duration_ms, 0) / 1000 },
      // Every stored reading went through ingest and through each mode.
      readings: Object.fromEntries(['ingest', ...opts.modes].map((m) => [m, data.readings.length])),
    });
    const result = computeRunResult({
      runId, startedAt, endedAt: new Date(), complete, incompleteReason,
      parameters: parseJson(row.parameters), environment: parseJson(row.environment),
      rate: opts.rate, warmupSeconds: opts.warmup, batchIntervalSeconds: opts.batchInterval, modes: opts.modes, ruleSet,
      producer, data, truth, backlog, streamLate, batchPasses, pipelineFailures: failures, faults, cost,
      busySeconds: { ...(busySeconds.stream !== undefined ? { stream: busySeconds.stream } : {}) },
    });
    await writeRunReport(dir, result);
    await withRetry('recording the run status', () => setRunStatus(pool, runId, result.verdict.passed ? 'passed' : complete ? 'failed' : 'incomplete'), retry);
    return { dir, result };
  } catch (err) {
    if (registered) await setRunStatus(pool, runId, 'aborted').catch((e: Error) => log(`[harness] could not mark the run aborted: ${e.message}`));
    throw err;
  } finally {
    await admin.disconnect().catch(() => undefined);
    await pool.end();
  }
}

/** Seconds the ingest and stream roles spent processing, summed over each of their processes (a restart starts a count anew). */
function busyOf(roles: Map<RoleName, SupervisedRole>): { ingest?: number; stream?: number } {
  const out: { ingest?: number; stream?: number } = {};
  for (const role of ['ingest', 'stream'] as const) {
    const r = roles.get(role);
    if (!r) continue;
    let ms = 0;
    for (const m of r.statsOfEachProcess) if (m.type === 'stats' && (m.role === 'ingest' || m.role === 'stream')) ms += m.stats.busyMs;
    out[role] = ms / 1000;
  }
  return out;
}

/** Per measured reading of one mode: its t_intended and its result's t_committed. */
function latencyPoints(data: RunData, truth: GroundTruth, mode: Mode, warmupEndMs: number): LatencyPoint[] {
  const out: LatencyPoint[] = [];
  const committed = data.committedAt[mode];
  data.readings.forEach((r, i) => {
    const intended = truth.intended.get(`${r.patient_id}|${r.seq}`);
    const t = committed[i]!;
    if (intended !== undefined && intended >= warmupEndMs && !Number.isNaN(t)) out.push({ intended, committed: t });
  });
  return out;
}

/** A sample that does not answer in time counts as failed (its promise is left to settle). */
function bounded<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${SAMPLE_TIMEOUT_MS} ms`)), SAMPLE_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

function parseJson(v: unknown): Record<string, unknown> {
  return typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : (v as Record<string, unknown>);
}

/** Bring the services up (idempotent) unless the user manages them. */
export function ensureServices(progress: Progress): void {
  progress.log('[bench] checking services (npm run services:up)');
  try {
    execFileSync('bash', [join(PROJECT_ROOT, 'scripts/services.sh'), 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    // services.sh has printed its own error line naming the service and the fix.
    throw new ServiceUnavailableError('the services did not come up (see the [services] lines above)');
  }
}

export type { Pool, RuleSet };
