import mysql, { type Pool, type PoolOptions } from 'mysql2/promise';

export type { Pool, PoolConnection } from 'mysql2/promise';

export function createPool(url: string, options: Partial<PoolOptions> = {}): Pool {
  return mysql.createPool({
    uri: url,
    connectionLimit: 4,
    // BIGINT event times stay exact numbers; DECIMAL temperatures come back as numbers.
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    timezone: 'Z',
    multipleStatements: false,
    ...options,
  });
}

/** Run fn in one transaction on one connection; roll back and rethrow on any error. */
export async function inTransaction<T>(pool: Pool, fn: (conn: mysql.PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const result = await fn(conn);
    await conn.commit();
    return result;
  } catch (err) {
    await conn.rollback().catch(() => {
      // The original error matters more; a failed rollback on a dead connection adds nothing.
    });
    throw err;
  } finally {
    conn.release();
  }
}

/** Multi-row INSERT in chunks (mysql2 `VALUES ?` with arrays of arrays). */
export async function bulkInsert(
  conn: { query: Pool['query'] },
  sqlPrefix: string,
  rows: unknown[][],
  sqlSuffix = '',
  chunkSize = 2000,
): Promise<number> {
  let affected = 0;
  for (let i = 0; i < rows.length; i += chunkSize) {
    const chunk = rows.slice(i, i + chunkSize);
    const [result] = await conn.query(`${sqlPrefix} VALUES ? ${sqlSuffix}`, [chunk]);
    affected += (result as { affectedRows: number }).affectedRows;
  }
  return affected;
}
