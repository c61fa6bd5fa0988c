import { describe, expect, it } from 'vitest';
import { contentDigest, contentKey } from '../../../src/domain/content.js';
import { parseReading, serializeReading, VITAL_NAMES, type Reading } from '../../../src/domain/reading.js';

const reading: Reading = {
  patient_id: 1001,
  source: 'Device_A',
  seq: 57,
  event_time: 1_700_000_012_345,
  heart_rate: 72,
  body_temperature: 36.6,
  blood_pressure_systolic: 120,
  blood_pressure_diastolic: 80,
  spo2_level: 97,
  timestamp: new Date(1_700_000_012_345).toISOString(),
  run_id: 'run-a',
};

describe('content digest: what a reading says, beyond its key', () => {
  it('is the same for the sent reading, the parsed message and the row read back from the database', () => {
    const parsed = parseReading(serializeReading(reading), { runId: 'run-a' });
    expect(parsed.ok).toBe(true);
    // The database returns DECIMAL(4,1) as a number; a temperature computed another way may be off in its last bits.
    const row = { ...reading, body_temperature: 36.599999999999994, event_time: Number(String(reading.event_time)) };
    const digest = contentDigest(reading);
    expect(contentDigest(parsed.ok ? parsed.reading : reading)).toBe(digest);
    expect(contentDigest(row)).toBe(digest);
    expect(contentKey(row)).toBe('Device_A|1700000012345|72|36.6|120|80|97');
  });

  it('leaves out the key, the ISO timestamp and the run id', () => {
    const other: Reading = { ...reading, patient_id: 2001, seq: 1, timestamp: 'x', run_id: 'other' };
    expect(contentDigest(other)).toBe(contentDigest(reading));
  });

  it('changes with each content field', () => {
    const digest = contentDigest(reading);
    const changed: Reading[] = [
      { ...reading, source: 'Device_B' },
      { ...reading, event_time: reading.event_time + 1 },
      ...VITAL_NAMES.map((v) => ({ ...reading, [v]: reading[v] + (v === 'body_temperature' ? 0.1 : 1) })),
    ];
    for (const c of changed) expect(contentDigest(c), contentKey(c)).not.toBe(digest);
  });

  it('is a safe integer, spread over its range: 20,000 readings give 20,000 digests', () => {
    const digests = Array.from({ length: 20_000 }, (_, i) =>
      contentDigest({ ...reading, event_time: reading.event_time + i, heart_rate: 40 + (i % 100) }),
    );
    expect(digests.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
    expect(new Set(digests).size).toBe(20_000);
    // Spread: the high bits are used too.
    expect(digests.some((d) => d > 2 ** 52)).toBe(true);
  });
});
