import { hostname } from 'node:os';
import { nullableNumberOf, nullableStringOf, queryRows, stringOf, type Pool } from '../../infra/mysql.js';

/** A run whose owner has not reported in for this long was left behind by a dead process. */
const STALE_AFTER_MS = 30_000;

/** Another live bench uses the same topics: this one must not start (it would recreate them). */
export class RunConflictError extends Error {
  override name = 'RunConflictError';
}

function ownerId(): string {
  return `${hostname()}:${process.pid}`;
}

/** An owner on this machine whose process is gone (on another machine only the heartbeat tells). */
function ownerGone(owner: string | null): boolean {
  const m = owner ? /^(.*):(\d+)$/.exec(owner) : null;
  if (!m || m[1] !== hostname()) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Register a run in `runs`, under a lock so that two benches starting at once cannot both
 * pass the check: runs left `running` by a dead process become `aborted`; a live run on any
 * of the same topics refuses this one (two benches on one broker would delete each other's
 * topics); otherwise the run is inserted, owned by this process.
 */
export async function registerRun(
  pool: Pool,
  run: { runId: string; topics: string[]; parameters: unknown; environment: unknown },
  now: () => number = Date.now,
): Promise<{ aborted: string[] }> {
  const conn = await pool.getConnection();
  try {
    const lock = await queryRows(conn, `SELECT GET_LOCK('vitals_bench_runs', 30) AS got`, undefined, (r) => ({
      got: nullableNumberOf(r.got),
    }));
    if (lock[0]?.got !== 1) throw new Error('could not take the run registry lock within 30 s');
    const running = await queryRows(
      conn,
      `SELECT run_id, heartbeat_at, owner FROM runs WHERE status = 'running'`,
      undefined,
      (r) => ({
        run_id: stringOf(r.run_id),
        heartbeat_at: nullableNumberOf(r.heartbeat_at),
        owner: nullableStringOf(r.owner),
      }),
    );
    const aborted = running
      .filter((r) => r.heartbeat_at === null || r.heartbeat_at < now() - STALE_AFTER_MS || ownerGone(r.owner))
      .map((r) => r.run_id);
    if (aborted.length) await conn.query(`UPDATE runs SET status = 'aborted' WHERE run_id IN (?)`, [aborted]);
    const live = await queryRows(
      conn,
      `SELECT run_id, owner, topics FROM runs WHERE status = 'running'`,
      undefined,
      (r) => ({ run_id: stringOf(r.run_id), owner: nullableStringOf(r.owner), topics: nullableStringOf(r.topics) }),
    );
    for (const r of live) {
      const shared = (r.topics ?? '').split(',').filter((t) => run.topics.includes(t));
      if (shared.length) {
        throw new RunConflictError(
          `another bench is running on the same topics (run ${r.run_id}, owner ${r.owner ?? 'unknown'}, topics ${shared.join(', ')}): ` +
            'wait for it to end, or give this one its own topics with --topic-prefix',
        );
      }
    }
    await conn.query(
      'INSERT INTO runs (run_id, status, parameters, environment, heartbeat_at, owner, topics) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [
        run.runId,
        'running',
        JSON.stringify(run.parameters),
        JSON.stringify(run.environment),
        now(),
        ownerId(),
        run.topics.join(','),
      ],
    );
    return { aborted };
  } finally {
    await conn.query(`SELECT RELEASE_LOCK('vitals_bench_runs')`).catch(() => undefined);
    conn.release();
  }
}

/** The owner reports in; doubles as the harness's probe that the database answers. */
export async function heartbeat(pool: Pool, runId: string, now: () => number = Date.now): Promise<void> {
  await pool.query('UPDATE runs SET heartbeat_at = ? WHERE run_id = ?', [now(), runId]);
}

export type RunStatus = 'passed' | 'failed' | 'incomplete' | 'aborted';

export async function setRunStatus(pool: Pool, runId: string, status: RunStatus): Promise<void> {
  await pool.query('UPDATE runs SET status = ? WHERE run_id = ?', [status, runId]);
}

/** Another run that was live while this one ran, and for how long the two overlapped. */
export interface OverlappingRun {
  run_id: string;
  topics: string;
  overlap_s: number;
}

/**
 * Runs other than `runId` that were live (registered, and reporting in) at some time between
 * `fromMs` and `toMs`: they shared this run's broker and database, whose CPU then includes theirs.
 */
export async function overlappingRuns(
  pool: Pool,
  runId: string,
  fromMs: number,
  toMs: number,
): Promise<OverlappingRun[]> {
  const rows = await queryRows(
    pool,
    `SELECT run_id, topics, CAST(UNIX_TIMESTAMP(created_at) * 1000 AS DOUBLE) AS created_ms, heartbeat_at
       FROM runs WHERE run_id <> ? AND heartbeat_at >= ? AND created_at <= FROM_UNIXTIME(? / 1000)`,
    [runId, fromMs, toMs],
    (r) => ({
      run_id: stringOf(r.run_id),
      topics: nullableStringOf(r.topics) ?? '',
      created: nullableNumberOf(r.created_ms) ?? fromMs,
      last: nullableNumberOf(r.heartbeat_at) ?? fromMs,
    }),
  );
  return rows
    .map((r) => ({
      run_id: r.run_id,
      topics: r.topics,
      overlap_s: Math.round((Math.min(toMs, r.last) - Math.max(fromMs, r.created)) / 100) / 10,
    }))
    .filter((r) => r.overlap_s > 0);
}
