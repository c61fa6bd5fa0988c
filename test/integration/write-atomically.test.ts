import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, insertStatements, queryRows, writeAtomically, type Pool } from '../../src/infra/mysql.js';
import { config } from './helpers.js';

// writeAtomically on the real database: all or none, with no round trip for nothing, one
// statement alone in autocommit and BEGIN/COMMIT only around several. The counts come from the
// server's own per-session counters, on a pool of one connection (one session).
describe('writeAtomically', () => {
  const table = `it_atomic_${randomUUID().slice(0, 8)}`;
  let pool: Pool;

  const counters = async (): Promise<Record<string, number>> => {
    const rows = await queryRows(
      pool,
      `SHOW SESSION STATUS WHERE Variable_name IN ('Com_begin', 'Com_commit', 'Com_insert', 'Com_rollback')`,
      undefined,
      (r) => ({ name: String(r.Variable_name), value: Number(r.Value) }),
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  };
  const delta = async (action: () => Promise<unknown>): Promise<Record<string, number>> => {
    const before = await counters();
    await action();
    const after = await counters();
    return Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - (before[k] ?? 0)]));
  };
  const ids = async (): Promise<number[]> =>
    queryRows(pool, `SELECT id FROM ${table} ORDER BY id`, undefined, (r) => Number(r.id));
  const insert = (rows: number[][]) => insertStatements(`INSERT INTO ${table} (id, v)`, rows);

  beforeAll(async () => {
    pool = createPool(config.mysqlUrl, { connectionLimit: 1 });
    await pool.query(`CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY, v INT NOT NULL)`);
  });
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it('sends nothing when there is nothing to write', async () => {
    let made = -1;
    const d = await delta(async () => (made = await writeAtomically(pool, insert([]))));
    expect(made).toBe(0);
    expect(d).toEqual({ Com_begin: 0, Com_commit: 0, Com_insert: 0, Com_rollback: 0 });
  });

  it('sends one statement alone, without BEGIN or COMMIT', async () => {
    let made = -1;
    const d = await delta(
      async () =>
        (made = await writeAtomically(
          pool,
          insert([
            [1, 10],
            [2, 20],
          ]),
        )),
    );
    expect(made).toBe(1);
    expect(d).toEqual({ Com_begin: 0, Com_commit: 0, Com_insert: 1, Com_rollback: 0 });
    expect(await ids()).toEqual([1, 2]);
  });

  it('wraps several statements in one transaction', async () => {
    let made = -1;
    const statements = [...insert([[3, 30]]), ...insert([[4, 40]])];
    const d = await delta(async () => (made = await writeAtomically(pool, statements)));
    expect(made).toBe(1);
    expect(d).toEqual({ Com_begin: 1, Com_commit: 1, Com_insert: 2, Com_rollback: 0 });
    expect(await ids()).toEqual([1, 2, 3, 4]);
  });

  it('writes nothing of several statements when a later one fails', async () => {
    // The second statement repeats key 1: the first one's row 5 must be rolled back with it.
    const statements = [...insert([[5, 50]]), ...insert([[1, 11]])];
    await expect(writeAtomically(pool, statements)).rejects.toThrow(/Duplicate entry/);
    expect(await ids()).toEqual([1, 2, 3, 4]);
  });

  it('writes no row of a single statement that fails on one of its rows', async () => {
    await expect(
      writeAtomically(
        pool,
        insert([
          [6, 60],
          [2, 21],
        ]),
      ),
    ).rejects.toThrow(/Duplicate entry/);
    expect(await ids()).toEqual([1, 2, 3, 4]);
  });
});
