import type { Role } from '../../domain/modes.js';
import type { ChildMessage, ParentMessage } from '../../pipelines/ipc.js';
import { isReady, PipelineProcess } from './children.js';
import { describeExit, type ChildExit } from './forked-child.js';

/** A role process (or an external job) that ended while the run needed it, and what the harness did about it. */
export interface RoleIncident {
  /** The role, or the external job's mode name. */
  role: string;
  /** "killed by SIGKILL", "exited with code 1". */
  how: string;
  /** The role's own last words, when it sent them. */
  fatal?: string;
  /** Seconds since the run's load started (negative: before it). */
  at_s: number;
  /** Seconds from the exit until the new process was ready; absent when not restarted. */
  restarted_in_s?: number;
  /** Why it was not restarted. */
  gave_up?: string;
}

export interface RestartPolicy {
  /** Restarts per role and run at most (default 3). */
  maxRestarts: number;
  /** Wait before a restart, doubling per restart of the same role (default 500 ms). */
  backoffMs: number;
  /** A restarted process must be ready within this (default 240 s: it may wait for a restarting server). */
  readyTimeoutMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxRestarts: 3, backoffMs: 500, readyTimeoutMs: 240_000 };

/**
 * A pipeline role kept running for the length of a run: when its process ends unexpectedly
 * (killed, crashed), the incident is recorded and a new process is started with the same
 * arguments, up to a bounded number of restarts. The pipelines' recovery (committed offsets,
 * keyed rows, the batch layer's recorded passes) makes the restarted role's effect exactly once.
 */
export class SupervisedRole {
  current: PipelineProcess;
  readonly incidents: RoleIncident[] = [];
  private restarts = 0;
  private stopping = false;
  private readonly listeners = new Set<(m: ChildMessage) => void>();
  private readonly replaced = new Set<() => void>();
  private readonly retired: PipelineProcess[] = [];
  private failure: Error | undefined;
  private readonly failed: Promise<never>;
  private fail: (err: Error) => void = () => undefined;

  constructor(
    readonly role: Role,
    private readonly args: string[],
    private readonly logLine: (line: string) => void,
    /** Seconds since the run's load started, for incident times. */
    private readonly clock: () => number,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
    private readonly onIncident?: (incident: RoleIncident) => void,
    /** Niceness of each of its processes (a restarted one too); absent: the harness's own. */
    private readonly nice?: number,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.fail = reject));
    this.failed.catch(() => undefined);
    this.current = this.spawn();
  }

  /** Rejects when the role ended and could not be restarted. */
  get gaveUp(): Promise<never> {
    return this.failed;
  }

  get restarted(): boolean {
    return this.restarts > 0;
  }

  /** The niceness its current process runs at ("nice 10"), or "default". */
  get priority(): string {
    return this.current.priority;
  }

  get lastStats(): ChildMessage | undefined {
    return this.current.lastStats;
  }

  /** The last stats of every process this role has had, the current one last (counters restart with each process). */
  get statsOfEachProcess(): ChildMessage[] {
    return [...this.retired, this.current].flatMap((p) => (p.lastStats ? [p.lastStats] : []));
  }

  /** Every process this role has had, the current one last. */
  get processes(): PipelineProcess[] {
    return [...this.retired, this.current];
  }

  on(listener: (m: ChildMessage) => void): void {
    this.listeners.add(listener);
    this.current.on(listener);
  }

  send(m: ParentMessage): void {
    this.current.send(m);
  }

  /** Set `--name value` for the processes started from now on (a restart gets what the run learned since its start). */
  setArg(name: string, value: string): void {
    const i = this.args.indexOf(`--${name}`);
    if (i >= 0) this.args[i + 1] = value;
    else this.args.push(`--${name}`, value);
  }

  /** Resolves the next time a new process of this role is ready (after a restart). */
  nextReplacement(): Promise<void> {
    return new Promise((resolve) => this.replaced.add(resolve));
  }

  /**
   * Send a request and wait for its answer; if the process is replaced meanwhile, ask the
   * new one. Fails when the role gave up or the deadline passes.
   */
  async request<T extends ChildMessage>(
    m: ParentMessage,
    match: (x: ChildMessage) => x is T,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure) throw this.failure;
      const proc = this.current;
      const answer = proc.waitFor(match, Math.max(1, deadline - Date.now()), what);
      proc.send(m);
      try {
        return await answer;
      } catch (err) {
        if (proc === this.current && proc.running) throw err; // a timeout, not an exit
        if (Date.now() > deadline) throw err;
        await Promise.race([this.nextReplacement(), this.failed]);
      }
    }
  }

  async stop(graceMs?: number): Promise<ChildExit | undefined> {
    this.stopping = true;
    await this.current.stop(undefined, graceMs);
    return this.current.exit;
  }

  private spawn(): PipelineProcess {
    const proc = new PipelineProcess(this.role, this.args, this.logLine, this.nice);
    for (const l of this.listeners) proc.on(l);
    void proc.exited.then((exit) => {
      if (this.stopping || proc !== this.current) return;
      void this.onUnexpectedExit(proc, exit);
    });
    return proc;
  }

  private async onUnexpectedExit(proc: PipelineProcess, exit: ChildExit): Promise<void> {
    const exitedAt = Date.now();
    const incident: RoleIncident = {
      role: this.role,
      how: describeExit(exit),
      at_s: round1(this.clock()),
      ...(proc.fatal ? { fatal: proc.fatal } : {}),
    };
    this.incidents.push(incident);
    if (this.restarts >= this.policy.maxRestarts) {
      incident.gave_up = `restart limit (${this.policy.maxRestarts}) reached`;
      this.giveUp(incident);
      return;
    }
    this.restarts++;
    this.logLine(
      `[harness] ${this.role} ${incident.how} at ${incident.at_s} s; restarting (${this.restarts}/${this.policy.maxRestarts})`,
    );
    await new Promise((r) => setTimeout(r, this.policy.backoffMs * 2 ** (this.restarts - 1)));
    if (this.stopping) return;
    this.retired.push(proc);
    this.current = this.spawn();
    try {
      await this.current.waitFor(isReady, this.policy.readyTimeoutMs, 'ready signal after a restart');
    } catch (err) {
      // The new process exiting is handled by its own exit listener (another restart or give-up).
      if (!this.current.running) return;
      incident.gave_up = (err as Error).message;
      this.giveUp(incident);
      return;
    }
    incident.restarted_in_s = round1((Date.now() - exitedAt) / 1000);
    this.logLine(`[harness] ${this.role} restarted in ${incident.restarted_in_s} s`);
    this.onIncident?.(incident);
    for (const r of this.replaced) r();
    this.replaced.clear();
  }

  private giveUp(incident: RoleIncident): void {
    this.onIncident?.(incident);
    this.failure = new Error(
      `${this.role} pipeline ${incident.how} at ${incident.at_s} s and was not restarted (${incident.gave_up})${incident.fatal ? `: ${incident.fatal}` : ''}`,
    );
    this.fail(this.failure);
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
