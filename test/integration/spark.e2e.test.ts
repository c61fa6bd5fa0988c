import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import type { RunResult } from '../../src/results/schema.js';
import { runCli } from './helpers.js';

// The Spark Structured Streaming example (examples/spark) as an external mode on the real
// services, the seed project's architecture: its rules, the built-in stream beside it.
describe('the Spark example as an external mode', () => {
  const out = mkdtempSync(join(tmpdir(), 'vitals-spark-'));

  beforeAll(() => {
    // Idempotent: a Python environment with pinned pyspark and the jars, under .cache/spark
    // (several minutes on a fresh clone, seconds after).
    execFileSync('bash', [join(PROJECT_ROOT, 'scripts/spark.sh')], { stdio: 'inherit', timeout: 900_000 });
  }, 900_000);

  it('agrees with the rule reference and the stream exactly, with no loss or duplicates', async () => {
    const { code, stdout, stderr } = await runCli(
      [
        'bench',
        '--with-spark',
        '--modes',
        'stream,spark',
        '--rules',
        'seed',
        '--rate',
        '200',
        '--duration',
        '8',
        '--warmup',
        '3',
        '--patients',
        '20',
        '--external-quiet-s',
        '5',
        '--topic-prefix',
        'spark_e2e_',
        '--out',
        out,
        '--quiet',
        '--no-history',
        '--no-services',
      ],
      600_000,
    );
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/run .*: PASSED/);
    const [run] = readdirSync(out);
    const dir = join(out, run!);
    const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult;
    const spark = r.external!.jobs.find((j) => j.name === 'spark')!;
    expect(spark).toMatchObject({ kind: 'alerts', loss: 0, duplicates: 0, unexpected: 0 });
    expect(spark.exit).toBe('exited with code 0 when stopped');
    expect(spark.startup_s).toBeGreaterThan(0);
    expect(spark.result_latency.count).toBeGreaterThan(0);
    expect(r.cost?.external?.spark?.cpu_s).toBeGreaterThan(0);
    for (const b of ['ground_truth', 'stream']) {
      const a = r.agreement.find((x) => x.a === 'spark' && x.b === b && x.scope === 'record')!;
      expect(a.jaccard).toBe(1);
      expect(a.tp).toBeGreaterThan(0);
    }
    expect(readFileSync(join(dir, 'spark.stdout.log'), 'utf8')).toContain('VITALS_READY');
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/\| spark \| per-rule alerts \|/);
  }, 900_000);
});
