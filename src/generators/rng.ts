/**
 * Seeded PRNG (mulberry32) with derived, independent streams.
 * All generator randomness comes from here so that a seed reproduces a data set byte for byte.
 */

/** murmur3's 32-bit finaliser: a bijective avalanche mix of a 32-bit integer. */
function mix32(x: number): number {
  x = x >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * A 32-bit state derived from a seed and a path of keys, e.g. (seed, STREAM_VITALS, patientIndex).
 * Seeds beyond 32 bits and negative seeds are folded in, so every safe integer seed is distinct.
 */
export function deriveSeed(seed: number, ...keys: number[]): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
  let h = mix32(lo ^ 0x9e3779b9);
  h = mix32(h ^ mix32(hi + 0x7f4a7c15));
  for (const k of keys) h = mix32(Math.imul(h, 31) ^ mix32((k >>> 0) + 0x6a09e667));
  return h;
}

export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(state32: number) {
    this.state = state32 >>> 0;
  }

  /** An independent stream for (seed, ...keys); the same keys always give the same stream. */
  static derive(seed: number, ...keys: number[]): Rng {
    return new Rng(deriveSeed(seed, ...keys));
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Gaussian via Box-Muller; the second value of each pair is kept for the next call. */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + sd * z;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

/** Stream identifiers for deriveSeed, so that the generator's concerns never share a stream. */
export const STREAM = {
  vitals: 1,
  episodes: 2,
  faults: 3,
} as const;
