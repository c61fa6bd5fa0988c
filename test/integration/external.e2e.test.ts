import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results/schema.js';
import { count, openPool, runCli, sleep, spawnCli, stopChild, writeShortWindowRules } from './helpers.js';

const JOB = 'node test/fixtures/external-job.mjs';
const out = mkdtempSync(join(tmpdir(), 'vitals-external-'));

/** A tag on the job's command line, to find its processes (and any left behind) with pgrep. */
function tag(): string {
  return `tag${randomBytes(4).toString('hex')}`;
}

/** Processes whose command line holds text, the harness itself (which has it in its arguments) left out. */
function processesWith(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', text], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() && !l.includes('pgrep') && !l.includes('cli.js bench'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** A short bench on the real services: stream plus the given external modes, seed rules (record rules only). */
function bench(prefix: string, modes: string, externals: string[], extra: string[] = [], rules = 'seed'): string[] {
  return [
    'bench',
    '--rate',
    '200',
    '--duration',
    '4',
    '--warmup',
    '2',
    '--patients',
    '20',
    '--rules',
    rules,
    '--modes',
    `stream,${modes}`,
    ...externals.flatMap((e) => ['--external', e]),
    '--external-quiet-s',
    '2',
    '--topic-prefix',
    prefix,
    '--out',
    join(out, prefix),
    '--quiet',
    '--no-history',
    '--no-services',
    ...extra,
  ];
}

function resultOf(prefix: string): { dir: string; result: RunResult } {
  const base = join(out, prefix);
  const [run] = readdirSync(base);
  const dir = join(base, run!);
  return { dir, result: JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult };
}

describe('external modes (docs/EXTERNAL.md) on the real services', () => {
  const pool = openPool();
  afterAll(async () => (await pool).end());

  it('measures two black-box jobs, per-rule alerts and flagged readings, beside the stream: no loss, full agreement', async () => {
    const t = tag();
    const { code, stdout, stderr } = await runCli(
      bench('ext_ok_', 'alerts_job,flagged_job', [`alerts_job=${JOB} ${t}`, `flagged_job=${JOB} --flagged ${t}`]),
      180_000,
    );
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/run .*: PASSED/);
    const { dir, result } = resultOf('ext_ok_');
    const jobs = result.external!.jobs;
    expect(jobs.map((j) => [j.name, j.kind])).toEqual([
      ['alerts_job', 'alerts'],
      ['flagged_job', 'flagged_readings'],
    ]);
    const streamRecord = result.agreement.find(
      (a) => a.a === 'stream' && a.b === 'ground_truth' && a.scope === 'record',
    )!;
    expect(streamRecord.tp).toBeGreaterThan(0);
    for (const j of jobs) {
      expect(j).toMatchObject({ loss: 0, duplicates: 0, unexpected: 0, exit: 'exited with code 0 when stopped' });
      expect(j.startup_s).toBeGreaterThan(0);
      expect(j.result_latency.count).toBeGreaterThan(0);
      const vsTruth = result.agreement.find((a) => a.a === j.name && a.b === 'ground_truth' && a.scope === 'record')!;
      expect(vsTruth.jaccard).toBe(1);
      expect(readFileSync(join(dir, `${j.name}.stdout.log`), 'utf8')).toContain('VITALS_READY');
    }
    // Per-rule alerts: one row per stream record alert; flagged readings: one per reading that fired.
    expect(jobs[0]!.results).toBe(streamRecord.tp);
    const rows = await count(await pool, 'SELECT COUNT(*) AS n FROM external_results WHERE run_id = ? AND mode = ?', [
      result.run_id,
      'alerts_job',
    ]);
    expect(rows).toBe(jobs[0]!.rows);
    expect(result.external!.result_latency.stream!.count).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('## External pipelines');
    expect(processesWith(t)).toEqual([]);
  });

  it('a job that declares the rules it evaluates is compared on those alone (its window rules left out)', async () => {
    const t = tag();
    const { code, stdout, stderr } = await runCli(
      bench(
        'ext_declared_',
        'records_only',
        [`records_only=${JOB} --declare ${t}`],
        ['--prevalence', '0.3'],
        writeShortWindowRules(out),
      ),
      180_000,
    );
    expect(code, stdout + stderr).toBe(0);
    const { result } = resultOf('ext_declared_');
    const job = result.external!.jobs[0]!;
    expect(job.rules_not_evaluated).toEqual(['hr_avg_high', 'spo2_min_low']);
    expect(job.rules_evaluated).toEqual(['hr_high', 'spo2_low']);
    expect(job).toMatchObject({ loss: 0, duplicates: 0, unexpected: 0 });
    const vsStream = result.agreement.find((a) => a.a === 'records_only' && a.b === 'stream' && a.scope === 'record')!;
    expect(vsStream.jaccard).toBe(1);
    expect(vsStream.tp).toBeGreaterThan(0);
    expect(processesWith(t)).toEqual([]);
  });

  it('faults reach a job: a killed job is started again and recovers, a paused one continues; each reported', async () => {
    const t = tag();
    const { code, stdout, stderr } = await runCli(
      bench(
        'ext_fault_',
        'killed,paused',
        [`killed=${JOB} ${t}`, `paused=${JOB} ${t}`],
        ['--fault', 'kill:killed@3s', '--fault', 'pause:paused@3s:2s'],
      ),
      240_000,
    );
    const { result } = resultOf('ext_fault_');
    const kill = result.faults!.find((f) => f.fault === 'kill:killed@3s')!;
    expect(kill, stdout + stderr).toMatchObject({
      injected: true,
      target: 'external job killed',
      detected_by: 'job exit',
    });
    expect(kill.restarts).toEqual([
      expect.stringMatching(/^killed killed by SIGKILL at [\d.]+ s, restarted in [\d.]+ s$/),
    ]);
    expect(kill.recovery_s).toBeGreaterThan(0);
    const pause = result.faults!.find((f) => f.fault === 'pause:paused@3s:2s')!;
    expect(pause).toMatchObject({ injected: true, target: 'external job paused' });
    expect(pause.ended_at_s! - pause.injected_at_s!).toBeGreaterThanOrEqual(2);
    const [killed, paused] = ['killed', 'paused'].map((n) => result.external!.jobs.find((j) => j.name === n)!);
    // The killed job resumes from its consumer group's committed offsets: nothing lost; a batch
    // written but not yet committed when it died comes again, and the report counts it.
    expect(killed).toMatchObject({ loss: 0, unexpected: 0 });
    expect(paused).toMatchObject({ loss: 0, duplicates: 0, unexpected: 0 });
    expect(code === 0, stdout + stderr).toBe(killed!.duplicates === 0);
    expect(processesWith(t)).toEqual([]);
  });

  it('a job that dies during the run fails it, naming the job, with the end of its stderr', async () => {
    const t = tag();
    const { code, stdout, stderr } = await runCli(
      bench('ext_dies_', 'dier', [`dier=${JOB} --die-after-s 3 ${t}`]),
      180_000,
    );
    expect(code).not.toBe(0);
    expect(stdout + stderr).toContain('external job dier exited with code 3 on its own during the run');
    expect(stdout + stderr).toContain('dying on purpose');
    expect(processesWith(t)).toEqual([]);
  });

  it('a job that never becomes ready fails the run at the ready timeout and is stopped', async () => {
    const t = tag();
    const { code, stdout, stderr } = await runCli(
      bench('ext_never_', 'sleeper', [`sleeper=${JOB} --never-ready ${t}`], ['--external-ready-timeout-s', '3']),
      120_000,
    );
    expect(code).not.toBe(0);
    expect(stdout + stderr).toContain('external job sleeper was not ready within 3 s');
    expect(processesWith(t)).toEqual([]);
  });

  it('a job that exits before it is ready fails the run with its stderr', async () => {
    const { code, stdout, stderr } = await runCli(
      bench('ext_early_', 'quitter', [`quitter=${JOB} --exit-before-ready`]),
      120_000,
    );
    expect(code).not.toBe(0);
    expect(stdout + stderr).toContain('external job quitter exited with code 2 on its own before it was ready');
    expect(stdout + stderr).toContain('refusing to start');
  });

  it('a job that writes nothing fails the run, named', async () => {
    const t = tag();
    const { code, stdout, stderr } = await runCli(bench('ext_none_', 'idle', [`idle=${JOB} --nothing ${t}`]), 180_000);
    expect(code).toBe(1);
    expect(stdout).toMatch(/run .*: FAILED/);
    expect(stdout + stderr).toContain('external job idle wrote no results');
    expect(processesWith(t)).toEqual([]);
  });

  it('a harness killed with SIGKILL takes its external job with it', async () => {
    const t = tag();
    const child = spawnCli(
      bench('ext_killed_', 'orphan', [`orphan=${JOB} --never-ready ${t}`], ['--external-ready-timeout-s', '120']),
    );
    try {
      for (let i = 0; i < 100 && processesWith(t).length === 0; i++) await sleep(200);
      expect(processesWith(t).length).toBeGreaterThan(0);
      child.proc.kill('SIGKILL');
      await child.exited;
      for (let i = 0; i < 150 && processesWith(t).length > 0; i++) await sleep(200);
      expect(processesWith(t)).toEqual([]);
    } finally {
      await stopChild(child);
    }
  });
});
