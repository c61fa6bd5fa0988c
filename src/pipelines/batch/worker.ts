import { windowKey } from '../../domain/keys.js';
import type { Reading } from '../../domain/reading.js';
import { bulkInsert, createPool, inTransaction, nullableNumberOf, queryRows, type Pool } from '../../infra/mysql.js';
import { compileRuleSet, evaluateRecord, evaluateWindow, type CompiledRuleSet } from '../rules/evaluate.js';
import type { AlertRecord, WindowResult } from '../rules/types.js';
import { computeWindows, windowStartOf } from '../rules/windows.js';
import { ALERT_COLUMNS, ALERT_UPSERT, alertRow, WINDOW_COLUMNS, WINDOW_UPSERT, windowRow } from '../rows.js';
import { isRetriable, RETRIABLE_MARK, withRetry } from '../../infra/retry.js';
import { recordCommit, WriteBatchIds, type BatchTaskInstants } from '../write-batches.js';
import type { BatchTask, BatchTaskResult } from './task.js';

// One pool per worker thread, reused across tasks.
let pool: Pool | undefined;
const ids = new WriteBatchIds();

/** A patient_vitals row as the worker selects it: the reading's fields and its commit order. */
type VitalsRow = Omit<Reading, 'timestamp'> & { ingest_id: number };

/**
 * Piscina entry point: evaluate one patient range of one pass and write its results. An error
 * crosses the thread boundary without its code, so a retriable one says so in its message.
 */
export default async function runBatchTask(task: BatchTask): Promise<BatchTaskResult> {
  // Before any attempt: the time of a retried attempt counts in the read stage, not in the queue.
  const taskStartedAt = Date.now();
  try {
    return await withRetry('batch task', () => runTask(task, taskStartedAt));
  } catch (err) {
    if (isRetriable(err)) throw new Error(`${RETRIABLE_MARK}${(err as Error).message}`);
    throw err;
  }
}

async function runTask(task: BatchTask, taskStartedAt: number): Promise<BatchTaskResult> {
  pool ??= createPool(task.mysqlUrl, { connectionLimit: 2 });
  const compiled = compileRuleSet(task.ruleSet);
  const sizes = compiled.windowSizes;
  const lateness = task.allowedLatenessMs;
  const maxSizeMs = sizes.length ? Math.max(...sizes) * 1000 : 0;

  const minRows = await queryRows(
    pool,
    `SELECT MIN(event_time) AS t FROM patient_vitals
      WHERE run_id = ? AND patient_id BETWEEN ? AND ? AND ingest_id > ? AND ingest_id <= ?`,
    [task.runId, task.patientLo, task.patientHi, task.ingestLo, task.ingestHi],
    (r) => ({ t: nullableNumberOf(r.t) }),
  );
  const minNew = minRows[0]?.t ?? null;
  // Readings needed: the new ones, and every reading of a window that is new, still pending
  // (not complete at the previous watermark) or touched by a new (late) reading.
  const pendingFrom = task.prevWatermark < 0 ? 0 : task.prevWatermark - lateness - maxSizeMs;
  const newFrom = minNew === null ? Infinity : minNew - maxSizeMs;
  const fetchFrom = sizes.length ? Math.max(0, Math.min(pendingFrom, newFrom)) : Infinity;
  if (minNew === null && (sizes.length === 0 || (task.prevWatermark >= task.watermark && !task.final))) {
    return { readings: 0, alerts: 0, windows: 0, windowsRecomputed: 0, committedAt: Date.now() };
  }

  const [rows] = await pool.query(
    `SELECT patient_id, seq, ingest_id, source, event_time, heart_rate, body_temperature,
            blood_pressure_systolic, blood_pressure_diastolic, spo2_level
       FROM patient_vitals
      WHERE run_id = ? AND patient_id BETWEEN ? AND ? AND ingest_id <= ?
        AND (ingest_id > ? OR event_time >= ?)`,
    [
      task.runId,
      task.patientLo,
      task.patientHi,
      task.ingestHi,
      task.ingestLo,
      Number.isFinite(fetchFrom) ? fetchFrom : Number.MAX_SAFE_INTEGER,
    ],
  );
  const readDoneAt = Date.now();
  const outcome = evaluateRows(task, compiled, rows as VitalsRow[], fetchFrom);
  const instants = { passStartedAt: task.passStartedAt, taskStartedAt, readDoneAt };
  const committedAt = await writeResults(pool, task, compiled, outcome, instants);
  return {
    readings: outcome.readings,
    alerts: outcome.alerts.length,
    windows: outcome.windows.length,
    windowsRecomputed: outcome.recomputed.length,
    committedAt,
  };
}

interface TaskOutcome {
  /** New readings of the task: ingest_id in (ingestLo, ingestHi]. */
  readings: number;
  alerts: AlertRecord[];
  /** Complete windows to write: new ones, and recomputed ones. */
  windows: WindowResult[];
  /** Windows written by an earlier pass that new (late) readings touched. */
  recomputed: WindowResult[];
}

/** Evaluate the fetched rows: record rules on the new readings, window rules on the complete windows to (re)write. */
function evaluateRows(task: BatchTask, compiled: CompiledRuleSet, rows: VitalsRow[], fetchFrom: number): TaskOutcome {
  const sizes = compiled.windowSizes;
  const lateness = task.allowedLatenessMs;
  const alerts: AlertRecord[] = [];
  const windowInput: Reading[] = [];
  const newWindowKeys = new Set<string>();
  let readings = 0;
  for (const row of rows) {
    const reading: Reading = {
      patient_id: row.patient_id,
      source: row.source,
      seq: row.seq,
      event_time: Number(row.event_time),
      heart_rate: row.heart_rate,
      body_temperature: row.body_temperature,
      blood_pressure_systolic: row.blood_pressure_systolic,
      blood_pressure_diastolic: row.blood_pressure_diastolic,
      spo2_level: row.spo2_level,
      timestamp: '',
    };
    const isNew = Number(row.ingest_id) > task.ingestLo;
    if (isNew) {
      readings++;
      alerts.push(...evaluateRecord(reading, compiled.recordRules));
      for (const s of sizes)
        newWindowKeys.add(windowKey(s, reading.patient_id, windowStartOf(reading.event_time, s, task.windowOriginMs)));
    }
    if (reading.event_time >= fetchFrom) windowInput.push(reading);
  }

  const complete = (w: WindowResult): boolean =>
    task.final || w.window_start + w.window_s * 1000 + lateness <= task.watermark;
  const writtenBefore = (w: WindowResult): boolean =>
    task.prevWatermark >= 0 && w.window_start + w.window_s * 1000 + lateness <= task.prevWatermark;
  const windows: WindowResult[] = [];
  const recomputed: WindowResult[] = [];
  for (const w of computeWindows(windowInput, sizes, task.windowOriginMs)) {
    if (!complete(w)) continue;
    const touched = newWindowKeys.has(windowKey(w.window_s, w.patient_id, w.window_start));
    if (writtenBefore(w)) {
      if (!touched) continue;
      recomputed.push(w);
    }
    windows.push(w);
    alerts.push(...evaluateWindow(w, compiled.windowRulesBySize.get(w.window_s) ?? []));
  }

  return { readings, alerts, windows, recomputed };
}

/**
 * Write the alerts and windows in one transaction, then record its commit with the task's
 * instants; returns t_committed. The transaction begins as soon as evaluation ends, so its
 * t_commit_start is also the task's t_eval_done.
 */
async function writeResults(
  p: Pool,
  task: BatchTask,
  compiled: CompiledRuleSet,
  { alerts, windows, recomputed }: TaskOutcome,
  batchInstants: BatchTaskInstants,
): Promise<number> {
  const batch = ids.next();
  const commitStartedAt = Date.now();
  await withRetry('batch write', () =>
    inTransaction(p, async (conn) => {
      // Late readings changed these windows: their earlier alerts are replaced, not kept.
      for (const w of recomputed) {
        await conn.query(
          `DELETE FROM alerts WHERE run_id = ? AND mode = 'batch' AND subject_kind = 'window' AND patient_id = ? AND subject = ? AND rule_id IN (?)`,
          [
            task.runId,
            w.patient_id,
            w.window_start,
            (compiled.windowRulesBySize.get(w.window_s) ?? []).map((r) => r.id),
          ],
        );
      }
      if (alerts.length)
        await bulkInsert(
          conn,
          `INSERT INTO alerts ${ALERT_COLUMNS}`,
          alerts.map((a) => alertRow(task.runId, 'batch', a, batch)),
          ALERT_UPSERT,
        );
      if (windows.length)
        await bulkInsert(
          conn,
          `INSERT INTO window_stats ${WINDOW_COLUMNS}`,
          windows.map((w) => windowRow(task.runId, 'batch', w, batch)),
          WINDOW_UPSERT,
        );
    }),
  );
  const committedAt = Date.now();
  await withRetry('batch commit record', () =>
    recordCommit(p, task.runId, 'batch', {
      batch,
      committedAt,
      commitStartedAt,
      rowCount: alerts.length + windows.length,
      ranges: [],
      ingestRange: {
        ingestLo: task.ingestLo,
        ingestHi: task.ingestHi,
        patientLo: task.patientLo,
        patientHi: task.patientHi,
      },
      batchInstants,
    }),
  );
  return committedAt;
}
