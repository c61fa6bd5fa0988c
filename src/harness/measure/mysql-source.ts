/**
 * A run as the database holds it, read a bounded piece at a time (run-source.ts): readings and
 * alerts by patients and seq ranges (their primary keys), offset ranges by partition and first
 * offset (write_batch_ranges by_range), window results by pages of their primary key.
 */
import { contentDigest } from '../../domain/content.js';
import type { Mode } from '../../domain/modes.js';
import { NO_RUN_ID_REASON } from '../../domain/reading.js';
import { nullableNumberOf, numberOf, queryRows, stringOf, type Pool, type SqlRow } from '../../infra/mysql.js';
import type { Severity } from '../../pipelines/rules/types.js';
import type { BatchTask, OffsetRange } from './commit-attribution.js';
import type {
  AlertBounds,
  CommittedAlert,
  RejectedKinds,
  RunCounts,
  RunSource,
  StoredReading,
  WindowCommit,
} from './run-source.js';
import { partitionKey } from '../../domain/keys.js';

/** Window results per page. */
const WINDOW_PAGE = 10_000;
/** seq is INT UNSIGNED. */
const MAX_SEQ = 4_294_967_295;

export class MysqlRunSource implements RunSource {
  private readonly ruleIds = new Map<Mode, Promise<string[]>>();

  constructor(
    private readonly pool: Pool,
    private readonly runId: string,
  ) {}

  async counts(): Promise<RunCounts> {
    const dup = await queryRows(
      this.pool,
      'SELECT COUNT(*) - COUNT(DISTINCT patient_id, seq) AS d FROM patient_vitals WHERE run_id = ?',
      [this.runId],
      (r) => ({ d: nullableNumberOf(r.d) }),
    );
    return { duplicateRows: dup[0]?.d ?? 0, ...(await this.rejections()), writes: await this.writes() };
  }

  private async rejections(): Promise<Pick<RunCounts, 'rejected' | 'rejectedKinds' | 'streamRejectedKinds'>> {
    // SUM() over no rows is NULL: count it as 0.
    const rows = await queryRows(
      this.pool,
      `SELECT role, COUNT(*) AS n, SUM(reason LIKE 'foreign run%') AS foreign_, SUM(reason LIKE ?) AS no_run_id,
              SUM(reason LIKE 'duplicate with different content%') AS conflicts, SUM(reason LIKE 'database refused%') AS refused
         FROM rejected_readings WHERE run_id = ? GROUP BY role`,
      [`${NO_RUN_ID_REASON}%`, this.runId],
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

  private async writes(): Promise<RunCounts['writes']> {
    const rows = await queryRows(
      this.pool,
      'SELECT role, SUM(db_transactions) AS transactions, COALESCE(SUM(row_count), 0) AS row_total FROM write_batches WHERE run_id = ? GROUP BY role',
      [this.runId],
      (r) => ({ role: stringOf(r.role), transactions: numberOf(r.transactions), rows: numberOf(r.row_total) }),
    );
    const writes: RunCounts['writes'] = {};
    for (const { role, transactions, rows: n } of rows) writes[role] = { transactions, rows: n };
    return writes;
  }

  async readings(patientIds: readonly number[], seqLo: number, seqHi: number): Promise<StoredReading[]> {
    if (patientIds.length === 0) return [];
    return queryRows(
      this.pool,
      `SELECT patient_id, seq, ingest_id, event_time, appended_at, sent_at, kafka_topic AS topic, kafka_partition AS \`partition\`,
              kafka_offset AS \`offset\`, source, heart_rate, body_temperature, blood_pressure_systolic, blood_pressure_diastolic, spo2_level
         FROM patient_vitals WHERE run_id = ? AND patient_id IN (?) AND seq BETWEEN ? AND ?
        ORDER BY patient_id, seq`,
      [this.runId, patientIds, Math.max(0, seqLo), Math.min(MAX_SEQ, seqHi)],
      storedReadingOf,
    );
  }

  async countReadingsBetween(lo: number, hi: number): Promise<number> {
    const rows = await queryRows(
      this.pool,
      'SELECT COUNT(*) AS n FROM patient_vitals WHERE run_id = ? AND patient_id BETWEEN ? AND ?',
      [this.runId, lo, hi],
      (r) => numberOf(r.n),
    );
    return rows[0] ?? 0;
  }

  /** The rule ids of one mode's alerts (the alerts key starts with them: a query lists them to read by patient). */
  private rulesOf(mode: Mode): Promise<string[]> {
    let rules = this.ruleIds.get(mode);
    if (!rules) {
      rules = queryRows(
        this.pool,
        'SELECT DISTINCT rule_id FROM alerts WHERE run_id = ? AND mode = ?',
        [this.runId, mode],
        (r) => stringOf(r.rule_id),
      );
      this.ruleIds.set(mode, rules);
    }
    return rules;
  }

  async alerts(mode: Mode, b: AlertBounds): Promise<CommittedAlert[]> {
    const rules = await this.rulesOf(mode);
    if (rules.length === 0 || b.patientIds.length === 0) return [];
    return queryRows(
      this.pool,
      `${ALERTS_SELECT} WHERE a.run_id = ? AND a.mode = ? AND a.rule_id IN (?) AND a.patient_id IN (?)
          AND ((a.subject_kind = 'reading' AND a.subject BETWEEN ? AND ?) OR (a.subject_kind = 'window' AND a.subject BETWEEN ? AND ?))`,
      [this.runId, mode, rules, b.patientIds, b.seqLo, b.seqHi, b.windowLo, b.windowHi],
      committedAlertOf,
    );
  }

  async alertsBetween(mode: Mode, lo: number, hi: number): Promise<CommittedAlert[]> {
    const rules = await this.rulesOf(mode);
    if (rules.length === 0) return [];
    return queryRows(
      this.pool,
      `${ALERTS_SELECT} WHERE a.run_id = ? AND a.mode = ? AND a.rule_id IN (?) AND a.patient_id BETWEEN ? AND ?`,
      [this.runId, mode, rules, lo, hi],
      committedAlertOf,
    );
  }

  async offsetSpans(role: 'stream' | 'ingest'): Promise<Map<string, number>> {
    const rows = await queryRows(
      this.pool,
      `SELECT kafka_topic, kafka_partition, MAX(last_offset - first_offset) AS span FROM write_batch_ranges
        WHERE run_id = ? AND role = ? GROUP BY kafka_topic, kafka_partition`,
      [this.runId, role],
      (r) => [partitionKey(stringOf(r.kafka_topic), numberOf(r.kafka_partition)), numberOf(r.span)] as const,
    );
    return new Map(rows);
  }

  async offsetRanges(
    role: 'stream' | 'ingest',
    topic: string,
    partition: number,
    firstLo: number,
    firstHi: number,
    lastMin: number,
  ): Promise<OffsetRange[]> {
    return queryRows(
      this.pool,
      `SELECT r.write_batch, r.first_offset, r.last_offset, r.fetched_at, b.committed_at, b.commit_started_at
         FROM write_batch_ranges r JOIN write_batches b ON b.run_id = r.run_id AND b.role = r.role AND b.write_batch = r.write_batch
        WHERE r.run_id = ? AND r.role = ? AND r.kafka_topic = ? AND r.kafka_partition = ?
          AND r.first_offset BETWEEN ? AND ? AND r.last_offset >= ?`,
      [this.runId, role, topic, partition, firstLo, firstHi, lastMin],
      (r): OffsetRange => ({
        write_batch: numberOf(r.write_batch),
        first_offset: numberOf(r.first_offset),
        last_offset: numberOf(r.last_offset),
        committed_at: numberOf(r.committed_at),
        fetched_at: nullableNumberOf(r.fetched_at),
        commit_started_at: nullableNumberOf(r.commit_started_at),
      }),
    );
  }

  async batchTasks(): Promise<BatchTask[]> {
    return queryRows(
      this.pool,
      `SELECT r.write_batch, r.ingest_lo, r.ingest_hi, r.patient_lo, r.patient_hi, b.committed_at, b.commit_started_at,
              b.pass_started_at, b.task_started_at, b.read_done_at
         FROM write_batch_ranges r JOIN write_batches b ON b.run_id = r.run_id AND b.role = r.role AND b.write_batch = r.write_batch
        WHERE r.run_id = ? AND r.role = 'batch'
        ORDER BY r.write_batch, r.kafka_topic, r.kafka_partition, r.first_offset`,
      [this.runId],
      (r): BatchTask => ({
        write_batch: numberOf(r.write_batch),
        ingest_lo: numberOf(r.ingest_lo),
        ingest_hi: numberOf(r.ingest_hi),
        patient_lo: numberOf(r.patient_lo),
        patient_hi: numberOf(r.patient_hi),
        committed_at: numberOf(r.committed_at),
        commit_started_at: nullableNumberOf(r.commit_started_at),
        pass_started_at: nullableNumberOf(r.pass_started_at),
        task_started_at: nullableNumberOf(r.task_started_at),
        read_done_at: nullableNumberOf(r.read_done_at),
      }),
    );
  }

  async *windows(mode: Mode): AsyncGenerator<WindowCommit[]> {
    let after: { patient: number; size: number; start: number } | undefined;
    for (;;) {
      const rows = await queryRows(
        this.pool,
        `SELECT w.patient_id, w.window_s, w.window_start, w.max_event_time, b.committed_at FROM window_stats w
           LEFT JOIN write_batches b ON b.run_id = w.run_id AND b.role = w.mode AND b.write_batch = w.write_batch
          WHERE w.run_id = ? AND w.mode = ?
            ${after ? 'AND (w.patient_id > ? OR (w.patient_id = ? AND (w.window_s > ? OR (w.window_s = ? AND w.window_start > ?))))' : ''}
          ORDER BY w.patient_id, w.window_s, w.window_start LIMIT ${WINDOW_PAGE}`,
        [this.runId, mode, ...(after ? [after.patient, after.patient, after.size, after.size, after.start] : [])],
        (r) => ({
          patient: numberOf(r.patient_id),
          size: numberOf(r.window_s),
          start: numberOf(r.window_start),
          commit: { maxEventTime: numberOf(r.max_event_time), committedAt: nullableNumberOf(r.committed_at) },
        }),
      );
      if (rows.length > 0) yield rows.map((r) => r.commit);
      if (rows.length < WINDOW_PAGE) return;
      after = rows[rows.length - 1]!;
    }
  }
}

const ALERTS_SELECT = `SELECT a.alert_id, a.rule_id, a.severity, a.patient_id, a.seq, a.window_start, a.event_time, b.committed_at
  FROM alerts a LEFT JOIN write_batches b ON b.run_id = a.run_id AND b.role = a.mode AND b.write_batch = a.write_batch`;

function committedAlertOf(r: SqlRow): CommittedAlert {
  return {
    rule_id: stringOf(r.rule_id),
    severity: stringOf(r.severity) as Severity,
    patient_id: numberOf(r.patient_id),
    seq: nullableNumberOf(r.seq),
    window_start: nullableNumberOf(r.window_start),
    event_time: numberOf(r.event_time),
    committed_at: nullableNumberOf(r.committed_at),
    alert_id: numberOf(r.alert_id),
  };
}

function storedReadingOf(r: SqlRow): StoredReading {
  return {
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
  };
}
