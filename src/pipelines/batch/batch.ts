import { join } from 'node:path';
import { Piscina } from 'piscina';
import { PROJECT_ROOT } from '../../config.js';
import { numberOf, queryRows, type Pool } from '../../infra/mysql.js';
import { withRetry } from '../../infra/retry.js';
import type { RuleSet } from '../rules/types.js';
import type { BatchTask, BatchTaskResult } from './task.js';

export interface BatchOptions {
  pool: Pool;
  mysqlUrl: string;
  runId: string;
  ruleSet: RuleSet;
  allowedLatenessMs: number;
  threads: number;
  /** Tasks per thread and pass: more than one evens out uneven patient ranges. */
  tasksPerThread?: number;
  /**
   * Continue after the last pass recorded for this run (a restarted role). Otherwise the
   * first pass starts from the beginning and the run's recorded passes are forgotten.
   */
  resume?: boolean;
  /** Where windows are aligned (rules/windows.ts windowStartOf); a run aligns them to its schedule. */
  windowOriginMs?: number;
  log?: (line: string) => void;
}

export interface PassResult {
  pass: number;
  final: boolean;
  ingestLo: number;
  ingestHi: number;
  readings: number;
  alerts: number;
  windows: number;
  windowsRecomputed: number;
  startedAt: number;
  endedAt: number;
}

/** Workers run compiled JavaScript (Node 20 has no TypeScript loader): dist/ is built by `npm run build`. */
const WORKER_FILE = join(PROJECT_ROOT, 'dist/src/pipelines/batch/worker.js');

/**
 * The batch layer: each pass takes the readings that ingest committed since the previous
 * pass (ingest_id order), splits them by patient range over a Piscina pool, and writes the
 * alerts and complete windows. A re-run of a pass rewrites the same keyed rows.
 */
export class BatchPipeline {
  readonly passes: PassResult[] = [];
  private readonly piscina: Piscina<BatchTask, BatchTaskResult>;
  private ingestLo = 0;
  private prevWatermark = -1;
  /** Largest event_time stored so far: the batch layer's watermark. */
  private watermark = -1;
  private readonly patients = new Set<number>();
  /** Passes completed by earlier instances of this role in the same run. */
  private passOffset = 0;
  private windowOriginMs: number;
  private running: Promise<PassResult | null> = Promise.resolve(null);
  private resumed: Promise<void> | null = null;

  constructor(private readonly opts: BatchOptions) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1)
      throw new Error(`threads must be a positive integer, got ${opts.threads}`);
    this.piscina = new Piscina({ filename: WORKER_FILE, minThreads: opts.threads, maxThreads: opts.threads });
    this.windowOriginMs = opts.windowOriginMs ?? 0;
  }

  /** Align the windows to the run's schedule, told by the harness before the load starts (before any pass wrote a window). */
  setWindowOrigin(originMs: number): void {
    if (originMs === this.windowOriginMs) return;
    if (this.passes.some((p) => p.windows > 0))
      throw new Error(`window origin changed from ${this.windowOriginMs} to ${originMs} after windows were written`);
    this.windowOriginMs = originMs;
  }

  /**
   * Passes never overlap: a pass requested while one runs waits for it. A pass is retried as
   * a whole on a retriable error (it rewrites keyed rows); its state moves only when it ends.
   */
  runPass(final = false): Promise<PassResult | null> {
    this.resumed ??= withRetry('batch resume', () => this.resume(), { log: this.opts.log });
    const resumed = this.resumed;
    const next = this.running
      .then(() => resumed)
      .then(() => withRetry('batch pass', () => this.pass(final), { log: this.opts.log }));
    this.running = next.catch(() => null);
    return next;
  }

  async close(): Promise<void> {
    await this.running;
    await this.piscina.destroy();
  }

  /** After a restart: continue after the last completed pass of this run (none: from the start). */
  private async resume(): Promise<void> {
    const { pool, runId } = this.opts;
    if (!this.opts.resume) {
      await pool.query('DELETE FROM batch_passes WHERE run_id = ?', [runId]);
      return;
    }
    const rows = await queryRows(
      pool,
      'SELECT pass, ingest_hi, watermark, final FROM batch_passes WHERE run_id = ? ORDER BY pass DESC LIMIT 1',
      [runId],
      (r) => ({
        pass: numberOf(r.pass),
        ingest_hi: numberOf(r.ingest_hi),
        watermark: numberOf(r.watermark),
        final: Boolean(r.final),
      }),
    );
    const last = rows[0];
    if (!last) return;
    this.ingestLo = last.ingest_hi;
    this.prevWatermark = last.final ? Number.MAX_SAFE_INTEGER : last.watermark;
    this.passOffset = last.pass;
    const seen = await queryRows(
      pool,
      'SELECT patient_id, MAX(event_time) AS wm FROM patient_vitals WHERE run_id = ? AND ingest_id <= ? GROUP BY patient_id',
      [runId, this.ingestLo],
      (r) => ({ patient_id: numberOf(r.patient_id), wm: numberOf(r.wm) }),
    );
    for (const r of seen) {
      this.patients.add(r.patient_id);
      this.watermark = Math.max(this.watermark, r.wm);
    }
    this.opts.log?.(`resuming after pass ${last.pass} (ingest_id > ${this.ingestLo})`);
  }

  private async pass(final: boolean): Promise<PassResult | null> {
    const startedAt = Date.now();
    const { pool, runId } = this.opts;
    const hiRows = await queryRows(
      pool,
      'SELECT COALESCE(MAX(ingest_id), 0) AS hi FROM patient_vitals WHERE run_id = ?',
      [runId],
      (r) => ({ hi: numberOf(r.hi) }),
    );
    const hi = hiRows[0]!.hi;
    if (hi <= this.ingestLo && !final) return null;
    // Only the new rows can raise the watermark or bring new patients (index by_run_ingest).
    const newRows = await queryRows(
      pool,
      'SELECT patient_id, MAX(event_time) AS wm FROM patient_vitals WHERE run_id = ? AND ingest_id > ? AND ingest_id <= ? GROUP BY patient_id',
      [runId, this.ingestLo, hi],
      (r) => ({ patient_id: numberOf(r.patient_id), wm: numberOf(r.wm) }),
    );
    for (const r of newRows) {
      this.patients.add(r.patient_id);
      this.watermark = Math.max(this.watermark, r.wm);
    }
    const watermark = this.watermark;
    const patients = [...this.patients].sort((a, b) => a - b);
    const ranges = splitRanges(patients, this.opts.threads * (this.opts.tasksPerThread ?? 2));
    const tasks = ranges.map(([lo, hiPatient]) =>
      this.piscina.run({
        mysqlUrl: this.opts.mysqlUrl,
        runId,
        ruleSet: this.opts.ruleSet,
        allowedLatenessMs: this.opts.allowedLatenessMs,
        patientLo: lo,
        patientHi: hiPatient,
        ingestLo: this.ingestLo,
        ingestHi: hi,
        prevWatermark: this.prevWatermark,
        watermark,
        final,
        windowOriginMs: this.windowOriginMs,
        passStartedAt: startedAt,
      }),
    );
    const results = await Promise.all(tasks);
    const result: PassResult = {
      pass: this.passOffset + this.passes.length + 1,
      final,
      ingestLo: this.ingestLo,
      ingestHi: hi,
      readings: sum(results, 'readings'),
      alerts: sum(results, 'alerts'),
      windows: sum(results, 'windows'),
      windowsRecomputed: sum(results, 'windowsRecomputed'),
      startedAt,
      endedAt: Date.now(),
    };
    await pool.query(
      `INSERT INTO batch_passes (run_id, pass, ingest_lo, ingest_hi, watermark, final, readings, started_at, ended_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE ended_at = ended_at`,
      [
        runId,
        result.pass,
        result.ingestLo,
        result.ingestHi,
        watermark,
        final ? 1 : 0,
        result.readings,
        result.startedAt,
        result.endedAt,
      ],
    );
    this.ingestLo = hi;
    this.prevWatermark = final ? Number.MAX_SAFE_INTEGER : watermark;
    this.passes.push(result);
    return result;
  }
}

function sum(results: BatchTaskResult[], key: keyof BatchTaskResult): number {
  return results.reduce((s, r) => s + r[key], 0);
}

/** Split sorted patient ids into at most n contiguous ranges of near-equal count. */
export function splitRanges(sortedIds: number[], n: number): Array<[number, number]> {
  if (sortedIds.length === 0) return [];
  const parts = Math.max(1, Math.min(n, sortedIds.length));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < parts; i++) {
    const from = Math.floor((i * sortedIds.length) / parts);
    const to = Math.floor(((i + 1) * sortedIds.length) / parts) - 1;
    out.push([sortedIds[from]!, sortedIds[to]!]);
  }
  return out;
}
