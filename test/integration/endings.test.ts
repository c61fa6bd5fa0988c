import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results/schema.js';
import { openPool, sleep, spawnCli, stopChild, waitUntil, writeShortWindowRules, type CliChild } from './helpers.js';
import type { Pool } from 'mysql2/promise';

/**
 * Every way a run can end leaves its report: an interrupted bench stops the load and the
 * pipelines, writes what was measured marked incomplete, records the run's status, and exits
 * with the signal's code (130 for Ctrl-C, 143 for SIGTERM, which CI cancellation and `timeout` send).
 */
describe('a bench interrupted mid-load', () => {
  let pool: Pool;
  const children: CliChild[] = [];
  beforeAll(async () => {
    pool = await openPool();
  });
  afterAll(async () => {
    for (const c of children) await stopChild(c);
    await pool.end();
  });

  for (const [signal, code, reason] of [
    ['SIGTERM', 143, 'SIGTERM'],
    ['SIGINT', 130, 'Ctrl-C'],
  ] as const) {
    it(`by ${signal}: exit ${code}, a partial report marked incomplete, the run's status recorded`, async () => {
      const out = mkdtempSync(join(tmpdir(), `vitals-ending-${signal}-`));
      const rules = writeShortWindowRules(out);
      const child = spawnCli([
        'bench',
        ...['--rate', '200', '--duration', '60', '--warmup', '2', '--patients', '20', '--rules', rules],
        ...['--batch-interval', '3', '--lateness-ms', '500', '--idle-ms', '500'],
        ...['--topic-prefix', `end_${signal.toLowerCase()}_`, '--out', out, '--quiet', '--no-services', '--no-history'],
      ]);
      children.push(child);
      await waitUntil(
        'the measured phase',
        () => /measuring/.test(child.output()),
        120_000,
        () => child.output(),
      );
      await sleep(2000);
      child.proc.kill(signal);
      const exit = await Promise.race([child.exited, sleep(120_000).then(() => undefined)]);
      expect(exit, child.output()).toEqual({ code, signal: null });
      const runDir = readdirSync(out).find((d) => d !== 'rules.json')!;
      const result = JSON.parse(readFileSync(join(out, runDir, 'results.json'), 'utf8')) as RunResult;
      expect(result.complete).toBe(false);
      expect(result.incomplete_reason).toBe(`interrupted (${reason}) during the load`);
      expect(result.input.acknowledged).toBeGreaterThan(0);
      expect(result.input.acknowledged).toBeLessThan(200 * (2 + 60));
      expect(readdirSync(join(out, runDir))).toEqual(expect.arrayContaining(['report.md', 'summary.csv']));
      const [rows] = await pool.query('SELECT status FROM runs WHERE run_id = ?', [result.run_id]);
      expect((rows as Array<{ status: string }>)[0]?.status).toBe('incomplete');
    });
  }
});
