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
    // mysql2's promise API otherwise captures a stack trace (Error.captureStackTrace) on every
    // query to decorate a failure's stack: a cost paid on every statement of the hot paths. A
    // failure still carries its message, code and SQL state.
    trace: false,
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

/** One SQL statement and its values, as mysql2's `query` takes them. */
export interface Statement {
  sql: string;
  values: unknown[];
}

/**
 * Multi-row INSERT statements in chunks (mysql2 `VALUES ?` with arrays of arrays): at most
 * chunkSize rows and maxStatementBytes bytes per statement (statement-size.ts), so that no
 * statement exceeds the server's max_allowed_packet whatever the rows hold.
 */
export function insertStatements(
  sqlPrefix: string,
  rows: unknown[][],
  sqlSuffix = '',
  chunkSize = 2000,
  maxStatementBytes = DEFAULT_STATEMENT_BYTES,
): Statement[] {
  const textBytes = Buffer.byteLength(sqlPrefix) + Buffer.byteLength(sqlSuffix) + 16;
  return chunkRows(rows, chunkSize, maxStatementBytes - textBytes).map((chunk) => ({
    sql: `${sqlPrefix} VALUES ? ${sqlSuffix}`,
    values: [chunk],
  }));
}

/** Multi-row INSERT in chunks (insertStatements) on one connection; returns the affected rows. */
export async function bulkInsert(
  conn: { query: Pool['query'] },
  sqlPrefix: string,
  rows: unknown[][],
  sqlSuffix = '',
  chunkSize = 2000,
  maxStatementBytes = DEFAULT_STATEMENT_BYTES,
): Promise<number> {
  let affected = 0;
  for (const { sql, values } of insertStatements(sqlPrefix, rows, sqlSuffix, chunkSize, maxStatementBytes)) {
    const [result] = await conn.query(sql, values);
    affected += (result as { affectedRows: number }).affectedRows;
  }
  return affected;
}

/**
 * Apply the statements all or none, with the fewest round trips: none at all when there is
 * nothing to write; one statement alone in autocommit (a statement is its own transaction,
 * rolled back whole if it fails); several in one transaction (BEGIN ... COMMIT). An empty
 * BEGIN/COMMIT makes nothing durable and cost two round trips. Returns the database
 * transactions made (0 or 1).
 */
export async function writeAtomically(pool: Pool, statements: readonly Statement[]): Promise<number> {
  if (statements.length === 0) return 0;
  if (statements.length === 1) {
    await pool.query(statements[0]!.sql, statements[0]!.values);
    return 1;
  }
  await inTransaction(pool, async (conn) => {
    for (const { sql, values } of statements) await conn.query(sql, values);
  });
  return 1;
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
