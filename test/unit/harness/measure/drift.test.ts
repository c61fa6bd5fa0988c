import { describe, expect, it } from 'vitest';
import { driftOf, type DriftInputs } from '../../../../src/harness/measure/drift.js';
import { MemoryByMinute } from '../../../../src/harness/processes/memory-by-minute.js';

const MIN = 60_000;

/** A run whose schedule starts at 0 with a 1-minute warm-up and `minutes` of load in all. */
function inputs(minutes: number, p99: (minute: number) => number | null, memory: Array<number | null>): DriftInputs {
  return {
    startMs: 0,
    warmupEndMs: MIN,
    scheduleEndMs: minutes * MIN,
    p99PerMinute: new Map([['stream', p99]]),
    memoryMiB: { stream: memory },
  };
}

describe('driftOf', () => {
  it('has nothing to say about fewer than 3 whole measured minutes', () => {
    expect(driftOf(inputs(3, () => 5, [100, 100, 100]))).toBeUndefined();
    // A warm-up that ends inside a minute leaves that minute out.
    expect(driftOf({ ...inputs(4, () => 5, []), warmupEndMs: MIN + 1 })).toBeUndefined();
    expect(driftOf(inputs(4, () => 5, []))?.minutes.map((m) => m.minute)).toEqual([1, 2, 3]);
  });

  it('compares the medians of the first and last 10 measured minutes of a long run', () => {
    // 61 minutes: minute 0 is warm-up, 1..60 are measured. p99 creeps from 10 to 69 ms; memory is flat but for one spike.
    const memory = Array.from({ length: 61 }, (_, m) => (m === 5 ? 900 : 200));
    const d = driftOf(inputs(61, (m) => 9 + m, memory))!;
    expect(d.window_minutes).toBe(10);
    expect(d.minutes).toHaveLength(60);
    expect(d.minutes[0]).toEqual({ minute: 1, p99_ms: { stream: 10 }, rss_mib: { stream: 200 } });
    const p99 = d.compared.find((c) => c.figure === 'stream event-time p99')!;
    // First window: minutes 1..10 (p99 10..19, median 14.5); last: 51..60 (60..69, median 64.5).
    expect(p99).toEqual({
      figure: 'stream event-time p99',
      unit: 'ms',
      first: 14.5,
      last: 64.5,
      change_pct: ((64.5 - 14.5) / 14.5) * 100,
    });
    // One minute's spike does not move a median.
    expect(d.compared.find((c) => c.figure === 'stream memory')).toMatchObject({
      first: 200,
      last: 200,
      change_pct: 0,
    });
  });

  it('uses a third of the measured minutes when fewer than 30, and n/a where a figure is missing', () => {
    const d = driftOf(inputs(13, (m) => (m < 6 ? null : 20), []))!;
    expect(d.window_minutes).toBe(4);
    const p99 = d.compared.find((c) => c.unit === 'ms')!;
    expect(p99).toMatchObject({ first: null, last: 20, change_pct: null });
    expect(d.compared.find((c) => c.figure === 'stream memory')).toMatchObject({
      first: null,
      last: null,
      change_pct: null,
    });
  });
});

describe('MemoryByMinute', () => {
  it("keeps each group's largest sample per minute from the origin, nothing before it", () => {
    const m = new MemoryByMinute(10_000);
    const MiB = 1024 * 1024;
    m.observe(9_999, 'stream', 999 * MiB); // before the load: start-up
    m.observe(10_000, 'stream', 100 * MiB);
    m.observe(10_000 + MIN - 1, 'stream', 150 * MiB);
    m.observe(10_000 + MIN - 500, 'stream', 120 * MiB);
    m.observe(10_000 + 2 * MIN, 'stream', 130 * MiB); // minute 1 not sampled
    m.observe(10_000 + MIN, 'harness', 64 * MiB);
    expect(m.mib()).toEqual({ stream: [150, null, 130], harness: [null, 64] });
  });
});
