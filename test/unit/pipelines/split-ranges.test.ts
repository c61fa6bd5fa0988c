import { describe, expect, it } from 'vitest';
import { splitRanges } from '../../../src/pipelines/batch/batch.js';

/** Ten patients of source 1: 1001..1010. */
const ten = Array.from({ length: 10 }, (_, i) => 1001 + i);

describe('splitRanges: sorted patient ids into at most n contiguous ranges of near-equal count', () => {
  it('no patients: no ranges', () => {
    expect(splitRanges([], 4)).toEqual([]);
  });

  it('range i takes ids [floor(i*len/n), floor((i+1)*len/n) - 1]: 10 ids in 3 -> 3, 3, 4', () => {
    // 0..2, 3..5, 6..9
    expect(splitRanges(ten, 3)).toEqual([
      [1001, 1003],
      [1004, 1006],
      [1007, 1010],
    ]);
  });

  it('10 ids in 4 -> 2, 3, 2, 3; 7 ids in 4 -> 1, 2, 2, 2', () => {
    // 0..1, 2..4, 5..6, 7..9
    expect(splitRanges(ten, 4)).toEqual([
      [1001, 1002],
      [1003, 1005],
      [1006, 1007],
      [1008, 1010],
    ]);
    // 0..0, 1..2, 3..4, 5..6
    expect(splitRanges([1, 2, 3, 4, 5, 6, 7], 4)).toEqual([
      [1, 1],
      [2, 3],
      [4, 5],
      [6, 7],
    ]);
  });

  it('one part, or a count below one, gives one range over all ids', () => {
    expect(splitRanges(ten, 1)).toEqual([[1001, 1010]]);
    expect(splitRanges(ten, 0)).toEqual([[1001, 1010]]);
    expect(splitRanges(ten, -3)).toEqual([[1001, 1010]]);
  });

  it('more parts than ids: one range per id', () => {
    expect(splitRanges([1001, 1002, 1003], 8)).toEqual([
      [1001, 1001],
      [1002, 1002],
      [1003, 1003],
    ]);
    expect(splitRanges([2001], 4)).toEqual([[2001, 2001]]);
  });

  it('ranges are bounds on ids, so a range spans the gaps between the ids it holds', () => {
    // 5 ids in 2: 0..1, 2..4.
    expect(splitRanges([1001, 1005, 2001, 2002, 3001], 2)).toEqual([
      [1001, 1005],
      [2001, 3001],
    ]);
  });

  it('for every n, each id falls in exactly one range and the ranges are in order', () => {
    for (let n = 1; n <= 12; n++) {
      const ranges = splitRanges(ten, n);
      expect(ranges).toHaveLength(Math.min(n, ten.length));
      for (const id of ten)
        expect(
          ranges.filter(([lo, hi]) => id >= lo && id <= hi),
          `n=${n} id=${id}`,
        ).toHaveLength(1);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThan(ranges[i - 1]![1]);
    }
  });
});
