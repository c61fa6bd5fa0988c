/**
 * The one contract of a run's child processes (pipeline roles, load generators, the results
 * observer, external jobs' guards): forked from dist/ with an IPC channel, typed messages both
 * ways, waits on a message with a deadline that also fail when the process ends first, a stop
 * that asks and then kills after a grace period, and how it ended. Every child exits when the
 * harness's IPC channel closes, so none outlives its run, however the run ends.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';

/** How a child ended: its exit code, or the signal that killed it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** "exited with code 1", "killed by SIGKILL". */
export function describeExit(exit: ChildExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

export interface ForkOptions {
  /** Each line the child writes on stdout and stderr goes here; without it, they go to the harness's own. */
  log?: (line: string) => void;
  /** Niceness to set (a raised priority needs root or CAP_SYS_NICE); `priority` says what it got. */
  nice?: number;
  /** Node flags for the child (default: the harness's own, as fork does). */
  execArgv?: string[];
}

export class ForkedChild<From extends { type: string }, To> {
  readonly child: ChildProcess;
  /** How it ended, once it has. */
  exit: ChildExit | undefined;
  readonly exited: Promise<ChildExit>;
  /** The niceness it runs at, or why it runs at the default. */
  readonly priority: string;
  private readonly listeners = new Set<(m: From) => void>();

  constructor(
    readonly name: string,
    entry: string,
    args: string[],
    opts: ForkOptions = {},
  ) {
    const out = opts.log ? 'pipe' : 'inherit';
    this.child = fork(entry, args, {
      stdio: ['ignore', out, out, 'ipc'],
      ...(opts.execArgv ? { execArgv: opts.execArgv } : {}),
    });
    if (opts.log) {
      const log = opts.log;
      const forward = (chunk: Buffer): void => {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) log(line);
      };
      this.child.stdout?.on('data', forward);
      this.child.stderr?.on('data', forward);
    }
    this.priority = opts.nice === undefined ? 'default' : raise(this.child.pid, opts.nice);
    this.child.on('message', (m: From) => {
      for (const l of this.listeners) l(m);
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  send(m: To): void {
    if (this.child.connected) this.child.send(m as object);
  }

  /** Every message from now on; returns its removal. */
  on(listener: (m: From) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The first message matching `match`; rejects when the child ends first or the deadline passes,
   * the message naming `what` and how the child ended (`detail`: what else to say, e.g. its last words).
   */
  waitFor<T extends From>(
    match: (m: From) => m is T,
    timeoutMs: number,
    what: string,
    detail: () => string = () => '',
  ): Promise<T> {
    if (!this.running) return Promise.reject(new Error(`${this.name} is not running (before ${what})${detail()}`));
    return new Promise((resolve, reject) => {
      const done = (err: Error | null, m?: T): void => {
        clearTimeout(timer);
        off();
        this.child.off('exit', onExit);
        if (err) reject(err);
        else resolve(m!);
      };
      const timer = setTimeout(
        () => done(new Error(`${this.name}: no ${what} within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
        done(new Error(`${this.name} ${describeExit({ code, signal })} before ${what}${detail()}`));
      const off = this.on((m) => {
        if (match(m)) done(null, m);
      });
      this.child.once('exit', onExit);
    });
  }

  /** Asks it to stop (`request`, or SIGTERM without one) and kills it if it has not ended within the grace period. */
  async stop(request: To | undefined, graceMs: number): Promise<ChildExit> {
    if (!this.running) return this.exited;
    if (request !== undefined && this.child.connected) this.send(request);
    else this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ChildExit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}

function raise(pid: number | undefined, nice: number): string {
  if (pid === undefined) return 'default (no pid)';
  try {
    setPriority(pid, nice);
    return `nice ${nice}`;
  } catch (err) {
    return `nice 0 (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}: raising a priority needs root or CAP_SYS_NICE)`;
  }
}
