import { VITAL_NAMES, type Reading } from './reading.js';

/** What a reading says, beyond its key (patient_id, seq): what a stored copy must repeat exactly. */
export type ReadingContent = Pick<Reading, 'source' | 'event_time' | (typeof VITAL_NAMES)[number]>;

/**
 * The content of a reading as one canonical string: the same for the message the generator
 * sent, the parsed reading and the row read back from the database (the temperature with its
 * one decimal, whatever binary rounding the number went through).
 */
export function contentKey(r: ReadingContent): string {
  return [
    r.source,
    r.event_time,
    r.heart_rate,
    r.body_temperature.toFixed(1),
    r.blood_pressure_systolic,
    r.blood_pressure_diastolic,
    r.spo2_level,
  ].join('|');
}

/**
 * A 53-bit digest of a reading's content (cyrb53 over contentKey): a number, so that a run's
 * million readings cost a number each, not a string. Two different contents collide with
 * probability about 2^-53.
 */
export function contentDigest(r: ReadingContent): number {
  return cyrb53(contentKey(r));
}

/** cyrb53 (public domain, bryc): two 32-bit multiplicative hashes mixed into a safe integer. */
function cyrb53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
