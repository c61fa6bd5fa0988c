/**
 * One observer for every mode (METRICS.md "Visibility latency"): it asks the database, over and
 * over, for the results that became visible since it last asked, and stamps each with the start
 * of the query that first returned it. A result first returned by a query was not visible to
 * the query before it: that query's start is kept with the stamp, so every result carries its
 * own bound and the resolution of each figure is measured, not assumed.
 *
 * One query per round, one in flight, index-only: the built-in modes' alerts by
 * (run_id, mode, alert_id), the external jobs' rows by (run_id, mode, result_id). Ids are handed
 * out at insert and transactions commit in any order (concurrent writers interleave), so a row can
 * become visible behind the highest id seen: each round reads from the highest id seen a lookback
 * earlier (LOOKBACK_MS to start with), which catches such a row at the next round, and once a
 * second a round sweeps the ids of the last few seconds, which finds a slower one, stamped with the
 * sweep and bounded by the sweep before it. A source whose rows are found that late (batch's
 * parallel tasks, each its own transaction) has its lookback raised to cover them, up to
 * MAX_LOOKBACK_MS, so that its next ones are seen by the next round. A row that commits later
 * still is found by the final scan, and counted.
 */
import { numberOf, queryRows, type Pool } from '../../infra/mysql.js';

/** Each round reads from the highest id seen this long ago: a transaction committing out of id order within it is seen at once. */
const LOOKBACK_MS = 50;
/**
 * How far a source's lookback may grow when its rows are found behind it (ms): each round re-reads
 * what the source wrote in its lookback, so this bounds that cost at a second of its results.
 */
const MAX_LOOKBACK_MS = 1000;
/** A raised lookback covers the lateness found, with this margin (the history's points are a round apart). */
const LOOKBACK_MARGIN = 1.25;
/** How often a round also sweeps further behind, and how far back (ms). */
const SWEEP_EVERY_MS = 1000;
const SWEEP_BACK_MS = 5000;
/** Rows one query returns at most per source (a burst is read over several rounds). */
const PAGE = 20_000;

/** Where a mode's results are: the built-in modes' alerts, or an external job's rows. */
export interface ObservedSource {
  mode: string;
  table: 'alerts' | 'external_results';
}

/** When a result was first returned (`at`, epoch ms), and the start of the query before which could not have returned it. */
export interface Sighting {
  at: number;
  notBefore: number;
}

/** One mode's sightings by result id: all that collection and the external modes ask of them. */
export interface SightingLookup {
  get(id: number): Sighting | undefined;
}

/**
 * One mode's sightings in three typed arrays sorted by id: 24 bytes a result where a Map entry
 * and its object take about 100. A run's results grow with its length, and the harness holds
 * them from the observer's report to the end of collection.
 */
export class SightingIndex implements SightingLookup {
  private constructor(
    private readonly ids: Float64Array,
    private readonly at: Float64Array,
    private readonly notBefore: Float64Array,
  ) {}

  /** From [id, at, notBefore] triples in any order, each id once. */
  static fromTriples(triples: ReadonlyArray<readonly [number, number, number]>): SightingIndex {
    const builder = SightingIndex.builder();
    builder.add(triples);
    return builder.build();
  }

  /**
   * An index built from chunks of triples as they arrive (the observer process sends a long run's
   * sightings a chunk at a time): each chunk goes into the typed arrays at once, so the harness
   * never holds a whole report as JavaScript arrays.
   */
  static builder(): { add(triples: ReadonlyArray<readonly [number, number, number]>): void; build(): SightingIndex } {
    let cols = { ids: new Float64Array(1024), at: new Float64Array(1024), notBefore: new Float64Array(1024) };
    let n = 0;
    const grow = (need: number): void => {
      if (need <= cols.ids.length) return;
      const size = Math.max(need, cols.ids.length * 2);
      const copy = (a: Float64Array): Float64Array<ArrayBuffer> => {
        const b = new Float64Array(size);
        b.set(a.subarray(0, n));
        return b;
      };
      cols = { ids: copy(cols.ids), at: copy(cols.at), notBefore: copy(cols.notBefore) };
    };
    return {
      add(triples) {
        grow(n + triples.length);
        for (const [id, at, notBefore] of triples) {
          cols.ids[n] = id;
          cols.at[n] = at;
          cols.notBefore[n] = notBefore;
          n++;
        }
      },
      build: () =>
        SightingIndex.sortedById(cols.ids.subarray(0, n), cols.at.subarray(0, n), cols.notBefore.subarray(0, n)),
    };
  }

  /** The columns ordered by id (copied only when they are not already). */
  private static sortedById(ids: Float64Array, at: Float64Array, notBefore: Float64Array): SightingIndex {
    let sorted = true;
    for (let k = 1; k < ids.length && sorted; k++) sorted = ids[k - 1]! <= ids[k]!;
    if (sorted) return new SightingIndex(ids.slice(), at.slice(), notBefore.slice());
    const order = Array.from({ length: ids.length }, (_, k) => k).sort((x, y) => ids[x]! - ids[y]!);
    const pick = (a: Float64Array): Float64Array => Float64Array.from(order, (k) => a[k]!);
    return new SightingIndex(pick(ids), pick(at), pick(notBefore));
  }

  get size(): number {
    return this.ids.length;
  }

  get(id: number): Sighting | undefined {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return this.ids[lo] === id ? { at: this.at[lo]!, notBefore: this.notBefore[lo]! } : undefined;
  }
}

export interface ObserverStats {
  rounds: number;
  /** Gaps between the starts of consecutive rounds, ms. */
  gapP50Ms: number;
  gapP99Ms: number;
  gapMaxMs: number;
  /** Results first found by a sweep behind the cursor (their transaction committed out of id order). */
  sweptLate: number;
  /** Rounds whose query failed (the database did not answer). */
  failedRounds: number;
  /** The widest gaps, widest first, each with the start of the round that ended it (epoch ms): when the stalls were. */
  longestGaps: Array<{ at: number; gapMs: number }>;
}

/** Gaps kept with their instants for the log (the widest). */
const LONGEST_GAPS_KEPT = 5;

const ID_COLUMN = { alerts: 'alert_id', external_results: 'result_id' } as const;

/** The highest id seen as it was at past instants, to read from "as of some time ago". */
class CursorHistory {
  private points: Array<{ at: number; cursor: number }> = [];
  /** The oldest point kept: the newest at least `keepMs` old (earlier ones are dropped). */
  private start = 0;

  constructor(private readonly keepMs: number) {}

  note(at: number, cursor: number): void {
    this.points.push({ at, cursor });
  }

  /** The cursor as of `backMs` (at most keepMs) before `now` (the oldest kept when none is that old). */
  asOf(now: number, backMs: number): number {
    this.prune(now);
    if (this.start >= this.points.length) return 0;
    // The first point newer than backMs; the one before it is the latest at least backMs old.
    const k = this.firstIndex((p) => now - p.at < backMs);
    return this.points[Math.max(this.start, k - 1)]!.cursor;
  }

  /** When the cursor had first reached `id`, among the points kept; undefined when it had before them (or never). */
  firstReached(id: number): number | undefined {
    const k = this.firstIndex((p) => p.cursor >= id);
    return k > this.start && k < this.points.length ? this.points[k]!.at : undefined;
  }

  private prune(now: number): void {
    while (this.start + 1 < this.points.length && now - this.points[this.start + 1]!.at >= this.keepMs) this.start++;
    if (this.start > 1024 && this.start * 2 > this.points.length) {
      this.points = this.points.slice(this.start);
      this.start = 0;
    }
  }

  /** The first kept index whose point satisfies `test` (monotone over the points: false then true), or the length. */
  private firstIndex(test: (p: { at: number; cursor: number }) => boolean): number {
    let lo = this.start;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (test(this.points[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

class SourceCursor {
  readonly seen = new Map<number, Sighting>();
  /** The highest id seen. */
  cursor = 0;
  /** Where the previous regular round read from: an id above it that round could have returned. */
  lastFrom = 0;
  /** How far back each round reads from (ms); raised when rows are found behind it. */
  lookbackMs = LOOKBACK_MS;
  /** The cursor before each round (kept MAX_LOOKBACK_MS), and before each sweep (kept SWEEP_BACK_MS). */
  readonly rounds = new CursorHistory(MAX_LOOKBACK_MS);
  readonly sweeps = new CursorHistory(SWEEP_BACK_MS);

  constructor(readonly source: ObservedSource) {}

  /** Records the ids a query returned; returns how many were new. */
  take(ids: readonly number[], s: Sighting): number {
    let fresh = 0;
    for (const id of ids) {
      if (this.seen.has(id)) continue;
      this.seen.set(id, s);
      this.cursor = Math.max(this.cursor, id);
      fresh++;
    }
    return fresh;
  }

  /** Rows found behind the rounds' reach at `at`: the lookback raised to have caught them. */
  coverLate(ids: readonly number[], at: number): void {
    for (const id of ids) {
      const reached = this.rounds.firstReached(id);
      const late = reached === undefined ? MAX_LOOKBACK_MS : (at - reached) * LOOKBACK_MARGIN;
      this.lookbackMs = Math.min(MAX_LOOKBACK_MS, Math.max(this.lookbackMs, Math.ceil(late)));
    }
  }
}

/**
 * The polling loop: `run()` until `stop()`. Run by the observer process
 * (processes/observer-child.ts), so that its timing does not depend on the harness's own work.
 */
export class ResultsObserver {
  private readonly cursors: SourceCursor[];
  private readonly gaps: number[] = [];
  private readonly longestGaps: Array<{ at: number; gapMs: number }> = [];
  private lastRoundAt: number | undefined;
  private lastSweepAt: number | undefined;
  private rounds = 0;
  private sweptLate = 0;
  private failedRounds = 0;
  private running = false;
  /** Per mode, when the latest new result was seen (epoch ms). */
  readonly lastNewAt = new Map<string, number>();

  constructor(
    private readonly pool: Pool,
    private readonly runId: string,
    sources: readonly ObservedSource[],
    readonly intervalMs: number,
  ) {
    this.cursors = sources.map((s) => new SourceCursor(s));
  }

  /** Rounds until stop(); a round that fails (the database away) is counted and the next one tries again. */
  async run(onRound: () => void, onError: (err: Error) => void): Promise<void> {
    this.running = true;
    while (this.running) {
      const at = Date.now();
      try {
        await this.round(at);
      } catch (err) {
        this.failedRounds++;
        onError(err as Error);
      }
      onRound();
      const wait = this.intervalMs - (Date.now() - at);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  stop(): void {
    this.running = false;
  }

  /** One query: each source's ids after its cursor, and once a second the ids of its last few seconds. */
  async round(at = Date.now()): Promise<void> {
    const prev = this.lastRoundAt ?? at;
    if (this.lastRoundAt !== undefined) this.noteGap(at, at - this.lastRoundAt);
    this.lastRoundAt = at;
    this.rounds++;
    if (this.cursors.length === 0) return;
    const sweep = this.lastSweepAt === undefined || at - this.lastSweepAt >= SWEEP_EVERY_MS;
    const parts: string[] = [];
    const params: unknown[] = [];
    const froms = this.cursors.map((c) => {
      c.rounds.note(at, c.cursor);
      return sweep ? c.sweeps.asOf(at, SWEEP_BACK_MS) : c.rounds.asOf(at, c.lookbackMs);
    });
    this.cursors.forEach((c, i) => {
      const id = ID_COLUMN[c.source.table];
      const from = froms[i]!;
      parts.push(
        `(SELECT ${i} AS src, ${id} AS id FROM ${c.source.table} WHERE run_id = ? AND mode = ? AND ${id} > ? ORDER BY ${id} LIMIT ${PAGE})`,
      );
      params.push(this.runId, c.source.mode, from);
    });
    const rows = await queryRows(this.pool, parts.join(' UNION ALL '), params, (r) => ({
      src: numberOf(r.src),
      id: numberOf(r.id),
    }));
    const bySource = this.cursors.map(() => [] as number[]);
    for (const r of rows) bySource[r.src]!.push(r.id);
    this.cursors.forEach((c, i) => {
      const ids = bySource[i]!;
      const cursorBefore = c.cursor;
      // An id the previous round's range held was not returned by it; one below that range (a
      // sweep's find) was not returned by the previous sweep.
      const inRange = ids.filter((id) => id > c.lastFrom);
      const below = ids.filter((id) => id <= c.lastFrom);
      let fresh = c.take(inRange, { at, notBefore: prev });
      const unseenBelow = below.filter((id) => !c.seen.has(id));
      const late = c.take(unseenBelow, { at, notBefore: this.lastSweepAt ?? prev });
      if (late > 0) c.coverLate(unseenBelow, at);
      this.sweptLate += late;
      fresh += late;
      if (fresh > 0) this.lastNewAt.set(c.source.mode, at);
      if (sweep) c.sweeps.note(at, cursorBefore);
      else c.lastFrom = froms[i]!;
    });
    if (sweep) this.lastSweepAt = at;
  }

  private noteGap(at: number, gapMs: number): void {
    this.gaps.push(gapMs);
    const kept = this.longestGaps;
    if (kept.length === LONGEST_GAPS_KEPT && gapMs <= kept[kept.length - 1]!.gapMs) return;
    kept.push({ at, gapMs });
    kept.sort((a, b) => b.gapMs - a.gapMs);
    if (kept.length > LONGEST_GAPS_KEPT) kept.pop();
  }

  /** Each mode's results as first seen, by id. */
  sightings(): Map<string, Map<number, Sighting>> {
    return new Map(this.cursors.map((c) => [c.source.mode, c.seen]));
  }

  stats(): ObserverStats {
    const g = [...this.gaps].sort((a, b) => a - b);
    const q = (p: number): number => (g.length ? g[Math.min(g.length - 1, Math.floor(p * g.length))]! : 0);
    return {
      rounds: this.rounds,
      gapP50Ms: q(0.5),
      gapP99Ms: q(0.99),
      gapMaxMs: g.length ? g[g.length - 1]! : 0,
      sweptLate: this.sweptLate,
      failedRounds: this.failedRounds,
      longestGaps: [...this.longestGaps],
    };
  }
}
