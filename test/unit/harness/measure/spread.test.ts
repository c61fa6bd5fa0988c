import { describe, expect, it } from 'vitest';
import { fmtSpread, fmtValue } from '../../../../src/harness/report/format.js';
import { median, spread } from '../../../../src/harness/measure/spread.js';

describe('median and spread', () => {
  it('median of an odd count is the middle value, of an even count the mean of the two middle ones', () => {
    expect(median([7])).toBe(7);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 40, 20, 30])).toBe(25); // (20 + 30) / 2
    expect(median([5, 1, 100, 2, 3])).toBe(3); // 1 2 [3] 5 100
    expect(median([])).toBeNaN();
  });

  it('spread: median, min, max and count of the finite values, missing ones left out', () => {
    expect(spread([12, 8, 30])).toEqual({ n: 3, median: 12, min: 8, max: 30 });
    expect(spread([4, undefined, 6, null, Number.NaN])).toEqual({ n: 2, median: 5, min: 4, max: 6 });
    expect(spread([undefined, null])).toBeUndefined();
    expect(spread([])).toBeUndefined();
  });

  it('formats "median unit (min..max, n=count)"', () => {
    const f = (v: number) => v.toFixed(1);
    expect(fmtSpread(spread([12, 8, 30]), f, ' ms')).toBe('12.0 ms (8.0..30.0, n=3)');
    expect(fmtSpread(spread([7]), f, ' ms')).toBe('7.0 ms (n=1)');
    expect(fmtSpread(spread([4, undefined, 6]), f, '', 3)).toBe('5.0 (4.0..6.0, n=2 of 3)');
    expect(fmtSpread(undefined, f, ' ms')).toBe('n/a');
  });

  it('swept values print without spurious decimals', () => {
    expect(fmtValue(10)).toBe('10');
    expect(fmtValue(2.5)).toBe('2.5');
    expect(fmtValue(0.05)).toBe('0.05');
    expect(fmtValue(0.1 + 0.2)).toBe('0.3');
    expect(fmtValue(Number.NaN)).toBe('n/a');
  });
});
