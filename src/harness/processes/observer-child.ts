/**
 * The observer process forked by the harness (observer-process.ts): it runs the results
 * observer's loop on an event loop of its own, so that its timing does not depend on the
 * harness's sampling and bookkeeping, and sends back what it saw when asked to stop.
 */
import { getPriority } from 'node:os';
import { createPool, type Pool } from '../../infra/mysql.js';
import { ResultsObserver, type Sighting } from '../measure/results-observer.js';
import { raiseDatabaseThread, restoreDatabaseThreads, THREAD_ID_QUERY } from './database-thread.js';
import type { FromObserver, SightingTriples, ToObserver } from './observer-protocol.js';

const send = (m: FromObserver): Promise<void> =>
  new Promise((resolve) => (process.connected ? process.send!(m, () => resolve()) : resolve()));

// Ctrl-C reaches the whole process group; the harness decides and sends 'stop'.
process.on('SIGINT', () => undefined);
// The harness is gone: nothing to report to.
process.on('disconnect', () => {
  restoreThreads();
  process.exit(0);
});

let running: { observer: ResultsObserver; loop: Promise<void>; startedAt: number } | undefined;
/** The database threads raised for this observer's connections, restored when it is done. */
const raisedThreads = new Set<number>();

/** mysql2's promise pool passes its core connection to 'connection' listeners (its typings say otherwise). */
interface CoreConnection {
  query(sql: string, cb: (err: Error | null, rows: Array<{ tid?: number | null }>) => void): void;
}

/**
 * Each new connection's database thread at the observer's own niceness; the name query is queued
 * on the connection ahead of the first round's.
 */
function raiseEachConnection(pool: Pool): void {
  const nice = getPriority();
  pool.on('connection', (conn) => {
    (conn as unknown as CoreConnection).query(THREAD_ID_QUERY, (err, rows) => {
      const tid = err ? undefined : (rows[0]?.tid ?? undefined);
      const priority = err ? `default (${err.message})` : raiseDatabaseThread(tid, nice);
      if (tid !== undefined && priority.startsWith('nice ')) raisedThreads.add(tid);
      void send({ type: 'database-thread', ...(tid !== undefined ? { tid } : {}), priority });
    });
  });
}

function restoreThreads(): void {
  restoreDatabaseThreads(raisedThreads, (line) => process.stderr.write(`${line}\n`));
  raisedThreads.clear();
}

process.on('message', (m: ToObserver) => {
  if (m.type === 'start') void start(m);
  else void stop();
});

async function start(m: Extract<ToObserver, { type: 'start' }>): Promise<void> {
  const pool = createPool(m.mysqlUrl, { connectionLimit: 1 });
  raiseEachConnection(pool);
  const observer = new ResultsObserver(pool, m.runId, m.sources, m.intervalMs);
  let lastProgress = 0;
  let lastFailure = '';
  await send({ type: 'ready' });
  const loop = observer.run(
    () => {
      const now = Date.now();
      if (now - lastProgress < 250) return;
      lastProgress = now;
      void send({ type: 'progress', lastNewAt: Object.fromEntries(observer.lastNewAt) });
    },
    (err) => {
      // The database away: the next round (or the harness's final scan) sees the rows. Said once per message.
      if (err.message !== lastFailure) void send({ type: 'round-failed', message: err.message });
      lastFailure = err.message;
    },
  );
  const closed = loop.finally(() => pool.end().catch(() => undefined)).finally(restoreThreads);
  running = { observer, loop: closed, startedAt: Date.now() };
}

/**
 * Triples a message carries at most: a long run's sightings (2.1 million in the one-hour soak)
 * in one message held the whole report twice in the harness, as JSON text and as arrays.
 */
const SIGHTINGS_PER_MESSAGE = 50_000;

/** A mode's sightings in id order, a chunk per message, each sent before the next is built. */
async function sendSightings(mode: string, seen: ReadonlyMap<number, Sighting>): Promise<void> {
  const ids = [...seen.keys()].sort((a, b) => a - b);
  for (let k = 0; k === 0 || k < ids.length; k += SIGHTINGS_PER_MESSAGE) {
    const triples: SightingTriples = ids.slice(k, k + SIGHTINGS_PER_MESSAGE).map((id) => {
      const s = seen.get(id)!;
      return [id, s.at, s.notBefore];
    });
    await send({ type: 'sightings', mode, triples });
  }
}

async function stop(): Promise<void> {
  if (!running) return process.exit(0);
  const { observer, loop, startedAt } = running;
  observer.stop();
  await loop;
  for (const [mode, seen] of observer.sightings()) await sendSightings(mode, seen);
  const stats = observer.stats();
  const cpu = process.cpuUsage();
  await send({
    type: 'done',
    stats: {
      ...stats,
      cpuMs: (cpu.user + cpu.system) / 1000,
      queriesPerS: stats.rounds / Math.max(1e-3, (Date.now() - startedAt) / 1000),
    },
  });
  process.exit(0);
}
