import { readingKey } from '../../domain/keys.js';
import type { Mode } from '../../domain/modes.js';
import type { ProducerResult } from '../../generators/producer.js';
import { queryRows, type Pool } from '../../infra/mysql.js';
import { withRetry } from '../../infra/retry.js';
import type { LateReadingNote } from '../../pipelines/stream.js';
import type { RuleSet } from '../../pipelines/rules/types.js';
import type { CostResult, RunResult } from '../../results/schema.js';
import { fmtCount, fmtNum } from '../report/format.js';
import type { FaultInjector } from '../faults/injector.js';
import { analyseFaults, type LatencyPoint } from '../faults/report.js';
import { collectRun, type RunData } from '../measure/collect.js';
import { computeCost } from '../measure/cost.js';
import { buildGroundTruth, type GroundTruth } from '../measure/ground-truth.js';
import { computeRunResult } from '../measure/metrics.js';
import { observationResult } from '../measure/visibility.js';
import type { Observation } from '../processes/observer-process.js';
import type { ExternalModes } from './external-modes.js';
import type { Pipelines } from './pipelines.js';
import type { RunRecorder } from './recorder.js';
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
  const { opts, pool, runId, retry, ruleSet, producer, pipelines: p, recorder } = r;
  const data = await withRetry('collecting results', () => collectRun(pool, runId), retry);
  const truth = buildGroundTruth(
    { seed: opts.seed, patients: opts.patients, sources: opts.sources, prevalence: opts.prevalence },
    producer.startMs,
    opts.rate,
    producer.planned,
    ruleSet,
    producer.startMs,
  );
  const row = await withRetry(
    'reading the run record',
    () =>
      queryRows(pool, 'SELECT environment, parameters FROM runs WHERE run_id = ?', [runId], (x) => ({
        environment: x.environment,
        parameters: x.parameters,
      })),
    retry,
  );
  const warmupEndMs = producer.startMs + opts.warmup * 1000;
  const faults = analyseFaults({
    startMs: producer.startMs,
    warmupEndMs,
    rate: opts.rate,
    batchIntervalS: opts.batchInterval,
    injected: r.injector?.faults ?? [],
    incidents: [...p.incidents, ...(r.externals?.incidents ?? [])],
    availability: recorder.availability,
    backlog: recorder.backlog,
    batchPassEndsMs: p.batchPassEnds,
    latencies: Object.fromEntries(opts.modes.map((m) => [m, latencyPoints(data, truth, m, warmupEndMs)])),
  });
  const busySeconds = p.busySeconds();
  const external = await r.externals?.measure(
    {
      intended: truth.intended,
      expectedAlerts: truth.expectedAlerts,
      windowSizeOf: new Map(ruleSet.rules.map((x) => [x.id, x.kind === 'window' ? x.window_s : 0])),
      warmupEnd: warmupEndMs,
      scheduleEnd: producer.startMs + ((producer.planned - 1) / opts.rate) * 1000,
      others: opts.modes.map((m) => ({ name: m, alerts: data.alerts[m] })),
    },
    r.observation?.sightings ?? new Map(),
    r.observedFrom ?? Date.now(),
  );
  const result = computeRunResult({
    runId,
    startedAt: r.startedAt,
    endedAt: new Date(),
    complete: r.complete,
    incompleteReason: r.incompleteReason,
    parameters: parseJson(row[0]!.parameters),
    environment: parseJson(row[0]!.environment),
    rate: opts.rate,
    warmupSeconds: opts.warmup,
    batchIntervalSeconds: opts.batchInterval,
    modes: opts.modes,
    ruleSet,
    producer,
    data,
    truth,
    backlog: recorder.backlog,
    streamLate: r.streamLate,
    batchPasses: p.batchPasses,
    pipelineFailures: r.failures,
    faults,
    cost: runCost(r, data, busySeconds),
    busySeconds: { ...(busySeconds.stream !== undefined ? { stream: busySeconds.stream } : {}) },
    ...(external ? { external } : {}),
    patients: opts.patients,
  });
  const shared = await overlappingRuns(pool, runId, r.startedAt.getTime(), Date.now()).catch((err: Error) => {
    r.retry.log(`could not read which other runs shared the servers: ${err.message}`);
    return undefined;
  });
  if (result.cost && shared?.length) result.cost.shared_servers_with = shared;
  if (r.observation)
    result.observation = observationResult(
      { ...r.observation.stats, intervalMs: r.observation.intervalMs, priority: r.observation.priority },
      opts.modes.map((m) => ({
        mode: m,
        alerts: data.alerts[m],
        sightings: r.observation!.sightings.get(m) ?? new Map(),
      })),
      external?.jobs ?? [],
      truth.intended,
      warmupEndMs,
    );
  retry.log(collectionCostLine(performance.now() - began, result.storage.stored));
  return result;
}

/** What collecting and computing the run's figures cost the harness: time per stored reading, and the harness's peak memory so far. */
function collectionCostLine(ms: number, stored: number): string {
  const perReadingUs = stored > 0 ? (ms * 1000) / stored : 0;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  return (
    `collect + compute: ${fmtNum(ms / 1000, 1)} s for ${fmtCount(stored)} stored readings (${fmtNum(perReadingUs, 1)} µs per reading); ` +
    `harness peak RSS ${fmtNum(peakMiB, 0)} MiB`
  );
}

function runCost(r: RunRecords, data: RunData, busySeconds: { ingest?: number; stream?: number }): CostResult {
  const sampled = r.recorder.costs.totals();
  return computeCost({
    processes: sampled.groups,
    tickS: sampled.tickS,
    sampledS: sampled.sampledS,
    ...(sampled.idle ? { idle: sampled.idle } : {}),
    writes: data.writes,
    modes: r.opts.modes,
    externals: (r.opts.externals ?? []).map((e) => e.name),
    busyS: { ...busySeconds, batch: r.pipelines.batchPasses.reduce((t, p) => t + p.duration_ms, 0) / 1000 },
    // Every stored reading went through ingest and through each mode.
    readings: Object.fromEntries(['ingest', ...r.opts.modes].map((m) => [m, data.readings.length])),
  });
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

function parseJson(v: unknown): Record<string, unknown> {
  return typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : (v as Record<string, unknown>);
}
