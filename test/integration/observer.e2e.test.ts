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
    // The widest gaps kept with when they ended, widest first: the 1,050 ms sleep's is the first.
    const widest = o.stats().longestGaps;
    expect(widest).toHaveLength(5);
    expect(widest.map((g) => g.gapMs)).toEqual([...widest.map((g) => g.gapMs)].sort((x, y) => y - x));
    expect(widest[0]!.gapMs).toBeGreaterThanOrEqual(1050);
    expect(widest[0]!.at).toBe(sC.at);

    // Found that late, the source's lookback was raised: the next row committed 300 ms behind a
    // higher id is seen by the next round, bounded by the round before, not by a sweep.
    const e = await held();
    const idF = await write(6);
    await o.round();
    expect(seen().has(idF)).toBe(true);
    for (let k = 0; k < 6; k++) {
      await sleep(50);
      await o.round();
    }
    const beforeE = Date.now();
    await e.commit();
    await o.round();
    const sE = seen().get(e.id)!;
    expect(sE.at).toBeGreaterThanOrEqual(beforeE);
    expect(sE.at - sE.notBefore).toBeLessThan(500);
    expect(o.stats()).toMatchObject({ sweptLate: 1, failedRounds: 0 });
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
      // The truth is the job's own clock: each row became visible between the moment its INSERT
      // (autocommit) was sent and the moment the job saw it committed. On a loaded machine the job
      // may write later than its target X, so the observer is calibrated against those bounds, and
      // X bounds them from below.
      const commits = readFileSync(join(dir, `${name}-work`, 'commits.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as { patient_id: number; seq: number; target: number; sent_at: number; committed_at: number },
        );
      expect(commits.length).toBe(job.rows);
      const firstCommit = new Map<string, { sent: number; committed: number }>();
      for (const c of commits) {
        const intended = c.target - x;
        if (intended < result.input.start_ms! + 2000) continue;
        const k = `${c.patient_id}:${c.seq}`;
        const before = firstCommit.get(k);
        if (!before || c.committed_at - intended < before.committed)
          firstCommit.set(k, { sent: c.sent_at - intended, committed: c.committed_at - intended });
      }
      const quantile = (values: number[], q: number) => {
        const sorted = [...values].sort((u, v) => u - v);
        return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      };
      const sent = [...firstCommit.values()].map((c) => c.sent);
      const committed = [...firstCommit.values()].map((c) => c.committed);
      expect(committed.length).toBe(lat.count);
      expect(quantile(sent, 0.5), `${name}: the job writes no earlier than its delay`).toBeGreaterThanOrEqual(x);
      for (const [figure, q, observed] of [
        ['p50', 0.5, lat.p50],
        ['p99', 0.99, lat.p99],
      ] as const) {
        const [low, high] = [quantile(sent, q), quantile(committed, q)];
        const why = `${name} ${figure}: observed ${observed} ms, the job's own writes ${low}..${high} ms, resolution ${job.visibility_resolution_ms} ms`;
        expect(observed, why).toBeGreaterThanOrEqual(low - 1);
        expect(observed, why).toBeLessThanOrEqual(high + tolerance);
      }
    }
    const obs = result.observation!;
    expect(Object.keys(obs.visibility_latency).sort()).toEqual(['d20', 'd200', 'stream']);
    expect(obs.visibility_latency.stream!.count).toBeGreaterThan(50);
    expect(obs.commit_latency.stream!.count).toBe(obs.visibility_latency.stream!.count);
    // The stream's t_committed is its clock after COMMIT returned, so its results may become visible
    // before it (by the reply's delay on a loaded machine), and later by at most the observer's bound.
    expect(obs.visibility_latency.stream!.p50).toBeLessThanOrEqual(
      obs.commit_latency.stream!.p50 + obs.visibility_bound.stream!.p99 + 1,
    );
    expect(obs.rounds).toBeGreaterThan(100);
    expect(obs.failed_rounds).toBe(0);
    // When its rounds stalled is in the log: its five widest gaps, widest first.
    const stalls = /\[observer\] its widest round gaps: (.*) \(UTC\)/.exec(
      readFileSync(join(dir, 'pipelines.log'), 'utf8'),
    );
    const gaps = [...(stalls?.[1] ?? '').matchAll(/(\d+) ms to \d\d:\d\d:\d\d\.\d{3}/g)].map((g) => Number(g[1]));
    expect(gaps).toHaveLength(5);
    expect(gaps[0]).toBe(obs.round_gap_ms.max);
    // Where a priority may be raised, the observer's thread inside the database runs at its niceness.
    expect(obs.priority).toMatch(
      process.getuid?.() === 0 ? /^nice -5; its database thread nice -5$/ : /; its database thread default/,
    );
  });
});
