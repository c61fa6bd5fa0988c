import type { Pool } from '../infra/mysql.js';
import type { AlertRecord, Severity } from '../pipelines/rules/types.js';
import { commitTimes, streamStageTimes, type WriteBatchRange } from './commit-attribution.js';
import type { StageTimes } from './stages.js';

/** What the run left in MySQL, read back after the pipelines stopped. */
export interface StoredReading {
  patient_id: number;
  seq: number;
  ingest_id: number;
  event_time: number;
  appended_at: number;
  /** t_sent from the producer's header; null when the message carried none. */
  sent_at: number | null;
  topic: string;
  partition: number;
  offset: number;
}

export interface CommittedAlert extends AlertRecord {
  committed_at: number | null;
}

export interface RunData {
  readings: StoredReading[];
  /** Rows in patient_vitals minus distinct (patient_id, seq): 0 unless the key were broken. */
  duplicateRows: number;
  rejected: { ingest: number; stream: number };
  /** Of ingest's rejections: another run's readings, conflicting duplicates, database refusals. */
  rejectedKinds: { foreign: number; conflicts: number; refused: number };
  alerts: Record<'stream' | 'batch', CommittedAlert[]>;
  windows: Record<'stream' | 'batch', number>;
  /** Per window row: its max event_time and the commit time of the transaction that wrote it. */
  windowCommits: Record<'stream' | 'batch', Array<{ maxEventTime: number; committedAt: number | null }>>;
  /** Per role: write transactions committed and rows they wrote (write_batches). */
  writes: Record<string, { transactions: number; rows: number }>;
  /** t_committed of each reading's result, per mode (null: not processed, or its commit time unknown). */
  committedAt: Record<'stream' | 'batch', Float64Array>;
  /** The stream's stage instants per reading (stages.ts). */
  streamStages: StageTimes;
}

export async function collectRun(pool: Pool, runId: string): Promise<RunData> {
  const readings = await readReadings(pool, runId);
  const [dupRows] = await pool.query(
    'SELECT COUNT(*) - COUNT(DISTINCT patient_id, seq) AS d FROM patient_vitals WHERE run_id = ?',
    [runId],
  );
  const { rejected, rejectedKinds } = await readRejections(pool, runId);
  const ranges = await readRanges(pool, runId);
  const alerts = await readAlerts(pool, runId);
  const { windows, windowCommits } = await readWindows(pool, runId);
  const writes = await readWrites(pool, runId);

  return {
    readings,
    writes,
    duplicateRows: Number((dupRows as Array<{ d: number }>)[0]?.d ?? 0),
    rejected,
    rejectedKinds,
    alerts,
    windows,
    windowCommits,
    committedAt: commitTimes(readings, ranges),
    streamStages: streamStageTimes(readings, ranges),
  };
}

async function readReadings(pool: Pool, runId: string): Promise<StoredReading[]> {
  const [readingRows] = await pool.query(
    `SELECT patient_id, seq, ingest_id, event_time, appended_at, sent_at, kafka_topic AS topic, kafka_partition AS \`partition\`, kafka_offset AS \`offset\`
       FROM patient_vitals WHERE run_id = ? ORDER BY ingest_id`,
    [runId],
  );
  return (readingRows as StoredReading[]).map((r) => ({
    ...r,
    ingest_id: Number(r.ingest_id),
    event_time: Number(r.event_time),
    appended_at: Number(r.appended_at),
    offset: Number(r.offset),
    sent_at: r.sent_at === null ? null : Number(r.sent_at),
  }));
}

async function readRejections(pool: Pool, runId: string): Promise<Pick<RunData, 'rejected' | 'rejectedKinds'>> {
  const [rejRows] = await pool.query(
    'SELECT role, COUNT(*) AS n FROM rejected_readings WHERE run_id = ? GROUP BY role',
    [runId],
  );
  const rejected = { ingest: 0, stream: 0 };
  for (const r of rejRows as Array<{ role: string; n: number }>)
    if (r.role === 'ingest' || r.role === 'stream') rejected[r.role] = Number(r.n);
  const [kindRows] = await pool.query(
    `SELECT SUM(reason LIKE 'foreign run%') AS foreign_, SUM(reason LIKE 'duplicate with different content%') AS conflicts,
            SUM(reason LIKE 'database refused%') AS refused
       FROM rejected_readings WHERE run_id = ? AND role = 'ingest'`,
    [runId],
  );
  const k = (kindRows as Array<{ foreign_: unknown; conflicts: unknown; refused: unknown }>)[0];
  const rejectedKinds = {
    foreign: Number(k?.foreign_ ?? 0),
    conflicts: Number(k?.conflicts ?? 0),
    refused: Number(k?.refused ?? 0),
  };
  return { rejected, rejectedKinds };
}

/** The stream and batch write-batch ranges with their commit times (commit-attribution.ts). */
async function readRanges(pool: Pool, runId: string): Promise<WriteBatchRange[]> {
  const [rangeRows] = await pool.query(
    `SELECT r.role, b.committed_at, b.commit_started_at, r.fetched_at, r.kafka_topic, r.kafka_partition, r.first_offset, r.last_offset,
            r.ingest_lo, r.ingest_hi, r.patient_lo, r.patient_hi
       FROM write_batch_ranges r JOIN write_batches b USING (run_id, role, write_batch)
      WHERE r.run_id = ? AND r.role IN ('stream', 'batch')`,
    [runId],
  );
  return (rangeRows as WriteBatchRange[]).map((r) => ({
    ...r,
    committed_at: Number(r.committed_at),
    first_offset: Number(r.first_offset),
    last_offset: Number(r.last_offset),
    ingest_lo: Number(r.ingest_lo),
    ingest_hi: Number(r.ingest_hi),
    fetched_at: r.fetched_at == null ? null : Number(r.fetched_at),
    commit_started_at: r.commit_started_at == null ? null : Number(r.commit_started_at),
  }));
}

async function readAlerts(pool: Pool, runId: string): Promise<RunData['alerts']> {
  const [alertRows] = await pool.query(
    `SELECT a.mode, a.rule_id, a.severity, a.patient_id, a.seq, a.window_start, a.event_time, b.committed_at
       FROM alerts a LEFT JOIN write_batches b ON b.run_id = a.run_id AND b.role = a.mode AND b.write_batch = a.write_batch
      WHERE a.run_id = ?`,
    [runId],
  );
  const alerts: RunData['alerts'] = { stream: [], batch: [] };
  for (const a of alertRows as Array<{
    mode: 'stream' | 'batch';
    rule_id: string;
    severity: Severity;
    patient_id: number;
    seq: number | null;
    window_start: number | null;
    event_time: number;
    committed_at: number | null;
  }>) {
    alerts[a.mode].push({
      rule_id: a.rule_id,
      severity: a.severity,
      patient_id: a.patient_id,
      seq: a.seq,
      window_start: a.window_start === null ? null : Number(a.window_start),
      event_time: Number(a.event_time),
      committed_at: a.committed_at === null ? null : Number(a.committed_at),
    });
  }
  return alerts;
}

async function readWindows(pool: Pool, runId: string): Promise<Pick<RunData, 'windows' | 'windowCommits'>> {
  const [windowRows] = await pool.query(
    `SELECT w.mode, w.max_event_time, b.committed_at FROM window_stats w
       LEFT JOIN write_batches b ON b.run_id = w.run_id AND b.role = w.mode AND b.write_batch = w.write_batch
      WHERE w.run_id = ?`,
    [runId],
  );
  const windows = { stream: 0, batch: 0 };
  const windowCommits: RunData['windowCommits'] = { stream: [], batch: [] };
  for (const w of windowRows as Array<{
    mode: 'stream' | 'batch';
    max_event_time: number;
    committed_at: number | null;
  }>) {
    windows[w.mode]++;
    windowCommits[w.mode].push({
      maxEventTime: Number(w.max_event_time),
      committedAt: w.committed_at === null ? null : Number(w.committed_at),
    });
  }
  return { windows, windowCommits };
}

async function readWrites(pool: Pool, runId: string): Promise<RunData['writes']> {
  const [writeRows] = await pool.query(
    'SELECT role, COUNT(*) AS transactions, COALESCE(SUM(row_count), 0) AS row_total FROM write_batches WHERE run_id = ? GROUP BY role',
    [runId],
  );
  const writes: RunData['writes'] = {};
  for (const w of writeRows as Array<{ role: string; transactions: number | string; row_total: number | string }>) {
    writes[w.role] = { transactions: Number(w.transactions), rows: Number(w.row_total) };
  }
  return writes;
}
