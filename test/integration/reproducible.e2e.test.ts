/**
 * Identical workloads for identical options (METRICS.md "Reproducible workload"): two benches
 * with the same seed and options raise the same alerts in both modes, window alerts included,
 * because windows are aligned to each run's schedule rather than to the wall clock.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results/schema.js';
import { openPool, runCli, shortWindowBench, writeShortWindowRules } from './helpers.js';

describe('the same seed and options give the same alerts in every run', () => {
  it("two runs, same alerts per mode (windows relative to each run's schedule start)", async () => {
    const out = mkdtempSync(join(tmpdir(), 'vitals-repro-'));
    const rules = writeShortWindowRules(out);
    const results: RunResult[] = [];
    for (const label of ['a', 'b']) {
      const dir = join(out, label);
      const res = await runCli(
        [
          'bench',
          '--rate',
          '300',
          '--duration',
          '6',
          '--warmup',
          '1',
          ...shortWindowBench(rules),
          '--seed',
          '7',
          '--topic-prefix',
          'repro_',
          '--no-services',
          '--quiet',
          '--out',
          dir,
        ],
        240_000,
      );
      expect(res.code, res.stderr.slice(-1500)).toBe(0);
      const runDir = readdirSync(dir).find((d) => d.startsWith('20'))!;
      results.push(JSON.parse(readFileSync(join(dir, runDir, 'results.json'), 'utf8')) as RunResult);
    }
    const pool = await openPool();
    try {
      const alertsOf = async (r: RunResult, mode: string): Promise<string[]> => {
        const [rows] = await pool.query(
          'SELECT rule_id, patient_id, subject_kind, subject FROM alerts WHERE run_id = ? AND mode = ?',
          [r.run_id, mode],
        );
        return (rows as Array<{ rule_id: string; patient_id: number; subject_kind: string; subject: number | string }>)
          .map(
            (a) =>
              `${a.rule_id}|${a.patient_id}|${a.subject_kind}|${a.subject_kind === 'window' ? Number(a.subject) - r.input.start_ms! : Number(a.subject)}`,
          )
          .sort();
      };
      const [a, b] = results as [RunResult, RunResult];
      expect(a.input.start_ms).not.toBe(b.input.start_ms);
      for (const mode of ['stream', 'batch']) {
        const inA = await alertsOf(a, mode);
        const inB = await alertsOf(b, mode);
        expect(inA.filter((k) => k.includes('|window|')).length, `${mode} window alerts`).toBeGreaterThan(0);
        expect(inB, mode).toEqual(inA);
      }
    } finally {
      await pool.end();
    }
  }, 300_000);
});
