import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { PROJECT_ROOT } from '../config.js';
import { fmtMs } from '../harness/report/markdown.js';
import { rerenderReport, writeSweepReport } from '../harness/report/write.js';
import type { RunResult, SweepResult } from '../harness/results.js';
import { createProgress, type Progress } from '../harness/progress.js';
import { ensureServices, runOnce, type RunOptions, type RunOutcome } from '../harness/run.js';
import { isSustainable, SUSTAINABLE_CRITERIA } from '../harness/sustainable.js';
import type { Mode } from '../harness/metrics.js';
import { loadRuleSet } from '../pipelines/rules/parse.js';
import { loadServiceConfig } from '../config.js';
import { checkFaultsRunnable } from '../harness/fault-injector.js';
import { FAULT_SYNTAX, parseFaultSpec, type FaultSpec } from '../harness/fault-spec.js';
import { DEFAULT_RESTART_POLICY } from '../harness/supervisor.js';
import { checkDatabase, checkKafka, checkServices } from '../infra/preflight.js';
import { nonNegative, positiveInt, positiveNumber, UsageError } from './args.js';

export function benchOptions<T>(y: Argv<T>) {
  return y
    .option('config', { type: 'string', describe: 'JSON file with any of these options (command-line values win)' })
    .option('rate', { type: 'string', default: '500', describe: 'offered readings/s; a comma list runs a sweep (500,2000,10000)' })
    .option('duration', { type: 'number', default: 30, describe: 'measured phase, seconds' })
    .option('warmup', { type: 'number', default: 10, describe: 'warm-up, seconds (sent, excluded from latency figures)' })
    .option('patients', { type: 'number', describe: 'patients (default: one per reading per second, i.e. 1 Hz monitors; max 100,000)' })
    .option('sources', { type: 'number', default: 3, describe: 'device sources: topics health_data_source1..S' })
    .option('partitions', { type: 'number', default: 3, describe: 'partitions per topic' })
    .option('rules', { type: 'string', default: 'clinical', describe: 'rule profile (clinical, seed) or a rules JSON file' })
    .option('batch-interval', { type: 'number', default: 10, describe: 'seconds between batch passes (plus a final pass)' })
    .option('threads', { type: 'number', default: 2, describe: 'batch worker threads (Piscina)' })
    .option('seed', { type: 'number', default: 1, describe: 'random seed of the generator' })
    .option('prevalence', { type: 'number', default: 0.05, describe: 'fraction of readings inside injected anomaly episodes' })
    .option('repeat', { type: 'number', default: 1, describe: 'runs per rate' })
    .option('modes', { type: 'string', default: 'stream,batch', describe: 'modes to run: stream, batch or both' })
    .option('lateness-ms', { type: 'number', default: 2000, describe: 'allowed lateness of window rules (ms of event time)' })
    .option('idle-ms', { type: 'number', default: 1000, describe: 'stream: idle partition timeout for the watermark' })
    .option('topic-prefix', { type: 'string', default: '', describe: 'prefix for the topic names' })
    .option('out', { type: 'string', default: 'results/runs', describe: 'folder for the run folders' })
    .option('find-max', { type: 'boolean', default: false, describe: 'search the sustainable throughput (METRICS.md), starting at --rate' })
    .option('profile', { type: 'string', describe: "'seed': the seed project's scenario (3 devices, 9 patients, ~1 reading/s, its rules)" })
    .option('fault', { type: 'string', array: true, describe: `inject a fault during each run, repeatable: ${FAULT_SYNTAX}; times from the start of the load` })
    .option('max-restarts', { type: 'number', default: DEFAULT_RESTART_POLICY.maxRestarts, describe: 'restarts of a pipeline role that ends unexpectedly, per role and run' })
    .option('services', { type: 'boolean', default: true, describe: 'bring Kafka and MySQL up if needed (--no-services: use what is configured)' })
    .option('quiet', { type: 'boolean', default: false, describe: 'plain progress lines only' });
}

/** The command line: a run's options as typed on it, plus what spans runs. */
export interface BenchArgs extends Omit<RunOptions, 'rate' | 'patients' | 'modes' | 'outDir' | 'label' | 'faults'> {
  /** --fault specs as typed. */
  fault?: string[];
  config?: string;
  /** One rate, or a comma list for a sweep. */
  rate: string;
  patients?: number;
  /** Comma list of modes. */
  modes: string;
  repeat: number;
  out: string;
  findMax: boolean;
  profile?: string;
  services: boolean;
  quiet: boolean;
}

/**
 * Upper bounds of the options, for one machine: beyond them a run would not measure the
 * pipelines but the machine's limits (or never end). The README's options table gives them.
 */
export const LIMITS = { rate: 200_000, sources: 64, partitions: 64, patients: 100_000, durationS: 86_400 } as const;

function atMost(name: string, v: number, max: number): void {
  if (v > max) throw new UsageError(`--${name} must be at most ${max}, got ${v}`);
}

/** The seed project's scenario: 3 devices with 3 patients each, about one reading a second, its rules. */
const SEED_PROFILE: Partial<BenchArgs> = { rate: '1', patients: 9, sources: 3, rules: 'seed', warmup: 5, duration: 60, batchInterval: 10 };

interface Plan {
  rates: number[];
  base: Omit<RunOptions, 'rate' | 'patients'> & { patients?: number };
  repeat: number;
  findMax: boolean;
}

/** Validate everything before anything starts: bad arguments exit 2 with the problem named. */
export async function planBench(argv: BenchArgs, explicit: Set<string>): Promise<Plan> {
  let a: BenchArgs = { ...argv };
  if (a.config) {
    if (!existsSync(a.config)) throw new UsageError(`--config: no such file ${a.config}`);
    let fromFile: Record<string, unknown>;
    try {
      fromFile = JSON.parse(readFileSync(a.config, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`--config ${a.config}: invalid JSON: ${(err as Error).message}`);
    }
    const known = new Set(Object.keys(a));
    for (const [k, v] of Object.entries(fromFile)) {
      const key = k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      if (!known.has(key) && key !== 'patients' && key !== 'profile' && key !== 'fault') throw new UsageError(`--config ${a.config}: unknown option "${k}"`);
      if (!explicit.has(key)) (a as unknown as Record<string, unknown>)[key] = key === 'rate' ? String(v) : v;
    }
  }
  if (a.profile !== undefined) {
    if (a.profile !== 'seed') throw new UsageError(`--profile must be "seed", got ${a.profile}`);
    for (const [k, v] of Object.entries(SEED_PROFILE)) if (!explicit.has(k)) (a as unknown as Record<string, unknown>)[k] = v;
  }
  const rates = String(a.rate).split(',').map((s) => {
    const r = Number(s.trim());
    if (!Number.isFinite(r) || r <= 0) throw new UsageError(`--rate must be positive numbers separated by commas, got "${a.rate}"`);
    if (r > LIMITS.rate) throw new UsageError(`--rate must be at most ${LIMITS.rate} readings/s (what one machine's broker and database can take), got ${r}`);
    return r;
  });
  positiveNumber('duration', a.duration);
  nonNegative('warmup', a.warmup);
  positiveInt('sources', a.sources);
  positiveInt('partitions', a.partitions);
  atMost('duration', a.duration, LIMITS.durationS);
  atMost('warmup', a.warmup, LIMITS.durationS);
  atMost('sources', a.sources, LIMITS.sources);
  atMost('partitions', a.partitions, LIMITS.partitions);
  positiveNumber('batch-interval', a.batchInterval);
  positiveInt('threads', a.threads);
  positiveInt('repeat', a.repeat);
  nonNegative('lateness-ms', a.latenessMs);
  positiveNumber('idle-ms', a.idleMs);
  if (!Number.isSafeInteger(a.seed)) throw new UsageError(`--seed must be an integer, got ${a.seed}`);
  if (!(a.prevalence >= 0 && a.prevalence <= 1)) throw new UsageError(`--prevalence must be between 0 and 1, got ${a.prevalence}`);
  if (a.patients !== undefined) {
    positiveInt('patients', a.patients);
    atMost('patients', a.patients, LIMITS.patients);
    if (a.patients < a.sources) throw new UsageError(`--patients (${a.patients}) must be at least --sources (${a.sources})`);
  }
  const modes = a.modes.split(',').map((m) => m.trim());
  for (const m of modes) if (m !== 'stream' && m !== 'batch') throw new UsageError(`--modes takes stream and/or batch, got "${m}"`);
  if (a.findMax && rates.length > 1) throw new UsageError('--find-max takes one starting --rate, not a list');
  for (const r of rates) {
    // A run must send something to measure: refuse rather than pass on zero readings.
    if (Math.round(r * a.duration) < 1) {
      throw new UsageError(`--rate ${r} for --duration ${a.duration} s would send no reading in the measured phase; raise the rate or the duration`);
    }
  }
  const maxRestarts = a.maxRestarts ?? DEFAULT_RESTART_POLICY.maxRestarts;
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0) throw new UsageError(`--max-restarts must be a whole number >= 0, got ${maxRestarts}`);
  const faults: FaultSpec[] = [];
  for (const text of a.fault ?? []) {
    let f: FaultSpec;
    try {
      f = parseFaultSpec(text);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (f.atS >= a.warmup + a.duration) throw new UsageError(`--fault ${text}: at ${f.atS} s is after the load ends (${a.warmup + a.duration} s)`);
    if (f.kind === 'kill' || f.kind === 'pause') {
      if (!(f.role === 'ingest' || modes.includes(f.role as Mode))) throw new UsageError(`--fault ${text}: the ${f.role} role does not run with --modes ${modes.join(',')}`);
    }
    faults.push(f);
  }
  await loadRuleSet(a.rules).catch((err: Error) => {
    throw new UsageError(err.message);
  });
  return {
    rates,
    repeat: a.repeat,
    findMax: a.findMax,
    base: {
      duration: a.duration, warmup: a.warmup, patients: a.patients, sources: a.sources, partitions: a.partitions, rules: a.rules,
      batchInterval: a.batchInterval, threads: a.threads, seed: a.seed, prevalence: a.prevalence, modes: modes as Mode[],
      latenessMs: a.latenessMs, idleMs: a.idleMs, topicPrefix: a.topicPrefix, outDir: resolve(a.out), faults, maxRestarts,
      ...(a.profile ? { label: `profile-${a.profile}` } : {}),
    },
  };
}

function optionsFor(plan: Plan, rate: number, outDir: string): RunOptions {
  const patients = plan.base.patients ?? Math.min(LIMITS.patients, Math.max(plan.base.sources, Math.round(rate)));
  return { ...plan.base, rate, patients, outDir };
}

export async function benchCommand(argv: BenchArgs, explicit: Set<string>): Promise<number> {
  const plan = await planBench(argv, explicit);
  const progress = createProgress({ tty: Boolean(process.stderr.isTTY), quiet: argv.quiet });
  const abort = new AbortController();
  process.once('SIGINT', () => {
    progress.log('[bench] interrupted: stopping the load and the pipelines, writing what was measured');
    abort.abort();
  });
  // Nothing answering is one line in seconds, before any run starts: servers named in the
  // environment are checked before services:up waits for them.
  if (process.env.KAFKA_BROKERS) await checkKafka(process.env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean));
  if (process.env.MYSQL_URL) await checkDatabase(process.env.MYSQL_URL);
  if (argv.services) ensureServices(progress);
  await checkServices(loadServiceConfig());
  try {
    checkFaultsRunnable(plan.base.faults ?? []);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  const outcomes: RunOutcome[] = [];
  let sweepDir = plan.base.outDir;
  const single = plan.rates.length === 1 && plan.repeat === 1 && !plan.findMax;
  if (!single) sweepDir = join(plan.base.outDir, `sweep_${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  let failedRuns = 0;
  // A run that could not finish (a pipeline died before the load ended) is reported and
  // counted as failed; a sweep or search goes on with the next rate.
  const run = async (rate: number): Promise<RunOutcome | Error> => {
    try {
      const o = await runOnce(optionsFor(plan, rate, sweepDir), progress, abort.signal);
      outcomes.push(o);
      printSummary(o, progress);
      return o;
    } catch (err) {
      failedRuns++;
      progress.log(`[bench] run at ${rate}/s failed before it could be measured: ${(err as Error).message}`);
      return err as Error;
    }
  };

  let findMax: SweepResult['find_max'];
  if (plan.findMax) findMax = await searchMax(plan.rates[0]!, run, abort.signal, progress);
  else {
    for (const rate of plan.rates) for (let i = 0; i < plan.repeat && !abort.signal.aborted; i++) await run(rate);
  }
  progress.stop();
  if (!single) {
    const sweep: SweepResult = { runs: outcomes.map((o) => ({ dir: relative(sweepDir, o.dir), result: o.result })), ...(findMax ? { find_max: findMax } : {}) };
    await writeSweepReport(sweepDir, sweep);
    process.stdout.write(`\nsweep report: ${relative(PROJECT_ROOT, join(sweepDir, 'report.md'))}\n`);
    if (findMax) {
      process.stdout.write(`sustainable throughput: ${findMax.sustainable_rate ?? 'none of the tested rates'} readings/s` +
        `${findMax.below !== undefined ? ` (last sustainable run ${findMax.below}/s` : ''}${findMax.above !== undefined ? `, first unsustainable ${findMax.above}/s)` : findMax.below !== undefined ? ')' : ''}\n`);
    }
  }
  if (abort.signal.aborted) return 130;
  const failed = failedRuns > 0 || outcomes.some((o) => o.result.storage.loss > 0 || o.result.storage.duplicates > 0 || !o.result.verdict.passed);
  return failed ? 1 : 0;
}

/**
 * Doubling from the start rate until a run is not sustainable, then bisecting between the
 * last sustainable and the first unsustainable rate (three more runs).
 */
function sustainability(o: RunOutcome | Error): { ok: boolean; reasons: string[] } {
  return o instanceof Error ? { ok: false, reasons: [`the run failed: ${o.message}`] } : isSustainable(o.result);
}

async function searchMax(start: number, run: (rate: number) => Promise<RunOutcome | Error>, signal: AbortSignal, progress: Progress): Promise<NonNullable<SweepResult['find_max']>> {
  let good: number | undefined;
  let bad: number | undefined;
  let badReasons: string[] = [];
  let rate = start;
  while (!signal.aborted && bad === undefined && rate <= 200_000) {
    const verdict = sustainability(await run(rate));
    progress.log(`[bench] ${rate}/s: ${verdict.ok ? 'sustainable' : `not sustainable (${verdict.reasons.join('; ')})`}`);
    if (verdict.ok) {
      good = rate;
      rate *= 2;
    } else {
      bad = rate;
      badReasons = verdict.reasons;
    }
  }
  for (let i = 0; i < 3 && !signal.aborted && bad !== undefined && good !== undefined; i++) {
    const mid = Math.round((good + bad) / 2);
    if (mid === good || mid === bad) break;
    const verdict = sustainability(await run(mid));
    progress.log(`[bench] ${mid}/s: ${verdict.ok ? 'sustainable' : `not sustainable (${verdict.reasons.join('; ')})`}`);
    if (verdict.ok) good = mid;
    else {
      bad = mid;
      badReasons = verdict.reasons;
    }
  }
  return { sustainable_rate: good ?? null, ...(good !== undefined ? { below: good } : {}), ...(bad !== undefined ? { above: bad, above_reasons: badReasons } : {}), criteria: SUSTAINABLE_CRITERIA };
}

function printSummary({ dir, result: r }: RunOutcome, progress: Progress): void {
  progress.stop();
  const lines: string[] = [];
  lines.push('', `run ${r.run_id}: ${r.verdict.passed ? 'PASSED' : 'FAILED'}${r.complete ? '' : ' (incomplete)'}`);
  lines.push(`input: offered ${r.input.offered_rate}/s, achieved ${r.input.achieved_rate.toFixed(1)}/s, send delay p99 ${fmtMs(r.input.send_delay.p99)} ms (n=${r.input.send_delay.count})${r.input.generator_fell_behind ? ' - GENERATOR FELL BEHIND' : ''}`);
  lines.push(`storage: ${r.storage.stored} stored, loss ${r.storage.loss}, duplicates ${r.storage.duplicates}, rejected ${r.storage.rejected}`);
  const header = ['mode', 'n', 'event-time p50', 'p99', 'p99.9', 'max', 'processing p50', 'detection p50 (episodes)', 'output/s', 'alerts'];
  const ms = (s: RunResult['input']['send_delay'], v: number): string => (s.count === 0 ? 'n/a' : fmtMs(v));
  const rows = r.modes.map((m) => [m.mode, String(m.event_time_latency.count), ms(m.event_time_latency, m.event_time_latency.p50), ms(m.event_time_latency, m.event_time_latency.p99),
    ms(m.event_time_latency, m.event_time_latency.p999), ms(m.event_time_latency, m.event_time_latency.max), ms(m.processing_time_latency, m.processing_time_latency.p50),
    `${ms(m.detection_latency, m.detection_latency.p50)} (${m.episodes_detected ?? 0}/${m.episodes_injected ?? 0})`,
    m.output_rate.toFixed(1), String(m.alerts)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]): string => row.map((c, i) => c.padStart(widths[i]!)).join('  ');
  lines.push('latency in ms (METRICS.md: event-time = t_committed - t_intended; warm-up excluded):', fmt(header), ...rows.map(fmt));
  for (const a of r.agreement.filter((x) => x.scope !== 'all')) {
    lines.push(`agreement ${a.a} vs ${a.b} (${a.scope}): Jaccard ${a.jaccard.toFixed(4)}, F1 ${a.f1.toFixed(4)}, TP ${a.tp} FP ${a.fp} FN ${a.fn}`);
  }
  if (r.late_readings.length) lines.push(`late readings (excluded from stream windows): ${r.late_readings.length}`);
  for (const f of r.verdict.failures) lines.push(`FAILURE: ${f}`);
  lines.push(`report: ${relative(PROJECT_ROOT, join(dir, 'report.md'))}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export async function reportCommand(dir: string): Promise<void> {
  if (!existsSync(join(dir, 'results.json'))) throw new UsageError(`${dir} has no results.json`);
  const files = await rerenderReport(dir);
  process.stdout.write(`rendered ${files.join(', ')} in ${dir}\n`);
}

export type { RunResult };
