import type { Mode } from '../../domain/modes.js';
import type { CostResult, ModeCost } from '../../results/schema.js';

export interface CostInputs {
  /** Per process group (generator, ingest, stream, batch, broker, database): CPU seconds and peak memory. */
  processes: Record<string, { cpuS: number; peakRssMiB: number }>;
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
  };
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

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
