/**
 * The child of the collection memory bench (collect-memory.ts): collects one stored run with
 * the harness's own collectRun, as result.ts calls it, and reports its memory by phase to the
 * parent over IPC. The parent samples this process's RSS from outside.
 */
import { loadServiceConfig } from '../src/config.js';
import { createPool, numberOf, queryRows, type Pool } from '../src/infra/mysql.js';
import { collectRun, type CollectTuning } from '../src/harness/measure/collect.js';
import { SightingIndex, type SightingLookup } from '../src/harness/measure/results-observer.js';
import type { RuleSet } from '../src/pipelines/rules/types.js';
import type { DatasetParams } from '../src/generators/dataset.js';

/** What the parent asks the child to collect (JSON in argv[2]). */
export interface ChildJob {
  runId: string;
  dataset: DatasetParams;
  rate: number;
  planned: number;
  startMs: number;
  warmupS: number;
  ruleSet: RuleSet;
  /** Build the results observer's sightings (one per alert) before collecting, as a run with an observation holds them. */
  sightings: boolean;
  /** How collection cuts the run (absent: its defaults, as a bench uses). */
  tuning?: CollectTuning;
}

/** One phase's memory, MiB. */
export interface PhaseMemory {
  phase: string;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
}

export interface ChildReport {
  phases: PhaseMemory[];
  /** The kernel's peak RSS of this process (getrusage), MiB. */
  maxRssMiB: number;
  /** Highest heapUsed seen by the in-process sampler, MiB. */
  peakHeapUsedMiB: number;
  collectMs: number;
  stored: number;
}

const MIB = 1024 * 1024;

function phase(name: string): PhaseMemory {
  const m = process.memoryUsage();
  return { phase: name, rssMiB: m.rss / MIB, heapUsedMiB: m.heapUsed / MIB, externalMiB: m.external / MIB };
}

/** What the harness holds of the observer's report (observer-process.ts): per mode, alert id -> when it was seen. */
async function readSightings(pool: Pool, runId: string): Promise<Map<string, SightingLookup>> {
  const out = new Map<string, SightingLookup>();
  for (const mode of ['stream', 'batch']) {
    const triples = await queryRows(
      pool,
      'SELECT alert_id, event_time FROM alerts WHERE run_id = ? AND mode = ?',
      [runId, mode],
      (r): [number, number, number] => [numberOf(r.alert_id), numberOf(r.event_time) + 40, numberOf(r.event_time) + 20],
    );
    out.set(mode, SightingIndex.fromTriples(triples));
  }
  return out;
}

async function main(job: ChildJob): Promise<ChildReport> {
  const pool = createPool(loadServiceConfig().mysqlUrl, { connectionLimit: 2 });
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
  try {
    const phases = [phase('started')];
    const sightings = job.sightings ? await readSightings(pool, job.runId) : undefined;
    phases.push(phase('before collection'));
    const began = performance.now();
    const { figures } = await collectRun(pool, {
      runId: job.runId,
      dataset: job.dataset,
      rate: job.rate,
      planned: job.planned,
      ruleSet: job.ruleSet,
      modes: ['stream', 'batch'],
      startMs: job.startMs,
      warmupEnd: job.startMs + job.warmupS * 1000,
      windowSizeOf: new Map(job.ruleSet.rules.map((r) => [r.id, r.kind === 'window' ? r.window_s : 0])),
      faultIntervals: [],
      ...(sightings ? { sightings } : {}),
      external: false,
      ...(job.tuning ? { tuning: job.tuning } : {}),
    });
    const collectMs = performance.now() - began;
    phases.push(phase('after collection'));
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      phases.push(phase('after collection, full GC (--expose-gc)'));
    }
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    return {
      phases,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      peakHeapUsedMiB: peakHeap / MIB,
      collectMs,
      stored: figures.storage.stored,
    };
  } finally {
    clearInterval(sampler);
    await pool.end();
  }
}

main(JSON.parse(process.argv[2]!) as ChildJob).then(
  (report) => process.send!(report, () => process.exit(0)),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
