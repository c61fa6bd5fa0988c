import { getPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isLocalDatabaseThread,
  raiseDatabaseThread,
  restoreDatabaseThread,
  THREAD_ID_QUERY,
} from '../../src/harness/processes/database-thread.js';
import { createPool, queryRows, type Pool } from '../../src/infra/mysql.js';
import { config } from './helpers.js';

// The observer's thread inside the real MariaDB: named by the server, raised to the observer's
// niceness where this process may raise one (root or CAP_SYS_NICE), put back to 0 afterwards;
// anything that is not a database thread on this machine is never touched.
describe("the observer's database thread (database-thread.ts)", () => {
  let pool: Pool;
  let tid: number;
  const mayRaise = process.getuid?.() === 0;

  beforeAll(async () => {
    pool = createPool(config.mysqlUrl, { connectionLimit: 1 });
    tid = (await queryRows(pool, THREAD_ID_QUERY, undefined, (r) => Number(r.tid)))[0]!;
  });
  afterAll(async () => {
    restoreDatabaseThread(tid);
    await pool.end();
  });

  it("is named by the server and is a thread of this machine's mariadbd", () => {
    expect(tid).toBeGreaterThan(0);
    expect(isLocalDatabaseThread(tid)).toBe(true);
    expect(isLocalDatabaseThread(process.pid)).toBe(false);
    expect(isLocalDatabaseThread(0)).toBe(false);
  });

  it('is raised to the niceness asked for and restored to 0', () => {
    const got = raiseDatabaseThread(tid, -5);
    if (mayRaise) {
      expect(got).toBe('nice -5');
      expect(getPriority(tid)).toBe(-5);
    } else {
      expect(got).toMatch(/^default \(E(ACCES|PERM)/);
    }
    expect(restoreDatabaseThread(tid)).toBeUndefined();
    expect(getPriority(tid)).toBe(0);
  });

  it('leaves alone what is not a local database thread, and asks nothing of an observer at the default', () => {
    const before = getPriority(process.pid);
    expect(raiseDatabaseThread(process.pid, -5)).toBe('default (not a database thread on this machine)');
    expect(getPriority(process.pid)).toBe(before);
    expect(raiseDatabaseThread(undefined, -5)).toBe('default (the server does not name its thread)');
    expect(raiseDatabaseThread(tid, 0)).toBe('default (the observer runs at the default)');
    expect(getPriority(tid)).toBe(0);
  });
});
