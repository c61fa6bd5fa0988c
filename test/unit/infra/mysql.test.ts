import { describe, expect, it } from 'vitest';
import {
  nullableNumberOf,
  nullableStringOf,
  numberOf,
  queryRows,
  stringOf,
  type Queryable,
} from '../../../src/infra/mysql.js';

/** A pool stand-in: answers every query with the given result and records what it was asked. */
function fakePool(result: unknown): Queryable & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    query(...args: unknown[]) {
      calls.push(args);
      return Promise.resolve([result, []]);
    },
  };
}

describe('queryRows: typed rows from mysql2 results', () => {
  it('decodes each row, converting BIGINT/DECIMAL strings to numbers and keeping NULLs', async () => {
    const pool = fakePool([
      { patient_id: 7, event_time: '1700000000123', temp: '37.5', committed_at: null, owner: 'host:1' },
      { patient_id: 8, event_time: 1700000000456, temp: 36.9, committed_at: '1700000000999', owner: null },
    ]);
    const rows = await queryRows(pool, 'SELECT ... WHERE run_id = ?', ['r1'], (r) => ({
      patientId: numberOf(r.patient_id),
      eventTime: numberOf(r.event_time),
      temp: numberOf(r.temp),
      committedAt: nullableNumberOf(r.committed_at),
      owner: nullableStringOf(r.owner),
    }));
    expect(rows).toEqual([
      { patientId: 7, eventTime: 1700000000123, temp: 37.5, committedAt: null, owner: 'host:1' },
      { patientId: 8, eventTime: 1700000000456, temp: 36.9, committedAt: 1700000000999, owner: null },
    ]);
    expect(pool.calls).toEqual([['SELECT ... WHERE run_id = ?', ['r1']]]);
  });

  it('passes no values when there are no parameters, and returns [] for no rows', async () => {
    const pool = fakePool([]);
    expect(await queryRows(pool, 'SELECT 1 AS x', undefined, (r) => numberOf(r.x))).toEqual([]);
    expect(pool.calls).toEqual([['SELECT 1 AS x']]);
  });

  it('refuses a result that is not rows (a write statement)', async () => {
    const pool = fakePool({ affectedRows: 1 });
    await expect(queryRows(pool, 'UPDATE runs SET status = ?', ['x'], (r) => r)).rejects.toThrow(/expected rows/);
  });
});

describe('column decoders', () => {
  it('convert like Number()/String(), keeping null (and an absent column) as null where nullable', () => {
    expect(numberOf('9007199254740991')).toBe(9007199254740991);
    expect(numberOf('12.30')).toBe(12.3);
    expect(nullableNumberOf(null)).toBeNull();
    expect(nullableNumberOf(undefined)).toBeNull();
    expect(nullableNumberOf('0')).toBe(0);
    expect(stringOf(42)).toBe('42');
    expect(nullableStringOf(null)).toBeNull();
    expect(nullableStringOf('a')).toBe('a');
    expect(stringOf(Buffer.from('Device_A'))).toBe('Device_A');
    expect(() => stringOf(null)).toThrow(/NULL/);
  });
});
