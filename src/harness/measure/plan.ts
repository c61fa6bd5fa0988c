/**
 * The generator's schedule as arithmetic, and the order in which collection walks it.
 *
 * Reading i of the global schedule is patient index i % P with seq floor(i / P), intended at
 * schedule.intendedExact(i) (generators/dataset.ts, schedule.ts): a reading's t_intended, and
 * whether the generator sent it at all, need no map of the readings.
 *
 * Collection walks the run in time segments, each segment in chunks of patients. A segment
 * holds the readings whose event time (floor of t_intended) falls in [T_j, T_j+1), with
 * T_j = start + j * D and D a multiple of every window of the rules, so that the rules' windows
 * (aligned to the schedule's start) never straddle two segments, and a chunk's readings can be
 * evaluated alone. Since no result commits before its reading was intended, once a segment is
 * done no later reading can commit in a second before its start: per-second figures of those
 * seconds are final.
 */
import type { Dataset } from '../../generators/dataset.js';
import { OpenLoopSchedule } from '../../generators/schedule.js';
import type { RuleSet } from '../../pipelines/rules/types.js';

/** Readings per chunk the walk aims at (a chunk's rows, truth and alerts are in memory together). */
const CHUNK_READINGS = 20_000;
/** Patients per chunk at most: the length of one query's IN list. */
const MAX_CHUNK_PATIENTS = 500;
/** A segment lasts at least this long (then the next multiple of the rules' windows). */
const MIN_SEGMENT_S = 60;
/** Windows whose common multiple is longer than this make the whole run one segment. */
const MAX_SEGMENT_S = 86_400;

/** Lowest and highest value a bound of a query can take (seq, window_start). */
const NO_LOWER_BOUND = Number.MIN_SAFE_INTEGER;
export const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;

/** One patient of a chunk: its readings of the segment are seqs [seqLo, seqHi). */
export interface ChunkPatient {
  /** Global patient index. */
  index: number;
  patientId: number;
  seqLo: number;
  /** Exclusive; NO_UPPER_BOUND in the last segment (stored seqs the generator never sent belong there). */
  seqHi: number;
  /** Seqs of [seqLo, seqHi) the generator sent: [seqLo, sentHi). */
  sentHi: number;
}

/** Patients of one segment, processed together. */
export interface Chunk {
  segment: number;
  /** Ascending patient_id. */
  patients: ChunkPatient[];
  /** Window results of this chunk: window_start in [windowLo, windowHi). */
  windowLo: number;
  windowHi: number;
}

/** How collection cuts the run (the defaults suit any run; smaller ones exercise the walk in tests). */
export interface PlanTuning {
  /** Readings per chunk aimed at. */
  chunkReadings?: number;
  /** Patients per chunk at most. */
  maxChunkPatients?: number;
  /** Shortest segment, seconds (then the next multiple of the rules' windows). */
  minSegmentS?: number;
}

export interface PlanParams {
  dataset: Pick<Dataset, 'patients' | 'patientIdAt'>;
  startMs: number;
  rate: number;
  /** Readings the schedule planned (the generator's producer.planned). */
  planned: number;
  ruleSet: RuleSet;
  /** The rules' window origin (the schedule's start in a run). */
  windowOriginMs: number;
  tuning?: PlanTuning;
}

export class CollectionPlan {
  readonly patients: number;
  readonly planned: number;
  private readonly schedule: OpenLoopSchedule;
  private readonly indexOfId = new Map<number, number>();
  /** Patient ids in ascending order, with their patient index. */
  private readonly byId: Array<{ id: number; index: number }>;
  /** Segment length in ms (Infinity: one segment). */
  readonly segmentMs: number;
  readonly segments: number;
  private readonly origin: number;
  private readonly chunkReadings: number;
  private readonly maxChunkPatients: number;

  constructor(p: PlanParams) {
    if (!Number.isInteger(p.planned) || p.planned < 0)
      throw new RangeError(`planned must be a count, got ${p.planned}`);
    this.patients = p.dataset.patients;
    this.planned = p.planned;
    this.schedule = new OpenLoopSchedule({ start: p.startMs, rate: p.rate });
    this.origin = p.startMs;
    this.byId = [];
    for (let index = 0; index < this.patients; index++) {
      const id = p.dataset.patientIdAt(index);
      this.indexOfId.set(id, index);
      this.byId.push({ id, index });
    }
    this.byId.sort((a, b) => a.id - b.id);
    this.chunkReadings = p.tuning?.chunkReadings ?? CHUNK_READINGS;
    this.maxChunkPatients = p.tuning?.maxChunkPatients ?? MAX_CHUNK_PATIENTS;
    this.segmentMs = segmentLengthMs(p.ruleSet, p.startMs, p.windowOriginMs, p.tuning?.minSegmentS ?? MIN_SEGMENT_S);
    const lastEvent = this.planned > 0 ? Math.floor(this.schedule.intendedExact(this.planned - 1)) : p.startMs;
    this.segments = Number.isFinite(this.segmentMs)
      ? Math.max(1, Math.floor((lastEvent - p.startMs) / this.segmentMs) + 1)
      : 1;
  }

  /** Patient index of a patient id (undefined: the generator has no such patient). */
  patientIndexOf(patientId: number): number | undefined {
    return this.indexOfId.get(patientId);
  }

  /** Readings the schedule gives patient index p. */
  readingsOf(p: number): number {
    return p < this.planned ? Math.floor((this.planned - 1 - p) / this.patients) + 1 : 0;
  }

  /** t_intended (exact, fractional ms) of a reading the generator sent; undefined for any other key. */
  intendedOf(patientId: number, seq: number): number | undefined {
    const p = this.indexOfId.get(patientId);
    if (p === undefined || !Number.isInteger(seq) || seq < 0 || seq >= this.readingsOf(p)) return undefined;
    return this.schedule.intendedExact(seq * this.patients + p);
  }

  /** t_intended of patient index p's reading seq (no check that it was sent). */
  intendedAt(p: number, seq: number): number {
    return this.schedule.intendedExact(seq * this.patients + p);
  }

  /** The first seq of patient index p in segment j (its event time at or after the segment's start). */
  firstSeqOf(p: number, j: number): number {
    if (j <= 0) return 0;
    const startsAt = this.origin + j * this.segmentMs;
    let seq = Math.max(0, Math.ceil((((startsAt - this.origin) * this.schedule.rate) / 1000 - p) / this.patients));
    while (Math.floor(this.intendedAt(p, seq)) < startsAt) seq++;
    while (seq > 0 && Math.floor(this.intendedAt(p, seq - 1)) >= startsAt) seq--;
    return seq;
  }

  /** Patient id ranges (inclusive) that hold no generated patient: whatever is stored there was never sent. */
  unknownIdRanges(): Array<{ lo: number; hi: number }> {
    const out: Array<{ lo: number; hi: number }> = [];
    let from = NO_LOWER_BOUND;
    for (const { id } of this.byId) {
      if (id > from) out.push({ lo: from, hi: id - 1 });
      from = id + 1;
    }
    out.push({ lo: from, hi: NO_UPPER_BOUND });
    return out;
  }

  /** Every chunk, segment by segment, each segment's patients in ascending id order. */
  *chunks(): Generator<Chunk> {
    const perPatient = Number.isFinite(this.segmentMs)
      ? (this.segmentMs / 1000) * (this.schedule.rate / Math.max(1, this.patients)) + 1
      : this.planned / Math.max(1, this.patients) + 1;
    const size = Math.max(1, Math.min(this.maxChunkPatients, Math.floor(this.chunkReadings / perPatient)));
    for (let j = 0; j < this.segments; j++) {
      const last = j === this.segments - 1;
      const windowLo = j === 0 ? NO_LOWER_BOUND : this.origin + j * this.segmentMs;
      const windowHi = last ? NO_UPPER_BOUND : this.origin + (j + 1) * this.segmentMs;
      for (let k = 0; k < this.byId.length; k += size) {
        const patients = this.byId.slice(k, k + size).map(({ id, index }): ChunkPatient => {
          const seqLo = this.firstSeqOf(index, j);
          const seqHi = last ? NO_UPPER_BOUND : this.firstSeqOf(index, j + 1);
          return {
            index,
            patientId: id,
            seqLo,
            seqHi,
            sentHi: Math.max(seqLo, Math.min(seqHi, this.readingsOf(index))),
          };
        });
        yield { segment: j, patients, windowLo, windowHi };
      }
    }
  }

  /**
   * Seconds since the schedule's start before which no result can still come once segment j is
   * done: its end (a result commits after its reading was intended).
   */
  finalSecondsAfter(j: number): number {
    return j >= this.segments - 1 ? Infinity : Math.floor(((j + 1) * this.segmentMs) / 1000);
  }
}

/**
 * D: the smallest multiple of every window of the rules that is at least minSegmentS, so that
 * no window straddles two segments. One segment (Infinity) when the windows are not aligned to
 * the schedule's start on whole milliseconds, or their common multiple is longer than a day.
 */
function segmentLengthMs(ruleSet: RuleSet, startMs: number, windowOriginMs: number, minSegmentS: number): number {
  if (!Number.isInteger(startMs) || windowOriginMs !== startMs) return Infinity;
  let common = 1;
  for (const rule of ruleSet.rules) {
    if (rule.kind !== 'window') continue;
    common = (common / gcd(common, rule.window_s)) * rule.window_s;
    if (common > MAX_SEGMENT_S) return Infinity;
  }
  return common * Math.max(1, Math.ceil(minSegmentS / common)) * 1000;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
