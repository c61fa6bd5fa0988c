/**
 * The observer's thread inside the database, at the observer's own priority. MariaDB serves each
 * connection on a thread of its own (thread-per-connection) and names that thread in
 * information_schema.PROCESSLIST.TID; a poll is as late as the slower of the observer and that
 * thread, so raising only the observer leaves its query queued behind the engines' writes on a
 * loaded machine. Only a thread of a database server on this machine is touched (its /proc entry
 * belongs to a mariadbd or mysqld process); a server elsewhere, or in a container whose thread
 * ids are not this machine's, is left alone and said so. A raised thread is put back to niceness
 * 0 when the observer is done: MariaDB keeps finished threads in its cache for later connections.
 */
import { readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

const SERVER_NAMES = new Set(['mariadbd', 'mysqld']);

/** The query that names the thread serving this connection (MariaDB 10.5 and later). */
export const THREAD_ID_QUERY = 'SELECT TID AS tid FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()';

/** Whether `tid` is a thread of a database server process on this machine. */
export function isLocalDatabaseThread(tid: number): boolean {
  if (!Number.isInteger(tid) || tid <= 0) return false;
  try {
    const status = readFileSync(`/proc/${tid}/status`, 'utf8');
    const tgid = /^Tgid:\s*(\d+)/m.exec(status)?.[1];
    if (tgid === undefined) return false;
    return SERVER_NAMES.has(readFileSync(`/proc/${tgid}/comm`, 'utf8').trim());
  } catch {
    return false;
  }
}

/**
 * Sets the database thread's niceness to `nice`; says what it got ("nice -5", or why not). A
 * niceness of 0 asks for nothing (the observer itself was not raised).
 */
export function raiseDatabaseThread(tid: number | undefined, nice: number): string {
  if (nice === 0) return 'default (the observer runs at the default)';
  if (tid === undefined) return 'default (the server does not name its thread)';
  if (!isLocalDatabaseThread(tid)) return 'default (not a database thread on this machine)';
  try {
    setPriority(tid, nice);
    return `nice ${getPriority(tid)}`;
  } catch (err) {
    return `default (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
}

/** Puts raised threads back to niceness 0 (those still database threads here); says each that could not be. */
export function restoreDatabaseThreads(tids: Iterable<number>, say: (line: string) => void): void {
  for (const tid of tids) {
    const failure = restoreDatabaseThread(tid);
    if (failure) say(`[observer] ${failure}`);
  }
}

/** Puts a raised thread back to niceness 0, if it is still a database thread here; says why it could not. */
export function restoreDatabaseThread(tid: number): string | undefined {
  if (!isLocalDatabaseThread(tid)) return undefined;
  try {
    setPriority(tid, 0);
    return undefined;
  } catch (err) {
    return `the database thread ${tid} stays at its raised priority: ${(err as Error).message}`;
  }
}
