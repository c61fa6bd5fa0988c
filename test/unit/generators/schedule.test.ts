import { describe, it, expect } from 'vitest';
import { OpenLoopSchedule, ReplaySchedule, dueNow, sendDelay } from '../../../src/generators/schedule.js';

const START = Date.parse('2025-04-18T10:00:00.000Z');

describe('OpenLoopSchedule', { timeout: 30_000 }, () => {
  it('intended time is start + i * 1000 / rate, exact and floored', () => {
    const s = new OpenLoopSchedule({ start: START, rate: 3 });
    expect(s.intendedExact(0)).toBe(START);
    expect(s.intendedExact(1)).toBeCloseTo(START + 333.333, 3);
    expect(s.intendedMs(1)).toBe(START + 333);
    expect(s.intendedMs(2)).toBe(START + 666);
    expect(s.intendedMs(3)).toBe(START + 1000);
  });

  it('does not drift over 1e6 readings', () => {
    for (const rate of [7, 100, 3000, 12_345]) {
      const s = new OpenLoopSchedule({ start: START, rate });
      const interval = 1000 / rate;
      expect(s.intendedExact(1_000_000)).toBeCloseTo(START + (1_000_000 * 1000) / rate, 6);
      // A sender that wakes up at irregular times and sends what is due sends each reading
      // once, never early, never later than its first wake-up after the intended time.
      let sent = 0;
      let now = START;
      let wakeups = 0;
      const problems: string[] = [];
      while (sent < 1_000_000) {
        const n = dueNow(s, now, sent);
        if (n > 0) {
          if (s.intendedExact(sent + n - 1) > now) problems.push(`early at ${sent}`);
          sent += n;
          if (s.intendedExact(sent) <= now) problems.push(`left due reading ${sent}`);
        }
        now += interval * (0.2 + ((wakeups++ * 7919) % 13) / 4); // irregular, often bursty
      }
      expect(problems).toEqual([]);
      expect(s.dueCount(s.intendedExact(999_999))).toBe(1_000_000);
      expect(s.intendedMs(999_999)).toBe(Math.floor(START + (999_999 * 1000) / rate));
    }
  });

  it('dueCount agrees with intendedExact at and around each intended time', () => {
    const s = new OpenLoopSchedule({ start: START, rate: 1000 / 3, total: 5000 });
    expect(s.dueCount(START - 1)).toBe(0);
    expect(s.dueCount(START)).toBe(1);
    for (let i = 0; i < 5000; i += 37) {
      const t = s.intendedExact(i);
      expect(s.dueCount(t)).toBe(i + 1);
      expect(s.dueCount(t - 0.001)).toBe(i);
    }
    expect(s.dueCount(START + 1e9)).toBe(5000);
    expect(s.msUntil(10, START)).toBeCloseTo(30, 9);
  });

  it('send delay is t_sent - t_intended', () => {
    expect(sendDelay(START + 12, START + 10)).toBe(2);
    expect(() => new OpenLoopSchedule({ start: START, rate: 0 })).toThrow(RangeError);
  });
});

describe('ReplaySchedule', { timeout: 30_000 }, () => {
  const recorded = [1000, 1000, 1010, 1500, 2500];

  it('keeps the recorded timing relative to the replay start', () => {
    const s = new ReplaySchedule(recorded, START, { kind: 'recorded' });
    expect(recorded.map((_, i) => s.intendedExact(i))).toEqual([START, START, START + 10, START + 500, START + 1500]);
    expect(s.dueCount(START - 1)).toBe(0);
    expect(s.dueCount(START)).toBe(2);
    expect(s.dueCount(START + 499)).toBe(3);
    expect(s.dueCount(START + 10_000)).toBe(5);
    expect(() => new ReplaySchedule([2, 1], START, { kind: 'recorded' })).toThrow(RangeError);
  });

  it('replays at a fixed rate', () => {
    const s = new ReplaySchedule(recorded, START, { kind: 'rate', rate: 4 });
    expect(s.intendedMs(3)).toBe(START + 750);
    expect(s.dueCount(START + 10_000)).toBe(5);
  });

  it("'max' sends everything now: intended = sent time", () => {
    const s = new ReplaySchedule(recorded, START, { kind: 'max' });
    expect(s.dueCount(START)).toBe(5);
    expect(s.intendedExact(3, START + 42.5)).toBe(START + 42.5);
    expect(s.intendedMs(3, START + 42.5)).toBe(START + 42);
    expect(() => s.intendedExact(3)).toThrow();
  });
});
