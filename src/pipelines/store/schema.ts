import { nullableNumberOf, queryRows, type Pool } from '../../infra/mysql.js';
import { REJECTED_PAYLOAD_MAX_BYTES } from '../rows.js';

/**
 * The schema, versioned: each migration runs once, in order, recorded in schema_version.
 * Times are epoch milliseconds in BIGINT columns (exact, free of session time zones); the
 * seed-shaped view renders them as DATETIME.
 */
const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE IF NOT EXISTS runs (
       run_id VARCHAR(64) NOT NULL PRIMARY KEY,
       created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
       status VARCHAR(16) NOT NULL DEFAULT 'running',
       parameters JSON NULL,
       environment JSON NULL
     )`,
    // Every valid reading once: the key (run_id, patient_id, seq) cannot collide, unlike the
    // seed's (patient_id, timestamp) at one-second resolution. ingest_id gives commit order
    // (one ingest writer commits serially), which the batch layer uses to find new readings.
    `CREATE TABLE IF NOT EXISTS patient_vitals (
       run_id VARCHAR(64) NOT NULL,
       patient_id INT NOT NULL,
       seq INT UNSIGNED NOT NULL,
       ingest_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
       source VARCHAR(32) NOT NULL,
       event_time BIGINT NOT NULL COMMENT 't_intended, epoch ms',
       heart_rate SMALLINT NOT NULL,
       body_temperature DECIMAL(4,1) NOT NULL,
       blood_pressure_systolic SMALLINT NOT NULL,
       blood_pressure_diastolic SMALLINT NOT NULL,
       spo2_level TINYINT UNSIGNED NOT NULL,
       kafka_topic VARCHAR(128) NOT NULL,
       kafka_partition INT NOT NULL,
       kafka_offset BIGINT NOT NULL,
       appended_at BIGINT NOT NULL COMMENT 't_appended: Kafka log-append time, epoch ms',
       stored_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
       PRIMARY KEY (run_id, patient_id, seq),
       UNIQUE KEY ingest_order (ingest_id),
       KEY by_run_ingest (run_id, ingest_id),
       KEY by_patient_time (run_id, patient_id, event_time)
     )`,
    `CREATE TABLE IF NOT EXISTS alerts (
       run_id VARCHAR(64) NOT NULL,
       mode ENUM('stream','batch') NOT NULL,
       rule_id VARCHAR(64) NOT NULL,
       patient_id INT NOT NULL,
       subject_kind ENUM('reading','window') NOT NULL,
       subject BIGINT NOT NULL COMMENT 'seq of the reading, or window_start epoch ms',
       severity VARCHAR(8) NOT NULL,
       seq INT UNSIGNED NULL,
       window_start BIGINT NULL,
       event_time BIGINT NOT NULL,
       write_batch BIGINT UNSIGNED NOT NULL,
       PRIMARY KEY (run_id, mode, rule_id, patient_id, subject_kind, subject)
     )`,
    `CREATE TABLE IF NOT EXISTS window_stats (
       run_id VARCHAR(64) NOT NULL,
       mode ENUM('stream','batch') NOT NULL,
       patient_id INT NOT NULL,
       window_s INT NOT NULL,
       window_start BIGINT NOT NULL,
       reading_count INT NOT NULL,
       max_event_time BIGINT NOT NULL,
       avg_heart_rate DOUBLE NOT NULL, min_heart_rate DOUBLE NOT NULL, max_heart_rate DOUBLE NOT NULL,
       avg_body_temperature DOUBLE NOT NULL, min_body_temperature DOUBLE NOT NULL, max_body_temperature DOUBLE NOT NULL,
       avg_blood_pressure_systolic DOUBLE NOT NULL, min_blood_pressure_systolic DOUBLE NOT NULL, max_blood_pressure_systolic DOUBLE NOT NULL,
       avg_blood_pressure_diastolic DOUBLE NOT NULL, min_blood_pressure_diastolic DOUBLE NOT NULL, max_blood_pressure_diastolic DOUBLE NOT NULL,
       avg_spo2_level DOUBLE NOT NULL, min_spo2_level DOUBLE NOT NULL, max_spo2_level DOUBLE NOT NULL,
       write_batch BIGINT UNSIGNED NOT NULL,
       PRIMARY KEY (run_id, mode, patient_id, window_s, window_start)
     )`,
    `CREATE TABLE IF NOT EXISTS rejected_readings (
       run_id VARCHAR(64) NOT NULL,
       kafka_topic VARCHAR(128) NOT NULL,
       kafka_partition INT NOT NULL,
       kafka_offset BIGINT NOT NULL,
       role VARCHAR(16) NOT NULL,
       reason VARCHAR(512) NOT NULL,
       payload MEDIUMBLOB NULL,
       rejected_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
       PRIMARY KEY (run_id, role, kafka_topic, kafka_partition, kafka_offset)
     )`,
    // One row per committed write transaction, with the writer's clock read right after
    // COMMIT returned (t_committed in METRICS.md) and what the transaction covered: Kafka
    // offset ranges (stream, ingest) or an ingest_id range and patient range (batch).
    `CREATE TABLE IF NOT EXISTS write_batches (
       run_id VARCHAR(64) NOT NULL,
       role ENUM('ingest','stream','batch') NOT NULL,
       write_batch BIGINT UNSIGNED NOT NULL,
       committed_at BIGINT NOT NULL COMMENT 'epoch ms, writer clock after COMMIT',
       row_count INT NOT NULL,
       PRIMARY KEY (run_id, role, write_batch)
     )`,
    `CREATE TABLE IF NOT EXISTS write_batch_ranges (
       run_id VARCHAR(64) NOT NULL,
       role ENUM('ingest','stream','batch') NOT NULL,
       write_batch BIGINT UNSIGNED NOT NULL,
       kafka_topic VARCHAR(128) NOT NULL DEFAULT '',
       kafka_partition INT NOT NULL DEFAULT -1,
       first_offset BIGINT NOT NULL DEFAULT -1,
       last_offset BIGINT NOT NULL DEFAULT -1,
       ingest_lo BIGINT NOT NULL DEFAULT 0 COMMENT 'batch: ingest_id > lo',
       ingest_hi BIGINT NOT NULL DEFAULT 0 COMMENT 'batch: ingest_id <= hi',
       patient_lo INT NOT NULL DEFAULT 0,
       patient_hi INT NOT NULL DEFAULT 0,
       PRIMARY KEY (run_id, role, write_batch, kafka_topic, kafka_partition),
       KEY by_range (run_id, role, kafka_topic, kafka_partition, first_offset)
     )`,
    // The seed's batch output table, now with real averages per patient and batch window.
    `CREATE OR REPLACE VIEW processed_health_data AS
       SELECT w.run_id, w.patient_id, w.window_s, FROM_UNIXTIME(w.window_start / 1000) AS window_start,
              w.avg_heart_rate, w.avg_spo2_level,
              CASE WHEN EXISTS (SELECT 1 FROM alerts a WHERE a.run_id = w.run_id AND a.mode = 'batch'
                                  AND a.patient_id = w.patient_id AND a.event_time >= w.window_start
                                  AND a.event_time < w.window_start + w.window_s * 1000)
                   THEN 'alert' ELSE 'normal' END AS status
       FROM window_stats w WHERE w.mode = 'batch'`,
  ],
  [
    // A run's owner reports in while it runs: a run whose owner stopped reporting was left
    // behind by a killed process (marked aborted), and a live one is not to be disturbed.
    `ALTER TABLE runs ADD COLUMN heartbeat_at BIGINT NULL COMMENT 'epoch ms, owner clock',
       ADD COLUMN owner VARCHAR(128) NULL COMMENT 'host:pid of the harness',
       ADD COLUMN topics VARCHAR(2048) NULL COMMENT 'comma list of the run topics'`,
    // Completed batch passes: a restarted batch role resumes after the last one.
    `CREATE TABLE IF NOT EXISTS batch_passes (
       run_id VARCHAR(64) NOT NULL,
       pass INT NOT NULL,
       ingest_lo BIGINT NOT NULL,
       ingest_hi BIGINT NOT NULL,
       watermark BIGINT NOT NULL,
       final TINYINT(1) NOT NULL,
       readings INT NOT NULL,
       started_at BIGINT NOT NULL,
       ended_at BIGINT NOT NULL,
       PRIMARY KEY (run_id, pass)
     )`,
  ],
  [
    // Stage latency (METRICS.md "Stage latency"): t_sent per reading, t_fetched per consumed
    // batch, t_commit_start per transaction. A transaction may hold several consecutive batches
    // of one partition, each with its own t_fetched: a range per batch.
    `ALTER TABLE patient_vitals ADD COLUMN sent_at BIGINT NULL COMMENT 't_sent: producer clock at the send request, epoch ms (Kafka header t_sent)'`,
    `ALTER TABLE write_batches ADD COLUMN commit_started_at BIGINT NULL COMMENT 't_commit_start: the writer clock when the transaction began, epoch ms'`,
    `ALTER TABLE write_batch_ranges ADD COLUMN fetched_at BIGINT NULL COMMENT 't_fetched: the consumer clock when it received the batch, epoch ms',
       DROP PRIMARY KEY, ADD PRIMARY KEY (run_id, role, write_batch, kafka_topic, kafka_partition, first_offset)`,
  ],
  [
    // External modes (docs/EXTERNAL.md): a user's own job writes its results here, judged by
    // them alone. No unique key on the result, on purpose: a result written twice shows as a
    // duplicate. external_batches lets a job that writes in transactions make them idempotent.
    `CREATE TABLE IF NOT EXISTS external_results (
       result_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
       run_id VARCHAR(64) NOT NULL,
       mode VARCHAR(32) NOT NULL,
       rule_id VARCHAR(64) NULL COMMENT 'NULL: a flagged reading, no rule named',
       patient_id INT NOT NULL,
       seq INT UNSIGNED NULL,
       window_start BIGINT NULL COMMENT 'epoch ms',
       event_time BIGINT NULL COMMENT 'epoch ms of the reading, optional',
       inserted_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
       KEY by_run_mode (run_id, mode, result_id)
     )`,
    `CREATE TABLE IF NOT EXISTS external_batches (
       run_id VARCHAR(64) NOT NULL,
       mode VARCHAR(32) NOT NULL,
       batch_id BIGINT NOT NULL,
       committed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
       PRIMARY KEY (run_id, mode, batch_id)
     )`,
  ],
  [
    // Batch stage latency (METRICS.md "Stage latency"): the instants of a batch task, on its
    // one write transaction (t_commit_start is commit_started_at, from migration 3).
    `ALTER TABLE write_batches
       ADD COLUMN pass_started_at BIGINT NULL COMMENT 'batch: t_pass_start, the batch role clock when the pass began, epoch ms',
       ADD COLUMN task_started_at BIGINT NULL COMMENT 'batch: t_task_start, the worker clock when the task began, epoch ms',
       ADD COLUMN read_done_at BIGINT NULL COMMENT 'batch: t_read_done, the worker clock when the task had read its readings, epoch ms'`,
  ],
  [
    // A later copy of a stored (patient_id, seq) changes this counter, so that the INSERT's
    // affected-row count says how many rows of a statement were copies (2 each instead of 1),
    // single-row statements included: the server's "Duplicates: N" info text is not sent for
    // every statement.
    `ALTER TABLE patient_vitals ADD COLUMN copies INT UNSIGNED NOT NULL DEFAULT 1 COMMENT 'messages ingest received with this key, redeliveries included'`,
    // A rejected message's value is kept truncated (rows.ts REJECTED_PAYLOAD_MAX_BYTES): its
    // whole size and digest beside it.
    `ALTER TABLE rejected_readings
       ADD COLUMN payload_bytes INT NULL COMMENT 'size of the message value as received; payload holds at most its first ${REJECTED_PAYLOAD_MAX_BYTES} bytes',
       ADD COLUMN payload_sha256 CHAR(64) NULL COMMENT 'SHA-256 of the whole message value, hex'`,
  ],
  [
    // One observer for every mode (METRICS.md "Visibility latency"): the built-in modes' alerts
    // get an id in insert order, so the observer asks for the new ones as it does an external
    // job's results, by an index it reads alone.
    `ALTER TABLE alerts
       ADD COLUMN alert_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
       ADD UNIQUE KEY alert_order (alert_id),
       ADD KEY by_run_mode_id (run_id, mode, alert_id)`,
  ],
  [
    // A stream write with no row to write (no alert, no window closed: most of them) makes no
    // database transaction, yet is recorded (its readings' t_committed): the report counts
    // the transactions, not the records.
    `ALTER TABLE write_batches ADD COLUMN db_transactions INT NOT NULL DEFAULT 1 COMMENT 'database transactions the write made: 0 when it had nothing to write'`,
  ],
];

export async function migrate(pool: Pool): Promise<number> {
  await pool.query(`CREATE TABLE IF NOT EXISTS schema_version (
    version INT NOT NULL PRIMARY KEY, applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))`);
  const conn = await pool.getConnection();
  try {
    // Several processes (ingest, stream, batch) may start at once: serialise migrations.
    const lock = await queryRows(conn, `SELECT GET_LOCK('vitals_bench_migrate', 60) AS got`, undefined, (r) => ({
      got: nullableNumberOf(r.got),
    }));
    if (lock[0]?.got !== 1) {
      throw new Error('could not take the schema migration lock within 60 s (another process holds it)');
    }
    const rows = await queryRows(conn, 'SELECT COALESCE(MAX(version), 0) AS v FROM schema_version', undefined, (r) => ({
      v: nullableNumberOf(r.v),
    }));
    const current = rows[0]?.v ?? 0;
    for (let v = current; v < MIGRATIONS.length; v++) {
      for (const statement of MIGRATIONS[v]!) await conn.query(statement);
      await conn.query('INSERT INTO schema_version (version) VALUES (?)', [v + 1]);
    }
    return MIGRATIONS.length;
  } finally {
    await conn.query(`SELECT RELEASE_LOCK('vitals_bench_migrate')`).catch(() => undefined);
    conn.release();
  }
}
