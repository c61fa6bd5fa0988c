/**
 * Servers that disappear in the middle of a run, not by a fault the run injected: the run stops
 * within a stated bound (a server away for 30 s), names the cause, and leaves a partial report;
 * the services are brought back for the next test. Needs the project's own servers (their pid
 * files), as the fault tests do.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheDir, PROJECT_ROOT } from '../../src/config.js';
import { nullableStringOf, queryRows } from '../../src/infra/mysql.js';
import type { RunResult } from '../../src/results/schema.js';
import { openPool, sleep, spawnCli, stopChild, waitUntil, writeShortWindowRules, type CliChild } from './helpers.js';

const servicesUp = (): void =>
  void execFileSync('bash', [join(PROJECT_ROOT, 'scripts/services.sh'), 'up'], { stdio: 'inherit' });

function pidIn(file: string): number {
  const pid = Number(readFileSync(file, 'utf8').trim());
  expect(pid).toBeGreaterThan(1);
  return pid;
}

function bench(dir: string, prefix: string): CliChild {
  const rules = writeShortWindowRules(dir);
  return spawnCli([
    'bench',
    ...['--rate', '200', '--duration', '120', '--warmup', '2', '--patients', '20', '--rules', rules],
    ...['--batch-interval', '3', '--lateness-ms', '500', '--idle-ms', '500'],
    ...['--topic-prefix', prefix, '--out', dir, '--quiet', '--no-services', '--no-history'],
  ]);
}

async function measuring(child: CliChild): Promise<void> {
  await waitUntil(
    'the measured phase',
    () => /measuring/.test(child.output()),
    120_000,
    () => child.output(),
  );
  await sleep(3000);
}

describe('servers that disappear mid-run (not injected)', () => {
  let child: CliChild | undefined;
  afterEach(async () => {
    await stopChild(child);
    servicesUp();
  });

  it('the broker killed by hand: the run stops within the bound, names it, and is reported as far as it went', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitals-lost-kafka-'));
    child = bench(dir, 'lost_kafka_');
    await measuring(child);
    const killedAt = Date.now();
    process.kill(pidIn(join(cacheDir(), 'kafka', 'kafka.pid')), 'SIGKILL');
    const exit = await Promise.race([child.exited, sleep(150_000).then(() => undefined)]);
    const stoppedAfterS = (Date.now() - killedAt) / 1000;
    expect(exit, child.output()).toEqual({ code: 1, signal: null });
    // 30 s away, sampled every few seconds, then the load's report and the collection.
    expect(stoppedAfterS).toBeLessThan(90);
    expect(child.output()).toMatch(/the Kafka broker stopped answering at [\d.]+ s and had not come back 30 s later/);
    const runDir = readdirSync(dir).find((d) => d.startsWith('20'))!;
    const r = JSON.parse(readFileSync(join(dir, runDir, 'results.json'), 'utf8')) as RunResult;
    expect(r.complete).toBe(false);
    expect(r.incomplete_reason).toMatch(/Kafka broker stopped answering/);
    expect(r.input.acknowledged).toBeGreaterThan(0);
    expect(existsSync(join(dir, runDir, 'report.md'))).toBe(true);
  });

  it('the database killed by hand: the run stops within the bound and says what it knows without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitals-lost-db-'));
    const pool = await openPool();
    const pidFile = (
      await queryRows(pool, 'SELECT @@pid_file AS f', undefined, (x) => ({ f: nullableStringOf(x.f) }))
    )[0]!.f!;
    await pool.end();
    child = bench(dir, 'lost_db_');
    await measuring(child);
    const killedAt = Date.now();
    process.kill(pidIn(pidFile), 'SIGKILL');
    const exit = await Promise.race([child.exited, sleep(180_000).then(() => undefined)]);
    const stoppedAfterS = (Date.now() - killedAt) / 1000;
    expect(exit, child.output()).toEqual({ code: 1, signal: null });
    expect(stoppedAfterS).toBeLessThan(120);
    expect(child.output()).toMatch(/the database stopped answering at [\d.]+ s/);
    const runDir = readdirSync(dir).find((d) => d.startsWith('20'))!;
    const files = readdirSync(join(dir, runDir));
    // Nothing measured, so no results.json that a tool could take for a measured run.
    expect(files).not.toContain('results.json');
    expect(files).toEqual(expect.arrayContaining(['report.md', 'incomplete.json']));
    expect(readFileSync(join(dir, runDir, 'report.md'), 'utf8')).toMatch(
      /INCOMPLETE, NOT MEASURED[\s\S]*the database stopped answering/,
    );
  });
});
