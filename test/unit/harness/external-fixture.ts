/** An external mode added to a hand-made RunResult (fixture.ts), with obviously fake values, for tests only. */
import type { ExternalModeResult, RunResult } from '../../../src/results/schema.js';
import { hist, range } from './fixture.js';

export interface ExternalJobFigures {
  /** Result latency p50 / p99 (the rest of the summary from a 1..1000 ms histogram). */
  p50?: number;
  p99?: number;
  loss?: number;
  duplicates?: number;
  unexpected?: number;
  /** The rules its job declared on its ready line (absent: every rule). */
  rules?: string[];
  cpuMsPer1000?: number;
  resolutionMs?: number;
}

/** `run` with the external mode `name` (an alerts job), as the harness records it in results.json. */
export function withExternalJob(run: RunResult, name: string, f: ExternalJobFigures = {}): RunResult {
  const latency = { ...hist(range(1, 1000)).summary() };
  if (f.p50 !== undefined) latency.p50 = f.p50;
  if (f.p99 !== undefined) latency.p99 = f.p99;
  const job: ExternalModeResult = {
    name,
    command: `bash examples/${name}/run.sh`,
    kind: 'alerts',
    startup_s: 21.5,
    startup_cpu_s: 22.25,
    rows: 900 + (f.duplicates ?? 0),
    results: 900,
    duplicates: f.duplicates ?? 0,
    loss: f.loss ?? 0,
    unexpected: f.unexpected ?? 0,
    result_latency: latency,
    result_latency_at_insert: latency,
    seen_only_by_final_scan: 0,
    poll_interval_ms: 2,
    visibility_resolution_ms: f.resolutionMs ?? 3.25,
    output_rate: 12.5,
    expected_rate: 12.5,
    exit: 'exited with code 0 when stopped',
    ...(f.rules ? { rules_evaluated: f.rules, rules_not_evaluated: ['other_rule'] } : {}),
  };
  run.parameters = { ...run.parameters, externals: [...externalSpecs(run), { name, command: job.command }] };
  run.external = {
    jobs: [...(run.external?.jobs ?? []), job],
    result_latency: { ...(run.external?.result_latency ?? {}), [name]: latency },
  };
  if (f.cpuMsPer1000 !== undefined) {
    run.cost ??= { modes: {}, broker_cpu_s: null, database_cpu_s: null, sampled_s: 60 };
    run.cost.cpu_counted_from = 'ready';
    run.cost.external = {
      ...(run.cost.external ?? {}),
      [name]: { cpu_s: 9, peak_rss_mib: 666, cpu_ms_per_1000_readings: f.cpuMsPer1000 },
    };
  }
  return run;
}

function externalSpecs(run: RunResult): unknown[] {
  const e = run.parameters.externals;
  return Array.isArray(e) ? (e as unknown[]) : [];
}
