import mysql, { type Pool, type PoolOptions } from 'mysql2/promise';
import { chunkRows, DEFAULT_STATEMENT_BYTES } from './statement-size.js';

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

/**
 * Multi-row INSERT in chunks (mysql2 `VALUES ?` with arrays of arrays): at most chunkSize rows
 * and maxStatementBytes bytes per statement (statement-size.ts), so that no statement exceeds
 * the server's max_allowed_packet whatever the rows hold.
 */
export async function bulkInsert(
  conn: { query: Pool['query'] },
  sqlPrefix: string,
  rows: unknown[][],
  sqlSuffix = '',
  chunkSize = 2000,
  maxStatementBytes = DEFAULT_STATEMENT_BYTES,
): Promise<number> {
  let affected = 0;
  const textBytes = Buffer.byteLength(sqlPrefix) + Buffer.byteLength(sqlSuffix) + 16;
  for (const chunk of chunkRows(rows, chunkSize, maxStatementBytes - textBytes)) {
    const [result] = await conn.query(`${sqlPrefix} VALUES ? ${sqlSuffix}`, [chunk]);
    affected += (result as { affectedRows: number }).affectedRows;
  }
  return affected;
}

/** One result row as mysql2 returns it: column name (or alias) -> value. */
export type SqlRow = Record<string, unknown>;

/** A pool or one of its connections: what queryRows needs. */
export interface Queryable {
  query(sql: string, values?: unknown): Promise<[unknown, unknown]>;
}

/**
 * Run a SELECT and decode each row with decode, which converts every column it uses
 * explicitly (BIGINT, DECIMAL and aggregates such as SUM() may come back as strings:
 * numberOf / nullableNumberOf). Throws when the statement returns no result set.
 */
export async function queryRows<T>(
  db: Queryable,
  sql: string,
  params: readonly unknown[] | undefined,
  decode: (row: SqlRow) => T,
): Promise<T[]> {
  const [rows] = await (params === undefined ? db.query(sql) : db.query(sql, params));
  if (!Array.isArray(rows)) throw new Error(`expected rows from: ${sql.trim().split(/\s+/).slice(0, 6).join(' ')} ...`);
  return rows.map((row: unknown) => decode(row as SqlRow));
}

/** A numeric column (a number, or a BIGINT/DECIMAL string), through Number(). */
export function numberOf(value: unknown): number {
  return Number(value);
}

/** A nullable numeric column: null stays null, anything else goes through Number(). */
export function nullableNumberOf(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** A text column (a number or a binary string is converted; NULL or anything else is refused). */
export function stringOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  throw new TypeError(`expected a text column, got ${value === null ? 'NULL' : typeof value}`);
}

/** A nullable text column: null stays null. */
export function nullableStringOf(value: unknown): string | null {
  return value === null || value === undefined ? null : stringOf(value);
}
