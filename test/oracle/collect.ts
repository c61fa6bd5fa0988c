// The old in-memory path (before issue 20 item 3), kept unchanged as the oracle of the streaming collection (test/oracle/metrics.ts).
import { contentDigest } from '../../src/domain/content.js';
import { modeOf, ROLES, type Mode, type Role } from '../../src/domain/modes.js';
import { NO_RUN_ID_REASON } from '../../src/domain/reading.js';
import { nullableNumberOf, numberOf, queryRows, stringOf, type Pool } from '../../src/infra/mysql.js';
import type { AlertRecord, Severity } from '../../src/pipelines/rules/types.js';
import { batchStageTimes, commitTimes, streamStageTimes, type WriteBatchRange } from './commit-attribution.js';
import type { BatchInstant, StageTimes } from './stages.js';

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
  /** contentDigest of the stored row (source, event_time, vitals): compared with what the generator sent. */
  content: number;
}

/** Rejections of one role by kind (rejected_readings reasons). */
export interface RejectedKinds {
  /** Stamped with another run's id, or (a bench) with none. */
  foreign: number;
  /** Of the foreign: with no run id at all. */
  noRunId: number;
  /** Later copies of a (patient_id, seq) with other content than the copy kept. */
  conflicts: number;
  /** Readings the database refused, isolated from their batch. */
  refused: number;
}

export interface CommittedAlert extends AlertRecord {
  committed_at: number | null;
  /** Its id in insert order, by which the results observer saw it. */
  alert_id: number;
}

export interface RunData {
  readings: StoredReading[];
  /** Rows in patient_vitals minus distinct (patient_id, seq): 0 unless the key were broken. */
  duplicateRows: number;
  rejected: { ingest: number; stream: number };
  /** Of ingest's rejections: another run's readings, conflicting duplicates, database refusals. */
  rejectedKinds: RejectedKinds;
  /** The same of the stream's rejections. */
  streamRejectedKinds: RejectedKinds;
  alerts: Record<Mode, CommittedAlert[]>;
  windows: Record<Mode, number>;
  /** Per window row: its max event_time and the commit time of the transaction that wrote it. */
  windowCommits: Record<Mode, Array<{ maxEventTime: number; committedAt: number | null }>>;
  /** Per role: write transactions committed and rows they wrote (write_batches). */
  writes: Record<string, { transactions: number; rows: number }>;
  /** t_committed of each reading's result, per mode (null: not processed, or its commit time unknown). */
  committedAt: Record<Mode, Float64Array>;
  /** The stream's stage instants per reading (stages.ts). */
  streamStages: StageTimes;
  /** The batch's stage instants per reading (stages.ts). */
  batchStages: StageTimes<BatchInstant>;
}

export async function collectRun(pool: Pool, runId: string): Promise<RunData> {
  const readings = await readReadings(pool, runId);
  const dupRows = await queryRows(
    pool,
    'SELECT COUNT(*) - COUNT(DISTINCT patient_id, seq) AS d FROM patient_vitals WHERE run_id = ?',
    [runId],
    (r) => ({ d: nullableNumberOf(r.d) }),
  );
  const { rejected, rejectedKinds, streamRejectedKinds } = await readRejections(pool, runId);
  const ranges = await readRanges(pool, runId);
  const alerts = await readAlerts(pool, runId);
  const { windows, windowCommits } = await readWindows(pool, runId);
  const writes = await readWrites(pool, runId);
  return runDataOf({
    readings,
    ranges,
    alerts,
    windows,
    windowCommits,
    writes,
    duplicateRows: dupRows[0]?.d ?? 0,
    rejected,
    rejectedKinds,
    streamRejectedKinds,
  });
}

/** What collectRun makes of the rows it read (readings in ingest_id order). */
export function runDataOf(
  x: Omit<RunData, 'committedAt' | 'streamStages' | 'batchStages'> & { ranges: WriteBatchRange[] },
): RunData {
  const { ranges, ...rest } = x;
  return {
    ...rest,
    committedAt: commitTimes(x.readings, ranges),
    streamStages: streamStageTimes(x.readings, ranges),
    batchStages: batchStageTimes(x.readings, ranges),
  };
}

async function readReadings(pool: Pool, runId: string): Promise<StoredReading[]> {
  return queryRows(
    pool,
    `SELECT patient_id, seq, ingest_id, event_time, appended_at, sent_at, kafka_topic AS topic, kafka_partition AS \`partition\`, kafka_offset AS \`offset\`,
            source, heart_rate, body_temperature, blood_pressure_systolic, blood_pressure_diastolic, spo2_level
       FROM patient_vitals WHERE run_id = ? ORDER BY ingest_id`,
    [runId],
    (r): StoredReading => ({
      patient_id: numberOf(r.patient_id),
      seq: numberOf(r.seq),
      ingest_id: numberOf(r.ingest_id),
      event_time: numberOf(r.event_time),
      appended_at: numberOf(r.appended_at),
      sent_at: nullableNumberOf(r.sent_at),
      topic: stringOf(r.topic),
      partition: numberOf(r.partition),
      offset: numberOf(r.offset),
      content: contentDigest({
        source: stringOf(r.source),
        event_time: numberOf(r.event_time),
        heart_rate: numberOf(r.heart_rate),
        body_temperature: numberOf(r.body_temperature),
        blood_pressure_systolic: numberOf(r.blood_pressure_systolic),
        blood_pressure_diastolic: numberOf(r.blood_pressure_diastolic),
        spo2_level: numberOf(r.spo2_level),
      }),
    }),
  );
}

async function readRejections(
  pool: Pool,
  runId: string,
): Promise<Pick<RunData, 'rejected' | 'rejectedKinds' | 'streamRejectedKinds'>> {
  // SUM() over no rows is NULL: count it as 0.
  const rows = await queryRows(
    pool,
    `SELECT role, COUNT(*) AS n, SUM(reason LIKE 'foreign run%') AS foreign_, SUM(reason LIKE ?) AS no_run_id,
            SUM(reason LIKE 'duplicate with different content%') AS conflicts, SUM(reason LIKE 'database refused%') AS refused
       FROM rejected_readings WHERE run_id = ? GROUP BY role`,
    [`${NO_RUN_ID_REASON}%`, runId],
    (r) => ({
      role: stringOf(r.role),
      n: numberOf(r.n),
      kinds: {
        foreign: nullableNumberOf(r.foreign_) ?? 0,
        noRunId: nullableNumberOf(r.no_run_id) ?? 0,
        conflicts: nullableNumberOf(r.conflicts) ?? 0,
        refused: nullableNumberOf(r.refused) ?? 0,
      },
    }),
  );
  const none: RejectedKinds = { foreign: 0, noRunId: 0, conflicts: 0, refused: 0 };
  const of = (role: string): (typeof rows)[number] | undefined => rows.find((r) => r.role === role);
  return {
    rejected: { ingest: of('ingest')?.n ?? 0, stream: of('stream')?.n ?? 0 },
    rejectedKinds: of('ingest')?.kinds ?? { ...none },
    streamRejectedKinds: of('stream')?.kinds ?? { ...none },
  };
}

/** Every role's write-batch ranges with their commit times and stage instants (commit-attribution.ts). */
async function readRanges(pool: Pool, runId: string): Promise<WriteBatchRange[]> {
  return queryRows(
    pool,
    `SELECT r.role, b.committed_at, b.commit_started_at, r.fetched_at, r.kafka_topic, r.kafka_partition, r.first_offset, r.last_offset,
            r.ingest_lo, r.ingest_hi, r.patient_lo, r.patient_hi, b.pass_started_at, b.task_started_at, b.read_done_at
       FROM write_batch_ranges r JOIN write_batches b USING (run_id, role, write_batch)
      WHERE r.run_id = ?`,
    [runId],
    (r): WriteBatchRange => ({
      role: roleOf(r.role),
      committed_at: numberOf(r.committed_at),
      kafka_topic: stringOf(r.kafka_topic),
      kafka_partition: numberOf(r.kafka_partition),
      first_offset: numberOf(r.first_offset),
      last_offset: numberOf(r.last_offset),
      ingest_lo: numberOf(r.ingest_lo),
      ingest_hi: numberOf(r.ingest_hi),
      patient_lo: numberOf(r.patient_lo),
      patient_hi: numberOf(r.patient_hi),
      fetched_at: nullableNumberOf(r.fetched_at),
      commit_started_at: nullableNumberOf(r.commit_started_at),
      pass_started_at: nullableNumberOf(r.pass_started_at),
      task_started_at: nullableNumberOf(r.task_started_at),
      read_done_at: nullableNumberOf(r.read_done_at),
    }),
  );
}

function roleOf(value: unknown): Role {
  const role = ROLES.find((r) => r === value);
  if (!role) throw new Error(`unknown role ${JSON.stringify(value)} (expected ${ROLES.join(', ')})`);
  return role;
}

async function readAlerts(pool: Pool, runId: string): Promise<RunData['alerts']> {
  const alertRows = await queryRows(
    pool,
    `SELECT a.mode, a.alert_id, a.rule_id, a.severity, a.patient_id, a.seq, a.window_start, a.event_time, b.committed_at
       FROM alerts a LEFT JOIN write_batches b ON b.run_id = a.run_id AND b.role = a.mode AND b.write_batch = a.write_batch
      WHERE a.run_id = ?`,
    [runId],
    (r) => ({
      mode: modeOf(r.mode),
      alert: {
        rule_id: stringOf(r.rule_id),
        severity: stringOf(r.severity) as Severity,
        patient_id: numberOf(r.patient_id),
        seq: nullableNumberOf(r.seq),
        window_start: nullableNumberOf(r.window_start),
        event_time: numberOf(r.event_time),
        committed_at: nullableNumberOf(r.committed_at),
        alert_id: numberOf(r.alert_id),
      },
    }),
  );
  const alerts: RunData['alerts'] = { stream: [], batch: [] };
  for (const { mode, alert } of alertRows) alerts[mode].push(alert);
  return alerts;
}

async function readWindows(pool: Pool, runId: string): Promise<Pick<RunData, 'windows' | 'windowCommits'>> {
  const windowRows = await queryRows(
    pool,
    `SELECT w.mode, w.max_event_time, b.committed_at FROM window_stats w
       LEFT JOIN write_batches b ON b.run_id = w.run_id AND b.role = w.mode AND b.write_batch = w.write_batch
      WHERE w.run_id = ?`,
    [runId],
    (r) => ({
      mode: modeOf(r.mode),
      commit: { maxEventTime: numberOf(r.max_event_time), committedAt: nullableNumberOf(r.committed_at) },
    }),
  );
  const windows = { stream: 0, batch: 0 };
  const windowCommits: RunData['windowCommits'] = { stream: [], batch: [] };
  for (const { mode, commit } of windowRows) {
    windows[mode]++;
    windowCommits[mode].push(commit);
  }
  return { windows, windowCommits };
}

async function readWrites(pool: Pool, runId: string): Promise<RunData['writes']> {
  const writeRows = await queryRows(
    pool,
    'SELECT role, SUM(db_transactions) AS transactions, COALESCE(SUM(row_count), 0) AS row_total FROM write_batches WHERE run_id = ? GROUP BY role',
    [runId],
    (r) => ({ role: stringOf(r.role), transactions: numberOf(r.transactions), rows: numberOf(r.row_total) }),
  );
  const writes: RunData['writes'] = {};
  for (const { role, transactions, rows } of writeRows) writes[role] = { transactions, rows };
  return writes;
}
