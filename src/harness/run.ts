import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { loadServiceConfig, PROJECT_ROOT, type ServiceConfig } from '../config.js';
import { readingKey } from '../domain/keys.js';
import { topicsFor } from '../domain/reading.js';
import type { ProducerProgress, ProducerResult } from '../generators/producer.js';
import { OpenLoopSchedule } from '../generators/schedule.js';
import { consumerLag, createKafka, endOffsets, recreateTopics } from '../infra/kafka.js';
import { DEFAULT_KAFKA_CLIENT, type KafkaClientName } from '../infra/kafka-client/types.js';
import { createPool, queryRows, type Pool } from '../infra/mysql.js';
import { ServiceUnavailableError } from '../infra/preflight.js';
import { withRetry } from '../infra/retry.js';
import type { Mode, Role } from '../domain/modes.js';
import type { ChildMessage } from '../pipelines/ipc.js';
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
import { computeRunResult, type BacklogSample } from './metrics.js';
import { computeCost, CostSampler } from './cost.js';
import { serverPids } from './server-pids.js';
import { runLoadProcesses } from './producer-process.js';
import type { Progress, ProgressState } from './progress.js';
import type { CostResult, RunResult } from './results.js';
import { heartbeat, registerRun, setRunStatus } from './run-registry.js';
import { writeRunReport } from './report/write.js';
import { DEFAULT_EXTERNAL_OPTIONS, ExternalModes, type ExternalModeOptions } from './external/external-modes.js';
import type { ExternalSpec } from './external/spec.js';
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
  /** Load-generator processes, the patients split across them (default 1). */
  generators?: number;
  /** External modes to run beside the built-in ones (docs/EXTERNAL.md). */
  externals?: ExternalSpec[];
  externalOptions?: Partial<ExternalModeOptions>;
  /** Kafka client of the producer, ingest and stream (default kafkajs). */
  kafkaClient?: KafkaClientName;
}

export interface RunOutcome {
  dir: string;
  result: RunResult;
}

/** A probe or sample that does not answer within this is a failed one (the broker may be down). */
const SAMPLE_TIMEOUT_MS = 2500;

/** A run: fresh topics and run_id, pipelines forked, open-loop load, drain, collect, report. */
export async function runOnce(opts: RunOptions, progress: Progress, signal: AbortSignal): Promise<RunOutcome> {
  const ctx = await openRun(opts, progress, signal);
  await measureRun(ctx);
  return collectAndReport(ctx);
}

/** What the phases of one run share; the fields after `costs` change as the run goes. */
interface RunContext {
  readonly opts: RunOptions;
  readonly progress: Progress;
  /** The outer signal: Ctrl-C. */
  readonly signal: AbortSignal;
  readonly runId: string;
  readonly startedAt: Date;
  readonly dir: string;
  readonly logFile: string;
  readonly log: (line: string) => void;
  readonly ruleSet: RuleSet;
  readonly config: ServiceConfig;
  readonly pool: Pool;
  readonly admin: Admin;
  readonly topics: string[];
  readonly retry: { log: (line: string) => void };
  /** Seconds since the load's schedule started (0 until it is known). */
  readonly clock: () => number;
  /** Stops the load process: aborted by the outer signal, and when the run ends however it ends. */
  readonly loadAbort: AbortController;
  readonly detachOuterAbort: () => void;
  readonly roles: Map<Role, SupervisedRole>;
  readonly incidents: RoleIncident[];
  readonly failures: string[];
  readonly backlog: BacklogSample[];
  readonly availability: AvailabilitySample[];
  readonly batchPasses: NonNullable<RunResult['batch_passes']>;
  readonly batchPassEnds: number[];
  readonly costs: CostSampler;
  producer?: ProducerResult;
  complete: boolean;
  incompleteReason?: string;
  streamLate: LateReadingNote[];
  /** The run has its row in the runs table (to be marked aborted if the run cannot be reported). */
  registered: boolean;
  loadStartMs: number;
  injector?: FaultInjector;
  sampler?: Sampler;
  externals?: ExternalModes;
}

/** The forked roles of a run: stream and batch only when their mode runs. */
interface Pipelines {
  ingest: SupervisedRole;
  stream: SupervisedRole | undefined;
  batch: SupervisedRole | undefined;
  /** Rejects when a role ended and could not be restarted. */
  gaveUp: Promise<never>;
  /** Readings the batch passes have taken so far. */
  batchProcessed: number;
}

/** When reading 0 is due (epoch ms) and how many readings the load sends. */
interface LoadPlan {
  startMs: number;
  total: number;
}

/** The run's folder and log, its rules, its connections (not yet used) and its empty records. */
async function openRun(opts: RunOptions, progress: Progress, signal: AbortSignal): Promise<RunContext> {
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
  const loadAbort = new AbortController();
  const onOuterAbort = (): void => loadAbort.abort();
  signal.addEventListener('abort', onOuterAbort, { once: true });
  const ctx: RunContext = {
    opts,
    progress,
    signal,
    runId,
    startedAt,
    dir,
    logFile,
    log,
    ruleSet,
    config,
    pool,
    admin,
    topics,
    retry: { log: (l: string) => log(`[harness] ${l}`) },
    clock: () => (Number.isNaN(ctx.loadStartMs) ? 0 : (Date.now() - ctx.loadStartMs) / 1000),
    loadAbort,
    detachOuterAbort: () => signal.removeEventListener('abort', onOuterAbort),
    roles: new Map(),
    incidents: [],
    failures: [],
    backlog: [],
    availability: [],
    batchPasses: [],
    batchPassEnds: [],
    costs: new CostSampler(),
    complete: true,
    streamLate: [],
    registered: false,
    loadStartMs: Number.NaN,
  };
  return ctx;
}

/**
 * From registering the run to the final batch pass. An error ends the run as incomplete (it is
 * still reported if the load finished); whatever happens, every process started is stopped.
 */
async function measureRun(ctx: RunContext): Promise<void> {
  try {
    await prepareRun(ctx);
    // An external job (Spark: ~40 s) starts while the built-in roles do.
    const externalsReady = startExternals(ctx);
    externalsReady.catch(() => undefined);
    const pipelines = await startRoles(ctx);
    await externalsReady;
    if (ctx.externals) pipelines.gaveUp = Promise.race([pipelines.gaveUp, ctx.externals.died]);
    const load = scheduleLoad(ctx);
    const tracker = new RunProgress(load.startMs, ctx.opts.warmup, ctx.opts.duration);
    ctx.sampler = startSampling(ctx, pipelines, tracker);
    await alignWindows(pipelines, load.startMs);
    await startFaults(ctx);
    const producer = await runLoad(ctx, pipelines, load, tracker);
    await drain(ctx, pipelines, producer);
    await finalPass(ctx, pipelines, tracker);
  } catch (err) {
    ctx.complete = false;
    ctx.incompleteReason = (err as Error).message;
    ctx.failures.push((err as Error).message);
  } finally {
    await stopEverything(ctx);
  }
}

/** The schema, the run's row with its environment, fresh topics, and the servers' processes to cost. */
async function prepareRun(ctx: RunContext): Promise<void> {
  const { opts, pool, progress, runId, ruleSet, topics } = ctx;
  await withRetry('schema migration', () => migrate(pool), ctx.retry);
  await ctx.admin.connect();
  const environment = await collectEnvironment(pool);
  const parameters = {
    ...opts,
    faults: (opts.faults ?? []).map((f) => f.text),
    rules_resolved: ruleSet,
    run_id: runId,
    topics,
  };
  const { aborted } = await registerRun(pool, { runId, topics, parameters, environment });
  ctx.registered = true;
  if (aborted.length)
    progress.log(
      `[bench] marked ${aborted.length} run(s) left running by a process that is gone as aborted: ${aborted.join(', ')}`,
    );
  progress.log(
    `[bench] run ${runId}: rate ${opts.rate}/s, ${opts.warmup} s warm-up + ${opts.duration} s measured, ${opts.patients} patients, rules ${ruleSet.name}, modes ${[...opts.modes, ...(opts.externals ?? []).map((e) => e.name)].join('+')}` +
      `${opts.faults?.length ? `, faults ${opts.faults.map((f) => f.text).join(' ')}` : ''}`,
  );
  await recreateTopics(ctx.admin, { topics, partitions: opts.partitions });
  // The servers' CPU over the run, when they are this project's own (not someone else's server).
  const servers = await serverPids(pool);
  ctx.costs.track('broker', servers.broker, false);
  ctx.costs.track('database', servers.database, false);
}

/** The external modes' jobs, started and ready (none: nothing to do). */
async function startExternals(ctx: RunContext): Promise<void> {
  const specs = ctx.opts.externals ?? [];
  if (!specs.length) return;
  ctx.externals = new ExternalModes(
    specs,
    {
      runId: ctx.runId,
      brokers: ctx.config.kafkaBrokers,
      topics: ctx.topics,
      ruleSet: ctx.ruleSet,
      mysqlUrl: ctx.config.mysqlUrl,
      runDir: ctx.dir,
    },
    ctx.pool,
    ctx.log,
    { ...DEFAULT_EXTERNAL_OPTIONS, ...ctx.opts.externalOptions },
  );
  ctx.progress.log(`[bench] starting external job(s) ${specs.map((s) => s.name).join(', ')}; waiting for VITALS_READY`);
  await ctx.externals.start();
}

/** Pipelines: each role in its own process, restarted by the harness when it ends unexpectedly. */
async function startRoles(ctx: RunContext): Promise<Pipelines> {
  const { opts } = ctx;
  const common = [
    '--run-id',
    ctx.runId,
    '--sources',
    String(opts.sources),
    '--partitions',
    String(opts.partitions),
    '--topic-prefix',
    opts.topicPrefix,
    '--rules',
    opts.rules,
    '--lateness-ms',
    String(opts.latenessMs),
    '--idle-ms',
    String(opts.idleMs),
    // The services answered a moment ago; a role restarted during an outage waits for them.
    '--wait-for-services-s',
    '180',
    '--kafka-client',
    opts.kafkaClient ?? DEFAULT_KAFKA_CLIENT,
  ];
  const policy = {
    ...DEFAULT_RESTART_POLICY,
    ...(opts.maxRestarts !== undefined ? { maxRestarts: opts.maxRestarts } : {}),
  };
  const supervise = (role: Role, args: string[]): SupervisedRole => {
    const s = new SupervisedRole(
      role,
      args,
      (l) => ctx.log(l.startsWith('[') ? l : `[${role}] ${l}`),
      ctx.clock,
      policy,
      (inc) => ctx.incidents.push(inc),
    );
    ctx.roles.set(role, s);
    return s;
  };
  const ingest = supervise('ingest', common);
  const stream = opts.modes.includes('stream')
    ? supervise('stream', [...common, ...(opts.injectDelayMs ? ['--inject-delay-ms', String(opts.injectDelayMs)] : [])])
    : undefined;
  const batch = opts.modes.includes('batch')
    ? supervise('batch', [...common, '--threads', String(opts.threads), '--every', String(opts.batchInterval)])
    : undefined;
  await Promise.all([...ctx.roles.values()].map((r) => r.current.waitFor(isReady, 90_000, 'ready signal')));
  const gaveUp = Promise.race([...ctx.roles.values()].map((r) => r.gaveUp));
  gaveUp.catch(() => undefined);
  const pipelines: Pipelines = { ingest, stream, batch, gaveUp, batchProcessed: 0 };
  recordBatchPasses(ctx, pipelines);
  return pipelines;
}

function recordBatchPasses(ctx: RunContext, p: Pipelines): void {
  p.batch?.on((m: ChildMessage) => {
    if (m.type !== 'pass') return;
    p.batchProcessed += m.pass.readings;
    const pass = m.pass;
    ctx.batchPasses.push({
      pass: pass.pass,
      readings: pass.readings,
      alerts: pass.alerts,
      windows: pass.windows,
      duration_ms: pass.endedAt - pass.startedAt,
      final: pass.final,
    });
    ctx.batchPassEnds.push(pass.endedAt);
  });
}

function ingestStats(p: Pipelines) {
  return p.ingest.lastStats?.type === 'stats' && p.ingest.lastStats.role === 'ingest'
    ? p.ingest.lastStats.stats
    : undefined;
}

function streamStats(p: Pipelines) {
  return p.stream?.lastStats?.type === 'stats' && p.stream.lastStats.role === 'stream'
    ? p.stream.lastStats.stats
    : undefined;
}

function scheduleLoad(ctx: RunContext): LoadPlan {
  const { opts } = ctx;
  const total = Math.round(opts.rate * (opts.warmup + opts.duration));
  // Started a moment ahead, so the load process is connected when reading 0 is due.
  const schedule = new OpenLoopSchedule({ start: Date.now() + 1500, rate: opts.rate, total });
  ctx.loadStartMs = schedule.start;
  return { startMs: schedule.start, total };
}

/** The sampling loop, stopped by `stop()` (which resolves when its last sample is done). */
interface Sampler {
  stop(): Promise<void>;
}

/** Once a second until stopped: see sampleOnce. */
function startSampling(ctx: RunContext, p: Pipelines, tracker: RunProgress): Sampler {
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      const at = Date.now();
      await sampleOnce(ctx, p, tracker, at);
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - at))));
    }
  })();
  return {
    stop: () => {
      sampling = false;
      return loop;
    },
  };
}

/** The processes' CPU and memory, a database heartbeat, each role's backlog (and the progress line), and what answered. */
async function sampleOnce(ctx: RunContext, p: Pipelines, tracker: RunProgress, at: number): Promise<void> {
  // From each process's first sample: the roles' start-up before the run is not the run's cost.
  for (const [role, r] of ctx.roles) ctx.costs.track(role, r.current.child.pid, false);
  ctx.externals?.trackCost(ctx.costs);
  ctx.costs.sample();
  const dbUp = await bounded(heartbeat(ctx.pool, ctx.runId)).then(
    () => true,
    (err: Error) => (ctx.log(`[harness] database probe failed: ${err.message}`), false),
  );
  let kafkaUp = true;
  try {
    const b = await bounded(sampleBacklog(ctx, p));
    ctx.backlog.push({ at, backlog: b });
    ctx.progress.update(tracker.state(at, b));
  } catch (err) {
    kafkaUp = false;
    ctx.log(`[harness] backlog sample failed: ${(err as Error).message}`);
  }
  ctx.availability.push({ at, kafka: kafkaUp, db: dbUp });
}

async function sampleBacklog(ctx: RunContext, p: Pipelines): Promise<Record<string, number>> {
  const b: Record<string, number> = { ingest: await consumerLag(ctx.admin, `vitals-ingest-${ctx.runId}`, ctx.topics) };
  if (p.stream) {
    // The stream commits offsets only up to its oldest open window (for recovery), so its
    // backlog is measured from what it has read, which it reports itself.
    const stats = streamStats(p);
    let lag = 0;
    for (const [key, end] of await endOffsets(ctx.admin, ctx.topics))
      lag += Math.max(0, end - (stats?.positions[key] ?? 0));
    b.stream = lag;
  }
  if (p.batch) b.batch = Math.max(0, (ingestStats(p)?.stored ?? 0) - p.batchProcessed);
  return b;
}

const NO_PROGRESS: ProducerProgress = { planned: 0, sent: 0, acknowledged: 0, elapsedMs: 0 };

/**
 * The progress line's state. Each phase counts its own seconds; the rates are those between the
 * load generator's two latest reports, and none is shown once the load has ended.
 */
class RunProgress {
  private prev: ProducerProgress = NO_PROGRESS;
  private last: ProducerProgress | undefined;
  /** When the latest report came (epoch ms). */
  private lastAt = 0;
  private loadEndedAt: number | undefined;
  private acknowledged: number | undefined;
  private finalPassAt: number | undefined;

  constructor(
    private readonly scheduleStart: number,
    private readonly warmupS: number,
    private readonly durationS: number,
  ) {}

  readonly onLoadProgress = (p: ProducerProgress): void => {
    this.prev = this.last ?? NO_PROGRESS;
    this.last = p;
    this.lastAt = Date.now();
  };

  loadEnded(at: number, acknowledged: number): void {
    this.loadEndedAt = at;
    this.acknowledged = acknowledged;
  }

  finalPassStarted(at: number): void {
    this.finalPassAt = at;
  }

  state(at: number, b: Record<string, number>): ProgressState {
    if (this.loadEndedAt !== undefined) {
      const acknowledged = this.acknowledged;
      if (this.finalPassAt !== undefined)
        return {
          phase: 'final batch pass',
          elapsedS: (at - this.finalPassAt) / 1000,
          loadDone: true,
          acknowledged,
          backlog: b,
        };
      return { phase: 'draining', elapsedS: (at - this.loadEndedAt) / 1000, loadDone: true, acknowledged, backlog: b };
    }
    const sinceStart = (at - this.scheduleStart) / 1000;
    if (sinceStart < 0) return { phase: 'starting', elapsedS: 0, loadDone: false, backlog: b };
    const rates = this.rates(at);
    if (sinceStart < this.warmupS)
      return { phase: 'warm-up', elapsedS: sinceStart, totalS: this.warmupS, loadDone: false, ...rates, backlog: b };
    return {
      phase: 'measuring',
      elapsedS: sinceStart - this.warmupS,
      totalS: this.durationS,
      loadDone: false,
      ...rates,
      backlog: b,
    };
  }

  private rates(at: number): Pick<ProgressState, 'offered' | 'achieved' | 'loadSilentS'> {
    const { prev, last } = this;
    // elapsedMs counts from the schedule's start (negative before it): nothing is due before it.
    const dt = last ? (last.elapsedMs - Math.max(0, prev.elapsedMs)) / 1000 : 0;
    const silentS = last ? (at - this.lastAt) / 1000 : undefined;
    // A rate is the difference of two reports at least half a second of schedule apart, the latest from the last 5 s.
    return last && dt >= 0.5 && silentS! < 5
      ? { offered: (last.planned - prev.planned) / dt, achieved: (last.acknowledged - prev.acknowledged) / dt }
      : silentS !== undefined && silentS >= 5
        ? { loadSilentS: silentS }
        : {};
  }
}

/**
 * Windows aligned to the schedule's start: the same seed and options put the same readings
 * in the same windows in every run. Told before the first reading exists, and to restarts.
 */
async function alignWindows(p: Pipelines, originMs: number): Promise<void> {
  const isOriginSet = (m: ChildMessage): m is Extract<ChildMessage, { type: 'window-origin-set' }> =>
    m.type === 'window-origin-set' && m.originMs === originMs;
  for (const r of [p.stream, p.batch]) {
    if (!r) continue;
    r.setArg('window-origin-ms', String(originMs));
    await r.request({ type: 'window-origin', originMs }, isOriginSet, 30_000, 'window origin');
  }
}

async function startFaults(ctx: RunContext): Promise<void> {
  if (!ctx.opts.faults?.length) return;
  ctx.injector = new FaultInjector(ctx.opts.faults, {
    clock: ctx.clock,
    roles: ctx.roles,
    pool: ctx.pool,
    log: ctx.log,
  });
  await ctx.injector.start();
}

/** The open-loop load in its own process, until it has sent everything, is interrupted, or a role gives up. */
async function runLoad(ctx: RunContext, p: Pipelines, load: LoadPlan, tracker: RunProgress): Promise<ProducerResult> {
  const { opts } = ctx;
  const loadProcess = runLoadProcesses(
    {
      brokers: ctx.config.kafkaBrokers,
      seed: opts.seed,
      patients: opts.patients,
      sources: opts.sources,
      prevalence: opts.prevalence,
      rate: opts.rate,
      total: load.total,
      startMs: load.startMs,
      warmupCount: Math.round(opts.rate * opts.warmup),
      topicPrefix: opts.topicPrefix,
      runId: ctx.runId,
      kafkaClient: opts.kafkaClient ?? DEFAULT_KAFKA_CLIENT,
    },
    opts.generators ?? 1,
    ctx.loadAbort.signal,
    tracker.onLoadProgress,
    // Started for the run: its CPU counts from zero (sampled once a second, so up to a second of its end is not seen).
    (pid) => ctx.costs.track('generator', pid, true),
  );
  loadProcess.catch(() => undefined);
  const producer = await Promise.race([loadProcess, p.gaveUp]);
  ctx.producer = producer;
  tracker.loadEnded(Date.now(), producer.acknowledgedReadings);
  if (!producer.complete) {
    ctx.complete = false;
    ctx.incompleteReason = 'interrupted (Ctrl-C) during the load';
  }
  return producer;
}

/** Drain: every fault over, every consumer caught up, every stream window closed (a final batch pass follows). */
async function drain(ctx: RunContext, p: Pipelines, producer: ProducerResult): Promise<void> {
  const { opts } = ctx;
  const maxWindowS = Math.max(0, ...ctx.ruleSet.rules.map((r) => (r.kind === 'window' ? r.window_s : 0)));
  const drainDeadline = Date.now() + (maxWindowS * 1000 + opts.latenessMs + opts.idleMs) * 2 + 120_000;
  ctx.progress.log(`[bench] load done (${producer.acknowledgedReadings} readings acknowledged); draining`);
  if (ctx.injector) await Promise.race([ctx.injector.done(), p.gaveUp]);
  const acknowledged = producer.acknowledgedReadings;
  while (!ctx.signal.aborted) {
    const b = ctx.backlog[ctx.backlog.length - 1]?.backlog ?? {};
    if (isDrained(ctx, p, b, acknowledged)) break;
    if (Date.now() > drainDeadline) {
      ctx.complete = false;
      ctx.incompleteReason = `pipelines did not drain within ${Math.round((drainDeadline - producer.endMs) / 1000)} s of the end of the load (backlog ${JSON.stringify(b)})`;
      break;
    }
    await Promise.race([new Promise((r) => setTimeout(r, 500)), p.gaveUp]);
  }
  if (ctx.externals && ctx.complete && !ctx.signal.aborted) {
    ctx.progress.log(`[bench] built-in modes drained; waiting for the external job(s) to write their last results`);
    if (!(await ctx.externals.drain(drainDeadline + 300_000, ctx.signal))) {
      ctx.complete = false;
      ctx.incompleteReason = `external job(s) ${ctx.externals.names.join(', ')} still writing new results at the drain deadline`;
    }
  }
  if (ctx.signal.aborted && ctx.complete) {
    ctx.complete = false;
    ctx.incompleteReason = 'interrupted (Ctrl-C) while draining';
  }
}

/** Whether every consumer has caught up with `acknowledged` readings (as of the latest backlog sample `b`) and the stream has closed its windows. */
function isDrained(ctx: RunContext, p: Pipelines, b: Record<string, number>, acknowledged: number): boolean {
  const s = streamStats(p);
  // A restarted role's counters start again from zero: then its consumer lag alone says it is done.
  const ingestDone = (b.ingest ?? 1) === 0 && (p.ingest.restarted || (ingestStats(p)?.stored ?? 0) >= acknowledged);
  const streamDone =
    !p.stream || ((b.stream ?? 1) === 0 && s?.openWindows === 0 && (p.stream.restarted || s.processed >= acknowledged));
  return ingestDone && streamDone && ctx.availability[ctx.availability.length - 1]?.kafka !== false;
}

/** The final batch pass (unless interrupted), and the stream's list of late readings. */
async function finalPass(ctx: RunContext, p: Pipelines, tracker: RunProgress): Promise<void> {
  if (p.batch) tracker.finalPassStarted(Date.now());
  if (p.batch && !ctx.signal.aborted)
    await p.batch.request({ type: 'final-pass' }, isFinalDone, 300_000, 'final batch pass');
  if (p.stream)
    ctx.streamLate = (await p.stream.request({ type: 'report-late' }, isLate, 10_000, 'late-reading report')).late;
}

/** However the run ended: the load, the faults and the sampling stopped, every role stopped (an unexpected exit code is a failure). */
async function stopEverything(ctx: RunContext): Promise<void> {
  ctx.loadAbort.abort();
  ctx.detachOuterAbort();
  ctx.injector?.cancel();
  await ctx.sampler?.stop();
  if (ctx.externals) for (const f of await ctx.externals.stop()) if (!ctx.failures.includes(f)) ctx.failures.push(f);
  for (const r of ctx.roles.values()) {
    const exit = await r.stop();
    if (exit && exit.code !== 0 && exit.code !== null) {
      ctx.failures.push(
        `${r.role} pipeline exited with code ${exit.code}${r.current.fatal ? `: ${r.current.fatal}` : ''} (see ${ctx.logFile})`,
      );
    }
  }
}

/**
 * The run's result written as its report and its status recorded; a run that cannot be reported
 * is marked aborted. The connections are closed whatever happens.
 */
async function collectAndReport(ctx: RunContext): Promise<RunOutcome> {
  try {
    if (!ctx.producer)
      throw new Error(`the run stopped before the load finished: ${ctx.incompleteReason ?? 'unknown reason'}`);
    const result = await resultOf(ctx, ctx.producer);
    await writeRunReport(ctx.dir, result);
    await withRetry(
      'recording the run status',
      () =>
        setRunStatus(ctx.pool, ctx.runId, result.verdict.passed ? 'passed' : ctx.complete ? 'failed' : 'incomplete'),
      ctx.retry,
    );
    return { dir: ctx.dir, result };
  } catch (err) {
    if (ctx.registered)
      await setRunStatus(ctx.pool, ctx.runId, 'aborted').catch((e: Error) =>
        ctx.log(`[harness] could not mark the run aborted: ${e.message}`),
      );
    throw err;
  } finally {
    await ctx.admin.disconnect().catch(() => undefined);
    await ctx.pool.end();
  }
}

/** What the database holds of the run, against the ground truth: faults, cost and every figure. */
async function resultOf(ctx: RunContext, producer: ProducerResult): Promise<RunResult> {
  const { opts, pool, runId, retry, ruleSet } = ctx;
  ctx.progress.log('[bench] collecting results from MySQL');
  const data = await withRetry('collecting results', () => collectRun(pool, runId), retry);
  const truth = buildGroundTruth(
    { seed: opts.seed, patients: opts.patients, sources: opts.sources, prevalence: opts.prevalence },
    producer.startMs,
    opts.rate,
    producer.planned,
    ruleSet,
    producer.startMs,
  );
  const envRows = await withRetry(
    'reading the run record',
    () =>
      queryRows(pool, 'SELECT environment, parameters FROM runs WHERE run_id = ?', [runId], (r) => ({
        environment: r.environment,
        parameters: r.parameters,
      })),
    retry,
  );
  const row = envRows[0]!;
  const warmupEndMs = producer.startMs + opts.warmup * 1000;
  const faults = analyseFaults({
    startMs: producer.startMs,
    warmupEndMs,
    rate: opts.rate,
    batchIntervalS: opts.batchInterval,
    injected: ctx.injector?.faults ?? [],
    incidents: ctx.incidents,
    availability: ctx.availability,
    backlog: ctx.backlog,
    batchPassEndsMs: ctx.batchPassEnds,
    latencies: Object.fromEntries(opts.modes.map((m) => [m, latencyPoints(data, truth, m, warmupEndMs)])),
  });
  const busySeconds = busyOf(ctx.roles);
  const cost = runCost(ctx, data, busySeconds);
  const external = await ctx.externals?.measure({
    intended: truth.intended,
    expectedAlerts: truth.expectedAlerts,
    windowSizeOf: new Map(ruleSet.rules.map((r) => [r.id, r.kind === 'window' ? r.window_s : 0])),
    warmupEnd: warmupEndMs,
    scheduleEnd: producer.startMs + ((producer.planned - 1) / opts.rate) * 1000,
    others: opts.modes.map((m) => ({ name: m, alerts: data.alerts[m] })),
  });
  return computeRunResult({
    runId,
    startedAt: ctx.startedAt,
    endedAt: new Date(),
    complete: ctx.complete,
    incompleteReason: ctx.incompleteReason,
    parameters: parseJson(row.parameters),
    environment: parseJson(row.environment),
    rate: opts.rate,
    warmupSeconds: opts.warmup,
    batchIntervalSeconds: opts.batchInterval,
    modes: opts.modes,
    ruleSet,
    producer,
    data,
    truth,
    backlog: ctx.backlog,
    streamLate: ctx.streamLate,
    batchPasses: ctx.batchPasses,
    pipelineFailures: ctx.failures,
    faults,
    cost,
    busySeconds: { ...(busySeconds.stream !== undefined ? { stream: busySeconds.stream } : {}) },
    ...(external ? { external } : {}),
  });
}

function runCost(ctx: RunContext, data: RunData, busySeconds: { ingest?: number; stream?: number }): CostResult {
  const sampled = ctx.costs.totals();
  return computeCost({
    processes: sampled.groups,
    sampledS: sampled.sampledS,
    writes: data.writes,
    modes: ctx.opts.modes,
    externals: (ctx.opts.externals ?? []).map((e) => e.name),
    busyS: { ...busySeconds, batch: ctx.batchPasses.reduce((t, p) => t + p.duration_ms, 0) / 1000 },
    // Every stored reading went through ingest and through each mode.
    readings: Object.fromEntries(['ingest', ...ctx.opts.modes].map((m) => [m, data.readings.length])),
  });
}

/** Seconds the ingest and stream roles spent processing, summed over each of their processes (a restart starts a count anew). */
function busyOf(roles: Map<Role, SupervisedRole>): { ingest?: number; stream?: number } {
  const out: { ingest?: number; stream?: number } = {};
  for (const role of ['ingest', 'stream'] as const) {
    const r = roles.get(role);
    if (!r) continue;
    let ms = 0;
    for (const m of r.statsOfEachProcess)
      if (m.type === 'stats' && (m.role === 'ingest' || m.role === 'stream')) ms += m.stats.busyMs;
    out[role] = ms / 1000;
  }
  return out;
}

/** Per measured reading of one mode: its t_intended and its result's t_committed. */
function latencyPoints(data: RunData, truth: GroundTruth, mode: Mode, warmupEndMs: number): LatencyPoint[] {
  const out: LatencyPoint[] = [];
  const committed = data.committedAt[mode];
  data.readings.forEach((r, i) => {
    const intended = truth.intended.get(readingKey(r.patient_id, r.seq));
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

/** The Spark example's Python environment and jars (scripts/spark.sh: idempotent, quick once done). */
export function ensureSpark(progress: Progress): void {
  progress.log('[bench] checking the Spark example (bash scripts/spark.sh)');
  try {
    execFileSync('bash', [join(PROJECT_ROOT, 'scripts/spark.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    throw new Error('the Spark example could not be set up (see the lines of scripts/spark.sh above)');
  }
}

/** The Flink example's Python environment and jars (scripts/flink.sh: idempotent, quick once done). */
export function ensureFlink(progress: Progress): void {
  progress.log('[bench] checking the Flink example (bash scripts/flink.sh)');
  try {
    execFileSync('bash', [join(PROJECT_ROOT, 'scripts/flink.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    throw new Error('the Flink example could not be set up (see the lines of scripts/flink.sh above)');
  }
}

export type { Pool, RuleSet };
