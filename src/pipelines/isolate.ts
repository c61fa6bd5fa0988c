import { refusedRejectionRow } from './rows.js';

/**
 * The database refused a value or a statement for its content or size (out of range, too long,
 * wrong type, NULL, larger than max_allowed_packet): the same rows would be refused on every
 * retry and after every restart. MySQL/MariaDB error numbers.
 */
const DATA_ERRNOS = new Set([
  1048, // ER_BAD_NULL_ERROR
  1118, // ER_TOO_BIG_ROWSIZE
  1136, // ER_WRONG_VALUE_COUNT_ON_ROW
  1153, // ER_NET_PACKET_TOO_LARGE (the server closes the connection after it)
  1162, // ER_TOO_LONG_STRING (a result longer than max_allowed_packet)
  1263, // ER_WARN_NULL_TO_NOTNULL
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1265, // WARN_DATA_TRUNCATED
  1292, // ER_TRUNCATED_WRONG_VALUE
  1300, // ER_INVALID_CHARACTER_STRING
  1301, // ER_WARN_ALLOWED_PACKET_OVERFLOWED
  1364, // ER_NO_DEFAULT_FOR_FIELD
  1365, // ER_DIVISION_BY_ZERO
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  1367, // ER_ILLEGAL_VALUE_FOR_TYPE
  1406, // ER_DATA_TOO_LONG
  1411, // ER_WRONG_VALUE_FOR_TYPE
  1416, // ER_CANT_CREATE_GEOMETRY_OBJECT
  3140, // ER_INVALID_JSON_TEXT (MySQL)
  4025, // ER_CONSTRAINT_FAILED (MariaDB CHECK)
]);

export function isDataError(err: unknown): boolean {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' && DATA_ERRNOS.has(errno);
}

export interface Isolated<T> {
  item: T;
  /** The database's own message for the refusal. */
  message: string;
}

/**
 * Write items; when the database refuses the write for a data reason, bisect: each half is
 * written on its own (its own transaction) until every refused item stands alone. Refused
 * items are returned with the database's message; every other item is written. Errors that
 * are not data errors propagate (the caller's retry policy has already handled them).
 * Items are written in their order, so a writer whose ids give commit order keeps it.
 */
export async function writeIsolating<T>(items: T[], write: (items: T[]) => Promise<void>): Promise<Array<Isolated<T>>> {
  if (items.length === 0) return [];
  try {
    await write(items);
    return [];
  } catch (err) {
    if (!isDataError(err)) throw err;
    if (items.length === 1) return [{ item: items[0]!, message: (err as Error).message }];
    const mid = Math.ceil(items.length / 2);
    const left = await writeIsolating(items.slice(0, mid), write);
    const right = await writeIsolating(items.slice(mid), write);
    return [...left, ...right];
  }
}

/**
 * Write rejected_readings rows, isolating any the database refuses: each of those is written
 * again without its payload and with the database's message (rows.ts refusedRejectionRow), so
 * that no rejected message can stop a writer either. Returns the rows written that way.
 */
export async function writeRejectedIsolating(
  rows: unknown[][],
  write: (rows: unknown[][]) => Promise<void>,
): Promise<Array<Isolated<unknown[]>>> {
  const refused = await writeIsolating(rows, write);
  if (refused.length > 0) await write(refused.map((r) => refusedRejectionRow(r.item, r.message)));
  return refused;
}
