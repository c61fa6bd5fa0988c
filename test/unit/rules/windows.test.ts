import { describe, expect, it } from 'vitest';
import type { Reading } from '../../../src/domain/reading.js';
import type { WindowResult } from '../../../src/pipelines/rules/types.js';
import {
  WatermarkTracker,
  WindowAssembler,
  compareWindowResults,
  computeWindows,
  windowEndOf,
  windowStartOf,
} from '../../../src/pipelines/rules/windows.js';
import { randInt, reading, rng } from './helpers.js';

const T0 = 1_700_000_010_000; // a multiple of 30 000 and 10 000; T0 % 60 000 = 30 000

describe('window bounds', () => {
  it('start is floor(t / size) * size; end exclusive', () => {
    expect(T0 % 30_000).toBe(0);
    expect(windowStartOf(T0, 30)).toBe(T0);
    expect(windowStartOf(T0 + 29_999, 30)).toBe(T0);
    expect(windowStartOf(T0 + 30_000, 30)).toBe(T0 + 30_000);
    expect(windowEndOf(T0 + 5, 30)).toBe(T0 + 30_000);
    expect(windowStartOf(T0 - 1, 30)).toBe(T0 - 30_000);
  });
});

describe('computeWindows', () => {
  it('aggregates count, avg/min/max of every vital and max_event_time', () => {
    const rs = [
      reading({ seq: 0, event_time: T0, heart_rate: 60, body_temperature: 36.5, spo2_level: 95 }),
      reading({ seq: 1, event_time: T0 + 10_000, heart_rate: 90, body_temperature: 37.5, spo2_level: 99 }),
      reading({ seq: 2, event_time: T0 + 29_999, heart_rate: 75, body_temperature: 37.0, spo2_level: 97 }),
    ];
    const [w, ...rest] = computeWindows(rs, [30]);
    expect(rest).toEqual([]);
    expect(w).toMatchObject({
      patient_id: 1001,
      window_s: 30,
      window_start: T0,
      count: 3,
      max_event_time: T0 + 29_999,
    });
    expect(w!.stats.heart_rate).toEqual({ avg: 75, min: 60, max: 90 });
    expect(w!.stats.body_temperature.avg).toBeCloseTo(37.0, 10);
    expect(w!.stats.body_temperature.min).toBe(36.5);
    expect(w!.stats.body_temperature.max).toBe(37.5);
    expect(w!.stats.spo2_level).toEqual({ avg: 97, min: 95, max: 99 });
    expect(w!.stats.blood_pressure_systolic).toEqual({ avg: 120, min: 120, max: 120 });
    expect(w!.stats.blood_pressure_diastolic).toEqual({ avg: 80, min: 80, max: 80 });
  });

  it('a reading at window_end belongs to the next window; at start it is included', () => {
    const rs = [reading({ seq: 0, event_time: T0 }), reading({ seq: 1, event_time: T0 + 30_000 })];
    const ws = computeWindows(rs, [30]);
    expect(ws.map((w) => [w.window_start, w.count])).toEqual([
      [T0, 1],
      [T0 + 30_000, 1],
    ]);
  });

  it('separates patients and window sizes; sorted by start, size, patient', () => {
    const rs = [
      reading({ patient_id: 2001, seq: 0, event_time: T0 + 15_000 }),
      reading({ patient_id: 1001, seq: 0, event_time: T0 + 15_000 }),
      reading({ patient_id: 1001, seq: 1, event_time: T0 + 45_000 }),
    ];
    const ws = computeWindows(rs, [60, 30, 30]);
    expect(ws.map((w) => [w.window_start - T0, w.window_s, w.patient_id, w.count])).toEqual([
      [-30_000, 60, 1001, 1],
      [-30_000, 60, 2001, 1],
      [0, 30, 1001, 1],
      [0, 30, 2001, 1],
      [30_000, 30, 1001, 1],
      [30_000, 60, 1001, 1],
    ]);
  });

  it('counts a duplicate (patient_id, seq) once and is order-independent', () => {
    const rs = [0, 1, 2, 3].map((seq) =>
      reading({ seq, event_time: T0 + seq * 1000, body_temperature: 36 + seq / 10 }),
    );
    const once = computeWindows(rs, [30]);
    const withDup = computeWindows([rs[3]!, rs[1]!, rs[0]!, rs[1]!, rs[2]!, rs[0]!], [30]);
    expect(withDup).toEqual(once);
    expect(once[0]!.count).toBe(4);
  });

  it('refuses a non-positive or fractional size', () => {
    expect(() => computeWindows([], [0])).toThrow('window size');
    expect(() => computeWindows([], [1.5])).toThrow('window size');
  });
});

describe('WindowAssembler', () => {
  it('emits a window once watermark >= end + allowedLateness, not before', () => {
    const a = new WindowAssembler([30], { allowedLatenessMs: 5000 });
    expect(a.add(reading({ seq: 0, event_time: T0 }))).toEqual({ late: false, lateFor: [], duplicate: false });
    expect(a.openWindowCount()).toBe(1);
    expect(a.advanceWatermark(T0 + 30_000)).toEqual([]);
    expect(a.advanceWatermark(T0 + 34_999)).toEqual([]);
    const out = a.advanceWatermark(T0 + 35_000);
    expect(out.map((w) => [w.window_start, w.count])).toEqual([[T0, 1]]);
    expect(a.openWindowCount()).toBe(0);
  });

  it('with no lateness, a window closes when watermark reaches its end', () => {
    const a = new WindowAssembler([30]);
    a.add(reading({ seq: 0, event_time: T0 + 29_999 }));
    a.add(reading({ seq: 1, event_time: T0 + 30_000 })); // next window
    expect(a.advanceWatermark(T0 + 29_999)).toEqual([]);
    const out = a.advanceWatermark(T0 + 30_000);
    expect(out.map((w) => [w.window_start, w.count])).toEqual([[T0, 1]]);
    expect(a.openWindowCount()).toBe(1);
  });

  it('includes a reading within allowed lateness, drops and reports one after the window closed', () => {
    const a = new WindowAssembler([30], { allowedLatenessMs: 5000 });
    a.add(reading({ seq: 0, event_time: T0 + 1000 }));
    a.advanceWatermark(T0 + 32_000); // past end, within lateness
    expect(a.add(reading({ seq: 1, event_time: T0 + 2000, heart_rate: 90 })).late).toBe(false);
    const [w] = a.advanceWatermark(T0 + 35_000);
    expect(w!.count).toBe(2);
    expect(w!.stats.heart_rate.avg).toBe(80);
    const late = a.add(reading({ seq: 2, event_time: T0 + 3000 }));
    expect(late).toEqual({ late: true, lateFor: [30], duplicate: false });
    expect(a.openWindowCount()).toBe(0);
    expect(a.flushAll()).toEqual([]);
  });

  it('a reading is late for a window that never existed once the watermark passed its close', () => {
    const a = new WindowAssembler([30]);
    a.advanceWatermark(T0 + 60_000);
    expect(a.add(reading({ patient_id: 4242, seq: 0, event_time: T0 + 100 })).late).toBe(true);
    expect(a.add(reading({ patient_id: 4242, seq: 1, event_time: T0 + 60_000 })).late).toBe(false);
  });

  it('late is per window size', () => {
    const a = new WindowAssembler([10, 60]);
    a.add(reading({ seq: 0, event_time: T0 - 9000 })); // 60 s window [T0-30s, T0+30s)
    a.advanceWatermark(T0 + 20_000);
    const res = a.add(reading({ seq: 1, event_time: T0 + 5000 })); // 10 s window [T0, T0+10s) closed
    expect(res).toEqual({ late: true, lateFor: [10], duplicate: false });
    const out = a.flushAll();
    const w60 = out.find((w) => w.window_s === 60)!;
    expect(w60.count).toBe(2);
  });

  it('ignores a duplicate (patient_id, seq) in an open window', () => {
    const a = new WindowAssembler([30]);
    const r = reading({ seq: 5, event_time: T0 + 10 });
    expect(a.add(r).duplicate).toBe(false);
    expect(a.add({ ...r }).duplicate).toBe(true);
    expect(a.openWindowCount()).toBe(1);
    const [w] = a.flushAll();
    expect(w!.count).toBe(1);
  });

  it('the watermark never goes back', () => {
    const a = new WindowAssembler([30]);
    a.advanceWatermark(T0 + 30_000);
    expect(a.advanceWatermark(T0)).toEqual([]);
    expect(a.watermark).toBe(T0 + 30_000);
    expect(a.add(reading({ event_time: T0 + 1 })).late).toBe(true);
  });

  it('flushAll emits all open windows; afterwards everything is late', () => {
    const a = new WindowAssembler([30, 60]);
    a.add(reading({ seq: 0, event_time: T0 }));
    a.add(reading({ patient_id: 2002, seq: 0, event_time: T0 + 40_000 }));
    expect(a.openWindowCount()).toBe(4);
    expect(a.flushAll()).toHaveLength(4);
    expect(a.openWindowCount()).toBe(0);
    expect(a.add(reading({ seq: 1, event_time: T0 + 1e9 })).late).toBe(true);
  });

  it('keeps memory bounded: closed windows are forgotten', () => {
    const a = new WindowAssembler([10]);
    let maxOpen = 0;
    for (let seq = 0; seq < 5000; seq++) {
      const t = T0 + seq * 1000;
      for (const p of [1, 2, 3]) a.add(reading({ patient_id: p, seq, event_time: t }));
      a.advanceWatermark(t - 5000);
      maxOpen = Math.max(maxOpen, a.openWindowCount());
    }
    expect(maxOpen).toBeLessThanOrEqual(3 * 2);
  });
});

/** Readings of several patients at ~1 Hz with jitter, random vitals, some duplicates. */
function randomReadings(seed: number, n: number): Reading[] {
  const rand = rng(seed);
  const patients = [1001, 1002, 1003, 2001, 2002, 3001, 3002];
  const seqs = new Map<number, number>();
  const out: Reading[] = [];
  for (let i = 0; i < n; i++) {
    const patient_id = patients[randInt(rand, 0, patients.length - 1)]!;
    const seq = seqs.get(patient_id) ?? 0;
    seqs.set(patient_id, seq + 1);
    out.push(
      reading({
        patient_id,
        seq,
        event_time: T0 + 7 + i * 150 + randInt(rand, 0, 149),
        heart_rate: randInt(rand, 40, 160),
        body_temperature: randInt(rand, 340, 410) / 10,
        blood_pressure_systolic: randInt(rand, 90, 200),
        blood_pressure_diastolic: randInt(rand, 40, 89),
        spo2_level: randInt(rand, 80, 100),
      }),
    );
    if (rand() < 0.03) out.push({ ...out[out.length - 1]! });
  }
  return out;
}

/** Arrival order: event_time plus a random delay in [0, maxDelay]. */
function shuffleBounded(rs: Reading[], seed: number, maxDelay: number): Reading[] {
  const rand = rng(seed);
  return rs
    .map((r) => ({ r, at: r.event_time + rand() * maxDelay }))
    .sort((a, b) => a.at - b.at)
    .map((x) => x.r);
}

function stream(
  arrivals: Reading[],
  sizes: number[],
  lateness: number,
  bound: number,
): { windows: WindowResult[]; lateFor: Map<Reading, number[]> } {
  const a = new WindowAssembler(sizes, { allowedLatenessMs: lateness });
  const windows: WindowResult[] = [];
  const lateFor = new Map<Reading, number[]>();
  let maxSeen = -Infinity;
  for (const r of arrivals) {
    const res = a.add(r);
    if (res.late) lateFor.set(r, res.lateFor);
    maxSeen = Math.max(maxSeen, r.event_time);
    windows.push(...a.advanceWatermark(maxSeen - bound));
  }
  windows.push(...a.flushAll());
  return { windows: windows.sort(compareWindowResults), lateFor };
}

describe('stream vs batch equivalence', () => {
  const sizes = [1, 5, 30, 60];

  it.each([1, 2, 3])('seed %d: identical windows when no reading is late', (seed) => {
    const rs = randomReadings(seed, 4000);
    const maxDelay = 5000;
    const arrivals = shuffleBounded(rs, seed + 100, maxDelay);
    const { windows, lateFor } = stream(arrivals, sizes, 0, maxDelay);
    expect(lateFor.size).toBe(0);
    const batch = computeWindows(rs, sizes);
    expect(batch.length).toBeGreaterThan(1000);
    expect(windows).toEqual(batch);
  });

  it('with a tight watermark, the stream equals the batch over the non-late readings, per size', () => {
    const rs = randomReadings(7, 4000);
    const arrivals = shuffleBounded(rs, 8, 8000);
    const { windows, lateFor } = stream(arrivals, sizes, 500, 1000);
    expect(lateFor.size).toBeGreaterThan(0);
    for (const s of sizes) {
      const kept = rs.filter((r) => !(lateFor.get(r) ?? []).includes(s));
      // a late copy of a duplicate must not remove the on-time copy
      const expected = computeWindows(kept, [s]);
      expect(windows.filter((w) => w.window_s === s)).toEqual(expected);
    }
  });
});

describe('WatermarkTracker', () => {
  it('is the min over active partitions of their max event_time', () => {
    const t = new WatermarkTracker({ idleMs: 1000 });
    expect(t.watermark(0)).toBe(-Infinity);
    t.observe('a:0', 500, 0);
    t.observe('a:1', 300, 0);
    t.observe('a:0', 400, 10); // out of order: max stays 500
    expect(t.watermark(10)).toBe(300);
    t.observe('a:1', 800, 20);
    expect(t.watermark(20)).toBe(500);
  });

  it('ignores an idle partition', () => {
    const t = new WatermarkTracker({ idleMs: 1000 });
    t.observe('a:0', 100, 0);
    t.observe('a:1', 5000, 0);
    expect(t.watermark(999)).toBe(100);
    t.observe('a:1', 6000, 1500);
    expect(t.watermark(1500)).toBe(6000); // a:0 idle since 1000
  });

  it('a registered partition without data holds the watermark until it goes idle', () => {
    const t = new WatermarkTracker({ idleMs: 1000 });
    t.register('a:0', 0);
    t.observe('a:1', 5000, 0);
    expect(t.watermark(500)).toBe(-Infinity);
    t.observe('a:1', 5100, 1200);
    expect(t.watermark(1200)).toBe(5100);
    t.remove('a:1');
    expect(t.watermark(1300)).toBe(5100);
  });

  it('when all partitions are idle, advances to now - idleMs', () => {
    const t = new WatermarkTracker({ idleMs: 1000 });
    t.observe('a:0', 10_000, 10_000);
    expect(t.watermark(10_500)).toBe(10_000);
    expect(t.watermark(12_000)).toBe(11_000);
    expect(t.watermark(20_000)).toBe(19_000);
  });

  it('never lower than the data watermark when all are idle', () => {
    const t = new WatermarkTracker({ idleMs: 1000 });
    t.observe('a:0', 50_000, 0); // event times ahead of processing time
    expect(t.watermark(0)).toBe(50_000);
    expect(t.watermark(2000)).toBe(50_000);
  });

  it('never decreases, even when a lagging partition comes back', () => {
    const t = new WatermarkTracker({ idleMs: 1000 });
    t.observe('a:0', 1000, 0);
    t.observe('a:1', 9000, 0);
    expect(t.watermark(0)).toBe(1000);
    t.observe('a:1', 9500, 1500);
    expect(t.watermark(1500)).toBe(9500);
    t.observe('a:0', 2000, 1600); // back, far behind
    expect(t.watermark(1600)).toBe(9500);
    expect(t.value).toBe(9500);
  });

  it('with no partitions known stays where it was', () => {
    expect(new WatermarkTracker({ idleMs: 10 }).watermark(1e12)).toBe(-Infinity);
    expect(() => new WatermarkTracker({ idleMs: 0 })).toThrow('idleMs');
  });
});

describe("windows aligned to a run's origin", () => {
  it('start = origin + whole windows: the same readings land in the same windows relative to the origin', () => {
    const origin = 1_700_000_012_345;
    expect(windowStartOf(origin, 30, origin)).toBe(origin);
    expect(windowStartOf(origin + 29_999, 30, origin)).toBe(origin);
    expect(windowStartOf(origin + 30_000, 30, origin)).toBe(origin + 30_000);
    expect(windowStartOf(origin - 1, 30, origin)).toBe(origin - 30_000);
    // Two runs 7.5 s apart: reading i at origin + 100 i ms falls in the same relative window in both.
    for (const o of [origin, origin + 7_500]) {
      expect([0, 299, 300, 899].map((i) => (windowStartOf(o + 100 * i, 30, o) - o) / 1000)).toEqual([0, 0, 30, 60]);
    }
  });
});
