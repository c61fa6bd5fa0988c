/**
 * Commit-time attribution: which write transaction committed each reading's result, and when
 * (t_committed, METRICS.md), with the other instants of that transaction (stages.ts).
 *
 * The stream's and ingest's transactions cover Kafka offset ranges (write_batch_ranges): a
 * reading's result committed with the first transaction, by commit time, whose range of its
 * partition covers its offset (a replay after a crash covers it again, later). Their ranges are
 * read block by block of offsets and only the blocks the readings at hand need are kept, so the
 * memory this takes does not grow with the run. A batch task covers (ingest_lo, ingest_hi] x
 * [patient_lo, patient_hi]; a run has a few per batch pass, all kept.
 */
import { partitionKey } from '../../domain/keys.js';

/** One transaction's range of one partition (stream, ingest), with its instants (epoch ms). */
export interface OffsetRange {
  write_batch: number;
  first_offset: number;
  last_offset: number;
  committed_at: number;
  /** t_fetched of a stream range (null: not recorded). */
  fetched_at: number | null;
  /** t_commit_start of the range's transaction (null: not recorded). */
  commit_started_at: number | null;
}

/** One batch task: one write transaction of a pass over (ingest_lo, ingest_hi] x [patient_lo, patient_hi]. */
export interface BatchTask {
  write_batch: number;
  ingest_lo: number;
  ingest_hi: number;
  patient_lo: number;
  patient_hi: number;
  committed_at: number;
  /** The task's instants (migration 5; null: not recorded). */
  pass_started_at: number | null;
  task_started_at: number | null;
  read_done_at: number | null;
  commit_started_at: number | null;
}

/** Where a stored reading came from: what attribution needs of it. */
export interface ReadingOrigin {
  patient_id: number;
  ingest_id: number;
  topic: string;
  partition: number;
  offset: number;
}

/** Offset ranges of one role (stream or ingest), as the database gives them. */
export interface OffsetRangeSource {
  /** Per partition (partitionKey), the widest range of the role: last_offset - first_offset. */
  offsetSpans(role: 'stream' | 'ingest'): Promise<Map<string, number>>;
  /** The role's ranges of one partition with first_offset in [firstLo, firstHi] and last_offset >= lastMin. */
  offsetRanges(
    role: 'stream' | 'ingest',
    topic: string,
    partition: number,
    firstLo: number,
    firstHi: number,
    lastMin: number,
  ): Promise<OffsetRange[]>;
}

/** Offsets per block: one query reads the ranges that cover any offset of a block. */
const BLOCK_OFFSETS = 8192;
/**
 * Ranges kept at most per role beyond the blocks the readings at hand need (those are kept
 * whatever their number): about a segment's worth at thousands of readings/s. A 1.2-million-
 * reading run with a transaction every 5 ms has about 430,000 ranges per role; the former
 * 400,000 held nearly all of them (bench:collect-memory).
 */
const CAPACITY_RANGES = 50_000;

interface Block {
  /** Sorted by first_offset, then write_batch. */
  ranges: OffsetRange[];
  span: number;
}

/**
 * The first transaction to commit each reading of one role: prepare() reads the blocks of
 * ranges the readings need, firstCommit() answers from them.
 */
export class OffsetCommits {
  private readonly blocks = new Map<string, Block>();
  private held = 0;

  private constructor(
    private readonly source: OffsetRangeSource,
    private readonly role: 'stream' | 'ingest',
    private readonly spans: ReadonlyMap<string, number>,
    private readonly blockOffsets: number,
    private readonly capacity: number,
  ) {}

  static async open(
    source: OffsetRangeSource,
    role: 'stream' | 'ingest',
    opts: { blockOffsets?: number | undefined; capacityRanges?: number | undefined } = {},
  ): Promise<OffsetCommits> {
    return new OffsetCommits(
      source,
      role,
      await source.offsetSpans(role),
      opts.blockOffsets ?? BLOCK_OFFSETS,
      opts.capacityRanges ?? CAPACITY_RANGES,
    );
  }

  /** Ranges held now (for tests of the bound). */
  get rangesHeld(): number {
    return this.held;
  }

  /** Reads the blocks these readings need that are not held, dropping the least recently used others. */
  async prepare(readings: Iterable<ReadingOrigin>): Promise<void> {
    const needed = new Map<string, { topic: string; partition: number; block: number; span: number }>();
    for (const r of readings) {
      const span = this.spans.get(partitionKey(r.topic, r.partition));
      if (span === undefined) continue;
      const block = Math.floor(r.offset / this.blockOffsets);
      const key = blockKey(r.topic, r.partition, block);
      if (!needed.has(key)) needed.set(key, { topic: r.topic, partition: r.partition, block, span });
    }
    for (const [key, b] of needed) {
      const held = this.blocks.get(key);
      if (held) {
        // Most recently used last.
        this.blocks.delete(key);
        this.blocks.set(key, held);
        continue;
      }
      const lo = b.block * this.blockOffsets;
      const hi = lo + this.blockOffsets - 1;
      const ranges = await this.source.offsetRanges(this.role, b.topic, b.partition, lo - b.span, hi, lo);
      ranges.sort((x, y) => x.first_offset - y.first_offset || x.write_batch - y.write_batch);
      this.blocks.set(key, { ranges, span: b.span });
      this.held += ranges.length;
    }
    for (const [key, block] of this.blocks) {
      if (this.held <= this.capacity) break;
      if (needed.has(key)) continue;
      this.blocks.delete(key);
      this.held -= block.ranges.length;
    }
  }

  /**
   * The range whose transaction first committed the reading (undefined: none covers it). Among
   * ranges committed at the same millisecond, the one starting last (then the latest written).
   */
  firstCommit(r: ReadingOrigin): OffsetRange | undefined {
    if (!this.spans.has(partitionKey(r.topic, r.partition))) return undefined;
    const block = this.blocks.get(blockKey(r.topic, r.partition, Math.floor(r.offset / this.blockOffsets)));
    if (!block) throw new Error(`offset ${r.offset} of ${partitionKey(r.topic, r.partition)} was not prepared`);
    let best: OffsetRange | undefined;
    const list = block.ranges;
    for (let j = upperBound(list, r.offset, (x) => x.first_offset) - 1; j >= 0; j--) {
      const range = list[j]!;
      if (range.first_offset < r.offset - block.span) break;
      if (range.last_offset >= r.offset && !(best && range.committed_at >= best.committed_at)) best = range;
    }
    return best;
  }
}

function blockKey(topic: string, partition: number, block: number): string {
  return `${partitionKey(topic, partition)}#${block}`;
}

/** The batch tasks of a run, by pass: which one committed a reading's batch result. */
export class BatchCommits {
  private readonly passes = new Map<number, BatchTask[]>();
  private readonly his: number[];

  /** `tasks` in the order they were written (write_batch): among tasks of one pass that both cover a reading, the first. */
  constructor(tasks: readonly BatchTask[]) {
    for (const t of tasks) {
      const pass = this.passes.get(t.ingest_hi);
      if (pass) pass.push(t);
      else this.passes.set(t.ingest_hi, [t]);
    }
    this.his = [...this.passes.keys()].sort((a, b) => a - b);
  }

  /**
   * The task of the pass whose (lo, hi] holds the reading's ingest_id: the first hi >= ingest_id
   * with a task covering its patient. A pass cut short by a restart covered only some patient
   * ranges; a later pass covered the rest.
   */
  taskOf(r: Pick<ReadingOrigin, 'ingest_id' | 'patient_id'>): BatchTask | undefined {
    for (let idx = lowerBound(this.his, r.ingest_id, (x) => x); idx < this.his.length; idx++) {
      const task = this.passes
        .get(this.his[idx]!)!
        .find((t) => r.ingest_id > t.ingest_lo && r.patient_id >= t.patient_lo && r.patient_id <= t.patient_hi);
      if (task) return task;
    }
    return undefined;
  }
}

function upperBound<T>(list: readonly T[], value: number, key: (t: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]!) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lowerBound<T>(list: readonly T[], value: number, key: (t: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]!) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
