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
});
