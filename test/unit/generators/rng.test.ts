import { describe, it, expect } from 'vitest';
import { Rng, deriveSeed } from '../../../src/generators/rng.js';

describe('Rng', { timeout: 30_000 }, () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = Rng.derive(1, 2, 3);
    const b = Rng.derive(1, 2, 3);
    const c = Rng.derive(1, 2, 4);
    const xa = Array.from({ length: 100 }, () => a.next());
    const xb = Array.from({ length: 100 }, () => b.next());
    const xc = Array.from({ length: 100 }, () => c.next());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('derives distinct seeds for large and negative seeds', () => {
    const seeds = [0, 1, -1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER].map((s) => deriveSeed(s, 7));
    expect(new Set(seeds).size).toBe(seeds.length);
    expect(() => deriveSeed(1.5)).toThrow(RangeError);
  });

  it('next() is uniform in [0, 1)', () => {
    const r = new Rng(123);
    const bins = new Array<number>(10).fill(0);
    const n = 100_000;
    const outside: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = r.next();
      if (!(x >= 0 && x < 1)) outside.push(x);
      else bins[Math.floor(x * 10)]!++;
    }
    expect(outside).toEqual([]);
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(600);
  });

  it('normal() has the requested mean and sd', () => {
    const r = new Rng(99);
    const n = 100_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal(10, 2);
      sum += x;
      sq += x * x;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sq / n - mean * mean);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeCloseTo(2, 1);
  });

  it('int() covers [lo, hi] inclusive and nothing else', () => {
    const r = new Rng(5);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) seen.add(r.int(3, 7));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });
});
