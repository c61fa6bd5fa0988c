import type { Reading } from '../../../src/domain/reading.js';

export function reading(overrides: Partial<Reading> = {}): Reading {
  const event_time = overrides.event_time ?? 1_700_000_000_000;
  return {
    patient_id: 1001,
    source: 'Device_A',
    seq: 0,
    event_time,
    heart_rate: 70,
    body_temperature: 36.8,
    blood_pressure_systolic: 120,
    blood_pressure_diastolic: 80,
    spo2_level: 98,
    timestamp: new Date(event_time).toISOString(),
    ...overrides,
  };
}

/** mulberry32: small seeded PRNG, deterministic tests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}
