/**
 * One run, from its folder to its report: a page of steps. Each step takes what it needs and
 * returns what it found; whatever happens, every process started is stopped, and a run whose
 * load finished is reported (marked incomplete when it did not end as planned).
 */
import type { Admin } from 'kafkajs';
import { loadServiceConfig, type ServiceConfig } from '../../config.js';
import { topicsFor } from '../../domain/reading.js';
import type { ProducerResult } from '../../generators/producer.js';
import { createKafka, recreateTopics } from '../../infra/kafka.js';
import { createPool, type Pool } from '../../infra/mysql.js';
import { withRetry } from '../../infra/retry.js';
import { loadRuleSet } from '../../pipelines/rules/parse.js';
import type { RuleSet } from '../../pipelines/rules/types.js';
import type { LateReadingNote } from '../../pipelines/stream.js';
import { migrate } from '../../pipelines/store/schema.js';
import type { RunResult } from '../../results/schema.js';
import { FaultInjector } from '../faults/injector.js';
import type { FaultTarget } from '../faults/kind.js';
import { serverPids } from '../processes/server-pids.js';
import { writeUncollectedReport } from '../report/uncollected.js';
import { ReportNotRenderedError, writeRunReport } from '../report/write.js';
import { drain, interruption, type PhaseEnd } from './drain.js';
import { collectEnvironment } from './environment.js';
import { DEFAULT_EXTERNAL_OPTIONS, ExternalModes } from './external-modes.js';
import { planLoad, runLoad } from './load.js';
import { Pipelines } from './pipelines.js';
import type { Progress } from './progress.js';
import { RunProgress } from './progress-state.js';
import { RunRecorder } from './recorder.js';
import { openRunFolder, type RunFolder } from './run-folder.js';
import { ObserverProcess, type Observation } from '../processes/observer-process.js';
import type { RunOptions } from './run-options.js';
import { registerRun, setRunStatus } from './run-registry.js';
import { resultOf } from './result.js';

export type { RunOptions } from './run-options.js';
export { ensureFlink, ensureServices, ensureSpark } from './services.js';

export interface RunOutcome {
  dir: string;
  result: RunResult;
}

/** A run: fresh topics and run_id, pipelines forked, open-loop load, drain, collect, report. */
export async function runOnce(opts: RunOptions, progress: Progress, signal: AbortSignal): Promise<RunOutcome> {
  const run = await openRun(opts, progress);
  try {
    const measured = await measureRun(run, signal);
    return await reportRun(run, measured);
  } finally {
    await run.admin.disconnect().catch(() => undefined);
    await run.pool.end();
  }
}

/** What every step of a run reads and nothing changes: its folder, rules, servers and connections. */
interface OpenRun {
  readonly opts: RunOptions;
  readonly progress: Progress;
  readonly folder: RunFolder;
  readonly ruleSet: RuleSet;
  readonly config: ServiceConfig;
  readonly pool: Pool;
  readonly admin: Admin;
  readonly topics: string[];
  readonly retry: { log: (line: string) => void };
}

/** The run's folder and log, its rules, and its connections (not yet used). */
async function openRun(opts: RunOptions, progress: Progress): Promise<OpenRun> {
  const folder = openRunFolder(opts.outDir, opts.label, (l) => progress.log(l));
  const ruleSet = await loadRuleSet(opts.rules);
  const config = loadServiceConfig();
  return {
    opts,
    progress,
    folder,
    ruleSet,
    config,
    pool: createPool(config.mysqlUrl),
    admin: createKafka(config.kafkaBrokers, 'vitals-harness').admin({ retry: { retries: 1 } }),
    topics: topicsFor(opts.sources, opts.topicPrefix),
    retry: { log: (l: string) => folder.log(`[harness] ${l}`) },
  };
}

/** What measuring a run found, however it ended. */
interface Measured {
  registered: boolean;
  /** The load began (the external jobs and the roles were ready). */
  loadStarted: boolean;
  end: PhaseEnd;
  failures: string[];
  producer?: ProducerResult;
  pipelines?: Pipelines;
  recorder: RunRecorder;
  injector?: FaultInjector;
  externals?: ExternalModes;
  observer?: ObserverProcess;
  observation?: Observation;
  /** When the observer began (epoch ms). */
  observedFrom?: number;
  streamLate: LateReadingNote[];
}

/**
 * From registering the run to the final batch pass. An error ends the run as incomplete (it is
 * still reported if the load finished); whatever happens, every process started is stopped.
 */
async function measureRun(run: OpenRun, signal: AbortSignal): Promise<Measured> {
  const { opts, folder } = run;
  // Stops the load: by the outer signal (Ctrl-C, SIGTERM), and when the run ends however it ends.
  const stopLoad = new AbortController();
  const onAbort = (): void => stopLoad.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let loadStartMs = Number.NaN;
  const clock = (): number => (Number.isNaN(loadStartMs) ? 0 : (Date.now() - loadStartMs) / 1000);
  const recorder = new RunRecorder({ ...run, runId: folder.runId, log: folder.log });
  const m: Measured = {
    registered: false,
    loadStarted: false,
    end: { complete: true },
    failures: [],
    recorder,
    streamLate: [],
  };
  try {
    m.registered = await prepareRun(run, recorder);
    // An external job (Spark: ~40 s) starts while the built-in roles do.
    m.externals = externalModes(run, clock);
    const externalsReady = m.externals?.start() ?? Promise.resolve();
    externalsReady.catch(() => undefined);
    const p = (m.pipelines = new Pipelines({ runId: folder.runId, opts, log: folder.log, clock }));
    await p.ready();
    await externalsReady;
    if (m.externals) p.watch(m.externals.died);
    p.watch(recorder.lost);
    m.observer = startObserver(run, recorder);
    m.observedFrom = Date.now();
    await m.observer.started();
    const plan = planLoad(opts);
    loadStartMs = plan.startMs;
    const tracker = new RunProgress(plan.startMs, opts.warmup, opts.duration);
    recorder.start(p, tracker, m.externals, plan.startMs);
    await p.alignWindows(plan.startMs);
    m.injector = startFaults(run, p, m.externals, clock);
    recorder.clock = clock;
    if (m.injector) recorder.expectsOutage = (s) => m.injector!.expectsOutage(s);
    const load = { runId: folder.runId, brokers: run.config.kafkaBrokers, opts, stop: stopLoad, log: folder.log };
    m.loadStarted = true;
    const loaded = await runLoad(load, plan, p, tracker, recorder);
    m.producer = loaded.producer;
    if (loaded.stoppedBy) throw loaded.stoppedBy;
    m.end = m.producer!.complete
      ? await drain({ ...run, signal }, p, recorder, m.producer!, m.injector, m.externals, m.observer)
      : { complete: false, reason: `${interruption(signal)} during the load` };
    if (p.batch) tracker.finalPassStarted(Date.now());
    await p.finalPass(signal);
    m.streamLate = await p.lateReadings();
    m.observation = await m.observer.stop();
    await measureIdleBaseline(recorder, p, signal);
  } catch (err) {
    m.end = m.end.complete ? { complete: false, reason: (err as Error).message } : m.end;
    m.failures.push((err as Error).message);
  } finally {
    stopLoad.abort();
    signal.removeEventListener('abort', onAbort);
    m.injector?.cancel();
    if (!m.observation) m.observer?.kill();
    await recorder.stop();
    for (const f of [...((await m.externals?.stop()) ?? []), ...((await m.pipelines?.stop(folder.logFile)) ?? [])])
      if (!m.failures.includes(f)) m.failures.push(f);
  }
  return m;
}

/** The schema, the run's row with its environment, fresh topics, and the servers' processes to cost. Returns true once registered. */
async function prepareRun(run: OpenRun, recorder: RunRecorder): Promise<boolean> {
  const { opts, pool, progress, folder, ruleSet, topics } = run;
  await withRetry('schema migration', () => migrate(pool), run.retry);
  await run.admin.connect();
  const environment = await collectEnvironment(pool);
  const parameters = {
    ...opts,
    faults: (opts.faults ?? []).map((f) => f.text),
    rules_resolved: ruleSet,
    run_id: folder.runId,
    topics,
  };
  const { aborted } = await registerRun(pool, { runId: folder.runId, topics, parameters, environment });
  if (aborted.length)
    progress.log(
      `[bench] marked ${aborted.length} run(s) left running by a process that is gone as aborted: ${aborted.join(', ')}`,
    );
  progress.log(
    `[bench] run ${folder.runId}: rate ${opts.rate}/s, ${opts.warmup} s warm-up + ${opts.duration} s measured, ${opts.patients} patients, rules ${ruleSet.name}, modes ${[...opts.modes, ...(opts.externals ?? []).map((e) => e.name)].join('+')}` +
      `${opts.faults?.length ? `, faults ${opts.faults.map((f) => f.text).join(' ')}` : ''}`,
  );
  await recreateTopics(run.admin, { topics, partitions: opts.partitions });
  // The servers' CPU over the run, when they are this project's own (not someone else's server).
  const servers = await serverPids(pool);
  recorder.costs.track('broker', servers.broker, false);
  recorder.costs.track('database', servers.database, false);
  return true;
}

/** The external modes' jobs (none: undefined); started by the caller. */
function externalModes(run: OpenRun, clock: () => number): ExternalModes | undefined {
  const specs = run.opts.externals ?? [];
  if (!specs.length) return undefined;
  run.progress.log(`[bench] starting external job(s) ${specs.map((s) => s.name).join(', ')}; waiting for VITALS_READY`);
  return new ExternalModes(
    specs,
    {
      runId: run.folder.runId,
      brokers: run.config.kafkaBrokers,
      topics: run.topics,
      ruleSet: run.ruleSet,
      mysqlUrl: run.config.mysqlUrl,
      runDir: run.folder.dir,
    },
    run.pool,
    run.folder.log,
    { ...DEFAULT_EXTERNAL_OPTIONS, ...run.opts.externalOptions },
    clock,
  );
}

/** How long the idle baseline is timed: a few hundred clock ticks of CPU time per process. */
const IDLE_BASELINE_MS = 4000;

/**
 * The idle baseline of the cost: each process's CPU per second over a load-free interval once
 * every reading has its results (drained, final batch pass done, the observer stopped) and before
 * anything stops, so that a run's CPU splits into what idling costs and what the readings cost
 * above it. Timed at the end, not before the load: right after start-up the roles still join their
 * consumer groups and compile their code, and the broker settles its new topics.
 */
async function measureIdleBaseline(recorder: RunRecorder, p: Pipelines, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  recorder.costs.beginIdle();
  await Promise.race([new Promise((r) => setTimeout(r, IDLE_BASELINE_MS)), p.gaveUp]);
  recorder.costs.endIdle();
}

/** The results observer of every mode, in its own process; its CPU is the run's measuring cost. */
function startObserver(run: OpenRun, recorder: RunRecorder): ObserverProcess {
  const { opts, folder } = run;
  const observer = new ObserverProcess(
    {
      mysqlUrl: run.config.mysqlUrl,
      runId: folder.runId,
      sources: [
        ...opts.modes.map((mode) => ({ mode, table: 'alerts' as const })),
        ...(opts.externals ?? []).map((e) => ({ mode: e.name, table: 'external_results' as const })),
      ],
      intervalMs: opts.externalOptions?.pollIntervalMs ?? DEFAULT_EXTERNAL_OPTIONS.pollIntervalMs,
    },
    folder.log,
  );
  folder.log(`[harness] results observer started (pid ${observer.pid}, ${observer.priority})`);
  recorder.costs.track('observer', observer.pid, true);
  return observer;
}

function startFaults(
  run: OpenRun,
  p: Pipelines,
  externals: ExternalModes | undefined,
  clock: () => number,
): FaultInjector | undefined {
  if (!run.opts.faults?.length) return undefined;
  const target = (name: string): FaultTarget | undefined => p.faultTarget(name) ?? externals?.faultTarget(name);
  const injector = new FaultInjector(run.opts.faults, { clock, target, pool: run.pool, log: run.folder.log });
  injector.start();
  return injector;
}

/**
 * The run's result written as its report and its status recorded; a run that cannot be reported
 * is marked aborted.
 */
async function reportRun(run: OpenRun, m: Measured): Promise<RunOutcome> {
  const { folder } = run;
  try {
    const { producer, pipelines } = m;
    if (!producer || !pipelines)
      throw new Error(
        `the run stopped before ${m.loadStarted ? 'the load finished' : 'its load started'}: ${m.end.complete ? 'unknown reason' : m.end.reason}`,
      );
    run.progress.log('[bench] collecting results from MySQL');
    const result = await collectOrSay(run, m, () =>
      resultOf({
        ...run,
        ...m,
        runId: folder.runId,
        startedAt: folder.startedAt,
        producer,
        pipelines,
        retry: m.recorder.lostService === 'db' ? { ...run.retry, budgetMs: 10_000 } : run.retry,
        complete: m.end.complete,
        incompleteReason: m.end.complete ? undefined : m.end.reason,
      }),
    );
    const status = result.verdict.passed ? 'passed' : m.end.complete ? 'failed' : 'incomplete';
    await withRetry('recording the run status', () => setRunStatus(run.pool, folder.runId, status), run.retry);
    try {
      await writeRunReport(folder.dir, result);
    } catch (err) {
      // results.json is intact: the run is what it measured; only its report is missing.
      if (err instanceof ReportNotRenderedError) run.progress.log(`[bench] ${err.message}`);
      else throw new RunNotWrittenError(folder.dir, err as Error);
    }
    return { dir: folder.dir, result };
  } catch (err) {
    if (m.registered && !(err instanceof RunNotWrittenError))
      await setRunStatus(run.pool, folder.runId, 'aborted').catch((e: Error) =>
        folder.log(`[harness] could not mark the run aborted: ${e.message}`),
      );
    throw err;
  }
}

/**
 * The run's result, or, when the database does not give it (gone with the run), a report of what
 * is known without it (report.md and incomplete.json, no results.json) and an error saying so.
 */
async function collectOrSay(run: OpenRun, m: Measured, collect: () => Promise<RunResult>): Promise<RunResult> {
  try {
    return await collect();
  } catch (err) {
    if (m.end.complete) throw err;
    const file = await writeUncollectedReport(run.folder.dir, {
      runId: run.folder.runId,
      startedAt: run.folder.startedAt.toISOString(),
      endedAt: new Date().toISOString(),
      stoppedBy: m.end.reason,
      collectError: (err as Error).message,
      ...(m.producer
        ? {
            load: {
              planned: Math.round(run.opts.rate * (run.opts.warmup + run.opts.duration)),
              due: m.producer.planned,
              sent: m.producer.sentReadings,
              acknowledged: m.producer.acknowledgedReadings,
            },
          }
        : {}),
      parameters: { ...run.opts, faults: (run.opts.faults ?? []).map((f) => f.text) },
    });
    throw new Error(`${m.end.reason}; its results could not be collected (${(err as Error).message}): see ${file}`);
  }
}

/** The run was measured and its status recorded, but not even its results.json could be written. */
export class RunNotWrittenError extends Error {
  constructor(dir: string, cause: Error) {
    super(`the run was measured, but its results could not be written to ${dir}: ${cause.message}`);
  }
}
