import { describe, expect, it } from 'vitest';
import { sentAtHeader } from '../../../src/pipelines/consumer-loop.js';

describe('sentAtHeader', () => {
  it('reads t_sent as a whole number of ms from a Buffer or a string', () => {
    expect(sentAtHeader({ t_sent: Buffer.from('1700000000123') })).toBe(1_700_000_000_123);
    expect(sentAtHeader({ t_sent: '42' })).toBe(42);
  });

  it('gives null, never an error, for a missing or malformed header (it is measurement metadata)', () => {
    expect(sentAtHeader(undefined)).toBeNull();
    expect(sentAtHeader({})).toBeNull();
    expect(sentAtHeader({ t_sent: Buffer.from('12.5') })).toBeNull();
    expect(sentAtHeader({ t_sent: Buffer.from('-3') })).toBeNull();
    expect(sentAtHeader({ t_sent: Buffer.from('') })).toBeNull();
    expect(sentAtHeader({ t_sent: Buffer.from('99999999999999999') })).toBeNull();
    expect(sentAtHeader({ t_sent: [Buffer.from('1')] as unknown as Buffer })).toBeNull();
  });
});
