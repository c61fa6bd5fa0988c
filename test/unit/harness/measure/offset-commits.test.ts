import { describe, expect, it } from 'vitest';
import {
  OffsetCommits,
  type OffsetRange,
  type OffsetRangeSource,
  type ReadingOrigin,
} from '../../../../src/harness/measure/commit-attribution.js';

/**
 * The ranges of one role as a table in memory, answering the two queries collection makes of
 * write_batch_ranges (MysqlRunSource: the same WHERE clauses); the cache under test is pure
 * logic over them. collect-oracle.test.ts runs the same cache on MariaDB with a small capacity.
 */
class RangeTable implements OffsetRangeSource {
  queries = 0;
  constructor(private readonly rows: Array<OffsetRange & { topic: string; partition: number }>) {}

  offsetSpans(): Promise<Map<string, number>> {
    const spans = new Map<string, number>();
    for (const r of this.rows) {
      const key = `${r.topic}:${r.partition}`;
      spans.set(key, Math.max(spans.get(key) ?? 0, r.last_offset - r.first_offset));
    }
    return Promise.resolve(spans);
  }

  offsetRanges(_role: string, topic: string, partition: number, firstLo: number, firstHi: number, lastMin: number) {
    this.queries++;
    return Promise.resolve(
      this.rows
        .filter(
          (r) =>
            r.topic === topic &&
            r.partition === partition &&
            r.first_offset >= firstLo &&
            r.first_offset <= firstHi &&
            r.last_offset >= lastMin,
        )
        .map(({ topic: _t, partition: _p, ...range }) => range),
    );
  }
}

/** A deterministic pseudo-random run: consecutive ranges per partition, some offsets replayed later by a second transaction. */
function ranges(partitions: number, offsets: number): Array<OffsetRange & { topic: string; partition: number }> {
  const rows: Array<OffsetRange & { topic: string; partition: number }> = [];
  let seed = 7;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  let batch = 0;
  for (let partition = 0; partition < partitions; partition++) {
    for (let first = 0; first < offsets;) {
      const last = Math.min(offsets - 1, first + rand(12));
      const committed = 1000 + first * 3 + rand(5);
      rows.push({
        topic: 't',
        partition,
        write_batch: ++batch,
        first_offset: first,
        last_offset: last,
        committed_at: committed,
        fetched_at: committed - 4,
        commit_started_at: committed - 1,
      });
      // A replay after a crash: a wider range committed later covers the same offsets again.
      if (rand(10) === 0)
        rows.push({
          topic: 't',
          partition,
          write_batch: ++batch,
          first_offset: Math.max(0, first - 3),
          last_offset: last + 2,
          committed_at: committed + 500,
          fetched_at: null,
          commit_started_at: null,
        });
      first = last + 1;
    }
  }
  return rows;
}

/** The first commit by brute force: the earliest committed range covering the offset, ties to the later start, then the later batch. */
function bruteForce(rows: ReturnType<typeof ranges>, r: ReadingOrigin): number | undefined {
  const covering = rows
    .filter(
      (x) =>
        x.topic === r.topic && x.partition === r.partition && x.first_offset <= r.offset && x.last_offset >= r.offset,
    )
    .sort(
      (a, b) => a.committed_at - b.committed_at || b.first_offset - a.first_offset || b.write_batch - a.write_batch,
    );
  return covering[0]?.write_batch;
}

const reading = (partition: number, offset: number): ReadingOrigin => ({
  patient_id: 1,
  ingest_id: 1,
  topic: 't',
  partition,
  offset,
});

describe('OffsetCommits (the offset-range cache)', () => {
  const rows = ranges(3, 3000);

  it('never holds more ranges than its capacity when the readings at hand need fewer, and answers as the whole table would', async () => {
    const table = new RangeTable(rows);
    const capacity = 120;
    const cache = await OffsetCommits.open(table, 'stream', { blockOffsets: 50, capacityRanges: capacity });
    let maxHeld = 0;
    // Chunks of readings walk the partitions in time order, coming back to earlier blocks now and then.
    for (let step = 0; step < 200; step++) {
      const partition = step % 3;
      const base = (step * 37) % 2900;
      const chunk = Array.from({ length: 20 }, (_, k) => reading(partition, base + ((k * 13) % 100)));
      await cache.prepare(chunk);
      maxHeld = Math.max(maxHeld, cache.rangesHeld);
      expect(cache.rangesHeld).toBeLessThanOrEqual(capacity);
      for (const r of chunk) expect(cache.firstCommit(r)?.write_batch).toBe(bruteForce(rows, r));
    }
    expect(maxHeld).toBeGreaterThan(capacity / 2);
    // Eviction happened: more blocks were read than fit at once.
    expect(table.queries).toBeGreaterThan(capacity / 20);
  });

  it('keeps every block the readings at hand need, even beyond its capacity, and drops the rest on the next prepare', async () => {
    const cache = await OffsetCommits.open(new RangeTable(rows), 'stream', { blockOffsets: 50, capacityRanges: 25 });
    const wide = Array.from({ length: 30 }, (_, k) => reading(k % 3, k * 90));
    await cache.prepare(wide);
    expect(cache.rangesHeld).toBeGreaterThan(25);
    for (const r of wide) expect(cache.firstCommit(r)?.write_batch).toBe(bruteForce(rows, r));
    const narrow = [reading(0, 5)];
    await cache.prepare(narrow);
    expect(cache.rangesHeld).toBeLessThanOrEqual(25);
    expect(cache.firstCommit(narrow[0]!)?.write_batch).toBe(bruteForce(rows, narrow[0]!));
  });

  it('reads a block once while it is held', async () => {
    const table = new RangeTable(rows);
    const cache = await OffsetCommits.open(table, 'stream', { blockOffsets: 50, capacityRanges: 1000 });
    await cache.prepare([reading(1, 10), reading(1, 20)]);
    await cache.prepare([reading(1, 30)]);
    expect(table.queries).toBe(1);
  });

  it('refuses to answer for a reading whose block was not prepared, and has no answer for an unknown partition', async () => {
    const cache = await OffsetCommits.open(new RangeTable(rows), 'stream', { blockOffsets: 50, capacityRanges: 1000 });
    expect(() => cache.firstCommit(reading(0, 10))).toThrow(/was not prepared/);
    await cache.prepare([reading(9, 10)]);
    expect(cache.firstCommit(reading(9, 10))).toBeUndefined();
  });
});
