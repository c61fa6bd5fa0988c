import { describe, expect, it } from 'vitest';
import {
  EARLIEST_EVENT_TIME, INTEGER_FIELD_RANGE, parseReading, POSSIBLE_RANGE, sourceForTopic, VITAL_NAMES, type Reading,
} from '../../../src/domain/reading.js';
import { fuzzMessages } from '../../fuzz-messages.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const base: Reading = {
  patient_id: 1001, source: 'Device_A', seq: 7, event_time: NOW - 1000, heart_rate: 72, body_temperature: 36.8,
  blood_pressure_systolic: 120, blood_pressure_diastolic: 80, spo2_level: 97, timestamp: new Date(NOW - 1000).toISOString(),
};
const ctx = { now: NOW, topic: 'health_data_source1', runId: 'run-a' };
const reasonOf = (value: unknown, c = ctx): string => {
  const r = parseReading(typeof value === 'string' ? value : JSON.stringify(value), c);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(value)}`);
  return r.reason;
};

describe('parseReading: what the database would refuse is refused here', () => {
  it('accepts a valid reading on its own topic, with or without a run id of this run', () => {
    expect(parseReading(JSON.stringify(base), ctx)).toEqual({ ok: true, reading: base });
    const stamped = parseReading(JSON.stringify({ ...base, run_id: 'run-a' }), ctx);
    expect(stamped.ok && stamped.reading.run_id).toBe('run-a');
  });

  it('refuses ids beyond their INT / INT UNSIGNED columns', () => {
    expect(reasonOf({ ...base, patient_id: 3_000_000_000 })).toBe('field patient_id 3000000000 is out of range (0..2147483647)');
    expect(reasonOf({ ...base, seq: 5_000_000_000 })).toBe('field seq 5000000000 is out of range (0..4294967295)');
    expect(parseReading(JSON.stringify({ ...base, patient_id: 2_147_483_647, seq: 4_294_967_295 }), ctx).ok).toBe(true);
  });

  it('never throws: an event_time whose ISO form cannot be rendered is a reason, not a RangeError', () => {
    const noTimestamp: Partial<Reading> = { ...base, event_time: 9007199254740991 };
    delete noTimestamp.timestamp;
    expect(reasonOf(noTimestamp)).toMatch(/^event_time in the future: /);
    // Without a receiving clock the future bound is not applied; the parser still does not throw.
    const r = parseReading(JSON.stringify(noTimestamp));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/^unparseable message: .*Invalid time value/);
  });

  it('refuses event times before 2000 and more than the bound ahead of the receiving clock', () => {
    expect(reasonOf({ ...base, event_time: 1000 })).toBe('event_time 1000 is before 2000-01-01 (epoch milliseconds expected)');
    expect(reasonOf({ ...base, event_time: EARLIEST_EVENT_TIME - 1 })).toMatch(/before 2000/);
    const yearAhead = NOW + 365 * 86_400_000;
    expect(reasonOf({ ...base, event_time: yearAhead })).toBe(`event_time in the future: ${yearAhead - NOW} ms ahead of the receiving clock (bound 300000 ms)`);
    expect(parseReading(JSON.stringify({ ...base, event_time: NOW + 299_000 }), ctx).ok).toBe(true);
    expect(reasonOf({ ...base, event_time: NOW + 2000 }, { ...ctx, maxFutureMs: 1000 } as typeof ctx)).toMatch(/bound 1000 ms/);
  });

  it('refuses a source that does not match its topic', () => {
    expect(reasonOf({ ...base, source: 'Device_B' })).toBe('source "Device_B" does not match topic health_data_source1 (expected Device_A)');
    expect(parseReading(JSON.stringify({ ...base, source: 'Device_B' }), { ...ctx, topic: 'it_x_health_data_source2' }).ok).toBe(true);
    expect(sourceForTopic('health_data_source12')).toBe('Device_12');
    expect(sourceForTopic('other_topic')).toBeUndefined();
  });

  it('refuses a second decimal in the temperature (DECIMAL(4,1) would round it, the stream would not)', () => {
    expect(reasonOf({ ...base, body_temperature: 37.25 })).toBe('field body_temperature must have at most one decimal, got 37.25');
    expect(parseReading(JSON.stringify({ ...base, body_temperature: 37.3 }), ctx).ok).toBe(true);
  });

  it("names another run's reading as foreign", () => {
    const r = parseReading(JSON.stringify({ ...base, run_id: 'run-b' }), ctx);
    expect(r).toEqual({ ok: false, reason: 'foreign run "run-b" (this run is run-a)', foreignRun: 'run-b' });
    expect(reasonOf({ ...base, run_id: 42 })).toMatch(/^field run_id must be a string/);
  });

  it('refuses a source that is not well-formed Unicode', () => {
    const lone = JSON.stringify({ ...base }).replace('"Device_A"', '"Device_\\ud800"');
    expect(reasonOf(lone, { now: NOW } as typeof ctx)).toBe('field source is not well-formed Unicode');
  });
});

describe('parseReading under fuzzing', () => {
  const N = 20_000;
  const messages = fuzzMessages(N, {
    seed: 42,
    base: (i) => ({ ...base, patient_id: 1001 + (i % 50), seq: i, event_time: NOW - 60_000 + i }),
  });

  it(`never throws on ${N} random and mutated messages, and every outcome is a reading or a reason`, () => {
    let accepted = 0;
    for (const m of messages) {
      const r = parseReading(m, ctx);
      if (r.ok) accepted++;
      else expect(typeof r.reason === 'string' && r.reason.length > 0).toBe(true);
    }
    // The mix holds valid readings and broken ones: both outcomes occur in numbers.
    expect(accepted).toBeGreaterThan(N * 0.15);
    expect(N - accepted).toBeGreaterThan(N * 0.5);
  });

  it('every accepted reading fits the columns of patient_vitals and the contract', () => {
    for (const m of messages) {
      const r = parseReading(m, ctx);
      if (!r.ok) continue;
      const x = r.reading;
      for (const f of ['patient_id', 'seq', 'event_time'] as const) {
        expect(Number.isSafeInteger(x[f]) && x[f] >= INTEGER_FIELD_RANGE[f].min && x[f] <= INTEGER_FIELD_RANGE[f].max).toBe(true);
      }
      expect(x.event_time >= EARLIEST_EVENT_TIME && x.event_time <= NOW + 300_000).toBe(true);
      expect(x.source).toBe('Device_A');
      for (const v of VITAL_NAMES) {
        const range = POSSIBLE_RANGE[v];
        expect(x[v] >= range.min && x[v] <= range.max).toBe(true);
        if (range.integer) expect(Number.isInteger(x[v])).toBe(true);
        else expect(Math.abs(x[v] * 10 - Math.round(x[v] * 10)) < 1e-6).toBe(true);
      }
      expect(x.blood_pressure_diastolic < x.blood_pressure_systolic).toBe(true);
      expect(x.run_id === undefined || x.run_id === 'run-a').toBe(true);
    }
  });
});
