import { describe, expect, it } from 'vitest';
import { DrainDeadline } from '../../../../src/harness/run/drain-deadline.js';

describe('DrainDeadline', () => {
  it('does not give up before the base deadline, however still the backlog', () => {
    const d = new DrainDeadline(10_000, 1_000, 0);
    expect(d.passed(500, 0)).toBe(false);
    expect(d.passed(500, 9_000)).toBe(false);
    expect(d.passed(500, 10_000)).toBe(false);
    expect(d.passed(500, 10_001)).toBe(true);
  });

  it('past the base deadline, keeps going while the backlog shrinks and gives up once it has stood still for the stall time', () => {
    const d = new DrainDeadline(10_000, 1_000, 0);
    let backlog = 1_000_000;
    for (let t = 0; t <= 60_000; t += 500) {
      backlog -= 8_000;
      expect(d.passed(backlog, t)).toBe(false);
    }
    // Stands still from 60 s: given up once more than a second has passed without a new low.
    expect(d.passed(backlog, 60_500)).toBe(false);
    expect(d.passed(backlog + 10, 61_000)).toBe(false);
    expect(d.passed(backlog, 61_001)).toBe(true);
    expect(d.reason(61_001, 1_000)).toBe('60 s after the end of the load, with no progress for 1 s');
  });

  it('a backlog that grows back is not progress; a new low is', () => {
    const d = new DrainDeadline(0, 1_000, 0);
    expect(d.passed(100, 0)).toBe(false);
    expect(d.passed(200, 800)).toBe(false);
    expect(d.passed(150, 1_001)).toBe(true);
    expect(d.passed(99, 1_200)).toBe(false);
  });
});
