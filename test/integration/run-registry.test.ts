import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/pipelines/store/schema.js';
import { heartbeat, overlappingRuns, registerRun, setRunStatus } from '../../src/harness/run/run-registry.js';
import { isolation, openPool } from './helpers.js';

describe('the run registry on the real database', () => {
  const pool = openPool();
  afterAll(async () => (await pool).end());

  it('names the other runs that were live while a run ran (they shared its servers), with their overlap', async () => {
    const p = await pool;
    await migrate(p);
    const mine = isolation('mine');
    const other = isolation('other');
    const earlier = isolation('earlier');
    const t0 = Date.now();
    const reg = (id: string, topics: string[], at: number): Promise<unknown> =>
      registerRun(p, { runId: id, topics, parameters: {}, environment: {} }, () => at);
    await reg(earlier.runId, [`${earlier.prefix}t`], t0 - 60_000);
    await setRunStatus(p, earlier.runId, 'passed');
    await reg(mine.runId, [`${mine.prefix}t`], t0);
    await reg(other.runId, [`${other.prefix}t`], t0);
    await heartbeat(p, other.runId, () => t0 + 20_000);
    await heartbeat(p, earlier.runId, () => t0 - 50_000);
    const found = await overlappingRuns(p, mine.runId, t0, t0 + 30_000);
    const names = found.map((r) => r.run_id);
    expect(names).toContain(other.runId);
    expect(names).not.toContain(mine.runId);
    // The earlier run last reported in before this one began: it shared nothing.
    expect(names).not.toContain(earlier.runId);
    const o = found.find((r) => r.run_id === other.runId)!;
    expect(o.topics).toBe(`${other.prefix}t`);
    expect(o.overlap_s).toBeGreaterThan(15);
    expect(o.overlap_s).toBeLessThanOrEqual(20.5);
    for (const r of [mine, other]) await setRunStatus(p, r.runId, 'passed');
  });
});
