import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config.js';
import type { Role } from '../../domain/modes.js';
import type { ChildMessage, ParentMessage } from '../../pipelines/ipc.js';

const CLI = join(PROJECT_ROOT, 'dist/src/cli.js');

/**
 * A pipeline role running in its own process (its own event loop and core share), as it
 * would in production, talking to the harness over Node's IPC channel.
 */
export class PipelineProcess {
  readonly child: ChildProcess;
  private readonly listeners = new Set<(m: ChildMessage) => void>();
  private exited: Promise<number | null>;
  /** How it ended: exit code, or the signal that killed it. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  lastStats: ChildMessage | undefined;
  fatal: string | undefined;

  constructor(
    readonly role: Role,
    args: string[],
    logFile?: (line: string) => void,
  ) {
    this.child = fork(CLI, [role, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logFile?.(line);
    };
    this.child.stdout?.on('data', forward);
    this.child.stderr?.on('data', forward);
    this.child.on('message', (m: ChildMessage) => {
      if (m.type === 'stats') this.lastStats = m;
      if (m.type === 'fatal') this.fatal = m.message;
      for (const l of this.listeners) l(m);
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(code);
      }),
    );
  }

  send(m: ParentMessage): void {
    if (this.child.connected) this.child.send(m);
  }

  /** Wait for a message matching the predicate; fails if the process exits first or the deadline passes. */
  waitFor<T extends ChildMessage>(match: (m: ChildMessage) => m is T, timeoutMs: number, what: string): Promise<T> {
    if (!this.running)
      return Promise.reject(
        new Error(`${this.role} is not running (before ${what})${this.fatal ? `: ${this.fatal}` : ''}`),
      );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`${this.role}: no ${what} within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
        done(
          new Error(`${this.role} ${describeExit(code, signal)} before ${what}${this.fatal ? `: ${this.fatal}` : ''}`),
        );
      const listener = (m: ChildMessage): void => {
        if (match(m)) done(null, m);
      };
      const done = (err: Error | null, m?: T): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.child.off('exit', onExit);
        if (err) reject(err);
        else resolve(m!);
      };
      this.listeners.add(listener);
      this.child.once('exit', onExit);
    });
  }

  on(listener: (m: ChildMessage) => void): void {
    this.listeners.add(listener);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Ask it to stop; kill it if it has not exited within the grace period. */
  async stop(graceMs = 15_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

/** "exited with code 1", "killed by SIGKILL". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}

export const isReady = (m: ChildMessage): m is Extract<ChildMessage, { type: 'ready' }> => m.type === 'ready';
export const isFinalDone = (m: ChildMessage): m is Extract<ChildMessage, { type: 'final-done' }> =>
  m.type === 'final-done';
export const isLate = (m: ChildMessage): m is Extract<ChildMessage, { type: 'late' }> => m.type === 'late';
