import type { Pool } from '../../infra/mysql.js';
import type { InjectedFault } from './analysis.js';
import type { FaultContext, FaultTarget } from './kind.js';
import { kindOf, type FaultSpec } from './spec.js';

export type { InjectedFault } from './analysis.js';

export interface FaultInjectorContext {
  /** Seconds since the load started. */
  clock: () => number;
  /** A role or an external job by name. */
  target: (name: string) => FaultTarget | undefined;
  pool: Pool;
  log: (line: string) => void;
}

/**
 * Runs the faults at their times, each by its kind's module. done() resolves when every fault
 * has run its course (services answering again, paused processes continued); cancel()
 * continues paused processes and skips what has not started.
 */
export class FaultInjector {
  readonly faults: Array<InjectedFault<FaultSpec>>;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly undo = new Set<() => void>();
  private cancelled = false;
  private readonly ctx: FaultContext;

  constructor(specs: FaultSpec[], c: FaultInjectorContext) {
    this.faults = specs.map((spec) => ({ spec }));
    this.ctx = {
      clock: c.clock,
      target: c.target,
      pool: c.pool,
      log: c.log,
      onCancel: (u) => {
        this.undo.add(u);
        return () => this.undo.delete(u);
      },
    };
  }

  /** Schedules every fault relative to the load's start (call once the clock runs). */
  start(): void {
    for (const f of this.faults) {
      const delay = Math.max(0, (f.spec.atS - this.ctx.clock()) * 1000);
      this.timers.push(setTimeout(() => this.track(this.inject(f)), delay));
    }
  }

  /** A fault that takes the server down has been injected and is not over (the server not answering again). */
  expectsOutage(service: 'kafka' | 'db'): boolean {
    return this.faults.some(
      (f) =>
        f.injected_at_s !== undefined && f.ended_at_s === undefined && kindOf(f.spec).takesDown?.(f.spec) === service,
    );
  }

  async done(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  cancel(): void {
    this.cancelled = true;
    for (const t of this.timers) clearTimeout(t);
    for (const u of this.undo) u();
    this.undo.clear();
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch(() => undefined).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  private async inject(f: InjectedFault<FaultSpec>): Promise<void> {
    if (this.cancelled) return;
    try {
      await kindOf(f.spec).inject(f.spec, this.ctx, f);
    } catch (err) {
      f.error = (err as Error).message;
      this.ctx.log(`[fault] ${f.spec.text} could not be injected: ${f.error}`);
    }
  }
}
