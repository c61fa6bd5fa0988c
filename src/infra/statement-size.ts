/**
 * How large a statement the writers may send. The server refuses a packet larger than its
 * max_allowed_packet (MariaDB answers errno 1153 and closes the connection; a statement above
 * 16 MiB, which the protocol splits, shows as a reset connection instead, which looks
 * retriable): a multi-row INSERT is cut into statements that each stay below the limit.
 */

/** The statement limit when the server's is not known: below every server default since MySQL 5.6 (4 MiB). */
export const DEFAULT_STATEMENT_BYTES = 1024 * 1024;

/** Larger statements gain nothing: a few MiB already amortise a round trip. */
const MAX_STATEMENT_BYTES = 8 * 1024 * 1024;

/** Room for the packet header, the command byte and the statement's own text around its values. */
const PACKET_MARGIN_BYTES = 16 * 1024;

/** The statement limit for a server whose max_allowed_packet is `maxAllowedPacket` bytes. */
export function statementBudget(maxAllowedPacket: number): number {
  return Math.max(1024, Math.min(MAX_STATEMENT_BYTES, maxAllowedPacket - PACKET_MARGIN_BYTES));
}

/** The server's max_allowed_packet, in bytes (read once at start by each writer): `db` a pool or a connection. */
export async function readMaxAllowedPacket(db: { query(sql: string): Promise<[unknown, unknown]> }): Promise<number> {
  const [rows] = await db.query('SELECT @@max_allowed_packet AS max_allowed_packet');
  const value = Number((rows as Array<{ max_allowed_packet: unknown }>)[0]?.max_allowed_packet);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`the server reported max_allowed_packet ${String(value)}`);
  return value;
}

/**
 * An upper bound of the bytes a value takes in a statement as mysql2 writes it: a Buffer as
 * X'hex', a string escaped (every byte may double) and quoted, a number as its digits.
 */
export function valueBytes(v: unknown): number {
  if (v === null || v === undefined) return 4;
  if (Buffer.isBuffer(v)) return 2 * v.length + 3;
  if (typeof v === 'string') return 2 * Buffer.byteLength(v, 'utf8') + 2;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v).length;
  if (v instanceof Date) return 32;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + valueBytes(x) + 2, 2);
  return 2 * Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8') + 2;
}

/** A row's bytes in a multi-row VALUES list: its values, their commas and its parentheses. */
export function rowBytes(row: readonly unknown[]): number {
  let n = 4;
  for (const v of row) n += valueBytes(v) + 2;
  return n;
}

/**
 * Items cut into consecutive groups of at most maxItems items and at most maxBytes bytes
 * (bytesOf each) per group, in their order. An item larger than maxBytes on its own forms its
 * own group (the server may refuse it: a data refusal, isolated by the caller).
 */
export function chunkBy<T>(
  items: readonly T[],
  maxItems: number,
  maxBytes: number,
  bytesOf: (item: T) => number,
): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Rows of a multi-row INSERT cut into statements of at most maxRows rows and maxBytes estimated bytes. */
export function chunkRows<T extends readonly unknown[]>(rows: readonly T[], maxRows: number, maxBytes: number): T[][] {
  return chunkBy(rows, maxRows, maxBytes, rowBytes);
}
