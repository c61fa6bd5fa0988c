import type { Mode } from '../../domain/modes.js';
import type { AttributedCost, CostResult, ModeCost, SharedCost } from '../../results/schema.js';

export interface CostInputs {
  /**
   * Per process group (generator, ingest, stream, batch, broker, database, external jobs): CPU
   * seconds and peak memory, and how many processes it had (absent: 1).
   */
  processes: Record<string, { cpuS: number; peakRssMiB: number; processes?: number }>;
  /** Seconds of one CPU clock tick (absent: no resolution is stated). */
  tickS?: number;
  sampledS: number;
  /** Per role: write transactions and rows committed (write_batches). */
  writes: Record<string, { transactions: number; rows: number }>;
  /** Per role: seconds it spent processing. */
  busyS: Record<string, number>;
  /** Per role: readings it processed. */
  readings: Record<string, number>;
  modes: ReadonlyArray<Mode>;
  /** External modes: their process groups' names; each read every reading of the run. */
  externals?: ReadonlyArray<string>;
  /** Each group's CPU seconds per second with no load (the idle baseline), and how long it was timed. */
  idle?: { seconds: number; cpuPerS: Record<string, number> };
}

/**
 * The process groups each mode needs and no other mode does. Batch reads what ingest lands in
 * patient_vitals, which nothing else reads; the stream and an external job read Kafka themselves.
 */
function rolesOfMode(mode: string): string[] {
  return mode === 'batch' ? ['batch', 'ingest'] : [mode];
}

function modeCost(role: string, x: CostInputs): ModeCost | undefined {
  const p = x.processes[role];
  if (!p) return undefined;
  const readings = x.readings[role] ?? 0;
  return {
    cpu_s: round3(p.cpuS),
    peak_rss_mib: round3(p.peakRssMiB),
    busy_s: round3(x.busyS[role] ?? 0),
    db_rows: x.writes[role]?.rows ?? 0,
    db_transactions: x.writes[role]?.transactions ?? 0,
    readings,
    cpu_ms_per_1000_readings: readings > 0 ? round3((p.cpuS * 1_000_000) / readings) : 0,
  };
}

/** The cost side of a run from what was sampled and counted (pure: tested on hand-made inputs). */
export function computeCost(x: CostInputs): CostResult {
  const modes: CostResult['modes'] = {};
  for (const m of x.modes) {
    const c = modeCost(m, x);
    if (c) modes[m] = c;
  }
  const ingest = modeCost('ingest', x);
  const attributed = attributedCosts(x);
  const shared = sharedCosts(x);
  return {
    modes,
    ...(ingest ? { ingest } : {}),
    ...(x.processes.generator ? { generator_cpu_s: round3(x.processes.generator.cpuS) } : {}),
    ...(x.externals?.length ? { external: externalCosts(x) } : {}),
    broker_cpu_s: x.processes.broker ? round3(x.processes.broker.cpuS) : null,
    database_cpu_s: x.processes.database ? round3(x.processes.database.cpuS) : null,
    sampled_s: round3(x.sampledS),
    // The sampler counts every process from the run's first sample, once every mode was ready (proc-sampler.ts).
    cpu_counted_from: 'ready',
    ...(x.idle
      ? {
          idle: {
            seconds: round3(x.idle.seconds),
            cpu_ms_per_s: Object.fromEntries(Object.entries(x.idle.cpuPerS).map(([g, v]) => [g, round3(v * 1000)])),
          },
        }
      : {}),
    ...(Object.keys(attributed).length ? { attributed } : {}),
    ...(Object.keys(shared).length ? { shared } : {}),
  };
}

/** Every reading of the run went through ingest: the count each mode's cost is divided by. */
function readingsOfRun(x: CostInputs): number {
  return x.readings.ingest ?? Math.max(0, ...Object.values(x.readings));
}

/** CPU above the idle baseline over the sampled span (at least 0), per 1,000 readings; undefined without a baseline. */
function aboveIdle(x: CostInputs, groups: string[], cpuS: number, readings: number): number | undefined {
  if (!x.idle || readings <= 0 || groups.some((g) => x.idle!.cpuPerS[g] === undefined)) return undefined;
  const idleS = groups.reduce((t, g) => t + x.idle!.cpuPerS[g]! * x.sampledS, 0);
  return round3((Math.max(0, cpuS - idleS) * 1_000_000) / readings);
}

/**
 * How far the figure above idle can be off from the CPU counters alone, per 1,000 readings: each
 * process's counter is read to a clock tick at either end of the run and of the idle interval,
 * and the idle rate's error is extrapolated over the whole run (sampled_s / idle seconds). At a
 * low rate (a reading a second) this is larger than the figure: then it says nothing.
 */
function aboveIdleResolution(x: CostInputs, groups: string[], readings: number): number | undefined {
  if (!x.idle || !x.tickS || readings <= 0 || !(x.idle.seconds > 0)) return undefined;
  const processes = groups.reduce((t, g) => t + (x.processes[g]?.processes ?? 1), 0);
  const cpuS = 2 * x.tickS * processes * (1 + x.sampledS / x.idle.seconds);
  return round3((cpuS * 1_000_000) / readings);
}

function idleMsPerS(x: CostInputs, groups: string[]): number | undefined {
  if (!x.idle || groups.some((g) => x.idle!.cpuPerS[g] === undefined)) return undefined;
  return round3(groups.reduce((t, g) => t + x.idle!.cpuPerS[g]! * 1000, 0));
}

function attributedCosts(x: CostInputs): Record<string, AttributedCost> {
  const out: Record<string, AttributedCost> = {};
  const readings = readingsOfRun(x);
  for (const mode of [...x.modes, ...(x.externals ?? [])]) {
    const roles = rolesOfMode(mode).filter((r) => x.processes[r]);
    if (roles.length === 0) continue;
    const cpuS = roles.reduce((t, r) => t + x.processes[r]!.cpuS, 0);
    const builtIn = (x.modes as readonly string[]).includes(mode);
    const above = aboveIdle(x, roles, cpuS, readings);
    const idle = idleMsPerS(x, roles);
    out[mode] = {
      roles,
      readings,
      cpu_s: round3(cpuS),
      cpu_ms_per_1000_readings: readings > 0 ? round3((cpuS * 1_000_000) / readings) : 0,
      ...(idle !== undefined ? { idle_cpu_ms_per_s: idle } : {}),
      ...(above !== undefined ? { cpu_ms_per_1000_above_idle: above } : {}),
      ...withResolution(aboveIdleResolution(x, roles, readings)),
      peak_rss_mib: round3(roles.reduce((t, r) => t + x.processes[r]!.peakRssMiB, 0)),
      ...(builtIn
        ? {
            db_transactions: roles.reduce((t, r) => t + (x.writes[r]?.transactions ?? 0), 0),
            db_rows: roles.reduce((t, r) => t + (x.writes[r]?.rows ?? 0), 0),
          }
        : {}),
    };
  }
  return out;
}

/** The broker and the database serve every mode; ingest too when no batch mode ran (it only records what was stored). */
function sharedCosts(x: CostInputs): Record<string, SharedCost> {
  const out: Record<string, SharedCost> = {};
  const readings = readingsOfRun(x);
  const groups = ['broker', 'database', ...(x.modes.includes('batch') ? [] : ['ingest'])];
  for (const g of groups) {
    const p = x.processes[g];
    if (!p) continue;
    const above = aboveIdle(x, [g], p.cpuS, readings);
    const idle = idleMsPerS(x, [g]);
    out[g] = {
      cpu_s: round3(p.cpuS),
      ...(idle !== undefined ? { idle_cpu_ms_per_s: idle } : {}),
      ...(above !== undefined ? { cpu_ms_per_1000_above_idle: above } : {}),
      ...withResolution(aboveIdleResolution(x, [g], readings)),
    };
  }
  return out;
}

function withResolution(r: number | undefined): { cpu_ms_per_1000_above_idle_resolution?: number } {
  return r === undefined ? {} : { cpu_ms_per_1000_above_idle_resolution: r };
}

function externalCosts(x: CostInputs): NonNullable<CostResult['external']> {
  const out: NonNullable<CostResult['external']> = {};
  const readings = x.readings.ingest ?? 0;
  for (const name of x.externals ?? []) {
    const p = x.processes[name];
    if (!p) continue;
    out[name] = {
      cpu_s: round3(p.cpuS),
      peak_rss_mib: round3(p.peakRssMiB),
      cpu_ms_per_1000_readings: readings > 0 ? round3((p.cpuS * 1_000_000) / readings) : 0,
    };
  }
  return out;
}

/**
 * A mode's CPU per 1,000 readings at an offered rate: its cost above idle plus its idle CPU
 * spread over the readings of one second at that rate. Both parts measured; undefined without
 * an idle baseline.
 */
export function cpuPer1000AtRate(c: AttributedCost, ratePerS: number): number | undefined {
  if (c.cpu_ms_per_1000_above_idle === undefined || c.idle_cpu_ms_per_s === undefined || !(ratePerS > 0))
    return undefined;
  return c.cpu_ms_per_1000_above_idle + (c.idle_cpu_ms_per_s * 1000) / ratePerS;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
