import { describe, expect, it } from 'vitest';
import { SafeOffsets } from '../../../src/pipelines/safe-offsets.js';

const P = 't:0';

describe('SafeOffsets', () => {
  it('with no open window, the safe offset is the next one to read', () => {
    const s = new SafeOffsets();
    expect(s.safeOffset(P)).toBe(0);
    s.advance(P, 't', 0, 9);
    expect(s.safeOffset(P)).toBe(10);
    expect(s.nextOf(P)).toEqual({ topic: 't', partition: 0, offset: 10 });
  });

  it('an open window holds its partition back to its oldest reading, until it closes', () => {
    const s = new SafeOffsets();
    s.addReading('30|1001|0', P, 't', 0, 3);
    s.addReading('30|1001|0', P, 't', 0, 7);
    s.addReading('30|1002|0', P, 't', 0, 5);
    s.advance(P, 't', 0, 9);
    expect(s.safeOffset(P)).toBe(3);
    expect(s.closeWindow('30|1001|0')).toEqual({ partitionKey: P, topic: 't', partition: 0, minOffset: 3 });
    expect(s.safeOffset(P)).toBe(5);
    s.closeWindow('30|1002|0');
    expect(s.safeOffset(P)).toBe(10);
  });

  it('windows of other partitions do not hold this one back', () => {
    const s = new SafeOffsets();
    s.addReading('30|1001|0', 't:1', 't', 1, 2);
    s.advance(P, 't', 0, 4);
    s.advance('t:1', 't', 1, 8);
    expect(s.safeOffset(P)).toBe(5);
    expect(s.safeOffset('t:1')).toBe(2);
  });

  it('a lower offset reaching an existing window (a re-read) lowers it, and the partition is scanned in full', () => {
    const s = new SafeOffsets();
    s.addReading('w1', P, 't', 0, 10);
    s.addReading('w2', P, 't', 0, 12);
    s.addReading('w2', P, 't', 0, 4); // re-read after a rebalance: older than w1's oldest
    s.advance(P, 't', 0, 12);
    expect(s.safeOffset(P)).toBe(4);
    s.closeWindow('w2');
    expect(s.safeOffset(P)).toBe(10);
  });

  it('closing an unknown window changes nothing', () => {
    const s = new SafeOffsets();
    s.addReading('w1', P, 't', 0, 1);
    s.advance(P, 't', 0, 5);
    expect(s.closeWindow('nope')).toBeUndefined();
    expect(s.safeOffset(P)).toBe(1);
  });
});
