import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/harness/track/history.js';
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
    // The seed rules have no window rule: every window comparison reads n/a, none "Jaccard 1 ... TP 0 FP 0 FN 0".
    expect(stdout).toContain('agreement alerts_job vs rule reference (window): n/a (the run has no window rule)');
    expect(stdout).not.toMatch(/\(window\): Jaccard/);
    // Every mode's CPU from the run's first sample, the jobs' start-up CPU apart.
    expect(result.cost!.cpu_counted_from).toBe('ready');
    for (const j of jobs) {
      expect(j.startup_cpu_s).toBeGreaterThan(0);
      expect(result.cost!.external![j.name]!.peak_rss_mib).toBeGreaterThan(0);
    }
    // The resolution the observer reached is stated, and above its 5 ms target it is a warning.
    const worst = Math.max(...Object.values(result.observation!.visibility_bound).map((b) => (b.count ? b.p99 : 0)));
    const warned = (result.warnings ?? []).some((w) => w.startsWith("the results observer's resolution was"));
    expect(warned, JSON.stringify(result.warnings)).toBe(worst > 5);
    expect(stdout.includes("WARNING: the results observer's resolution was")).toBe(worst > 5);
    expect(processesWith(t)).toEqual([]);
  });

  it("counts a job's CPU from the run's first sample, as the built-in roles', its start-up apart; its memory is its process group's sum; its figures a mode's in the history", async () => {
    const t = tag();
    // 3 CPU s of start-up before its ready line; two more processes in its group holding 150 MiB each.
    const ballast = `node -e "const b = Buffer.alloc(150 * 2 ** 20, 1); setInterval(() => b[0]++, 1000)" ${t}`;
    const command = `${JOB} --busy-start-cpu-s 3 ${t} & ${ballast} & ${ballast} & wait`;
    const history = join(out, 'ext_cost_history.jsonl');
    const args = [
      ...bench('ext_cost_', 'costly', [`costly=${command}`]).filter((a) => a !== '--no-history'),
      '--history',
      history,
    ];
    const { code, stdout, stderr } = await runCli(args, 180_000);
    expect(code, stdout + stderr).toBe(0);
    const { result } = resultOf('ext_cost_');
    const job = result.external!.jobs[0]!;
    const cost = result.cost!.external!.costly!;
    expect(job.startup_cpu_s).toBeGreaterThanOrEqual(3);
    // Counted from its start (as before) its CPU would hold the 3 s of start-up.
    expect(cost.cpu_s).toBeLessThan(job.startup_cpu_s!);
    // The sum of its processes (two of them above 150 MiB), not the largest one.
    expect(cost.peak_rss_mib).toBeGreaterThan(300);
    expect(stdout).toMatch(/costly: .*start-up [\d.]+ s \([\d.]+ CPU s, not in its cost\)/);
    // Its figures are a mode's in the history: its line, its rows and its trend charts.
    const line = JSON.parse(readFileSync(history, 'utf8').trim()) as HistoryEntry;
    expect(line.params.externals).toEqual([{ name: 'costly', rules: null }]);
    expect(line.metrics.modes.costly!.result_latency_p99_ms).toBe(job.result_latency.p99);
    expect(line.metrics.modes.costly!.cpu_ms_per_1000_readings).toBe(cost.cpu_ms_per_1000_readings);
    const rendered = await runCli(['history', '--file', history, '--out', join(out, 'ext_cost_history')], 120_000);
    expect(rendered.code, rendered.stdout + rendered.stderr).toBe(0);
    expect(readFileSync(join(out, 'ext_cost_history', 'history.md'), 'utf8')).toMatch(/\| costly \|/);
    expect(existsSync(join(out, 'ext_cost_history', 'history_costly_result_latency_p99.svg'))).toBe(true);
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
    // No window rule declared: no window agreement computed (0 against 0), n/a in the summary.
    expect(job.scopes_not_evaluated).toEqual(['window']);
    expect(result.agreement.filter((a) => a.a === 'records_only' && a.scope === 'window')).toEqual([]);
    expect(stdout).toContain(
      'agreement records_only vs rule reference (window): n/a (records_only evaluates no window rule; it declared hr_high, spo2_low)',
    );
    expect(stdout).not.toMatch(/agreement records_only vs [a-z ]+ \(window\): Jaccard/);
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

  it('a job that exits before it is ready: never ready, how it ended, the first error line far up, the last 40 lines, the log', async () => {
    const { code, stdout, stderr } = await runCli(
      bench('ext_early_', 'quitter', [`quitter=${JOB} --exit-before-ready --stderr-lines 60`]),
      120_000,
    );
    const out = stdout + stderr;
    expect(code).not.toBe(0);
    expect(out).toMatch(
      /the run stopped before its load started: external job quitter was never ready: it exited with code 2 on its own [\d.]+ s after it started, before printing VITALS_READY on stdout/,
    );
    expect(out).toContain('the first line of its stderr that looks like an error (line 1 of 61):');
    expect(out).toContain(
      '1: external-job: Exception in thread "main" java.lang.IllegalStateException: the cause (test)',
    );
    expect(out).toContain('the last 40 lines of its stderr:');
    expect(out).toContain('refusing to start');
    // Lines 22 to 61: the frames from Frame20 on.
    expect(out).not.toContain('Frame19(');
    expect(out).toContain('Frame20(');
    const log = /the whole log: (\S+quitter\.stderr\.log)/.exec(out)![1]!;
    expect(readFileSync(log, 'utf8').trimEnd().split('\n')).toHaveLength(61);
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
