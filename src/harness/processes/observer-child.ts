/**
 * The observer process forked by the harness (observer-process.ts): it runs the results
 * observer's loop on an event loop of its own, so that its timing does not depend on the
 * harness's sampling and bookkeeping, and sends back what it saw when asked to stop.
 */
import { createPool } from '../../infra/mysql.js';
import { ResultsObserver } from '../measure/results-observer.js';
import type { FromObserver, SightingTriples, ToObserver } from './observer-protocol.js';

const send = (m: FromObserver): Promise<void> =>
  new Promise((resolve) => (process.connected ? process.send!(m, () => resolve()) : resolve()));

// Ctrl-C reaches the whole process group; the harness decides and sends 'stop'.
process.on('SIGINT', () => undefined);
// The harness is gone: nothing to report to.
process.on('disconnect', () => process.exit(0));

let running: { observer: ResultsObserver; loop: Promise<void>; startedAt: number } | undefined;

process.on('message', (m: ToObserver) => {
  if (m.type === 'start') void start(m);
  else void stop();
});

async function start(m: Extract<ToObserver, { type: 'start' }>): Promise<void> {
  const pool = createPool(m.mysqlUrl, { connectionLimit: 1 });
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
  running = { observer, loop: loop.finally(() => pool.end().catch(() => undefined)), startedAt: Date.now() };
}

async function stop(): Promise<void> {
  if (!running) return process.exit(0);
  const { observer, loop, startedAt } = running;
  observer.stop();
  await loop;
  const sightings: SightingTriples = {};
  for (const [mode, seen] of observer.sightings())
    sightings[mode] = [...seen].map(([id, s]) => [id, s.at, s.notBefore]);
  const stats = observer.stats();
  const cpu = process.cpuUsage();
  await send({
    type: 'done',
    sightings,
    stats: {
      ...stats,
      cpuMs: (cpu.user + cpu.system) / 1000,
      queriesPerS: stats.rounds / Math.max(1e-3, (Date.now() - startedAt) / 1000),
    },
  });
  process.exit(0);
}
