import type { ProducerResult } from '../../generators/producer.js';
import { queryRows, type Pool } from '../../infra/mysql.js';
import { withRetry } from '../../infra/retry.js';
import type { LateReadingNote } from '../../pipelines/stream.js';
import type { RuleSet } from '../../pipelines/rules/types.js';
import type { CostResult, RunResult } from '../../results/schema.js';
import { fmtCount, fmtNum } from '../report/format.js';
import type { FaultInjector } from '../faults/injector.js';
import { analyseFaults, faultIntervals } from '../faults/report.js';
import { collectRun, type RunFigures } from '../measure/collect.js';
import type { CollectionPlan } from '../measure/plan.js';
import { computeCost } from '../measure/cost.js';
import { computeRunResult } from '../measure/metrics.js';
import { observationResult, observerResolutionWarnings } from '../measure/visibility.js';
import type { Observation } from '../processes/observer-process.js';
import type { ExternalModes } from './external-modes.js';
import type { Pipelines } from './pipelines.js';
import type { RunRecorder } from './recorder.js';
import { driftOf } from '../measure/drift.js';
import type { RunOptions } from './run-options.js';
import { overlappingRuns } from './run-registry.js';

/** What the run knows when it ends: its records, and how it ended. */
export interface RunRecords {
  runId: string;
  startedAt: Date;
  opts: RunOptions;
  ruleSet: RuleSet;
  pool: Pool;
  retry: { log: (line: string) => void; budgetMs?: number };
  producer: ProducerResult;
  pipelines: Pipelines;
  recorder: RunRecorder;
  injector?: FaultInjector;
  externals?: ExternalModes;
  /** What the results observer saw (absent when the run ended before it reported). */
  observation?: Observation;
  observedFrom?: number;
  streamLate: LateReadingNote[];
  complete: boolean;
  incompleteReason: string | undefined;
  failures: string[];
}

/** What the database holds of the run, against the ground truth: faults, cost and every figure. */
export async function resultOf(r: RunRecords): Promise<RunResult> {
  const began = performance.now();
  const peakBeforeKiB = process.resourceUsage().maxRSS;
  const { opts, pool, runId, retry, ruleSet, producer, pipelines: p, recorder } = r;
  const warmupEndMs = producer.startMs + opts.warmup * 1000;
  const windowSizeOf = new Map(ruleSet.rules.map((x) => [x.id, x.kind === 'window' ? x.window_s : 0]));
  const faultRecord = {
    startMs: producer.startMs,
    warmupEndMs,
    rate: opts.rate,
    batchIntervalS: opts.batchInterval,
    injected: r.injector?.faults ?? [],
    incidents: [...p.incidents, ...(r.externals?.incidents ?? [])],
    availability: recorder.availability,
    backlog: recorder.backlog,
    batchPassEndsMs: p.batchPassEnds,
  };
  const { plan, figures } = await collect(r, warmupEndMs, windowSizeOf, faultIntervals(faultRecord));
  const row = await readRunRecord(r);
  const faults = analyseFaults({ ...faultRecord, latencies: figures.faultLatencies });
  const busySeconds = p.busySeconds();
  const external = await measureExternal(r, plan, figures, windowSizeOf, warmupEndMs);
  const result = computeRunResult({
    runId,
    startedAt: r.startedAt,
    endedAt: new Date(),
    complete: r.complete,
    incompleteReason: r.incompleteReason,
    parameters: parseJson(row.parameters),
    environment: parseJson(row.environment),
    rate: opts.rate,
    warmupSeconds: opts.warmup,
    batchIntervalSeconds: opts.batchInterval,
    modes: opts.modes,
    ruleSet,
    producer,
    figures,
    backlog: recorder.backlog,
    streamLate: r.streamLate,
    batchPasses: p.batchPasses,
    pipelineFailures: r.failures,
    faults,
    cost: runCost(r, figures, busySeconds),
    busySeconds: { ...(busySeconds.stream !== undefined ? { stream: busySeconds.stream } : {}) },
    ...(external ? { external } : {}),
    patients: opts.patients,
  });
  const shared = await overlappingRuns(pool, runId, r.startedAt.getTime(), Date.now()).catch((err: Error) => {
    r.retry.log(`could not read which other runs shared the servers: ${err.message}`);
    return undefined;
  });
  if (result.cost && shared?.length) result.cost.shared_servers_with = shared;
  for (const m of result.modes) {
    const startup = p.startupOf(m.mode);
    if (startup !== undefined) m.startup_s = startup;
  }
  if (r.observation)
    result.observation = observationResult(
      { ...r.observation.stats, intervalMs: r.observation.intervalMs, priority: r.observation.priority },
      opts.modes.map((m) => ({ mode: m, ...figures.modes.get(m)!.visibility! })),
      external?.jobs ?? [],
    );
  const drift = driftOf({
    startMs: producer.startMs,
    warmupEndMs,
    scheduleEndMs: producer.startMs + (producer.planned / opts.rate) * 1000,
    p99PerMinute: new Map(
      opts.modes.map((m) => [m, (minute: number) => figures.modes.get(m)!.latency.perMinute.p99(minute)]),
    ),
    memoryMiB: recorder.memory?.mib() ?? {},
  });
  if (drift) result.drift = drift;
  const observerWarnings = result.observation ? observerResolutionWarnings(result.observation) : [];
  if (observerWarnings.length) result.warnings = [...(result.warnings ?? []), ...observerWarnings];
  retry.log(collectionCostLine(performance.now() - began, result.storage.stored, peakBeforeKiB));
  return result;
}

/** The run's figures; each attempt starts over (the ground truth is regenerated as the readings are read). */
function collect(
  r: RunRecords,
  warmupEndMs: number,
  windowSizeOf: Map<string, number>,
  intervals: ReturnType<typeof faultIntervals>,
): Promise<{ plan: CollectionPlan; figures: RunFigures }> {
  const { opts, producer } = r;
  return withRetry(
    'collecting results',
    () =>
      collectRun(r.pool, {
        runId: r.runId,
        dataset: { seed: opts.seed, patients: opts.patients, sources: opts.sources, prevalence: opts.prevalence },
        rate: opts.rate,
        planned: producer.planned,
        ruleSet: r.ruleSet,
        modes: opts.modes,
        startMs: producer.startMs,
        warmupEnd: warmupEndMs,
        windowSizeOf,
        faultIntervals: intervals,
        ...(r.observation ? { sightings: r.observation.sightings } : {}),
        external: r.externals !== undefined,
      }),
    r.retry,
  );
}

async function readRunRecord(r: RunRecords): Promise<{ environment: unknown; parameters: unknown }> {
  const rows = await withRetry(
    'reading the run record',
    () =>
      queryRows(r.pool, 'SELECT environment, parameters FROM runs WHERE run_id = ?', [r.runId], (x) => ({
        environment: x.environment,
        parameters: x.parameters,
      })),
    r.retry,
  );
  return rows[0]!;
}

/** The external modes' figures, judged against the same ground truth and the built-in modes' alerts. */
async function measureExternal(
  r: RunRecords,
  plan: CollectionPlan,
  figures: RunFigures,
  windowSizeOf: Map<string, number>,
  warmupEndMs: number,
) {
  const { opts, producer } = r;
  if (!figures.alerts) return undefined;
  const alerts = figures.alerts;
  return r.externals?.measure(
    {
      intendedOf: (patientId, seq) => plan.intendedOf(patientId, seq),
      expectedAlerts: alerts.expected,
      windowSizeOf,
      warmupEnd: warmupEndMs,
      scheduleEnd: producer.startMs + ((producer.planned - 1) / opts.rate) * 1000,
      others: opts.modes.map((m) => ({ name: m, alerts: alerts.byMode.get(m) ?? [] })),
    },
    r.observation?.sightings ?? new Map(),
    r.observedFrom ?? Date.now(),
  );
}

function runCost(r: RunRecords, figures: RunFigures, busySeconds: { ingest?: number; stream?: number }): CostResult {
  const sampled = r.recorder.costs.totals();
  return computeCost({
    processes: sampled.groups,
    tickS: sampled.tickS,
    sampledS: sampled.sampledS,
    ...(sampled.idle ? { idle: sampled.idle } : {}),
    writes: figures.counts.writes,
    modes: r.opts.modes,
    externals: (r.opts.externals ?? []).map((e) => e.name),
    busyS: { ...busySeconds, batch: r.pipelines.batchPasses.reduce((t, p) => t + p.duration_ms, 0) / 1000 },
    // Every stored reading went through ingest and through each mode.
    readings: Object.fromEntries(['ingest', ...r.opts.modes].map((m) => [m, figures.storage.stored])),
  });
}

/**
 * What collecting and computing the run's figures cost the harness: time per stored reading, and
 * the harness's peak memory so far beside its peak before collection (the rise is collection's).
 */
function collectionCostLine(ms: number, stored: number, peakBeforeKiB: number): string {
  const perReadingUs = stored > 0 ? (ms * 1000) / stored : 0;
  const mib = (kib: number): string => fmtNum(kib / 1024, 0);
  return (
    `collect + compute: ${fmtNum(ms / 1000, 1)} s for ${fmtCount(stored)} stored readings (${fmtNum(perReadingUs, 1)} µs per reading); ` +
    `harness peak RSS ${mib(process.resourceUsage().maxRSS)} MiB (${mib(peakBeforeKiB)} MiB before collection)`
  );
}

function parseJson(v: unknown): Record<string, unknown> {
  return typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : (v as Record<string, unknown>);
}
