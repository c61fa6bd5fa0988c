import { beforeAll, describe, expect, it } from 'vitest';
import {
  EARLIEST_EVENT_TIME,
  INTEGER_FIELD_RANGE,
  parseReading,
  POSSIBLE_RANGE,
  sourceForTopic,
  VITAL_NAMES,
  type Reading,
} from '../../../src/domain/reading.js';
import { fuzzMessages } from '../../fuzz-messages.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const base: Reading = {
  patient_id: 1001,
  source: 'Device_A',
  seq: 7,
  event_time: NOW - 1000,
  heart_rate: 72,
  body_temperature: 36.8,
  blood_pressure_systolic: 120,
  blood_pressure_diastolic: 80,
  spo2_level: 97,
  timestamp: new Date(NOW - 1000).toISOString(),
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
    expect(reasonOf({ ...base, patient_id: 3_000_000_000 })).toBe(
      'field patient_id 3000000000 is out of range (0..2147483647)',
    );
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
    expect(reasonOf({ ...base, event_time: 1000 })).toBe(
      'event_time 1000 is before 2000-01-01 (epoch milliseconds expected)',
    );
    expect(reasonOf({ ...base, event_time: EARLIEST_EVENT_TIME - 1 })).toMatch(/before 2000/);
    const yearAhead = NOW + 365 * 86_400_000;
    expect(reasonOf({ ...base, event_time: yearAhead })).toBe(
      `event_time in the future: ${yearAhead - NOW} ms ahead of the receiving clock (bound 300000 ms)`,
    );
    expect(parseReading(JSON.stringify({ ...base, event_time: NOW + 299_000 }), ctx).ok).toBe(true);
    expect(reasonOf({ ...base, event_time: NOW + 2000 }, { ...ctx, maxFutureMs: 1000 } as typeof ctx)).toMatch(
      /bound 1000 ms/,
    );
  });

  it('refuses a source that does not match its topic', () => {
    expect(reasonOf({ ...base, source: 'Device_B' })).toBe(
      'source "Device_B" does not match topic health_data_source1 (expected Device_A)',
    );
    expect(
      parseReading(JSON.stringify({ ...base, source: 'Device_B' }), { ...ctx, topic: 'it_x_health_data_source2' }).ok,
    ).toBe(true);
    expect(sourceForTopic('health_data_source12')).toBe('Device_12');
    expect(sourceForTopic('other_topic')).toBeUndefined();
  });

  it('refuses a second decimal in the temperature (DECIMAL(4,1) would round it, the stream would not)', () => {
    expect(reasonOf({ ...base, body_temperature: 37.25 })).toBe(
      'field body_temperature must have at most one decimal, got 37.25',
    );
    expect(parseReading(JSON.stringify({ ...base, body_temperature: 37.3 }), ctx).ok).toBe(true);
  });

  it("names another run's reading as foreign", () => {
    const r = parseReading(JSON.stringify({ ...base, run_id: 'run-b' }), ctx);
    expect(r).toEqual({ ok: false, reason: 'foreign run "run-b" (this run is run-a)', foreignRun: 'run-b' });
    expect(reasonOf({ ...base, run_id: 42 })).toMatch(/^field run_id must be a string/);
  });

  it('a reading with no run id is foreign where the run requires one (a bench), and accepted elsewhere', () => {
    expect(parseReading(JSON.stringify(base), { ...ctx, requireRunId: true })).toEqual({
      ok: false,
      reason: 'foreign run: no run_id (this run is run-a)',
    });
    expect(parseReading(JSON.stringify(base), ctx).ok).toBe(true);
    expect(parseReading(JSON.stringify({ ...base, run_id: 'run-a' }), { ...ctx, requireRunId: true }).ok).toBe(true);
    // Without a run of its own, a pipeline has nothing to require.
    expect(parseReading(JSON.stringify(base), { now: NOW, requireRunId: true }).ok).toBe(true);
  });

  it('refuses a source that is not well-formed Unicode', () => {
    const lone = JSON.stringify({ ...base }).replace('"Device_A"', '"Device_\\ud800"');
    expect(reasonOf(lone, { now: NOW } as typeof ctx)).toBe('field source is not well-formed Unicode');
  });
});

describe('parseReading: one reason per way a message can be wrong', () => {
  const without = (field: keyof Reading): Record<string, unknown> => {
    const o: Record<string, unknown> = { ...base };
    delete o[field];
    return o;
  };

  it('refuses a missing value, invalid JSON and JSON that is not an object', () => {
    expect(parseReading(null, ctx)).toEqual({ ok: false, reason: 'empty message value' });
    expect(reasonOf('{"patient_id": 1001,')).toMatch(/^invalid JSON: /);
    expect(reasonOf('')).toMatch(/^invalid JSON: /);
    for (const notObject of ['[]', '[1,2]', '42', '"text"', 'null', 'true']) {
      expect(reasonOf(notObject), notObject).toBe('message is not a JSON object');
    }
  });

  it('reads a Buffer as UTF-8', () => {
    expect(parseReading(Buffer.from(JSON.stringify(base), 'utf8'), ctx)).toEqual({ ok: true, reading: base });
  });

  it('refuses a run_id that is empty or longer than 64 characters; accepts 64; any run id when the pipeline has none', () => {
    expect(reasonOf({ ...base, run_id: '' })).toBe('field run_id must be a string of 1..64 characters, got ""');
    expect(reasonOf({ ...base, run_id: 'r'.repeat(65) })).toBe(
      `field run_id must be a string of 1..64 characters, got "${'r'.repeat(65)}"`,
    );
    expect(reasonOf({ ...base, run_id: null })).toBe('field run_id must be a string of 1..64 characters, got null');
    const long = parseReading(JSON.stringify({ ...base, run_id: 'r'.repeat(64) }), {
      now: NOW,
      topic: 'health_data_source1',
      runId: 'r'.repeat(64),
    });
    expect(long.ok).toBe(true);
    const noRunContext = parseReading(JSON.stringify({ ...base, run_id: 'run-b' }), {
      now: NOW,
      topic: 'health_data_source1',
    });
    expect(noRunContext.ok && noRunContext.reading.run_id).toBe('run-b');
  });

  it('refuses a missing patient_id, seq or event_time', () => {
    expect(reasonOf(without('patient_id'))).toBe('missing field patient_id');
    expect(reasonOf(without('seq'))).toBe('missing field seq');
    expect(reasonOf(without('event_time'))).toBe('missing field event_time');
  });

  it('refuses ids and event times that are negative, fractional, not numbers or beyond exact integers', () => {
    expect(reasonOf({ ...base, patient_id: -1 })).toBe('field patient_id must be a non-negative integer, got -1');
    expect(reasonOf({ ...base, seq: 1.5 })).toBe('field seq must be a non-negative integer, got 1.5');
    expect(reasonOf({ ...base, patient_id: '1001' })).toBe(
      'field patient_id must be a non-negative integer, got "1001"',
    );
    expect(reasonOf({ ...base, seq: null })).toBe('field seq must be a non-negative integer, got null');
    expect(reasonOf({ ...base, event_time: 1e16 })).toBe(
      'field event_time must be a non-negative integer, got 10000000000000000',
    );
    expect(parseReading(JSON.stringify({ ...base, patient_id: 0, seq: 0 }), ctx).ok).toBe(true);
  });

  it('refuses a source that is missing, empty, not a string or longer than 32 characters', () => {
    expect(reasonOf(without('source'))).toBe('field source must be a string of 1..32 characters, got undefined');
    expect(reasonOf({ ...base, source: '' })).toBe('field source must be a string of 1..32 characters, got ""');
    expect(reasonOf({ ...base, source: 7 })).toBe('field source must be a string of 1..32 characters, got 7');
    expect(reasonOf({ ...base, source: 'D'.repeat(33) }, { now: NOW } as typeof ctx)).toBe(
      `field source must be a string of 1..32 characters, got "${'D'.repeat(33)}"`,
    );
    expect(parseReading(JSON.stringify({ ...base, source: 'D'.repeat(32) }), { now: NOW }).ok).toBe(true);
  });

  it('refuses each missing vital', () => {
    for (const v of VITAL_NAMES) expect(reasonOf(without(v)), v).toBe(`missing field ${v}`);
  });

  it('refuses a vital that is not a number', () => {
    expect(reasonOf({ ...base, heart_rate: '72' })).toBe('field heart_rate must be a number, got "72"');
    expect(reasonOf({ ...base, spo2_level: null })).toBe('field spo2_level must be a number, got null');
    expect(reasonOf({ ...base, body_temperature: [36.8] })).toBe('field body_temperature must be a number, got [36.8]');
  });

  it('refuses a fraction in an integer vital', () => {
    expect(reasonOf({ ...base, heart_rate: 72.5 })).toBe('field heart_rate must be an integer, got 72.5');
    expect(reasonOf({ ...base, blood_pressure_systolic: 120.1 })).toBe(
      'field blood_pressure_systolic must be an integer, got 120.1',
    );
  });

  it('refuses a vital outside its possible range and accepts both ends of it', () => {
    expect(reasonOf({ ...base, heart_rate: 301 })).toBe('impossible heart_rate 301 (possible range 20..300)');
    expect(reasonOf({ ...base, heart_rate: 19 })).toBe('impossible heart_rate 19 (possible range 20..300)');
    expect(reasonOf({ ...base, body_temperature: 45.1 })).toBe(
      'impossible body_temperature 45.1 (possible range 25..45)',
    );
    expect(reasonOf({ ...base, body_temperature: 24.9 })).toBe(
      'impossible body_temperature 24.9 (possible range 25..45)',
    );
    expect(reasonOf({ ...base, blood_pressure_systolic: 301 })).toBe(
      'impossible blood_pressure_systolic 301 (possible range 40..300)',
    );
    expect(reasonOf({ ...base, blood_pressure_diastolic: 19 })).toBe(
      'impossible blood_pressure_diastolic 19 (possible range 20..200)',
    );
    expect(reasonOf({ ...base, spo2_level: 101 })).toBe('impossible spo2_level 101 (possible range 50..100)');
    expect(reasonOf({ ...base, spo2_level: 49 })).toBe('impossible spo2_level 49 (possible range 50..100)');
    for (const edge of [
      {
        heart_rate: 20,
        body_temperature: 25,
        blood_pressure_systolic: 40,
        blood_pressure_diastolic: 20,
        spo2_level: 50,
      },
      {
        heart_rate: 300,
        body_temperature: 45,
        blood_pressure_systolic: 300,
        blood_pressure_diastolic: 200,
        spo2_level: 100,
      },
    ])
      expect(parseReading(JSON.stringify({ ...base, ...edge }), ctx).ok, JSON.stringify(edge)).toBe(true);
  });

  it('refuses a diastolic pressure at or above the systolic one', () => {
    expect(reasonOf({ ...base, blood_pressure_systolic: 80, blood_pressure_diastolic: 80 })).toBe(
      'impossible blood pressure 80/80 (diastolic >= systolic)',
    );
    expect(reasonOf({ ...base, blood_pressure_systolic: 90, blood_pressure_diastolic: 95 })).toBe(
      'impossible blood pressure 90/95 (diastolic >= systolic)',
    );
    expect(
      parseReading(JSON.stringify({ ...base, blood_pressure_systolic: 81, blood_pressure_diastolic: 80 }), ctx).ok,
    ).toBe(true);
  });

  it('checks in a fixed order: run id, ids, event time, source, vitals, blood pressure; the first failure is the reason', () => {
    const broken = {
      ...base,
      run_id: 'run-b',
      patient_id: -1,
      event_time: 1000,
      source: '',
      heart_rate: 999,
      blood_pressure_diastolic: 130,
    };
    expect(reasonOf(broken)).toBe('foreign run "run-b" (this run is run-a)');
    expect(reasonOf({ ...broken, run_id: 'run-a' })).toMatch(/^field patient_id /);
    expect(reasonOf({ ...broken, run_id: 'run-a', patient_id: 1001 })).toMatch(/^event_time 1000 is before 2000/);
    expect(reasonOf({ ...broken, run_id: 'run-a', patient_id: 1001, event_time: base.event_time })).toMatch(
      /^field source /,
    );
    expect(
      reasonOf({ ...broken, run_id: 'run-a', patient_id: 1001, event_time: base.event_time, source: 'Device_A' }),
    ).toMatch(/^impossible heart_rate/);
    expect(
      reasonOf({
        ...broken,
        run_id: 'run-a',
        patient_id: 1001,
        event_time: base.event_time,
        source: 'Device_A',
        heart_rate: 72,
      }),
    ).toMatch(/^impossible blood pressure/);
  });

  it('renders a missing timestamp from event_time and keeps a given one as sent', () => {
    const r = parseReading(JSON.stringify(without('timestamp')), ctx);
    expect(r.ok && r.reading.timestamp).toBe(new Date(base.event_time).toISOString());
    const given = parseReading(JSON.stringify({ ...base, timestamp: 'as sent' }), ctx);
    expect(given.ok && given.reading.timestamp).toBe('as sent');
  });
});

describe('parseReading under fuzzing', () => {
  const N = 20_000;
  let messages: ReturnType<typeof fuzzMessages>;
  beforeAll(() => {
    messages = fuzzMessages(N, {
      seed: 42,
      base: (i) => ({ ...base, patient_id: 1001 + (i % 50), seq: i, event_time: NOW - 60_000 + i }),
    });
  });

  // One expect per test, over the list of problems found: an expect per message would cost most of the time.
  it(`never throws on ${N} random and mutated messages, and every outcome is a reading or a reason`, () => {
    let accepted = 0;
    const noReason: number[] = [];
    messages.forEach((m, i) => {
      const r = parseReading(m, ctx);
      if (r.ok) accepted++;
      else if (!(typeof r.reason === 'string' && r.reason.length > 0)) noReason.push(i);
    });
    expect(noReason, 'messages refused without a reason').toEqual([]);
    // The mix holds valid readings and broken ones: both outcomes occur in numbers.
    expect(accepted).toBeGreaterThan(N * 0.15);
    expect(N - accepted).toBeGreaterThan(N * 0.5);
  });

  it('every accepted reading fits the columns of patient_vitals and the contract', () => {
    const problems: string[] = [];
    messages.forEach((m, i) => {
      const r = parseReading(m, ctx);
      if (!r.ok) return;
      const x = r.reading;
      const fail = (what: string): void => void problems.push(`message ${i}: ${what}`);
      for (const f of ['patient_id', 'seq', 'event_time'] as const) {
        if (!(Number.isSafeInteger(x[f]) && x[f] >= INTEGER_FIELD_RANGE[f].min && x[f] <= INTEGER_FIELD_RANGE[f].max))
          fail(`${f} ${x[f]}`);
      }
      if (!(x.event_time >= EARLIEST_EVENT_TIME && x.event_time <= NOW + 300_000)) fail(`event_time ${x.event_time}`);
      if (x.source !== 'Device_A') fail(`source ${x.source}`);
      for (const v of VITAL_NAMES) {
        const range = POSSIBLE_RANGE[v];
        if (!(x[v] >= range.min && x[v] <= range.max)) fail(`${v} ${x[v]} outside ${range.min}..${range.max}`);
        if (range.integer ? !Number.isInteger(x[v]) : !(Math.abs(x[v] * 10 - Math.round(x[v] * 10)) < 1e-6))
          fail(`${v} ${x[v]} precision`);
      }
      if (!(x.blood_pressure_diastolic < x.blood_pressure_systolic)) fail('diastolic >= systolic');
      if (!(x.run_id === undefined || x.run_id === 'run-a')) fail(`run_id ${x.run_id}`);
    });
    expect(problems).toEqual([]);
  });
});
