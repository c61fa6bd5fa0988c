import { describe, it, expect } from 'vitest';
import { parseReading, serializeReading, patientIdFor } from '../../../src/domain/reading.js';
import {
  Dataset,
  episodesForFirst,
  readingsFrom,
  stampEventTime,
  READING_FIELDS,
} from '../../../src/generators/dataset.js';

function serialized(params: ConstructorParameters<typeof Dataset>[0], n: number): string {
  let out = '';
  let i = 0;
  for (const r of readingsFrom(params, n))
    out += serializeReading(stampEventTime(r, 1_744_970_400_000 + 10 * i++)) + '\n';
  return out;
}

describe('Dataset', { timeout: 30_000 }, () => {
  it('defaults to 9 patients, 3 per source, ids as in the seed, round robin in a fixed order', () => {
    const ds = new Dataset({ seed: 1 });
    const first = Array.from({ length: 18 }, () => ds.next());
    expect(first.slice(0, 9).map((r) => r.patient_id)).toEqual([1001, 2001, 3001, 1002, 2002, 3002, 1003, 2003, 3003]);
    expect(first.slice(0, 3).map((r) => r.source)).toEqual(['Device_A', 'Device_B', 'Device_C']);
    expect(first.slice(0, 3).map((r) => r.sourceIndex)).toEqual([0, 1, 2]);
    expect(first.slice(0, 9).every((r) => r.seq === 0)).toBe(true);
    expect(first.slice(9).every((r) => r.seq === 1)).toBe(true);
    expect(first[9]!.patient_id).toBe(1001);
    expect(ds.produced).toBe(18);
  });

  it('splits uneven patient counts across sources as evenly as possible', () => {
    const ds = new Dataset({ seed: 1, patients: 10, sources: 3 });
    expect([0, 1, 2].map((s) => ds.patientsInSource(s))).toEqual([4, 3, 3]);
    const ids = new Set(Array.from({ length: 10 }, () => ds.next().patient_id));
    expect(ids).toEqual(new Set([1001, 1002, 1003, 1004, 2001, 2002, 2003, 3001, 3002, 3003]));
  });

  it('is byte-identical for the same seed and parameters, and differs for another seed', () => {
    const a = serialized({ seed: 42, patients: 12, sources: 3 }, 5000);
    const b = serialized({ seed: 42, patients: 12, sources: 3 }, 5000);
    const c = serialized({ seed: 43, patients: 12, sources: 3 }, 5000);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(episodesForFirst({ seed: 42, patients: 12 }, 50_000)).toEqual(
      episodesForFirst({ seed: 42, patients: 12 }, 50_000),
    );
  });

  it("a patient's stream does not depend on the patient count", () => {
    const pick = (patients: number) => {
      const ds = new Dataset({ seed: 5, patients, sources: 3 });
      const mine = [];
      while (mine.length < 2000) {
        const r = ds.next();
        if (r.patient_id === 2002) mine.push(r);
      }
      const eps = ds.episodes().filter((e) => e.patient_id === 2002 && e.end_seq < 1900);
      return { mine, eps: eps.map(({ id, type, start_seq, end_seq }) => ({ id, type, start_seq, end_seq })) };
    };
    const small = pick(9);
    const large = pick(300);
    expect(large.mine).toEqual(small.mine);
    expect(large.eps).toEqual(small.eps);
  });

  it('nextForSource serves that source only, round robin, with gap-free seqs shared with next()', () => {
    const ds = new Dataset({ seed: 1, patients: 9, sources: 3 });
    const r = Array.from({ length: 6 }, () => ds.nextForSource(1));
    expect(r.map((x) => x.patient_id)).toEqual([2001, 2002, 2003, 2001, 2002, 2003]);
    expect(r.map((x) => x.seq)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(r.every((x) => x.source === 'Device_B')).toBe(true);
    const g = Array.from({ length: 9 }, () => ds.next());
    expect(g.find((x) => x.patient_id === 2001)!.seq).toBe(2);
    expect(g.find((x) => x.patient_id === 1001)!.seq).toBe(0);
    expect(() => ds.nextForSource(3)).toThrow(RangeError);
  });

  it('handles 100,000 patients lazily', () => {
    const ds = new Dataset({ seed: 9, patients: 100_000, sources: 3 });
    // The first reading taken before the loop: `last` is never null, and needs no `!`.
    let last = ds.next();
    for (let i = 1; i < 250_000; i++) last = ds.next();
    // Reading 249,999 is patient 49,999 (source 1, index 16,666) with seq 2.
    expect(last.seq).toBe(2);
    expect(last.sourceIndex).toBe(49_999 % 3);
    expect(last.patient_id).toBe(patientIdFor(1, 16_666));
  });

  it('validates parameters', () => {
    expect(() => new Dataset({ seed: 1, patients: 2, sources: 3 })).toThrow(RangeError);
    expect(() => new Dataset({ seed: 1, patients: 100_001 })).toThrow(RangeError);
    expect(() => new Dataset({ seed: 1.5 })).toThrow(RangeError);
    expect(() => new Dataset({ seed: 1, prevalence: 1.2 })).toThrow(RangeError);
  });

  it('stampEventTime fills event_time and timestamp and serialises in Reading field order', () => {
    const p = new Dataset({ seed: 1 }).next();
    const r = stampEventTime(p, Date.parse('2025-04-18T10:00:00.000Z'));
    expect(r.timestamp).toBe('2025-04-18T10:00:00.000Z');
    expect(Object.keys(r)).toEqual([...READING_FIELDS]);
    expect(parseReading(serializeReading(r))).toEqual({ ok: true, reading: r });
  });
});
