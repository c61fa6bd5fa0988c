/** Runs for the comparison tests: the fixture's run with a chosen stream event-time p99. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../../../../../src/results/schema.js';
import { makeRunResult } from '../../fixture.js';

let counter = 0;

/** The fixture run (parameters rate 1234, seed 12345, patients 7) with stream event-time p99 = `p99` ms. */
export function runWithP99(p99: number, id?: string): RunResult {
  const r = makeRunResult({ runId: id ?? `FAKE-cmp-${++counter}` });
  r.modes[0]!.event_time_latency = { ...r.modes[0]!.event_time_latency, p99 };
  return r;
}

export const runsWithP99 = (values: number[], prefix = 'R'): RunResult[] =>
  values.map((v, i) => runWithP99(v, `${prefix}-${i + 1}`));

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'vitals-compare-'));
}

/** Writes `runs` as run folders (each with results.json) under `dir`; returns the folders. */
export function writeRunFolders(dir: string, runs: RunResult[]): string[] {
  return runs.map((r) => {
    const sub = join(dir, r.run_id);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'results.json'), JSON.stringify(r));
    return sub;
  });
}

/** The fixture run with chosen stream figures; `fellBehind`: its generator fell behind (an invalid measurement). */
export function runWith(
  id: string,
  f: { p50?: number; p99?: number; busyRate?: number; fellBehind?: boolean; complete?: boolean },
): RunResult {
  const r = makeRunResult({ runId: id });
  const stream = r.modes[0]!;
  stream.event_time_latency = {
    ...stream.event_time_latency,
    ...(f.p50 !== undefined ? { p50: f.p50 } : {}),
    ...(f.p99 !== undefined ? { p99: f.p99 } : {}),
  };
  if (f.busyRate !== undefined) stream.processing_rate_while_busy = f.busyRate;
  if (f.fellBehind) {
    r.input.generator_fell_behind = true;
    r.input.send_delay = { ...r.input.send_delay, p99: 2500 };
  }
  if (f.complete === false) {
    r.complete = false;
    r.incomplete_reason = 'pipelines did not drain within 60 s of the end of the load';
  }
  return r;
}

/** `n` runs named `<prefix>-1..n`, each with the figures `f(i)`. */
export const runsWith = (
  prefix: string,
  n: number,
  f: (i: number) => Parameters<typeof runWith>[1] = () => ({}),
): RunResult[] => Array.from({ length: n }, (_, i) => runWith(`${prefix}-${i + 1}`, f(i)));
