import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, parseEnvFile, PROJECT_ROOT } from '../../config.js';
import { nullableStringOf, queryRows, type Pool } from '../../infra/mysql.js';
import type { Role } from '../../domain/modes.js';
import { type FaultSpec } from './spec.js';
import { pidFromFile } from '../processes/server-pids.js';
import type { SupervisedRole } from '../processes/supervisor.js';

/** What happened when a fault was injected: times in seconds since the load started. */
export interface InjectedFault {
  spec: FaultSpec;
  injected_at_s?: number;
  /** The broker or database answering again, or the paused role continued. */
  ended_at_s?: number;
  error?: string;
}

function servicesEnv(): Record<string, string> {
  const file = join(cacheDir(), 'services.env');
  return existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
}

/**
 * Service restarts need the servers this project started (it kills their process and starts
 * them again with `services.sh up`): refuse them for servers someone else runs.
 */
export function checkFaultsRunnable(faults: FaultSpec[], env: NodeJS.ProcessEnv = process.env): void {
  const origins = servicesEnv();
  for (const f of faults) {
    if (f.kind === 'kafka-restart' && (env.KAFKA_BROKERS || origins.KAFKA_ORIGIN !== 'local')) {
      throw new Error(
        `--fault ${f.text}: needs the project's own Kafka broker (npm run services:up), not KAFKA_BROKERS or Docker`,
      );
    }
    if (f.kind === 'db-restart' && (env.MYSQL_URL || origins.MYSQL_ORIGIN !== 'local')) {
      throw new Error(
        `--fault ${f.text}: needs the project's own MariaDB (npm run services:up), not MYSQL_URL or Docker`,
      );
    }
  }
}

/** The server's pid from its pid file; refuses anything that is not that program (never kill a stranger). */
function pidOf(pidFile: string, program: string): number {
  const pid = pidFromFile(pidFile, program);
  if (pid === undefined) throw new Error(`pid file ${pidFile} names no running ${program}`);
  return pid;
}

function servicesUp(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(PROJECT_ROOT, 'scripts/services.sh'), 'up'], { timeout: 180_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`services.sh up failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
      else resolve();
    });
  });
}

export interface FaultInjectorContext {
  /** Seconds since the load started. */
  clock: () => number;
  roles: Map<Role, SupervisedRole>;
  pool: Pool;
  log: (line: string) => void;
}

/**
 * Runs the faults at their times. done() resolves when every fault has run its course
 * (services answering again, paused roles continued); cancel() continues paused roles and
 * skips what has not started.
 */
export class FaultInjector {
  readonly faults: InjectedFault[];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly paused = new Set<NodeJS.Process['pid']>();
  private dbPidFile: string | undefined;
  private cancelled = false;

  constructor(
    specs: FaultSpec[],
    private readonly ctx: FaultInjectorContext,
  ) {
    this.faults = specs.map((spec) => ({ spec }));
  }

  /** Schedules every fault relative to the load's start (call once the clock runs). */
  async start(): Promise<void> {
    if (this.faults.some((f) => f.spec.kind === 'db-restart')) {
      const rows = await queryRows(this.ctx.pool, 'SELECT @@pid_file AS f', undefined, (r) => ({
        f: nullableStringOf(r.f),
      }));
      this.dbPidFile = rows[0]?.f ?? '';
    }
    for (const f of this.faults) {
      const delay = Math.max(0, (f.spec.atS - this.ctx.clock()) * 1000);
      this.timers.push(setTimeout(() => this.track(this.inject(f)), delay));
    }
  }

  async done(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Every scheduled fault has been injected (or cancelled). */
  get allStarted(): boolean {
    return this.cancelled || this.faults.every((f) => f.injected_at_s !== undefined || f.error !== undefined);
  }

  cancel(): void {
    this.cancelled = true;
    for (const t of this.timers) clearTimeout(t);
    for (const pid of this.paused) if (pid) process.kill(pid, 'SIGCONT');
    this.paused.clear();
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch(() => undefined).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  private async inject(f: InjectedFault): Promise<void> {
    if (this.cancelled) return;
    const { spec } = f;
    const now = (): number => Math.round(this.ctx.clock() * 10) / 10;
    try {
      if (spec.kind === 'kill') {
        const proc = this.ctx.roles.get(spec.role)?.current;
        if (!proc?.running) throw new Error(`${spec.role} is not running`);
        f.injected_at_s = now();
        this.ctx.log(`[fault] ${spec.text}: SIGKILL to ${spec.role} (pid ${proc.child.pid})`);
        proc.child.kill('SIGKILL');
        f.ended_at_s = f.injected_at_s;
      } else if (spec.kind === 'pause') {
        const proc = this.ctx.roles.get(spec.role)?.current;
        const pid = proc?.child.pid;
        if (!proc?.running || pid === undefined) throw new Error(`${spec.role} is not running`);
        f.injected_at_s = now();
        this.ctx.log(`[fault] ${spec.text}: SIGSTOP to ${spec.role} (pid ${pid}) for ${spec.durationS} s`);
        this.paused.add(pid);
        proc.child.kill('SIGSTOP');
        // A stopped process cannot notice that the harness died: if the harness is killed
        // during the pause, this detached guard still continues the role (which then sees its
        // parent gone and stops). It ends by itself after the pause.
        spawn('sh', ['-c', `sleep ${spec.durationS + 1}; kill -CONT ${pid} 2>/dev/null`], {
          detached: true,
          stdio: 'ignore',
        }).unref();
        await sleep(spec.durationS * 1000);
        if (this.paused.delete(pid)) proc.child.kill('SIGCONT');
        f.ended_at_s = now();
        this.ctx.log(`[fault] ${spec.text}: SIGCONT to ${spec.role}`);
      } else {
        const pidFile = spec.kind === 'kafka-restart' ? join(cacheDir(), 'kafka', 'kafka.pid') : this.dbPidFile!;
        const pid = pidOf(pidFile, spec.kind === 'kafka-restart' ? 'java' : 'mariadbd');
        f.injected_at_s = now();
        this.ctx.log(
          `[fault] ${spec.text}: SIGKILL to the ${spec.kind === 'kafka-restart' ? 'Kafka broker' : 'database server'} (pid ${pid}); back in ${spec.durationS} s`,
        );
        process.kill(pid, 'SIGKILL');
        await sleep(spec.durationS * 1000);
        await servicesUp();
        f.ended_at_s = now();
        this.ctx.log(`[fault] ${spec.text}: services answering again at ${f.ended_at_s} s`);
      }
    } catch (err) {
      f.error = (err as Error).message;
      this.ctx.log(`[fault] ${spec.text} could not be injected: ${f.error}`);
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
