import { describe, expect, it } from 'vitest';
import { partitionKey, readingKey, windowKey, windowSeriesKey } from '../../../src/domain/keys.js';
import { isMode, modeOf, MODES, ROLES } from '../../../src/domain/modes.js';

describe('shared keys keep their formats', () => {
  it('builds reading, partition and window keys', () => {
    expect(readingKey(12, 345)).toBe('12|345');
    expect(partitionKey('health_data_source1', 3)).toBe('health_data_source1:3');
    expect(windowSeriesKey(60, 12)).toBe('60|12');
    expect(windowKey(60, 12, 1700000040000)).toBe('60|12|1700000040000');
  });
});

describe('modes and roles', () => {
  it('lists the modes and the roles, and checks a mode read back', () => {
    expect(MODES).toEqual(['stream', 'batch']);
    expect(ROLES).toEqual(['ingest', 'stream', 'batch']);
    expect(isMode('batch')).toBe(true);
    expect(isMode('ingest')).toBe(false);
    expect(modeOf('stream')).toBe('stream');
    expect(() => modeOf('micro-batch')).toThrow(/unknown mode/);
  });
});
