import type { Admin, Kafka } from 'kafkajs';
import { endOffsets } from '../infra/kafka.js';
import type { KafkaClientDriver } from '../infra/kafka-client/index.js';
import { contentDigest } from '../domain/content.js';
import { partitionKey, windowKey, windowSeriesKey } from '../domain/keys.js';
import { parseReading, type ParseContext, type Reading } from '../domain/reading.js';
import { insertStatements, numberOf, queryRows, writeAtomically, type Pool } from '../infra/mysql.js';
import { withRetry } from '../infra/retry.js';
import { DEFAULT_STATEMENT_BYTES, readMaxAllowedPacket, statementBudget } from '../infra/statement-size.js';
import { startConsumerLoop, type ConsumerLoop, type OffsetCommit, type PartitionBatch } from './consumer-loop.js';
import { compileRuleSet, evaluateRecord, evaluateWindow, type CompiledRuleSet } from './rules/evaluate.js';
import type { AlertRecord, RuleSet, WindowResult } from './rules/types.js';
import { WatermarkTracker, WindowAssembler, windowStartOf } from './rules/windows.js';
import {
  ALERT_COLUMNS,
  ALERT_UPSERT,
  alertRow,
  REJECT_COLUMNS,
  rejectedRow,
  WINDOW_COLUMNS,
  windowRow,
} from './rows.js';
import { GroupCommit } from './group-commit.js';
import { SafeOffsets } from './safe-offsets.js';
import { isDataError, writeIsolating, writeRejectedIsolating } from './isolate.js';
import { CommitRecorder, type OffsetRange } from './write-batches.js';

export interface StreamOptions {
  /** kafkajs: the end-offset checks (admin), and the consumer unless `client` is given. */
  kafka: Kafka;
  /** The client that consumes (default: kafkajs over `kafka`). */
  client?: KafkaClientDriver;
  pool: Pool;
  runId: string;
  topics: string[];
  ruleSet: RuleSet;
  /** How long after a window's end (in event time) readings are still accepted into it. */
  allowedLatenessMs: number;
  /** A partition with no data for this long stops holding the watermark back. */
  idleMs: number;
  groupId?: string;
  /** An event_time further ahead of the receiving clock than this is refused (default 5 min). */
  maxFutureMs?: number;
  /** A reading without a run id is foreign (a bench: only its generator writes to its topics). */
  requireRunId?: boolean;
  /** Calibration: results wait this long before their database commit (METRICS.md, measurement integrity). */
  injectDelayMs?: number;
  /** The least time between two fetches that bring data (ms, default DEFAULT_FETCH_INTERVAL_MS; 0: fetch on every arrival). */
  fetchIntervalMs?: number;
  /** Where windows are aligned (rules/windows.ts windowStartOf); a run aligns them to its schedule. */
  windowOriginMs?: number;
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
  /** Later copies of a (patient_id, seq) already processed: skipped, as ingest keeps the first (conflicts included). */
  duplicatesSkipped: number;
  /** Of the skipped: copies whose content differs from the first (rejected, and counted in `rejected`). */
  conflicts: number;
  /** Result rows the database refused, isolated and recorded in rejected_readings. */
  refusedResults: number;
  /**
   * Milliseconds spent processing: evaluating batches (synchronous) plus write transactions
   * (wall time). A write can overlap the next batch's evaluation, so this can count a moment
   * twice: the busy time is an upper bound, the rate computed from it a lower bound.
   */
  busyMs: number;
  alerts: number;
  windows: number;
  late: LateReadingNote[];
  watermark: number;
  /** Windows assembled but not yet closed by the watermark. */
  openWindows: number;
  /** Next offset to process per `topic:partition` (what it has read, not what it has committed). */
  positions: Record<string, number>;
  /** Groups of work written (GroupCommit): each gets one commit record, whether or not it had rows to write. */
  writes: number;
  /** Database transactions the result writes made: a group with no row to write makes none (mysql.ts writeAtomically). */
  dbTransactions: number;
  /** Statements (multi-row INSERTs) the result writes sent, BEGIN and COMMIT not counted. */
  dbStatements: number;
}

/** What one partition batch (or one idle tick) has to write. */
interface StreamWork {
  alerts: AlertRecord[];
  windows: WindowResult[];
  rejected: unknown[][];
  ranges: OffsetRange[];
}

/** Rows per multi-row INSERT statement, at most (statement bytes permitting). */
const CHUNK = 2000;

/**
 * The least time between two fetches that bring data, by default (--fetch-interval-ms;
 * consumer-loop.ts fetchIntervalMs). The generator sends each reading when it falls due, so at
 * 500 readings/s one arrives every 2 ms: fetching on every arrival paid a fetch, a transaction
 * and their client-side CPU per reading. A fetch every 5 ms at most takes what arrived
 * meanwhile (2.5 readings at 500/s) into one transaction. A reading waits for it only while
 * readings arrive closer together than this, and then at most this long.
 */
export const DEFAULT_FETCH_INTERVAL_MS = 5;

type StreamResultRow = { kind: 'alert'; a: AlertRecord } | { kind: 'window'; w: WindowResult };

/**
 * The speed layer: record rules at once, window rules on event-time tumbling windows closed
 * by a watermark, results written per partition batch in one transaction, Kafka offsets
 * committed after it. Offsets are committed only up to the oldest reading still held in an
 * open window, so a restarted instance re-reads exactly what its lost state contained; windows
 * it had already written are skipped (loaded from window_stats), and alert and window rows
 * are keyed, so a replay rewrites nothing: the exactly-once effect.
 */
export class StreamPipeline {
  readonly stats: StreamStats = {
    processed: 0,
    rejected: 0,
    duplicatesSkipped: 0,
    conflicts: 0,
    refusedResults: 0,
    busyMs: 0,
    alerts: 0,
    windows: 0,
    late: [],
    watermark: -Infinity,
    openWindows: 0,
    positions: {},
    writes: 0,
    dbTransactions: 0,
    dbStatements: 0,
  };
  private readonly compiled: CompiledRuleSet;
  private assemblers: Map<number, WindowAssembler>;
  private windowOriginMs: number;
  private readonly watermarks: WatermarkTracker;
  private readonly recorder: CommitRecorder;
  private readonly writer: GroupCommit<StreamWork>;
  /** Where each open window's readings came from, and so how far each partition's offset may be committed. */
  private readonly offsets = new SafeOffsets();
  /**
   * windowSeriesKey(size, patient) -> largest window_start written by earlier instances (loaded at
   * start). Windows this instance closes are not added: a reading for one of those goes to
   * the assembler, which reports it as late.
   */
  private readonly writtenBefore = new Map<string, number>();
  /** Partitions whose read position had reached the log end, with when that was checked. */
  private readonly caughtUp = new Map<string, number>();
  private admin: Admin | undefined;
  /** Between a rebalance starting and this member's new assignment: close nothing. */
  private rebalancing = false;
  private reloading: Promise<void> | null = null;
  private idleCheck: Promise<void> | null = null;
  private readonly revoked = new Set<string>();
  private assigned = new Set<string>();
  private loop: ConsumerLoop | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** patient_id -> seq -> content digest of the copy processed by this instance: the first copy wins, as in ingest. */
  private readonly seen = new Map<number, Map<number, number>>();
  private refusedCounter = 0;
  /** The largest statement to send (statement-size.ts), from the server's max_allowed_packet at start. */
  private statementBytes = DEFAULT_STATEMENT_BYTES;

  constructor(private readonly opts: StreamOptions) {
    this.compiled = compileRuleSet(opts.ruleSet);
    this.windowOriginMs = opts.windowOriginMs ?? 0;
    this.assemblers = this.newAssemblers();
    this.watermarks = new WatermarkTracker({ idleMs: opts.idleMs });
    this.recorder = new CommitRecorder(opts.pool, opts.runId, 'stream', opts.onFatal, opts.log);
    this.writer = new GroupCommit((items) => this.write(items));
  }

  async start(): Promise<void> {
    const maxAllowedPacket = await withRetry('reading max_allowed_packet', () => readMaxAllowedPacket(this.opts.pool), {
      log: this.opts.log,
    });
    this.statementBytes = statementBudget(maxAllowedPacket);
    await this.loadWrittenWindows();
    this.loop = await startConsumerLoop({
      kafka: this.opts.kafka,
      client: this.opts.client,
      groupId: this.opts.groupId ?? `vitals-stream-${this.opts.runId}`,
      topics: this.opts.topics,
      onBatch: (batch) => this.onBatch(batch),
      onGroupJoin: (assignment) => this.onAssignment(assignment),
      onRebalancing: () => {
        this.rebalancing = true;
      },
      onFatal: this.opts.onFatal,
      fetchIntervalMs: this.opts.fetchIntervalMs ?? DEFAULT_FETCH_INTERVAL_MS,
      // An offset never passes a commit whose t_committed is not recorded yet (write-batches.ts).
      beforeOffsetCommit: () => this.recorder.flush(),
      log: this.opts.log,
    });
    // When input stops, no batch arrives to move the watermark: let idle time close windows.
    this.admin = this.opts.kafka.admin();
    await this.admin.connect();
    this.idleTimer = setInterval(
      () => {
        if (this.rebalancing) return;
        this.idleCheck ??= this.checkCaughtUp()
          .catch((err: Error) => this.opts.log?.(`end-offset check failed: ${err.message}`))
          .finally(() => (this.idleCheck = null));
        const { work, commits } = this.closeWindows(Date.now());
        if (!work) return;
        this.submit(work).then(
          // A failed offset commit (e.g. during a rebalance) only means more to re-read after a
          // restart; the next batch commits again. A failed write is fatal.
          () =>
            this.commit(commits).catch((err: Error) =>
              this.opts.log?.(`offset commit after idle close failed: ${err.message}`),
            ),
          (err: Error) => this.opts.onFatal(err),
        );
      },
      Math.max(100, Math.floor(this.opts.idleMs / 2)),
    );
  }

  private newAssemblers(): Map<number, WindowAssembler> {
    const options = { allowedLatenessMs: this.opts.allowedLatenessMs, originMs: this.windowOriginMs };
    return new Map(this.compiled.windowSizes.map((s) => [s, new WindowAssembler([s], options)]));
  }

  /**
   * Align the windows to the run's schedule, told by the harness before the load starts.
   * Refused once a reading has been assembled under another origin.
   */
  setWindowOrigin(originMs: number): void {
    if (originMs === this.windowOriginMs) return;
    if (this.stats.processed > 0)
      throw new Error(
        `window origin changed from ${this.windowOriginMs} to ${originMs} after ${this.stats.processed} readings`,
      );
    this.windowOriginMs = originMs;
    this.assemblers = this.newAssemblers();
  }

  /** Resolves once the consumer has joined its group. */
  get joined(): Promise<void> {
    return this.loop?.joined ?? Promise.reject(new Error('stream pipeline not started'));
  }

  private onAssignment(assignment: Record<string, number[]>): void {
    const now = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) now.add(partitionKey(topic, p));
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
    this.rebalancing = false;
    // Windows another member wrote up to this rebalance must not be rewritten from the part
    // of their readings this member re-reads: learn them before the next batch.
    // Cleared once done, so that later batches are processed without an await (one per batch).
    const reloading: Promise<void> = this.loadWrittenWindows()
      .catch((err: Error) => this.opts.onFatal(err))
      .finally(() => {
        if (this.reloading === reloading) this.reloading = null;
      });
    this.reloading = reloading;
  }

  /** Which assigned partitions have been read up to their log end offset. */
  private async checkCaughtUp(): Promise<void> {
    if (!this.admin || this.assigned.size === 0) return;
    const checkedAt = Date.now();
    const ends = await endOffsets(this.admin, this.opts.topics);
    let committed: Map<string, number> | undefined;
    for (const key of this.assigned) {
      let position = this.offsets.nextOf(key)?.offset;
      if (position === undefined) {
        committed ??= await this.committedOffsets();
        position = committed.get(key) ?? 0;
      }
      if (position >= (ends.get(key) ?? 0)) this.caughtUp.set(key, checkedAt);
      else this.caughtUp.delete(key);
    }
  }

  private async committedOffsets(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const groupId = this.opts.groupId ?? `vitals-stream-${this.opts.runId}`;
    for (const t of await this.admin!.fetchOffsets({ groupId, topics: this.opts.topics })) {
      for (const p of t.partitions) out.set(partitionKey(t.topic, p.partition), Math.max(0, Number(p.offset)));
    }
    return out;
  }

  async stop(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    await this.idleCheck;
    await this.loop?.stop();
    await this.admin?.disconnect();
    await this.writer.idle();
    await this.recorder.flush();
    const { writes, dbTransactions, dbStatements } = this.stats;
    this.opts.log?.(
      `stream: ${this.stats.processed} readings in ${writes} result writes: ${dbTransactions} database transactions, ${dbStatements} statements`,
    );
  }

  private async commit(commits: OffsetCommit[]): Promise<void> {
    if (commits.length === 0 || !this.loop) return;
    await this.loop.commit(commits);
  }

  private async loadWrittenWindows(): Promise<void> {
    const rows = await withRetry(
      'loading written windows',
      () =>
        queryRows(
          this.opts.pool,
          `SELECT patient_id, window_s, MAX(window_start) AS upto FROM window_stats
        WHERE run_id = ? AND mode = 'stream' GROUP BY patient_id, window_s`,
          [this.opts.runId],
          (r) => ({ patient_id: numberOf(r.patient_id), window_s: numberOf(r.window_s), upto: numberOf(r.upto) }),
        ),
      { log: this.opts.log },
    );
    for (const r of rows) this.writtenBefore.set(windowSeriesKey(r.window_s, r.patient_id), r.upto);
  }

  /**
   * The processing is synchronous (so concurrent partition batches never interleave on the
   * window state); only the write is awaited, group-committed with other batches.
   */
  private async onBatch(batch: PartitionBatch): Promise<OffsetCommit[]> {
    if (this.reloading) await this.reloading;
    const began = performance.now();
    const now = Date.now();
    const partKey = partitionKey(batch.topic, batch.partition);
    this.caughtUp.delete(partKey);
    const alerts: AlertRecord[] = [];
    const rejected: unknown[][] = [];
    const ctx: ParseContext = {
      now,
      topic: batch.topic,
      runId: this.opts.runId,
      requireRunId: this.opts.requireRunId ?? false,
      ...(this.opts.maxFutureMs !== undefined ? { maxFutureMs: this.opts.maxFutureMs } : {}),
    };
    for (const m of batch.messages) {
      const parsed = parseReading(m.value, ctx);
      const where = { topic: batch.topic, partition: batch.partition, offset: m.offset, payload: m.value };
      if (!parsed.ok) {
        rejected.push(rejectedRow(this.opts.runId, where, 'stream', parsed.reason));
        continue;
      }
      const reading = parsed.reading;
      const copy = this.copyOf(reading);
      if (copy !== 'first') {
        this.stats.duplicatesSkipped++;
        if (copy === 'conflict') {
          this.stats.conflicts++;
          rejected.push(
            rejectedRow(
              this.opts.runId,
              where,
              'stream',
              `duplicate with different content: (patient_id ${reading.patient_id}, seq ${reading.seq}) differs from the copy processed first`,
            ),
          );
        }
        continue;
      }
      this.stats.processed++;
      alerts.push(...evaluateRecord(reading, this.compiled.recordRules));
      this.watermarks.observe(partKey, reading.event_time, now);
      this.addToWindows(reading, batch.topic, batch.partition, partKey, m.offset);
    }
    this.stats.rejected += rejected.length;
    const last = batch.messages[batch.messages.length - 1]!.offset;
    this.offsets.advance(partKey, batch.topic, batch.partition, last);
    this.stats.positions[partKey] = last + 1;
    const range: OffsetRange = {
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: batch.messages[0]!.offset,
      lastOffset: last,
      fetchedAt: batch.fetchedAt,
    };
    const closing = this.closeWindows(now);
    const work: StreamWork = {
      alerts: [...alerts, ...(closing.work?.alerts ?? [])],
      windows: closing.work?.windows ?? [],
      rejected,
      ranges: [range],
    };
    const commits = closing.commits;
    // This batch's partition is always committed (possibly held back by its open windows).
    if (!commits.some((c) => c.topic === batch.topic && c.partition === batch.partition)) {
      commits.push({ topic: batch.topic, partition: batch.partition, offset: this.offsets.safeOffset(partKey) });
    }
    this.stats.busyMs += performance.now() - began;
    await this.submit(work);
    return commits;
  }

  /**
   * Hand work to the group commit. With --inject-delay-ms each piece of work first waits the
   * delay on its own timer, so that the delay adds X to every result's latency without
   * becoming a serial bottleneck (inside the transaction it would be paid once per commit and
   * queue the work behind it: about 1.5 X). Equal delays keep the submission order.
   */
  private async submit(work: StreamWork): Promise<void> {
    if (this.opts.injectDelayMs) await new Promise((r) => setTimeout(r, this.opts.injectDelayMs));
    await this.writer.submit(work);
  }

  /** The first copy of its (patient_id, seq) this instance sees, a later identical copy, or a later one with other content. */
  private copyOf(r: Reading): 'first' | 'identical' | 'conflict' {
    let seqs = this.seen.get(r.patient_id);
    if (!seqs) this.seen.set(r.patient_id, (seqs = new Map<number, number>()));
    const digest = contentDigest(r);
    const first = seqs.get(r.seq);
    if (first === undefined) {
      seqs.set(r.seq, digest);
      return 'first';
    }
    return first === digest ? 'identical' : 'conflict';
  }

  private addToWindows(reading: Reading, topic: string, partition: number, partitionKey: string, offset: number): void {
    for (const [size, assembler] of this.assemblers) {
      const start = windowStartOf(reading.event_time, size, this.windowOriginMs);
      const written = this.writtenBefore.get(windowSeriesKey(size, reading.patient_id));
      if (written !== undefined && start <= written) continue; // done by an earlier instance
      const result = assembler.add(reading);
      if (result.late) {
        this.stats.late.push({
          patient_id: reading.patient_id,
          seq: reading.seq,
          lateness_ms: assembler.watermark - (start + size * 1000),
        });
        continue;
      }
      this.offsets.addReading(windowKey(size, reading.patient_id, start), partitionKey, topic, partition, offset);
    }
  }

  /**
   * Advance the watermark and take the windows it closes (with their alerts), and say which
   * partitions' offsets may move forward once that work is written.
   */
  private closeWindows(now: number): { work: StreamWork | null; commits: OffsetCommit[] } {
    // A partition may count as idle only when it has nothing left to read: one that merely
    // delivered nothing for a while (a stall, a slow commit) keeps holding the watermark back.
    // The check must be recent: after a stall it is stale.
    for (const key of this.assigned) {
      const checkedAt = this.caughtUp.get(key);
      if (checkedAt === undefined || now - checkedAt > this.opts.idleMs) this.watermarks.observe(key, -Infinity, now);
    }
    const watermark = this.watermarks.watermark(now);
    this.stats.watermark = watermark;
    const closed: WindowResult[] = [];
    const touched = new Set<string>();
    for (const [size, assembler] of this.assemblers) {
      for (const w of assembler.advanceWatermark(watermark)) {
        const origin = this.offsets.closeWindow(windowKey(size, w.patient_id, w.window_start));
        // A window of a partition this instance lost is the new owner's to write.
        if (origin && this.revoked.has(origin.partitionKey)) continue;
        if (origin) touched.add(origin.partitionKey);
        closed.push(w);
      }
    }
    this.stats.openWindows = [...this.assemblers.values()].reduce((n, a) => n + a.openWindowCount(), 0);
    if (closed.length === 0) return { work: null, commits: [] };
    const alerts: AlertRecord[] = [];
    for (const w of closed) {
      alerts.push(...evaluateWindow(w, this.compiled.windowRulesBySize.get(w.window_s) ?? []));
    }
    const commits: OffsetCommit[] = [];
    for (const key of touched) {
      const next = this.offsets.nextOf(key);
      if (next && !this.revoked.has(key))
        commits.push({ topic: next.topic, partition: next.partition, offset: this.offsets.safeOffset(key) });
    }
    return { work: { alerts, windows: closed, rejected: [], ranges: [] }, commits };
  }

  /** One write (one transaction at most) for everything submitted since the last write. */
  private async write(items: StreamWork[]): Promise<void> {
    const alerts = items.flatMap((w) => w.alerts);
    const windows = items.flatMap((w) => w.windows);
    const rejected = items.flatMap((w) => w.rejected);
    const ranges = items.flatMap((w) => w.ranges);
    const writeBatch = this.recorder.nextId();
    const results: StreamResultRow[] = [
      ...alerts.map((a) => ({ kind: 'alert' as const, a })),
      ...windows.map((w) => ({ kind: 'window' as const, w })),
    ];
    let refusedCount = 0;
    const began = performance.now();
    const startedAt = Date.now();
    const transactionsBefore = this.stats.dbTransactions;
    this.stats.writes++;
    try {
      // Most writes hold no row at all: no statement to build, nothing to retry.
      if (results.length > 0 || rejected.length > 0) await this.writeRows(results, rejected, writeBatch);
    } catch (err) {
      if (!isDataError(err)) throw err;
      // Never expected (the contract refuses what the database would), but a refused result
      // must not stop the stream on every restart: isolate it, record it, write the rest.
      const refused = await writeIsolating(results, (part) => this.writeRows(part, [], writeBatch));
      refusedCount = refused.length;
      const refusedRows = refused.map((r) => {
        this.opts.log?.(`database refused a ${r.item.kind} result: ${r.message}`);
        const payload = Buffer.from(JSON.stringify(r.item.kind === 'alert' ? r.item.a : r.item.w));
        return rejectedRow(
          this.opts.runId,
          {
            topic: `result:${r.item.kind}`,
            partition: -1,
            offset: Date.now() * 1000 + (this.refusedCounter++ % 1000),
            payload,
          },
          'stream',
          `database refused: ${r.message}`,
        );
      });
      const refusedRejects = await writeRejectedIsolating([...rejected, ...refusedRows], (rows) =>
        this.writeRows([], rows, writeBatch),
      );
      for (const r of refusedRejects)
        this.opts.log?.(`database refused a rejected_readings row (kept without payload): ${r.message}`);
    }
    this.stats.busyMs += performance.now() - began;
    this.recorder.committed({
      startedAt,
      committedAt: Date.now(),
      rowCount: alerts.length + windows.length - refusedCount,
      ranges,
      batch: writeBatch,
      transactions: this.stats.dbTransactions - transactionsBefore,
    });
    this.stats.refusedResults += refusedCount;
    this.stats.alerts += alerts.length;
    this.stats.windows += windows.length;
  }

  /**
   * Write the rows all or none (writeAtomically): most groups of a stream hold no result row at
   * all (no alert, no window closed) and then make no round trip.
   */
  private async writeRows(results: StreamResultRow[], rejected: unknown[][], writeBatch: bigint): Promise<void> {
    const { runId, pool } = this.opts;
    const alerts = results.flatMap((r) => (r.kind === 'alert' ? [alertRow(runId, 'stream', r.a, writeBatch)] : []));
    const windows = results.flatMap((r) => (r.kind === 'window' ? [windowRow(runId, 'stream', r.w, writeBatch)] : []));
    const bytes = this.statementBytes;
    const statements = [
      ...insertStatements(`INSERT INTO alerts ${ALERT_COLUMNS}`, alerts, ALERT_UPSERT, CHUNK, bytes),
      ...insertStatements(
        `INSERT INTO window_stats ${WINDOW_COLUMNS}`,
        windows,
        'ON DUPLICATE KEY UPDATE run_id = run_id',
        CHUNK,
        bytes,
      ),
      ...insertStatements(
        `INSERT INTO rejected_readings ${REJECT_COLUMNS}`,
        rejected,
        'ON DUPLICATE KEY UPDATE reason = reason',
        CHUNK,
        bytes,
      ),
    ];
    this.stats.dbTransactions += await withRetry('stream write', () => writeAtomically(pool, statements), {
      log: this.opts.log,
    });
    this.stats.dbStatements += statements.length;
  }
}
