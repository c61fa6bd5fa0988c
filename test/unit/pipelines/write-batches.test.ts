import { describe, expect, it } from 'vitest';
import { mergeRanges } from '../../../src/pipelines/write-batches.js';

describe('mergeRanges', () => {
  it('joins consecutive batches of one partition into one range, keeping partitions apart', () => {
    const merged = mergeRanges([
      { topic: 't1', partition: 0, firstOffset: 10, lastOffset: 14 },
      { topic: 't1', partition: 1, firstOffset: 3, lastOffset: 3 },
      { topic: 't1', partition: 0, firstOffset: 15, lastOffset: 20 },
      { topic: 't2', partition: 0, firstOffset: 7, lastOffset: 9 },
    ]);
    expect(merged).toEqual([
      { topic: 't1', partition: 0, firstOffset: 10, lastOffset: 20 },
      { topic: 't1', partition: 1, firstOffset: 3, lastOffset: 3 },
      { topic: 't2', partition: 0, firstOffset: 7, lastOffset: 9 },
    ]);
  });

  it('does not change the ranges it was given', () => {
    const input = [
      { topic: 't', partition: 0, firstOffset: 5, lastOffset: 6 },
      { topic: 't', partition: 0, firstOffset: 0, lastOffset: 4 },
    ];
    expect(mergeRanges(input)).toEqual([{ topic: 't', partition: 0, firstOffset: 0, lastOffset: 6 }]);
    expect(input[0]).toEqual({ topic: 't', partition: 0, firstOffset: 5, lastOffset: 6 });
  });
});
