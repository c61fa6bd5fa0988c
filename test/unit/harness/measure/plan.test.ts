import { describe, expect, it } from 'vitest';
import { CollectionPlan, NO_UPPER_BOUND, type PlanTuning } from '../../../../src/harness/measure/plan.js';
import type { RuleSet } from '../../../../src/pipelines/rules/types.js';

const START = 1_700_000_000_000;

function rules(...windows: number[]): RuleSet {
  return {
    name: 'test',
    rules: [
      { kind: 'record', id: 'hr', vital: 'heart_rate', op: '>=', value: 120, severity: 'high' },
      ...windows.map((w) => ({
        kind: 'window' as const,
        id: `w${w}`,
        vital: 'heart_rate' as const,
        agg: 'avg' as const,
        window_s: w,
        op: '>=' as const,
        value: 100,
        severity: 'low' as const,
      })),
    ],
  };
}

/** Patient ids not in index order, so that the plan's ascending-id walk differs from the schedule's order. */
const ids = (patients: number): number[] => Array.from({ length: patients }, (_, p) => 1000 * ((p % 3) + 1) + p);

function plan(patients: number, rate: number, planned: number, tuning?: PlanTuning, ruleSet = rules(2)) {
  const idOf = ids(patients);
  return new CollectionPlan({
    dataset: { patients, patientIdAt: (p) => idOf[p]! },
    startMs: START,
    rate,
    planned,
    ruleSet,
    windowOriginMs: START,
    ...(tuning ? { tuning } : {}),
  });
}

/** Walks every chunk: checks each one's shape and returns, per patient index, the seqs it was given in each segment. */
function walk(p: CollectionPlan) {
  const seen = new Map<number, Array<{ segment: number; seqLo: number; seqHi: number; sentHi: number }>>();
  let lastSegment = -1;
  let lastId = -Infinity;
  for (const chunk of p.chunks()) {
    expect(chunk.segment).toBeGreaterThanOrEqual(lastSegment);
    if (chunk.segment !== lastSegment) lastId = -Infinity;
    lastSegment = chunk.segment;
    expect(chunk.windowLo).toBeLessThan(chunk.windowHi);
    for (const c of chunk.patients) {
      expect(c.patientId).toBeGreaterThan(lastId);
      lastId = c.patientId;
      expect(c.seqLo).toBeLessThanOrEqual(c.sentHi);
      expect(c.sentHi).toBeLessThanOrEqual(c.seqHi);
      const list = seen.get(c.index) ?? [];
      list.push({ segment: chunk.segment, seqLo: c.seqLo, seqHi: c.seqHi, sentHi: c.sentHi });
      seen.set(c.index, list);
    }
  }
  return seen;
}

/** Every reading the schedule sent is in exactly one chunk, the chunk of the segment its event time falls in. */
function expectExactCover(p: CollectionPlan): void {
  const seen = walk(p);
  let covered = 0;
  for (let index = 0; index < p.patients; index++) {
    const list = seen.get(index)!;
    expect(list.map((x) => x.segment)).toEqual(Array.from({ length: p.segments }, (_, j) => j));
    list.forEach((x, j) => {
      expect(x.seqLo).toBe(j === 0 ? 0 : list[j - 1]!.seqHi);
      if (j === p.segments - 1) expect(x.seqHi).toBe(NO_UPPER_BOUND);
      expect(x.sentHi).toBe(Math.min(x.seqHi, Math.max(x.seqLo, p.readingsOf(index))));
      for (let seq = x.seqLo; seq < x.sentHi; seq++) {
        const event = Math.floor(p.intendedAt(index, seq));
        if (j > 0) expect(event).toBeGreaterThanOrEqual(START + j * p.segmentMs);
        if (j < p.segments - 1) expect(event).toBeLessThan(START + (j + 1) * p.segmentMs);
        covered++;
      }
    });
  }
  expect(covered).toBe(p.planned);
}

describe('CollectionPlan', () => {
  it('covers every reading exactly once, in the segment of its event time, across many segments and chunks', () => {
    const p = plan(7, 37, 1000, { chunkReadings: 30, maxChunkPatients: 3, minSegmentS: 1 });
    expect(p.segmentMs).toBe(2000);
    expect(p.segments).toBe(Math.floor((Math.floor(p.intendedAt(999 % 7, Math.floor(999 / 7))) - START) / 2000) + 1);
    expectExactCover(p);
  });

  it('segments last a common multiple of the windows, at least the shortest segment asked for', () => {
    expect(plan(3, 10, 100, { minSegmentS: 1 }, rules(4, 6)).segmentMs).toBe(12_000);
    expect(plan(3, 10, 100, { minSegmentS: 13 }, rules(4, 6)).segmentMs).toBe(24_000);
    expect(plan(3, 10, 100, { minSegmentS: 5 }, rules()).segmentMs).toBe(5000);
    // Windows whose common multiple is beyond a day: the whole run is one segment.
    const long = plan(3, 10, 100, { minSegmentS: 1 }, rules(86_399, 86_398));
    expect(long.segmentMs).toBe(Infinity);
    expect(long.segments).toBe(1);
    expectExactCover(long);
  });

  it('puts a reading intended exactly at a segment edge in the later segment', () => {
    // One patient at 1,000/s: reading i is intended at START + i ms, so reading 2000 starts segment 1.
    const p = plan(1, 1000, 4500, { minSegmentS: 1, chunkReadings: 10_000 });
    expect(p.segmentMs).toBe(2000);
    expect(p.segments).toBe(3);
    expect(p.firstSeqOf(0, 1)).toBe(2000);
    expect(p.firstSeqOf(0, 2)).toBe(4000);
    const [first, second] = [...p.chunks()];
    expect(first!.patients[0]).toMatchObject({ seqLo: 0, seqHi: 2000, sentHi: 2000 });
    expect(second!.patients[0]).toMatchObject({ seqLo: 2000, seqHi: 4000, sentHi: 4000 });
    expect(first!.windowHi).toBe(second!.windowLo);
    expectExactCover(p);
  });

  it('gives an empty run one segment whose chunks hold no reading', () => {
    const p = plan(4, 100, 0, { minSegmentS: 1 });
    expect(p.segments).toBe(1);
    const chunks = [...p.chunks()];
    expect(chunks.flatMap((c) => c.patients).map((c) => c.sentHi - c.seqLo)).toEqual([0, 0, 0, 0]);
    expect(p.intendedOf(ids(4)[0]!, 0)).toBeUndefined();
    expectExactCover(p);
  });

  it('walks one patient alone', () => {
    const p = plan(1, 3, 50, { minSegmentS: 1, chunkReadings: 2 });
    expect(p.readingsOf(0)).toBe(50);
    expectExactCover(p);
  });

  it('splits the patients of a segment into chunks of at most maxChunkPatients, and more when chunkReadings asks', () => {
    const sizes = (t: PlanTuning): number[] =>
      [...plan(10, 10, 200, { minSegmentS: 1, ...t }).chunks()].map((c) => c.patients.length);
    // 2 s segments at 1 reading/s per patient: 3 readings per patient and segment at most.
    expect(new Set(sizes({ maxChunkPatients: 4, chunkReadings: 1000 }))).toEqual(new Set([4, 2]));
    expect(Math.max(...sizes({ maxChunkPatients: 500, chunkReadings: 6 }))).toBe(2);
    expect(Math.max(...sizes({ maxChunkPatients: 500, chunkReadings: 1 }))).toBe(1);
    expectExactCover(plan(10, 10, 200, { minSegmentS: 1, maxChunkPatients: 4 }));
  });

  it('covers patients that received fewer readings than others (the run ended mid-round)', () => {
    const p = plan(5, 50, 23, { minSegmentS: 1, maxChunkPatients: 2 });
    expect([0, 1, 2, 3, 4].map((i) => p.readingsOf(i))).toEqual([5, 5, 5, 4, 4]);
    expectExactCover(p);
  });

  it('knows the t_intended of sent readings only, and the id ranges no patient has', () => {
    const p = plan(3, 10, 7, { minSegmentS: 1 });
    const [a, b, c] = ids(3) as [number, number, number];
    expect(p.intendedOf(a, 0)).toBe(START);
    expect(p.intendedOf(b, 0)).toBe(START + 100);
    expect(p.intendedOf(a, 2)).toBe(START + 600);
    expect(p.intendedOf(b, 2)).toBeUndefined();
    expect(p.intendedOf(c, -1)).toBeUndefined();
    expect(p.intendedOf(4242, 0)).toBeUndefined();
    const known = [a, b, c].sort((x, y) => x - y);
    const gaps = p.unknownIdRanges();
    for (const id of known) expect(gaps.some((g) => id >= g.lo && id <= g.hi)).toBe(false);
    for (const id of [known[0]! - 1, known[0]! + 1, known[2]! + 1])
      expect(gaps.some((g) => id >= g.lo && id <= g.hi)).toBe(true);
    expect(gaps.at(-1)!.hi).toBe(NO_UPPER_BOUND);
  });

  it('says which seconds are final after each segment', () => {
    const p = plan(2, 10, 100, { minSegmentS: 1 });
    expect(p.finalSecondsAfter(0)).toBe(2);
    expect(p.finalSecondsAfter(1)).toBe(4);
    expect(p.finalSecondsAfter(p.segments - 1)).toBe(Infinity);
  });

  it('refuses a planned count that is not a count', () => {
    expect(() => plan(2, 10, -1)).toThrow(/planned must be a count/);
    expect(() => plan(2, 10, 1.5)).toThrow(/planned must be a count/);
  });
});
