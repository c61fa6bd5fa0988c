/**
 * Faults survived inside a run, end to end through `vitals-bench bench --fault`: killed and
 * paused roles, a database restart and a broker restart complete the run with loss 0,
 * duplicates 0 and full record-rule agreement, and the report's Faults section names each
 * fault. A killed bench leaves no process behind, and a second bench on the same topics is
 * refused without touching the first one's topics.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results/schema.js';
import {
  CLI,
  isolation,
  openPool,
  runCli,
  shortWindowBench,
  sleep,
  waitUntil,
  writeShortWindowRules,
} from './helpers.js';

const out = mkdtempSync(join(tmpdir(), 'vitals-faults-e2e-'));
const rules = writeShortWindowRules(out);
const common = [...shortWindowBench(rules), '--quiet', '--no-services'];

function resultIn(dir: string): RunResult {
  const runs = readdirSync(dir).filter((d) => d.startsWith('20'));
  expect(runs).toHaveLength(1);
  return JSON.parse(readFileSync(join(dir, runs[0]!, 'results.json'), 'utf8')) as RunResult;
}

function expectIntact(r: RunResult): void {
  expect(r.complete).toBe(true);
  expect(r.verdict).toEqual({ passed: true, failures: [] });
  expect(r.storage).toMatchObject({ loss: 0, duplicates: 0 });
  for (const a of r.agreement.filter((x) => x.scope === 'record')) expect(a.jaccard, `${a.a} vs ${a.b}`).toBe(1);
}

/** Processes whose command line names this run id (roles and the load generator carry it). */
function processesOf(runId: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(runId) && !l.includes(' ps '));
}

describe('faults survived inside a run (bench --fault)', () => {
  it('kills of ingest, stream and batch, a paused stream and a 5 s database restart: loss 0, duplicates 0, each fault reported', async () => {
    const dir = join(out, 'roles-db');
    const faults = ['kill:ingest@4s', 'kill:stream@6s', 'kill:batch@8s', 'pause:stream@10s:2s', 'db-restart@13s:5s'];
    const res = await runCli(
      [
        'bench',
        ...common,
        '--rate',
        '300',
        '--duration',
        '20',
        '--warmup',
        '2',
        '--topic-prefix',
        'flt1_',
        '--out',
        dir,
        ...faults.flatMap((f) => ['--fault', f]),
      ],
      280_000,
    );
    expect(res.code, res.stderr.slice(-2000)).toBe(0);
    const r = resultIn(dir);
    expectIntact(r);
    expect(r.storage.stored).toBe(300 * 22);
    const injected = r.faults!.filter((f) => f.injected);
    expect(injected.map((f) => f.fault)).toEqual(faults);
    for (const f of injected) {
      expect(f.error, f.fault).toBeUndefined();
      expect(f.detected_at_s, f.fault).not.toBeNull();
      expect(f.recovery_s, f.fault).not.toBeNull();
    }
    for (const [fault, role] of [
      ['kill:ingest@4s', 'ingest'],
      ['kill:stream@6s', 'stream'],
      ['kill:batch@8s', 'batch'],
    ] as const) {
      const f = injected.find((x) => x.fault === fault)!;
      expect(f.detected_by).toBe('role exit');
      expect(f.restarts.join(' ')).toMatch(
        new RegExp(`^${role} killed by SIGKILL at \\d+(\\.\\d)? s, restarted in \\d+(\\.\\d)? s`),
      );
    }
    expect(injected.find((x) => x.fault === 'db-restart@13s:5s')!.detected_by).toBe('database unreachable');
    const md = readFileSync(
      join(
        dir,
        readdirSync(dir).find((d) => d.startsWith('20'))!,
        'report.md',
      ),
      'utf8',
    );
    expect(md).toMatch(/## Faults/);
    for (const f of faults) expect(md).toContain(`| ${f} |`);
  }, 300_000);

  it('a 10 s broker restart: loss 0, duplicates 0, the outage reported', async () => {
    const dir = join(out, 'kafka');
    const res = await runCli(
      [
        'bench',
        ...common,
        '--rate',
        '300',
        '--duration',
        '15',
        '--warmup',
        '2',
        '--topic-prefix',
        'flt2_',
        '--out',
        dir,
        '--fault',
        'kafka-restart@4s:10s',
      ],
      280_000,
    );
    expect(res.code, res.stderr.slice(-2000)).toBe(0);
    const r = resultIn(dir);
    expectIntact(r);
    const f = r.faults!.find((x) => x.injected)!;
    expect(f).toMatchObject({ fault: 'kafka-restart@4s:10s', detected_by: 'broker unreachable' });
    expect(f.ended_at_s!).toBeGreaterThanOrEqual(14);
    expect(f.recovery_s).not.toBeNull();
    // Readings intended during the outage waited for the broker to come back.
    expect(f.readings_during!.stream!).toBeGreaterThan(0);
    expect(f.p99_during_ms.stream!).toBeGreaterThan(((f.ended_at_s! - f.injected_at_s!) * 1000) / 2);
  }, 300_000);
});

describe("nothing outlives its run, and no run sees another's data", () => {
  it('a second bench on the same topics is refused; a SIGKILL of the first leaves no process, and its run is then marked aborted', async () => {
    const dir = join(out, 'kill-bench');
    const { tag } = isolation('k');
    const prefix = `kb_${tag}_`;
    const first = spawn(
      process.execPath,
      [
        CLI,
        'bench',
        ...common,
        '--rate',
        '200',
        '--duration',
        '60',
        '--warmup',
        '1',
        '--topic-prefix',
        prefix,
        '--out',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    first.stdout.on('data', (d: Buffer) => (log += d.toString()));
    first.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<void>((resolve) => first.once('exit', () => resolve()));
    try {
      await waitUntil(
        'the first bench to start its load',
        () => /\[bench\] run (\S+):/.test(log),
        60_000,
        () => log,
      );
      const runId = /\[bench\] run (\S+):/.exec(log)![1]!;
      await waitUntil(
        'its roles and load generator to run',
        () => processesOf(runId).length >= 4,
        60_000,
        () => processesOf(runId).join('\n'),
      );
      await sleep(3000);

      const second = await runCli(
        [
          'bench',
          ...common,
          '--rate',
          '200',
          '--duration',
          '5',
          '--warmup',
          '1',
          '--topic-prefix',
          prefix,
          '--out',
          join(out, 'second'),
        ],
        60_000,
      );
      expect(second.code).toBe(1);
      expect(second.stderr + second.stdout).toMatch(
        new RegExp(`another bench is running on the same topics \\(run ${runId}, `),
      );
      // The first one's topics were not recreated: its run goes on (its stored readings keep growing).
      const pool = await openPool();
      try {
        const count = async (): Promise<number> => {
          const [rows] = await pool.query('SELECT COUNT(*) AS n FROM patient_vitals WHERE run_id = ?', [runId]);
          return Number((rows as Array<{ n: number }>)[0]!.n);
        };
        const before = await count();
        await sleep(2000);
        expect(await count()).toBeGreaterThan(before);

        first.kill('SIGKILL');
        await exited;
        await waitUntil(
          'every process of the killed run to end',
          () => processesOf(runId).length === 0,
          30_000,
          () => processesOf(runId).join('\n'),
        );
        // A new bench registering finds the dead owner and marks its run aborted.
        const third = await runCli(
          [
            'bench',
            ...common,
            '--rate',
            '100',
            '--duration',
            '2',
            '--warmup',
            '0',
            '--topic-prefix',
            `${prefix}3_`,
            '--out',
            join(out, 'third'),
            '--modes',
            'stream',
          ],
          120_000,
        );
        expect(third.code, third.stderr.slice(-1000)).toBe(0);
        const [rows] = await pool.query('SELECT status FROM runs WHERE run_id = ?', [runId]);
        expect(rows).toEqual([{ status: 'aborted' }]);
      } finally {
        await pool.end();
      }
    } finally {
      if (first.exitCode === null && first.signalCode === null) first.kill('SIGKILL');
    }
  }, 300_000);
});

describe('bad arguments and unreachable servers fail at once, naming the problem', () => {
  it('refuses runs that would send nothing, and rates, sources and partitions beyond their bounds', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--rate', '0.0001', '--duration', '1', '--warmup', '0'], /would send no reading in the measured phase/],
      [['--rate', '1e9'], /--rate must be at most 200000/],
      [['--sources', '1000'], /--sources must be at most 64/],
      [['--partitions', '500'], /--partitions must be at most 64/],
      [['--fault', 'kill:stream'], /--fault "kill:stream": no @time/],
      [
        ['--fault', 'kill:batch@5s', '--modes', 'stream'],
        /--fault kill:batch@5s: nothing called batch runs \(this run has ingest, stream\)/,
      ],
      [['--fault', 'kill:stream@99s', '--duration', '10', '--warmup', '0'], /after the load ends/],
    ];
    for (const [args, why] of cases) {
      const r = await runCli(['bench', '--no-services', '--out', join(out, 'refused'), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(why);
    }
  }, 60_000);

  it('an unreachable broker fails in seconds with one line naming it', async () => {
    const started = Date.now();
    const proc = spawn(
      process.execPath,
      [
        CLI,
        'bench',
        '--rate',
        '100',
        '--duration',
        '90',
        '--batch-interval',
        '2',
        '--quiet',
        '--out',
        join(out, 'down'),
      ],
      {
        env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^vitals-bench: Kafka at 127\.0\.0\.1:1 does not answer .*ECONNREFUSED/),
    ]);
  }, 30_000);
});
