import { describe, expect, it } from 'vitest';
import { SightingIndex } from '../../../../src/harness/measure/results-observer.js';

describe('SightingIndex', () => {
  it('answers every id as a Map of the same triples would, whatever their order', () => {
    const triples: Array<[number, number, number]> = [];
    let seed = 3;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const ids = new Set<number>();
    while (ids.size < 500) ids.add(1 + rand(1_000_000));
    for (const id of ids) triples.push([id, 1_700_000_000_000 + rand(100_000), 1_700_000_000_000 - rand(1000)]);
    const map = new Map(triples.map(([id, at, notBefore]) => [id, { at, notBefore }]));
    const index = SightingIndex.fromTriples([...triples]);
    expect(index.size).toBe(500);
    for (const [id, s] of map) expect(index.get(id)).toEqual(s);
    for (let k = 0; k < 500; k++) {
      const id = rand(1_100_000);
      expect(index.get(id)).toEqual(map.get(id));
    }
  });

  it('has nothing for an empty report, nor beyond its first and last ids', () => {
    expect(SightingIndex.fromTriples([]).get(1)).toBeUndefined();
    const index = SightingIndex.fromTriples([
      [20, 5, 4],
      [10, 3, 2],
    ]);
    expect(index.get(10)).toEqual({ at: 3, notBefore: 2 });
    expect(index.get(20)).toEqual({ at: 5, notBefore: 4 });
    for (const id of [0, 9, 11, 21]) expect(index.get(id)).toBeUndefined();
  });

  it('built from chunks (as the observer process sends them) answers as one list would, in order or not', () => {
    const triples: Array<[number, number, number]> = Array.from({ length: 2500 }, (_, k) => [
      3 * k + 1,
      1000 + k,
      900 + k,
    ]);
    const inOrder = SightingIndex.builder();
    for (let k = 0; k < triples.length; k += 1000) inOrder.add(triples.slice(k, k + 1000));
    const shuffled = SightingIndex.builder();
    shuffled.add(triples.slice(1500));
    shuffled.add([]);
    shuffled.add(triples.slice(0, 1500).reverse());
    for (const index of [inOrder.build(), shuffled.build()]) {
      expect(index.size).toBe(2500);
      for (const [id, at, notBefore] of triples) expect(index.get(id)).toEqual({ at, notBefore });
      expect(index.get(2)).toBeUndefined();
    }
    const empty = SightingIndex.builder();
    empty.add([]);
    expect(empty.build().size).toBe(0);
  });
});
