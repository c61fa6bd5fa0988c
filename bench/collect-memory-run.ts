/**
 * A synthetic run for the collection memory bench (collect-memory.ts), written straight into
 * MariaDB without the pipelines' CPU: every table collection reads, schema-true, as a complete
 * stream + batch run of the same workload would leave it.
 *
 * - patient_vitals: the generator's readings (the same Dataset and schedule, so the ground truth
 *   matches), reading i with ingest_id base + i + 1 (insert order = send order), topic of its
 *   source, partition indexInSource % partitions, offsets in send order per partition;
 * - stream and ingest: one write transaction per tickMs of t_intended, with one offset range per
 *   partition it touched (what a fetch-paced consumer's group commits look like);
 * - batch: one pass per batch interval, TASKS tasks each over a range of patients;
 * - alerts and window_stats: the rule reference's on the readings, for both modes, attributed to
 *   the transaction that covered the reading (a window: its last reading).
 *
 * Only the times are invented (fixed offsets from t_intended); figures computed from them mean
 * nothing, only the memory and time it takes to compute them.
 */
import { OpenLoopSchedule } from '../src/generators/schedule.js';
import { Dataset, stampEventTime, type DatasetParams } from '../src/generators/dataset.js';
import { topicForSource, type Reading } from '../src/domain/reading.js';
import { bulkInsert, queryRows, nullableNumberOf, type Pool } from '../src/infra/mysql.js';
import { evaluateAll } from '../src/pipelines/rules/reference.js';
import type { RuleSet } from '../src/pipelines/rules/types.js';
import { CollectionPlan } from '../src/harness/measure/plan.js';

/** Tasks per batch pass. */
const TASKS = 2;
/** Rows per INSERT batch handed to bulkInsert. */
const FLUSH_ROWS = 20_000;

export interface SyntheticRun {
  runId: string;
  dataset: Required<Pick<DatasetParams, 'seed' | 'patients' | 'sources' | 'prevalence'>>;
  rate: number;
  readings: number;
  partitions: number;
  batchIntervalS: number;
  startMs: number;
  ruleSet: RuleSet;
  topicPrefix: string;
  /** t_intended per stream/ingest transaction (the stream's default fetch interval is 5 ms). */
  tickMs: number;
}

/** Where reading i went and which transactions covered it: arithmetic of the schedule. */
class Layout {
  readonly schedule: OpenLoopSchedule;
  private readonly partitionOf: number[] = [];
  /** Per patient index, its rank among the earlier patients of its partition (readings of one round). */
  private readonly rankOf: number[] = [];
  readonly perPartition = new Map<string, number>();
  readonly ds: Dataset;
  private readonly indexOfId = new Map<number, number>();

  constructor(
    readonly run: SyntheticRun,
    readonly ingestBase: number,
  ) {
    this.schedule = new OpenLoopSchedule({ start: run.startMs, rate: run.rate });
    this.ds = new Dataset(run.dataset);
    for (let p = 0; p < run.dataset.patients; p++) {
      const key = this.partitionKey(p);
      this.partitionOf.push(Math.floor(p / run.dataset.sources) % run.partitions);
      this.rankOf.push(this.perPartition.get(key) ?? 0);
      this.perPartition.set(key, (this.perPartition.get(key) ?? 0) + 1);
      this.indexOfId.set(this.ds.patientIdAt(p), p);
    }
  }

  indexOf(patientId: number): number {
    return this.indexOfId.get(patientId)!;
  }

  private partitionKey(p: number): string {
    return `${p % this.run.dataset.sources}:${Math.floor(p / this.run.dataset.sources) % this.run.partitions}`;
  }

  topic(p: number): string {
    return topicForSource(p % this.run.dataset.sources, this.run.topicPrefix);
  }

  partition(p: number): number {
    return this.partitionOf[p]!;
  }

  /** Offset of patient p's reading seq: the partition's readings of earlier rounds, then this round's earlier patients. */
  offset(p: number, seq: number): number {
    return seq * this.perPartition.get(this.partitionKey(p))! + this.rankOf[p]!;
  }

  tick(i: number): number {
    return Math.floor((this.schedule.intendedExact(i) - this.run.startMs) / this.run.tickMs);
  }

  pass(i: number): number {
    return Math.floor((this.schedule.intendedExact(i) - this.run.startMs) / (this.run.batchIntervalS * 1000));
  }

  task(patientIndex: number): number {
    return Math.min(TASKS - 1, Math.floor((patientIndex * TASKS) / this.run.dataset.patients));
  }
}

/** Writes the run (its ingest_ids follow the highest one stored). */
export async function writeSyntheticRun(pool: Pool, run: SyntheticRun, log: (line: string) => void): Promise<void> {
  await pool.query('INSERT INTO runs (run_id, status, parameters) VALUES (?, ?, ?)', [
    run.runId,
    'completed',
    JSON.stringify({ synthetic: run }),
  ]);
  const max = await queryRows(pool, 'SELECT MAX(ingest_id) AS m FROM patient_vitals', [], (r) => nullableNumberOf(r.m));
  const layout = new Layout(run, max[0] ?? 0);
  await writeCommits(pool, layout);
  log('transactions written');
  await writeReadings(pool, layout, log);
}

const BATCH_COLUMNS =
  'INSERT INTO write_batches (run_id, role, write_batch, committed_at, row_count, commit_started_at, pass_started_at, task_started_at, read_done_at)';
const RANGE_COLUMNS =
  'INSERT INTO write_batch_ranges (run_id, role, write_batch, kafka_topic, kafka_partition, first_offset, last_offset, fetched_at, ingest_lo, ingest_hi, patient_lo, patient_hi)';

/** The stream's and ingest's transactions (one per tick) and the batch's tasks, in one pass over the schedule. */
async function writeCommits(pool: Pool, l: Layout): Promise<void> {
  const { run } = l;
  const batches: unknown[][] = [];
  const ranges: unknown[][] = [];
  const flush = async (force: boolean): Promise<void> => {
    if (!force && batches.length + ranges.length < FLUSH_ROWS) return;
    if (batches.length) await bulkInsert(pool, BATCH_COLUMNS, batches.splice(0));
    if (ranges.length) await bulkInsert(pool, RANGE_COLUMNS, ranges.splice(0));
  };
  let i = 0;
  while (i < run.readings) {
    const tick = l.tick(i);
    const open = new Map<string, { topic: string; partition: number; first: number; last: number }>();
    let rows = 0;
    for (; i < run.readings && l.tick(i) === tick; i++, rows++) {
      const p = i % run.dataset.patients;
      const offset = l.offset(p, Math.floor(i / run.dataset.patients));
      const key = `${l.topic(p)}:${l.partition(p)}`;
      const range = open.get(key);
      if (range) range.last = offset;
      else open.set(key, { topic: l.topic(p), partition: l.partition(p), first: offset, last: offset });
    }
    const end = run.startMs + (tick + 1) * run.tickMs;
    for (const [role, lag] of [
      ['ingest', 6],
      ['stream', 12],
    ] as const) {
      batches.push([run.runId, role, tick + 1, end + lag, rows, end + lag - 2, null, null, null]);
      for (const r of open.values())
        ranges.push([run.runId, role, tick + 1, r.topic, r.partition, r.first, r.last, end + 2, 0, 0, 0, 0]);
    }
    await flush(false);
  }
  batchTasks(l, batches, ranges);
  await flush(true);
}

/** One pass per batch interval, TASKS tasks over ranges of patient ids, committed after the pass's interval. */
function batchTasks(l: Layout, batches: unknown[][], ranges: unknown[][]): void {
  const { run } = l;
  const passes = l.pass(run.readings - 1) + 1;
  const ids = Array.from({ length: run.dataset.patients }, (_, p) => ({ p, id: l.ds.patientIdAt(p) }));
  for (let k = 0; k < passes; k++) {
    const lo = Math.ceil(((k * run.batchIntervalS * 1000) / 1000) * run.rate);
    const hi = Math.min(run.readings, Math.ceil((((k + 1) * run.batchIntervalS * 1000) / 1000) * run.rate));
    const passStart = run.startMs + (k + 1) * run.batchIntervalS * 1000 + 50;
    for (let t = 0; t < TASKS; t++) {
      const mine = ids.filter(({ p }) => l.task(p) === t).map((x) => x.id);
      if (mine.length === 0) continue;
      const wb = k * TASKS + t + 1;
      const committed = passStart + 400 + t * 50;
      batches.push([
        run.runId,
        'batch',
        wb,
        committed,
        hi - lo,
        committed - 20,
        passStart,
        passStart + 5,
        passStart + 100,
      ]);
      const [pLo, pHi] = [Math.min(...mine), Math.max(...mine)];
      ranges.push([run.runId, 'batch', wb, '', -1, -1, -1, null, l.ingestBase + lo, l.ingestBase + hi, pLo, pHi]);
    }
  }
}

const VITALS_INSERT = `INSERT INTO patient_vitals (run_id, patient_id, seq, ingest_id, source, event_time, heart_rate, body_temperature,
  blood_pressure_systolic, blood_pressure_diastolic, spo2_level, kafka_topic, kafka_partition, kafka_offset, appended_at, sent_at)`;
const ALERT_INSERT =
  'INSERT INTO alerts (run_id, mode, rule_id, patient_id, subject_kind, subject, severity, seq, window_start, event_time, write_batch)';
const WINDOW_INSERT = `INSERT INTO window_stats (run_id, mode, patient_id, window_s, window_start, reading_count, max_event_time,
  avg_heart_rate, min_heart_rate, max_heart_rate, avg_body_temperature, min_body_temperature, max_body_temperature,
  avg_blood_pressure_systolic, min_blood_pressure_systolic, max_blood_pressure_systolic,
  avg_blood_pressure_diastolic, min_blood_pressure_diastolic, max_blood_pressure_diastolic,
  avg_spo2_level, min_spo2_level, max_spo2_level, write_batch)`;

/** Readings, alerts and windows, a chunk of the collection plan at a time (each patient's readings in seq order). */
async function writeReadings(pool: Pool, l: Layout, log: (line: string) => void): Promise<void> {
  const { run } = l;
  const plan = new CollectionPlan({
    dataset: l.ds,
    startMs: run.startMs,
    rate: run.rate,
    planned: run.readings,
    ruleSet: run.ruleSet,
    windowOriginMs: run.startMs,
  });
  let written = 0;
  let lastLog = Date.now();
  for (const chunk of plan.chunks()) {
    const readings: Reading[] = [];
    const rows: unknown[][] = [];
    for (const c of chunk.patients) {
      for (let seq = c.seqLo; seq < c.sentHi; seq++) {
        const i = seq * run.dataset.patients + c.index;
        const r = stampEventTime(l.ds.nextOfPatient(c.index), Math.floor(l.schedule.intendedExact(i)));
        readings.push(r);
        rows.push(vitalsRow(l, r, c.index, i));
      }
    }
    if (rows.length) await bulkInsert(pool, VITALS_INSERT, rows);
    await writeResults(pool, l, readings);
    written += rows.length;
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`${written} readings written`);
    }
  }
}

function vitalsRow(l: Layout, r: Reading, p: number, i: number): unknown[] {
  return [
    l.run.runId,
    r.patient_id,
    r.seq,
    l.ingestBase + i + 1,
    r.source,
    r.event_time,
    r.heart_rate,
    r.body_temperature,
    r.blood_pressure_systolic,
    r.blood_pressure_diastolic,
    r.spo2_level,
    l.topic(p),
    l.partition(p),
    l.offset(p, r.seq),
    r.event_time + 2,
    r.event_time + 1,
  ];
}

/** The rule reference's alerts and windows on a chunk's readings, as both modes' results. */
async function writeResults(pool: Pool, l: Layout, readings: Reading[]): Promise<void> {
  const { run } = l;
  const { alerts, windows } = evaluateAll(readings, run.ruleSet, run.startMs);
  const indexOf = (patientId: number, seq: number): number => seq * run.dataset.patients + l.indexOf(patientId);
  /** A window's last reading: the schedule index at its max event time, near enough for attribution. */
  const indexAt = (eventTime: number): number =>
    Math.max(0, Math.min(run.readings - 1, Math.floor(((eventTime - run.startMs) * run.rate) / 1000)));
  const alertRows: unknown[][] = [];
  for (const a of alerts) {
    const i = a.seq !== null ? indexOf(a.patient_id, a.seq) : indexAt(a.event_time);
    const subject = a.seq !== null ? ['reading', a.seq] : ['window', a.window_start];
    const common = [a.rule_id, a.patient_id, ...subject, a.severity, a.seq, a.window_start, a.event_time];
    alertRows.push([run.runId, 'stream', ...common, l.tick(i) + 1]);
    const p = i % run.dataset.patients;
    alertRows.push([run.runId, 'batch', ...common, l.pass(i) * TASKS + l.task(p) + 1]);
  }
  const windowRows: unknown[][] = [];
  for (const w of windows) {
    const i = indexAt(w.max_event_time);
    const s = w.stats;
    const stats = [
      s.heart_rate,
      s.body_temperature,
      s.blood_pressure_systolic,
      s.blood_pressure_diastolic,
      s.spo2_level,
    ];
    const values = stats.flatMap((v) => [v.avg, v.min, v.max]);
    const head = [w.patient_id, w.window_s, w.window_start, w.count, w.max_event_time, ...values];
    windowRows.push([run.runId, 'stream', ...head, l.tick(i) + 1]);
    windowRows.push([run.runId, 'batch', ...head, l.pass(i) * TASKS + l.task(i % run.dataset.patients) + 1]);
  }
  if (alertRows.length) await bulkInsert(pool, ALERT_INSERT, alertRows);
  if (windowRows.length) await bulkInsert(pool, WINDOW_INSERT, windowRows);
}
