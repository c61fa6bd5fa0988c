import type { Kafka } from 'kafkajs';
import { parseReading, type Reading } from '../domain/reading.js';
import { bulkInsert, inTransaction, type Pool } from '../infra/mysql.js';
import { startConsumerLoop, type ConsumerLoop, type OffsetCommit, type PartitionBatch } from './consumer-loop.js';
import { compileRuleSet, evaluateRecord, evaluateWindow, type CompiledRuleSet } from './rules/evaluate.js';
import type { AlertRecord, RuleSet, WindowResult } from './rules/types.js';
import { WatermarkTracker, WindowAssembler, windowStartOf } from './rules/windows.js';
import { ALERT_COLUMNS, ALERT_UPSERT, alertRow, REJECT_COLUMNS, WINDOW_COLUMNS, WINDOW_UPSERT, windowRow } from './rows.js';
import { recordCommit, WriteBatchIds, type OffsetRange } from './write-batches.js';

export interface StreamOptions {
  kafka: Kafka;
  pool: Pool;
  runId: string;
  topics: string[];
  ruleSet: RuleSet;
  /** How long after a window's end (in event time) readings are still accepted into it. */
  allowedLatenessMs: number;
  /** A partition with no data for this long stops holding the watermark back. */
  idleMs: number;
  groupId?: string;
  log?: (line: string) => void;
  onFatal: (err: Error) => void;
}

export interface LateReadingNote {
  patient_id: number;
  seq: number;
  /** How far behind the watermark it arrived, in ms of event time. */
  lateness_ms: number;
}

export interface StreamStats {
  processed: number;
  rejected: number;
  alerts: number;
  windows: number;
  late: LateReadingNote[];
  watermark: number;
}

interface OpenWindowOrigin {
  partitionKey: string;
  topic: string;
  partition: number;
  minOffset: number;
}

/**
 * The speed layer: record rules at once, window rules on event-time tumbling windows closed
 * by a watermark, results written per partition batch in one transaction, Kafka offsets
 * committed after it. Offsets are committed only up to the oldest reading still held in an
 * open window, so a restarted instance re-reads exactly what its lost state contained; windows
 * it had already written are skipped (loaded from window_stats), and alert and window rows
 * are keyed, so a replay rewrites nothing: the exactly-once effect.
 */
export class StreamPipeline {
  readonly stats: StreamStats = { processed: 0, rejected: 0, alerts: 0, windows: 0, late: [], watermark: -Infinity };
  private readonly compiled: CompiledRuleSet;
  private readonly assemblers: Map<number, WindowAssembler>;
  private readonly watermarks: WatermarkTracker;
  private readonly ids = new WriteBatchIds();
  /** `${size}|${patient}|${start}` -> where its readings came from. */
  private readonly openOrigins = new Map<string, OpenWindowOrigin>();
  /** `${size}|${patient}` -> largest window_start already written (from earlier instances). */
  private readonly writtenUpTo = new Map<string, number>();
  /** Next offset per partition key (last processed + 1). */
  private readonly nextOffsets = new Map<string, { topic: string; partition: number; offset: number }>();
  private readonly revoked = new Set<string>();
  private assigned = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private loop: ConsumerLoop | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: StreamOptions) {
    this.compiled = compileRuleSet(opts.ruleSet);
    this.assemblers = new Map(this.compiled.windowSizes.map((s) => [s, new WindowAssembler([s], { allowedLatenessMs: opts.allowedLatenessMs })]));
    this.watermarks = new WatermarkTracker({ idleMs: opts.idleMs });
  }

  async start(): Promise<void> {
    await this.loadWrittenWindows();
    this.loop = await startConsumerLoop({
      kafka: this.opts.kafka,
      groupId: this.opts.groupId ?? `vitals-stream-${this.opts.runId}`,
      topics: this.opts.topics,
      onBatch: (batch) => this.serialised(() => this.onBatch(batch)),
      onGroupJoin: (assignment) => this.onAssignment(assignment),
      onFatal: this.opts.onFatal,
      log: this.opts.log,
    });
    // When input stops, no batch arrives to move the watermark: let idle time close windows.
    this.idleTimer = setInterval(() => {
      void this.serialised(() => this.closeWindows(Date.now(), []))
        .then((commits) => this.commit(commits))
        .catch((err: Error) => this.opts.onFatal(err));
    }, Math.max(100, Math.floor(this.opts.idleMs / 2)));
  }

  /** Resolves once the consumer has joined its group. */
  get joined(): Promise<void> {
    return this.loop?.joined ?? Promise.reject(new Error('stream pipeline not started'));
  }

  private onAssignment(assignment: Record<string, number[]>): void {
    const now = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) now.add(`${topic}:${p}`);
    }
    for (const key of this.assigned) {
      if (!now.has(key)) {
        this.revoked.add(key);
        this.watermarks.remove(key);
      }
    }
    for (const key of now) {
      this.revoked.delete(key);
      this.watermarks.register(key, Date.now());
    }
    this.assigned = now;
  }

  async stop(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    await this.queue.catch(() => undefined);
    await this.loop?.stop();
  }

  /** One batch or timer tick at a time: they share the window state. */
  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async commit(commits: OffsetCommit[]): Promise<void> {
    if (commits.length === 0 || !this.loop) return;
    await this.loop.consumer.commitOffsets(commits.map((c) => ({ topic: c.topic, partition: c.partition, offset: String(c.offset) })));
  }

  private async loadWrittenWindows(): Promise<void> {
    const [rows] = await this.opts.pool.query(
      `SELECT patient_id, window_s, MAX(window_start) AS upto FROM window_stats
        WHERE run_id = ? AND mode = 'stream' GROUP BY patient_id, window_s`,
      [this.opts.runId],
    );
    for (const r of rows as Array<{ patient_id: number; window_s: number; upto: number }>) {
      this.writtenUpTo.set(`${r.window_s}|${r.patient_id}`, Number(r.upto));
    }
  }

  private async onBatch(batch: PartitionBatch): Promise<OffsetCommit[]> {
    const now = Date.now();
    const partitionKey = `${batch.topic}:${batch.partition}`;
    const alerts: AlertRecord[] = [];
    const rejected: unknown[][] = [];
    let processed = 0;
    for (const m of batch.messages) {
      const parsed = parseReading(m.value);
      if (!parsed.ok) {
        rejected.push([this.opts.runId, batch.topic, batch.partition, m.offset, 'stream', parsed.reason.slice(0, 512), m.value]);
        continue;
      }
      const reading = parsed.reading;
      processed++;
      alerts.push(...evaluateRecord(reading, this.compiled.recordRules));
      this.watermarks.observe(partitionKey, reading.event_time, now);
      this.addToWindows(reading, batch.topic, batch.partition, partitionKey, m.offset);
    }
    const last = batch.messages[batch.messages.length - 1]!.offset;
    this.nextOffsets.set(partitionKey, { topic: batch.topic, partition: batch.partition, offset: last + 1 });
    const range: OffsetRange = { topic: batch.topic, partition: batch.partition, firstOffset: batch.messages[0]!.offset, lastOffset: last };
    const commits = await this.closeWindows(now, alerts, rejected, [range]);
    this.stats.processed += processed;
    this.stats.rejected += rejected.length;
    // This batch's partition is always committed (possibly held back by its open windows).
    if (!commits.some((c) => c.topic === batch.topic && c.partition === batch.partition)) {
      commits.push({ topic: batch.topic, partition: batch.partition, offset: this.safeOffset(partitionKey) });
    }
    return commits;
  }

  private addToWindows(reading: Reading, topic: string, partition: number, partitionKey: string, offset: number): void {
    for (const [size, assembler] of this.assemblers) {
      const start = windowStartOf(reading.event_time, size);
      const written = this.writtenUpTo.get(`${size}|${reading.patient_id}`);
      if (written !== undefined && start <= written) continue; // done by an earlier instance
      const result = assembler.add(reading);
      if (result.late) {
        this.stats.late.push({ patient_id: reading.patient_id, seq: reading.seq, lateness_ms: assembler.watermark - (start + size * 1000) });
        continue;
      }
      const key = `${size}|${reading.patient_id}|${start}`;
      const origin = this.openOrigins.get(key);
      if (!origin) this.openOrigins.set(key, { partitionKey, topic, partition, minOffset: offset });
      else if (offset < origin.minOffset) origin.minOffset = offset;
    }
  }

  /**
   * Advance the watermark, write the windows it closes together with the given record alerts
   * and rejects in one transaction, and say which partitions' offsets may now move forward.
   */
  private async closeWindows(now: number, alerts: AlertRecord[], rejected: unknown[][] = [], ranges: OffsetRange[] = []): Promise<OffsetCommit[]> {
    const watermark = this.watermarks.watermark(now);
    this.stats.watermark = watermark;
    const closed: WindowResult[] = [];
    const touched = new Set<string>();
    for (const [size, assembler] of this.assemblers) {
      for (const w of assembler.advanceWatermark(watermark)) {
        const key = `${size}|${w.patient_id}|${w.window_start}`;
        const origin = this.openOrigins.get(key);
        this.openOrigins.delete(key);
        // A window of a partition this instance lost is the new owner's to write.
        if (origin && this.revoked.has(origin.partitionKey)) continue;
        if (origin) touched.add(origin.partitionKey);
        closed.push(w);
      }
    }
    for (const w of closed) alerts.push(...evaluateWindow(w, this.compiled.windowRulesBySize.get(w.window_s) ?? []));
    if (alerts.length === 0 && closed.length === 0 && rejected.length === 0 && ranges.length === 0) return [];
    const writeBatch = this.ids.next();
    const { runId, pool } = this.opts;
    await inTransaction(pool, async (conn) => {
      if (alerts.length) await bulkInsert(conn, `INSERT INTO alerts ${ALERT_COLUMNS}`, alerts.map((a) => alertRow(runId, 'stream', a, writeBatch)), ALERT_UPSERT);
      if (closed.length) await bulkInsert(conn, `INSERT INTO window_stats ${WINDOW_COLUMNS}`, closed.map((w) => windowRow(runId, 'stream', w, writeBatch)), 'ON DUPLICATE KEY UPDATE run_id = run_id');
      if (rejected.length) await bulkInsert(conn, `INSERT INTO rejected_readings ${REJECT_COLUMNS}`, rejected, 'ON DUPLICATE KEY UPDATE reason = reason');
    });
    await recordCommit(pool, runId, 'stream', writeBatch, Date.now(), alerts.length + closed.length, ranges);
    for (const w of closed) {
      const k = `${w.window_s}|${w.patient_id}`;
      if ((this.writtenUpTo.get(k) ?? -Infinity) < w.window_start) this.writtenUpTo.set(k, w.window_start);
    }
    this.stats.alerts += alerts.length;
    this.stats.windows += closed.length;
    const commits: OffsetCommit[] = [];
    for (const key of touched) {
      const next = this.nextOffsets.get(key);
      if (next && !this.revoked.has(key)) commits.push({ topic: next.topic, partition: next.partition, offset: this.safeOffset(key) });
    }
    return commits;
  }

  /** The next offset to read after a restart: held back to the oldest reading of an open window. */
  private safeOffset(partitionKey: string): number {
    let offset = this.nextOffsets.get(partitionKey)?.offset ?? 0;
    for (const origin of this.openOrigins.values()) {
      if (origin.partitionKey === partitionKey && origin.minOffset < offset) offset = origin.minOffset;
    }
    return offset;
  }
}
