import type { Pool } from '../infra/mysql.js';
import type { AlertRecord, Severity } from '../pipelines/rules/types.js';

/** What the run left in MySQL, read back after the pipelines stopped. */
export interface StoredReading {
  patient_id: number;
  seq: number;
  ingest_id: number;
  event_time: number;
  appended_at: number;
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
}

interface RangeRow {
  role: 'stream' | 'batch';
  committed_at: number;
  kafka_topic: string;
  kafka_partition: number;
  first_offset: number;
  last_offset: number;
  ingest_lo: number;
  ingest_hi: number;
  patient_lo: number;
  patient_hi: number;
}

export async function collectRun(pool: Pool, runId: string): Promise<RunData> {
  const [readingRows] = await pool.query(
    `SELECT patient_id, seq, ingest_id, event_time, appended_at, kafka_topic AS topic, kafka_partition AS \`partition\`, kafka_offset AS \`offset\`
       FROM patient_vitals WHERE run_id = ? ORDER BY ingest_id`,
    [runId],
  );
  const readings = (readingRows as StoredReading[]).map((r) => ({
    ...r, ingest_id: Number(r.ingest_id), event_time: Number(r.event_time), appended_at: Number(r.appended_at), offset: Number(r.offset),
  }));
  const [dupRows] = await pool.query('SELECT COUNT(*) - COUNT(DISTINCT patient_id, seq) AS d FROM patient_vitals WHERE run_id = ?', [runId]);
  const [rejRows] = await pool.query('SELECT role, COUNT(*) AS n FROM rejected_readings WHERE run_id = ? GROUP BY role', [runId]);
  const rejected = { ingest: 0, stream: 0 };
  for (const r of rejRows as Array<{ role: string; n: number }>) if (r.role === 'ingest' || r.role === 'stream') rejected[r.role] = Number(r.n);
  const [kindRows] = await pool.query(
    `SELECT SUM(reason LIKE 'foreign run%') AS foreign_, SUM(reason LIKE 'duplicate with different content%') AS conflicts,
            SUM(reason LIKE 'database refused%') AS refused
       FROM rejected_readings WHERE run_id = ? AND role = 'ingest'`,
    [runId],
  );
  const k = (kindRows as Array<{ foreign_: unknown; conflicts: unknown; refused: unknown }>)[0];
  const rejectedKinds = { foreign: Number(k?.foreign_ ?? 0), conflicts: Number(k?.conflicts ?? 0), refused: Number(k?.refused ?? 0) };

  const [rangeRows] = await pool.query(
    `SELECT r.role, b.committed_at, r.kafka_topic, r.kafka_partition, r.first_offset, r.last_offset, r.ingest_lo, r.ingest_hi, r.patient_lo, r.patient_hi
       FROM write_batch_ranges r JOIN write_batches b USING (run_id, role, write_batch)
      WHERE r.run_id = ? AND r.role IN ('stream', 'batch')`,
    [runId],
  );
  const ranges = (rangeRows as RangeRow[]).map((r) => ({
    ...r, committed_at: Number(r.committed_at), first_offset: Number(r.first_offset), last_offset: Number(r.last_offset),
    ingest_lo: Number(r.ingest_lo), ingest_hi: Number(r.ingest_hi),
  }));

  const [alertRows] = await pool.query(
    `SELECT a.mode, a.rule_id, a.severity, a.patient_id, a.seq, a.window_start, a.event_time, b.committed_at
       FROM alerts a LEFT JOIN write_batches b ON b.run_id = a.run_id AND b.role = a.mode AND b.write_batch = a.write_batch
      WHERE a.run_id = ?`,
    [runId],
  );
  const alerts: RunData['alerts'] = { stream: [], batch: [] };
  for (const a of alertRows as Array<{ mode: 'stream' | 'batch'; rule_id: string; severity: Severity; patient_id: number; seq: number | null; window_start: number | null; event_time: number; committed_at: number | null }>) {
    alerts[a.mode].push({
      rule_id: a.rule_id, severity: a.severity, patient_id: a.patient_id, seq: a.seq,
      window_start: a.window_start === null ? null : Number(a.window_start), event_time: Number(a.event_time),
      committed_at: a.committed_at === null ? null : Number(a.committed_at),
    });
  }
  const [windowRows] = await pool.query(
    `SELECT w.mode, w.max_event_time, b.committed_at FROM window_stats w
       LEFT JOIN write_batches b ON b.run_id = w.run_id AND b.role = w.mode AND b.write_batch = w.write_batch
      WHERE w.run_id = ?`,
    [runId],
  );
  const windows = { stream: 0, batch: 0 };
  const windowCommits: RunData['windowCommits'] = { stream: [], batch: [] };
  for (const w of windowRows as Array<{ mode: 'stream' | 'batch'; max_event_time: number; committed_at: number | null }>) {
    windows[w.mode]++;
    windowCommits[w.mode].push({ maxEventTime: Number(w.max_event_time), committedAt: w.committed_at === null ? null : Number(w.committed_at) });
  }

  const [writeRows] = await pool.query(
    'SELECT role, COUNT(*) AS transactions, COALESCE(SUM(row_count), 0) AS row_total FROM write_batches WHERE run_id = ? GROUP BY role',
    [runId],
  );
  const writes: RunData['writes'] = {};
  for (const w of writeRows as Array<{ role: string; transactions: number | string; row_total: number | string }>) {
    writes[w.role] = { transactions: Number(w.transactions), rows: Number(w.row_total) };
  }

  return {
    readings,
    writes,
    duplicateRows: Number((dupRows as Array<{ d: number }>)[0]?.d ?? 0),
    rejected,
    rejectedKinds,
    alerts,
    windows,
    windowCommits,
    committedAt: {
      stream: streamCommitTimes(readings, ranges.filter((r) => r.role === 'stream')),
      batch: batchCommitTimes(readings, ranges.filter((r) => r.role === 'batch')),
    },
  };
}

/**
 * A stream write batch covers an offset range of one partition; a reading's result committed
 * with the first batch that covered its offset (a replay after a crash covers it again later).
 */
function streamCommitTimes(readings: StoredReading[], ranges: RangeRow[]): Float64Array {
  const byPartition = new Map<string, { list: RangeRow[]; maxSpan: number }>();
  for (const r of ranges) {
    const key = `${r.kafka_topic}:${r.kafka_partition}`;
    const entry = byPartition.get(key) ?? { list: [], maxSpan: 0 };
    entry.list.push(r);
    entry.maxSpan = Math.max(entry.maxSpan, r.last_offset - r.first_offset);
    byPartition.set(key, entry);
  }
  for (const { list } of byPartition.values()) list.sort((a, b) => a.first_offset - b.first_offset);
  const out = new Float64Array(readings.length).fill(NaN);
  readings.forEach((reading, i) => {
    const entry = byPartition.get(`${reading.topic}:${reading.partition}`);
    if (!entry) return;
    let best = NaN;
    // Candidates start at or before the offset and no further back than the longest range.
    for (let j = upperBound(entry.list, reading.offset, (r) => r.first_offset) - 1; j >= 0; j--) {
      const r = entry.list[j]!;
      if (r.first_offset < reading.offset - entry.maxSpan) break;
      if (r.last_offset >= reading.offset && !(r.committed_at >= best)) best = r.committed_at;
    }
    out[i] = best;
  });
  return out;
}

/** A batch task covers (ingest_lo, ingest_hi] x [patient_lo, patient_hi]. */
function batchCommitTimes(readings: StoredReading[], ranges: RangeRow[]): Float64Array {
  const passes = new Map<number, RangeRow[]>();
  for (const r of ranges) passes.set(r.ingest_hi, [...(passes.get(r.ingest_hi) ?? []), r]);
  const his = [...passes.keys()].sort((a, b) => a - b);
  const out = new Float64Array(readings.length).fill(NaN);
  readings.forEach((reading, i) => {
    // The pass whose (lo, hi] holds the reading's ingest_id: the first hi >= ingest_id. A pass
    // cut short by a restart covered only some patient ranges; a later pass covered the rest.
    for (let idx = lowerBound(his, reading.ingest_id, (x) => x); idx < his.length; idx++) {
      const task = passes.get(his[idx]!)!.find((t) => reading.ingest_id > t.ingest_lo && reading.patient_id >= t.patient_lo && reading.patient_id <= t.patient_hi);
      if (task) {
        out[i] = task.committed_at;
        break;
      }
    }
  });
  return out;
}

function upperBound<T>(list: T[], value: number, key: (t: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]!) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lowerBound<T>(list: T[], value: number, key: (t: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]!) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
