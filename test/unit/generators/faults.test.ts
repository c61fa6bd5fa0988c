import { beforeAll, describe, it, expect } from 'vitest';
import { parseReading } from '../../../src/domain/reading.js';
import { Dataset, stampEventTime } from '../../../src/generators/dataset.js';
import { FaultPlanner, MALFORMED_KINDS, malformedPayload, payloadFor } from '../../../src/generators/faults.js';

const N = 100_000;

/** The same 100,000 readings for every plan: generated once per file (the planner only reads them). */
let readings: ReadonlyArray<ReturnType<typeof stampEventTime>>;
beforeAll(() => {
  const ds = new Dataset({ seed: 1 });
  readings = Array.from({ length: N }, (_, i) => Object.freeze(stampEventTime(ds.next(), 1_744_970_400_000 + 10 * i)));
});

function planAll(opts: ConstructorParameters<typeof FaultPlanner>[0]) {
  const planner = new FaultPlanner(opts);
  const plans = readings.map((reading) => ({ reading, actions: planner.plan(reading) }));
  return { plans, truth: planner.groundTruth() };
}

describe('FaultPlanner', { timeout: 30_000 }, () => {
  it('without faults sends every reading once, on time', () => {
    const { plans, truth } = planAll({ seed: 1 });
    expect(
      plans.every((p) => p.actions.length === 1 && p.actions[0]!.kind === 'reading' && p.actions[0]!.delayMs === 0),
    ).toBe(true);
    expect(truth.counts).toMatchObject({ readings: N, jittered: 0, late: 0, duplicates: 0, malformed: 0 });
  });

  it('plans each fault kind at roughly its configured fraction and records it', () => {
    const { plans, truth } = planAll({
      seed: 7,
      jitterMs: 200,
      jitterFraction: 0.2,
      latenessMs: 5000,
      lateFraction: 0.01,
      duplicateFraction: 0.02,
      malformedFraction: 0.005,
    });
    const near = (x: number, f: number) => {
      expect(x / N).toBeGreaterThan(f * 0.85);
      expect(x / N).toBeLessThan(f * 1.15);
    };
    near(truth.counts.late, 0.01);
    near(truth.counts.jittered, 0.2 * 0.99);
    near(truth.counts.duplicates, 0.02);
    near(truth.counts.malformed, 0.005);

    let late = 0;
    let jittered = 0;
    let dups = 0;
    let mal = 0;
    const problems: string[] = [];
    for (const { reading, actions } of plans) {
      const main = actions.filter((a) => a.kind === 'reading');
      if (main.length !== 1) problems.push(`${reading.seq}: ${main.length} reading actions`);
      const d = main[0]!.delayMs;
      if (d > 5000) {
        late++;
        if (d > 10_000) problems.push(`late delay ${d}`);
      } else if (d > 0) {
        jittered++;
        if (d > 200) problems.push(`jitter delay ${d}`);
      }
      for (const a of actions) {
        if (a.kind === 'duplicate') {
          dups++;
          if (a.delayMs !== d || payloadFor(a, reading) !== payloadFor(main[0]!, reading))
            problems.push('duplicate differs');
        }
        if (a.kind === 'malformed') {
          mal++;
          if (parseReading(payloadFor(a, reading)).ok) problems.push(`malformed ${a.malformedKind} accepted`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect([late, jittered, dups, mal]).toEqual([
      truth.counts.late,
      truth.counts.jittered,
      truth.counts.duplicates,
      truth.counts.malformed,
    ]);
    expect(truth.late).toHaveLength(late);
    expect(truth.late.every((x) => x.delayMs > 5000)).toBe(true);
    expect(truth.jittered.every((x) => x.delayMs >= 1 && x.delayMs <= 200)).toBe(true);
    expect(truth.duplicates).toHaveLength(dups);

    // Malformed kinds cycle, so their counts differ by at most one.
    const byKind = Object.values(truth.counts.malformedByKind);
    expect(Math.max(...byKind) - Math.min(...byKind)).toBeLessThanOrEqual(1);
  });

  it('is deterministic for a seed, and one fault fraction does not move another', () => {
    const a = planAll({ seed: 3, duplicateFraction: 0.05, lateFraction: 0.01, latenessMs: 100 });
    const b = planAll({ seed: 3, duplicateFraction: 0.05, lateFraction: 0.01, latenessMs: 100 });
    const c = planAll({ seed: 3, duplicateFraction: 0.05 });
    const d = planAll({ seed: 4, duplicateFraction: 0.05 });
    expect(a.truth).toEqual(b.truth);
    expect(c.truth.duplicates).toEqual(a.truth.duplicates);
    expect(d.truth.duplicates).not.toEqual(c.truth.duplicates);
  });

  it('a delayed reading keeps its event_time; payloads are the serialised reading', () => {
    const { plans } = planAll({ seed: 2, jitterMs: 50, jitterFraction: 1 });
    const p = plans[123]!;
    expect(p.actions[0]!.delayMs).toBeGreaterThan(0);
    const parsed = parseReading(payloadFor(p.actions[0]!, p.reading));
    expect(parsed).toEqual({ ok: true, reading: p.reading });
  });

  it('rejects inconsistent options', () => {
    expect(() => new FaultPlanner({ seed: 1, lateFraction: 0.1 })).toThrow(RangeError);
    expect(() => new FaultPlanner({ seed: 1, duplicateFraction: 1.5 })).toThrow(RangeError);
  });
});

describe('malformed payloads', { timeout: 30_000 }, () => {
  const reading = stampEventTime(new Dataset({ seed: 1 }).next(), 1_744_970_400_000);
  const expected: Record<(typeof MALFORMED_KINDS)[number], RegExp> = {
    invalid_json: /invalid JSON/,
    missing_field: /missing field heart_rate/,
    wrong_type: /body_temperature must be a number/,
    impossible_value: /impossible heart_rate 900/,
    bp_inverted: /diastolic >= systolic/,
  };
  for (const kind of MALFORMED_KINDS) {
    it(`${kind} is rejected by parseReading with a reason`, () => {
      const res = parseReading(malformedPayload(kind, reading));
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.reason).toMatch(expected[kind]);
    });
  }
});
