import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResultsObserver } from '../../src/harness/measure/results-observer.js';
import { migrate } from '../../src/pipelines/store/schema.js';
import type { RunResult } from '../../src/results/schema.js';
import { isolation, openPool, runCli, sleep } from './helpers.js';

const JOB = 'node test/fixtures/external-job.mjs --declare';

describe('the results observer (METRICS.md "Visibility latency") on the real database', () => {
  const pool = openPool();
  afterAll(async () => (await pool).end());

  it('sees each new row once, stamped with the query that returned it; a row committed out of id order at the next round, or by a sweep', async () => {
    const p = await pool;
    await migrate(p);
    const { runId } = isolation('observer');
    const o = new ResultsObserver(p, runId, [{ mode: 'job', table: 'external_results' }], 2);
    const insert = 'INSERT INTO external_results (run_id, mode, rule_id, patient_id, seq) VALUES (?, ?, ?, ?, ?)';
    const held = async (): Promise<{ id: number; commit: () => Promise<void> }> => {
      const conn = await p.getConnection();
      await conn.beginTransaction();
      const [r] = await conn.query(insert, [runId, 'job', 'r', 1, 1]);
      return {
        id: (r as { insertId: number }).insertId,
        commit: async () => {
          await conn.commit();
          conn.release();
        },
      };
    };
    const write = async (seq: number): Promise<number> =>
      ((await p.query(insert, [runId, 'job', 'r', 1, seq]))[0] as { insertId: number }).insertId;
    const seen = (): Map<number, { at: number; notBefore: number }> => o.sightings().get('job')!;

    // A transaction takes a lower id and holds it; another takes the next id and commits first.
    const a = await held();
    const idB = await write(2);
    await o.round();
    expect([...seen().keys()]).toEqual([idB]);
    // Committed soon after: the next round reads from the highest id of LOOKBACK_MS ago and sees it.
    const beforeA = Date.now();
    await a.commit();
    await o.round();
    expect(seen().get(a.id)!.at).toBeGreaterThanOrEqual(beforeA);

    // Committed long after (the rounds have moved on): the next sweep (once a second) finds it.
    const c = await held();
    const idD = await write(4);
    await o.round();
    expect(seen().has(idD)).toBe(true);
    // Rounds LOOKBACK_MS apart: the highest id of LOOKBACK_MS ago is now idD, above the held one.
    await sleep(100);
    await o.round();
    await sleep(100);
    await o.round();
    await c.commit();
    await o.round();
    expect(seen().has(c.id)).toBe(false);
    await sleep(1050);
    await o.round();
    const sC = seen().get(c.id)!;
    // Its bound reaches back to the sweep before, which could not have returned it.
    expect(sC.at - sC.notBefore).toBeGreaterThanOrEqual(1000);
    expect(o.stats()).toMatchObject({ rounds: 7, sweptLate: 1, failedRounds: 0 });
  });

  it("calibration: a job that writes each result X ms after its reading's t_intended is measured at X, within the stated resolution", async () => {
    const out = mkdtempSync(join(tmpdir(), 'vitals-observer-'));
    const { code, stdout, stderr } = await runCli(
      [
        'bench',
        ...['--rate', '200', '--duration', '12', '--warmup', '2', '--patients', '40', '--prevalence', '0.3'],
        ...['--rules', 'seed', '--modes', 'stream,d20,d200', '--external-quiet-s', '2'],
        ...['--external', `d20=${JOB} --delay-ms 20`, '--external', `d200=${JOB} --delay-ms 200`],
        ...['--topic-prefix', 'obs_', '--out', out, '--quiet', '--no-history', '--no-services'],
      ],
      240_000,
    );
    expect(code, stdout + stderr).toBe(0);
    const dir = join(out, readdirSync(out)[0]!);
    const result = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult;
    for (const [name, x] of [
      ['d20', 20],
      ['d200', 200],
    ] as const) {
      const job = result.external!.jobs.find((j) => j.name === name)!;
      const lat = job.result_latency;
      const tolerance = job.visibility_resolution_ms + 2;
      expect(lat.count, name).toBeGreaterThan(50);
      expect(
        Math.abs(lat.p50 - x),
        `${name} p50 ${lat.p50} ms, resolution ${job.visibility_resolution_ms} ms`,
      ).toBeLessThanOrEqual(tolerance);
      expect(
        Math.abs(lat.p99 - x),
        `${name} p99 ${lat.p99} ms, resolution ${job.visibility_resolution_ms} ms`,
      ).toBeLessThanOrEqual(tolerance);
      // Against the job's own clock after each COMMIT: never seen before it, and late by at most its bound.
      const commits = readFileSync(join(dir, `${name}-work`, 'commits.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { patient_id: number; seq: number; target: number; committed_at: number });
      expect(commits.length).toBe(job.rows);
      const firstCommit = new Map<string, number>();
      for (const c of commits) {
        if (c.target - x < result.input.start_ms! + 2000) continue;
        const k = `${c.patient_id}:${c.seq}`;
        firstCommit.set(k, Math.min(firstCommit.get(k) ?? Infinity, c.committed_at - (c.target - x)));
      }
      const committed = [...firstCommit.values()].sort((u, v) => u - v);
      const commitP50 = committed[Math.floor(committed.length / 2)]!;
      expect(committed.length).toBe(lat.count);
      expect(lat.p50, `${name}: observed p50 against the job's own commit p50 ${commitP50} ms`).toBeGreaterThanOrEqual(
        commitP50 - 1,
      );
      expect(lat.p50).toBeLessThanOrEqual(commitP50 + job.visibility_resolution_ms + 1);
    }
    const obs = result.observation!;
    expect(Object.keys(obs.visibility_latency).sort()).toEqual(['d20', 'd200', 'stream']);
    expect(obs.visibility_latency.stream!.count).toBeGreaterThan(50);
    expect(obs.commit_latency.stream!.count).toBe(obs.visibility_latency.stream!.count);
    // The stream's results are visible after their commit, by at most the observer's bound.
    expect(obs.visibility_latency.stream!.p50).toBeGreaterThanOrEqual(obs.commit_latency.stream!.p50 - 1);
    expect(obs.rounds).toBeGreaterThan(100);
    expect(obs.failed_rounds).toBe(0);
  });
});
