/**
 * Tumbling event-time windows per patient, shared by the batch and the streaming modes.
 *
 * Window of size S seconds containing event_time t: start = O + floor((t - O) / (S*1000)) * S*1000
 * for the run's window origin O (0 by default),
 * covering [start, start + S*1000). A reading at exactly start + S*1000 belongs to the next
 * window. Aggregates: count, avg/min/max of every vital, max_event_time. Within a window a
 * (patient_id, seq) is counted once (the first copy seen is kept).
 *
 * The avg is summed in seq order when the window closes, so the result is bit-for-bit the
 * same whatever order the readings arrived in (batch and stream agree exactly).
 */
import { VITAL_NAMES, type Reading, type VitalName } from '../../domain/reading.js';
import type { VitalStats, WindowResult } from './types.js';

/**
 * Start of the window of size windowS containing eventTimeMs. Windows are aligned to originMs
 * (as Flink's window offset): a run aligns them to its schedule's start, so the same seed and
 * options put the same readings in the same windows in every run; 0 aligns them to the epoch.
 */
export function windowStartOf(eventTimeMs: number, windowS: number, originMs = 0): number {
  const size = windowS * 1000;
  return originMs + Math.floor((eventTimeMs - originMs) / size) * size;
}

/** Exclusive end of the window of size windowS containing eventTimeMs. */
export function windowEndOf(eventTimeMs: number, windowS: number, originMs = 0): number {
  return windowStartOf(eventTimeMs, windowS, originMs) + windowS * 1000;
}

/** Deterministic order of window results: window_start, window_s, patient_id. */
export function compareWindowResults(a: WindowResult, b: WindowResult): number {
  return a.window_start - b.window_start || a.window_s - b.window_s || a.patient_id - b.patient_id;
}

function checkSizes(windowSizes: readonly number[]): number[] {
  for (const s of windowSizes) {
    if (!Number.isInteger(s) || s <= 0) throw new Error(`window size must be a positive integer of seconds, got ${s}`);
  }
  return [...new Set(windowSizes)].sort((a, b) => a - b);
}

/** The readings of one open window, by seq; aggregated on finish. */
class WindowAccumulator {
  private readonly bySeq = new Map<number, Reading>();
  constructor(
    readonly patientId: number,
    readonly windowS: number,
    readonly windowStart: number,
  ) {}

  /** False if this (patient_id, seq) is already in the window. */
  add(r: Reading): boolean {
    if (this.bySeq.has(r.seq)) return false;
    this.bySeq.set(r.seq, r);
    return true;
  }

  finish(): WindowResult {
    const rs = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
    const stats = {} as Record<VitalName, VitalStats>;
    for (const vital of VITAL_NAMES) {
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (const r of rs) {
        const v = r[vital];
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      stats[vital] = { avg: sum / rs.length, min, max };
    }
    let maxEventTime = -Infinity;
    for (const r of rs) if (r.event_time > maxEventTime) maxEventTime = r.event_time;
    return {
      patient_id: this.patientId,
      window_s: this.windowS,
      window_start: this.windowStart,
      count: rs.length,
      max_event_time: maxEventTime,
      stats,
    };
  }
}

/** size -> window_start -> patient_id -> accumulator */
type OpenWindows = Map<number, Map<number, Map<number, WindowAccumulator>>>;

/** Returns false for a duplicate (patient_id, seq) in that window. */
function addTo(open: OpenWindows, r: Reading, windowS: number, windowStart: number): boolean {
  let byStart = open.get(windowS);
  if (!byStart) open.set(windowS, (byStart = new Map<number, Map<number, WindowAccumulator>>()));
  let byPatient = byStart.get(windowStart);
  if (!byPatient) byStart.set(windowStart, (byPatient = new Map<number, WindowAccumulator>()));
  let acc = byPatient.get(r.patient_id);
  if (!acc) byPatient.set(r.patient_id, (acc = new WindowAccumulator(r.patient_id, windowS, windowStart)));
  return acc.add(r);
}

/**
 * Batch: every window of every size over a complete set of readings. Order-independent;
 * duplicate (patient_id, seq) counted once. Sorted by compareWindowResults.
 */
export function computeWindows(
  readings: Iterable<Reading>,
  windowSizes: readonly number[],
  originMs = 0,
): WindowResult[] {
  const sizes = checkSizes(windowSizes);
  const open: OpenWindows = new Map();
  for (const r of readings) {
    for (const s of sizes) addTo(open, r, s, windowStartOf(r.event_time, s, originMs));
  }
  const out: WindowResult[] = [];
  for (const byStart of open.values()) {
    for (const byPatient of byStart.values()) {
      for (const acc of byPatient.values()) out.push(acc.finish());
    }
  }
  return out.sort(compareWindowResults);
}

export interface WindowAssemblerOptions {
  /** How long after a window's end (in watermark time) it stays open. Default 0. */
  allowedLatenessMs?: number;
  /** Where the windows are aligned (see windowStartOf). Default 0, the epoch. */
  originMs?: number;
}

export interface AddResult {
  /** True when the reading's window of at least one size had already been emitted. */
  late: boolean;
  /** The window sizes (s) for which it was late, hence left out. */
  lateFor: number[];
  /** True when its (patient_id, seq) was already in an open window it belongs to. */
  duplicate: boolean;
}

/**
 * Streaming: assembles tumbling windows as readings arrive in any order, closing them by
 * watermark.
 *
 * - A window [s, e) is emitted (closed) by advanceWatermark(W) once W >= e + allowedLatenessMs.
 *   The watermark W means "no reading with event_time < W is expected any more".
 * - A reading added when the current watermark W (the largest passed to advanceWatermark)
 *   already satisfies W >= e + allowedLatenessMs for its window [s, e) is late for that size:
 *   its window was (or, had it existed, would have been) emitted already. It is left out of
 *   that window and reported in AddResult; it still counts in the windows of other sizes
 *   that are still open.
 * - Memory: only open windows are kept; lateness is decided from the watermark alone, so
 *   nothing about closed windows needs remembering.
 * - flushAll() emits every open window (end of input) and sets the watermark to +Infinity:
 *   every reading added afterwards is late.
 *
 * With no late readings, the multiset of emitted windows equals computeWindows over the
 * same readings, exactly (same counts, same floating-point averages).
 */
export class WindowAssembler {
  private readonly sizes: number[];
  private readonly allowedLatenessMs: number;
  private readonly originMs: number;
  private readonly open: OpenWindows = new Map();
  private watermarkMs = -Infinity;
  private openCount = 0;

  constructor(windowSizes: readonly number[], options: WindowAssemblerOptions = {}) {
    this.sizes = checkSizes(windowSizes);
    const lateness = options.allowedLatenessMs ?? 0;
    if (!Number.isFinite(lateness) || lateness < 0) {
      throw new Error(`allowedLatenessMs must be a non-negative number, got ${lateness}`);
    }
    this.allowedLatenessMs = lateness;
    this.originMs = options.originMs ?? 0;
  }

  get watermark(): number {
    return this.watermarkMs;
  }

  add(r: Reading): AddResult {
    const lateFor: number[] = [];
    let duplicate = false;
    for (const s of this.sizes) {
      const start = windowStartOf(r.event_time, s, this.originMs);
      if (start + s * 1000 + this.allowedLatenessMs <= this.watermarkMs) {
        lateFor.push(s);
        continue;
      }
      const byPatient = this.open.get(s)?.get(start);
      if (!byPatient?.has(r.patient_id)) this.openCount++;
      if (!addTo(this.open, r, s, start)) duplicate = true;
    }
    return { late: lateFor.length > 0, lateFor, duplicate };
  }

  /**
   * Raise the watermark to watermarkMs (a lower value is ignored: the watermark never goes
   * back) and return the windows it closes, sorted by compareWindowResults.
   */
  advanceWatermark(watermarkMs: number): WindowResult[] {
    if (!(watermarkMs > this.watermarkMs)) return [];
    this.watermarkMs = watermarkMs;
    return this.emit((end) => end + this.allowedLatenessMs <= watermarkMs);
  }

  /** End of input: emit every open window; the assembler then treats any reading as late. */
  flushAll(): WindowResult[] {
    this.watermarkMs = Infinity;
    return this.emit(() => true);
  }

  openWindowCount(): number {
    return this.openCount;
  }

  private emit(closes: (windowEnd: number) => boolean): WindowResult[] {
    const out: WindowResult[] = [];
    for (const [s, byStart] of this.open) {
      for (const [start, byPatient] of byStart) {
        if (!closes(start + s * 1000)) continue;
        for (const acc of byPatient.values()) out.push(acc.finish());
        this.openCount -= byPatient.size;
        byStart.delete(start);
      }
    }
    return out.sort(compareWindowResults);
  }
}

export interface WatermarkTrackerOptions {
  /** A partition that received nothing for idleMs of processing time is idle. */
  idleMs: number;
}

/**
 * Event-time watermark over the partitions a consumer reads (keys such as `topic:partition`).
 *
 * watermark(now):
 * - a partition is active when now - (processing time of its last observe/register) < idleMs;
 * - if some partition is active: candidate = min over active partitions of their max
 *   event_time (a registered partition with no data yet counts as -Infinity, holding the
 *   watermark back until it receives data or goes idle);
 * - if every known partition is idle: candidate = now - idleMs (event times are wall-clock
 *   send times, so a caught-up consumer lets time advance);
 * - with no partition known: no candidate;
 * - result = max(previous result, candidate): never decreases, so never below the data
 *   watermark already reached. -Infinity until there is anything to go on.
 * `now` is passed in (processing time, epoch ms) so that the tracker is testable.
 */
export class WatermarkTracker {
  private readonly idleMs: number;
  private readonly partitions = new Map<string, { maxEventTime: number; lastSeen: number }>();
  private current = -Infinity;

  constructor(options: WatermarkTrackerOptions) {
    if (!Number.isFinite(options.idleMs) || options.idleMs <= 0) {
      throw new Error(`idleMs must be a positive number, got ${options.idleMs}`);
    }
    this.idleMs = options.idleMs;
  }

  /** A partition assigned to this consumer, before it has delivered anything. */
  register(key: string, now: number): void {
    if (!this.partitions.has(key)) this.partitions.set(key, { maxEventTime: -Infinity, lastSeen: now });
  }

  /** A partition revoked from this consumer. */
  remove(key: string): void {
    this.partitions.delete(key);
  }

  /** A reading with eventTime arrived from partition `key` at processing time `now`. */
  observe(key: string, eventTime: number, now: number): void {
    const p = this.partitions.get(key);
    if (!p) {
      this.partitions.set(key, { maxEventTime: eventTime, lastSeen: now });
      return;
    }
    if (eventTime > p.maxEventTime) p.maxEventTime = eventTime;
    if (now > p.lastSeen) p.lastSeen = now;
  }

  watermark(now: number): number {
    if (this.partitions.size === 0) return this.current;
    let minActive = Infinity;
    let anyActive = false;
    for (const p of this.partitions.values()) {
      if (now - p.lastSeen < this.idleMs) {
        anyActive = true;
        if (p.maxEventTime < minActive) minActive = p.maxEventTime;
      }
    }
    const candidate = anyActive ? minActive : now - this.idleMs;
    if (candidate > this.current) this.current = candidate;
    return this.current;
  }

  /** The last watermark returned, without recomputing. */
  get value(): number {
    return this.current;
  }
}
