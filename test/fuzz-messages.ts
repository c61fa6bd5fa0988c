/**
 * Random and mutated Kafka message values for fuzzing the reading contract: valid readings,
 * readings with one or more fields replaced by hostile values, truncated and corrupted JSON,
 * random bytes and random JSON. Deterministic for a seed.
 */
import { Rng } from '../src/generators/rng.js';
import type { Reading } from '../src/domain/reading.js';

const HOSTILE: unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 31 - 1,
  2 ** 32,
  2 ** 32 - 1,
  2 ** 53,
  2 ** 53 - 1,
  2 ** 63,
  3_000_000_000,
  5_000_000_000,
  9007199254740991,
  1000,
  946684799999,
  4102444800000,
  '',
  '72',
  'NaN',
  'Infinity',
  '1e400',
  'x'.repeat(33),
  'x'.repeat(10_000),
  '\ud800',
  'Device_A\u0000',
  'Dévice_Ä',
  '😀'.repeat(20),
  [],
  [1, 2],
  {},
  { a: 1 },
  36.85,
  37.25,
  36.8,
  19,
  301,
  100.5,
  49,
  24.9,
  45.1,
];
const FIELDS = [
  'patient_id',
  'source',
  'seq',
  'event_time',
  'heart_rate',
  'body_temperature',
  'blood_pressure_systolic',
  'blood_pressure_diastolic',
  'spo2_level',
  'timestamp',
  'run_id',
  'extra',
];

export interface FuzzOptions {
  seed: number;
  /** A valid reading to start from (its fields are mutated). */
  base: (i: number) => Reading;
}

export type FuzzMessage = string | Buffer | null;

/** The i-th fuzz message. About a fifth are valid readings, the rest broken in one of many ways. */
export function fuzzMessage(rng: Rng, i: number, opts: FuzzOptions): FuzzMessage {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
  const r = opts.base(i);
  const kind = rng.next();
  if (kind < 0.2) return JSON.stringify(r);
  if (kind < 0.6) {
    const o: Record<string, unknown> = { ...r };
    const mutations = 1 + Math.floor(rng.next() * 3);
    for (let m = 0; m < mutations; m++) {
      const f = pick(FIELDS);
      if (rng.next() < 0.15) delete o[f];
      else o[f] = pick(HOSTILE);
    }
    return JSON.stringify(o);
  }
  if (kind < 0.7) {
    const text = JSON.stringify(r);
    return text.slice(0, Math.floor(rng.next() * text.length));
  }
  if (kind < 0.8) {
    const bytes = Buffer.from(JSON.stringify(r));
    for (let k = 0; k < 3; k++) bytes[Math.floor(rng.next() * bytes.length)] = Math.floor(rng.next() * 256);
    return bytes;
  }
  if (kind < 0.88)
    return Buffer.from(Array.from({ length: Math.floor(rng.next() * 300) }, () => Math.floor(rng.next() * 256)));
  if (kind < 0.95) return JSON.stringify(pick(HOSTILE));
  if (kind < 0.97) return null;
  // Valid JSON numbers the parser must not turn into something the database refuses.
  return JSON.stringify(r).replace(
    /"heart_rate":\d+/,
    `"heart_rate":${pick(['72.0', '7.2e1', '720e-1', '1e2', '-0'])}`,
  );
}

export function fuzzMessages(n: number, opts: FuzzOptions): FuzzMessage[] {
  const rng = new Rng(opts.seed);
  return Array.from({ length: n }, (_, i) => fuzzMessage(rng, i, opts));
}
