import type { Role } from '../../domain/modes.js';
import type { ChildMessage } from '../../pipelines/ipc.js';
import type { LateReadingNote } from '../../pipelines/stream.js';
import type { RunResult } from '../../results/schema.js';
import type { FaultTarget } from '../faults/kind.js';
import { isFinalDone, isLate, isReady } from '../processes/children.js';
import { DEFAULT_RESTART_POLICY, SupervisedRole, type RoleIncident } from '../processes/supervisor.js';
import { ROLE_OPTIONS, roleParameters } from '../report/parameters.js';
import type { RunOptions } from './run-options.js';

type BatchPass = NonNullable<RunResult['batch_passes']>[number];

interface PipelineSettings {
  runId: string;
  opts: RunOptions;
  log: (line: string) => void;
  /** Seconds since the load's schedule started (for incident times). */
  clock: () => number;
}

/**
 * The run's pipeline roles, each in its own process, restarted when it ends unexpectedly:
 * ingest always, stream and batch when their mode runs. Started at construction; `ready()`
 * waits for all of them; `stop()` ends every process however the run ends.
 */
export class Pipelines {
  readonly roles = new Map<Role, SupervisedRole>();
  readonly incidents: RoleIncident[] = [];
  readonly ingest: SupervisedRole;
  readonly stream: SupervisedRole | undefined;
  readonly batch: SupervisedRole | undefined;
  /** Each batch pass as it ended, and when (epoch ms). */
  readonly batchPasses: BatchPass[] = [];
  readonly batchPassEnds: number[] = [];
  /** Readings the batch passes have taken so far. */
  batchProcessed = 0;
  /** Per role, seconds from its process's start to its ready signal (the first process's). */
  readonly startupS = new Map<Role, number>();
  private readonly startedAt = Date.now();

  constructor(private readonly s: PipelineSettings) {
    const { opts } = s;
    this.ingest = this.supervise('ingest', roleArgs('ingest', s.runId, opts));
    this.stream = opts.modes.includes('stream')
      ? this.supervise('stream', roleArgs('stream', s.runId, opts))
      : undefined;
    this.batch = opts.modes.includes('batch') ? this.supervise('batch', roleArgs('batch', s.runId, opts)) : undefined;
    this.batch?.on((m: ChildMessage) => {
      if (m.type !== 'pass') return;
      const p = m.pass;
      this.batchProcessed += p.readings;
      this.batchPasses.push({
        pass: p.pass,
        readings: p.readings,
        alerts: p.alerts,
        windows: p.windows,
        duration_ms: p.endedAt - p.startedAt,
        final: p.final,
      });
      this.batchPassEnds.push(p.endedAt);
    });
  }

  /** Every role ready to take readings. */
  async ready(): Promise<void> {
    await Promise.all(
      [...this.roles].map(async ([role, r]) => {
        await r.current.waitFor(isReady, 90_000, 'ready signal');
        this.startupS.set(role, (Date.now() - this.startedAt) / 1000);
      }),
    );
  }

  /** A mode's start-up: its role's, batch's the later of batch and ingest (which it needs). */
  startupOf(mode: 'stream' | 'batch'): number | undefined {
    const own = this.startupS.get(mode);
    if (own === undefined || mode === 'stream') return own;
    const ingest = this.startupS.get('ingest');
    return ingest === undefined ? undefined : Math.max(own, ingest);
  }

  private readonly watched: Promise<never>[] = [];

  /** Rejects when a role ended and could not be restarted, or a watched process died. */
  get gaveUp(): Promise<never> {
    const p = Promise.race([...[...this.roles.values()].map((r) => r.gaveUp), ...this.watched]);
    p.catch(() => undefined);
    return p;
  }

  /** The run also gives up when `died` rejects (an external job beside the pipelines). */
  watch(died: Promise<never>): void {
    this.watched.push(died);
  }

  ingestStats() {
    const m = this.ingest.lastStats;
    return m?.type === 'stats' && m.role === 'ingest' ? m.stats : undefined;
  }

  streamStats() {
    const m = this.stream?.lastStats;
    return m?.type === 'stats' && m.role === 'stream' ? m.stats : undefined;
  }

  /**
   * Windows aligned to the schedule's start: the same seed and options put the same readings
   * in the same windows in every run. Told before the first reading exists, and to restarts.
   */
  async alignWindows(originMs: number): Promise<void> {
    const isOriginSet = (m: ChildMessage): m is Extract<ChildMessage, { type: 'window-origin-set' }> =>
      m.type === 'window-origin-set' && m.originMs === originMs;
    for (const r of [this.stream, this.batch]) {
      if (!r) continue;
      r.setArg(ROLE_OPTIONS.windowOriginMs.flag, String(originMs));
      await r.request({ type: 'window-origin', originMs }, isOriginSet, 30_000, 'window origin');
    }
  }

  /** The final batch pass (none when interrupted). */
  async finalPass(signal: AbortSignal): Promise<void> {
    if (this.batch && !signal.aborted)
      await this.batch.request({ type: 'final-pass' }, isFinalDone, 300_000, 'final batch pass');
  }

  /** The readings the stream saw after it had closed their window. */
  async lateReadings(): Promise<LateReadingNote[]> {
    if (!this.stream) return [];
    return (await this.stream.request({ type: 'report-late' }, isLate, 10_000, 'late-reading report')).late;
  }

  /** Seconds the ingest and stream roles spent processing, summed over each of their processes (a restart starts a count anew). */
  busySeconds(): { ingest?: number; stream?: number } {
    const out: { ingest?: number; stream?: number } = {};
    for (const role of ['ingest', 'stream'] as const) {
      const r = this.roles.get(role);
      if (!r) continue;
      let ms = 0;
      for (const m of r.statsOfEachProcess)
        if (m.type === 'stats' && (m.role === 'ingest' || m.role === 'stream')) ms += m.stats.busyMs;
      out[role] = ms / 1000;
    }
    return out;
  }

  /** A role as a fault's target: signals go to its current process; its supervisor restarts it after a kill. */
  faultTarget(name: string): FaultTarget | undefined {
    const r = this.roles.get(name as Role);
    if (!r) return undefined;
    return {
      name,
      description: `${name} role`,
      get pid() {
        return r.current.running ? r.current.child.pid : undefined;
      },
      isGroup: false,
      signal: (sig) => void r.current.child.kill(sig),
    };
  }

  /** Every role stopped; an unexpected exit code is returned as a failure. */
  async stop(logFile: string): Promise<string[]> {
    const failures: string[] = [];
    for (const r of this.roles.values()) {
      const exit = await r.stop();
      if (exit && exit.code !== 0 && exit.code !== null)
        failures.push(
          `${r.role} pipeline exited with code ${exit.code}${r.current.fatal ? `: ${r.current.fatal}` : ''} (see ${logFile})`,
        );
    }
    return failures;
  }

  private supervise(role: Role, args: string[]): SupervisedRole {
    const { opts } = this.s;
    const policy = { ...DEFAULT_RESTART_POLICY, maxRestarts: opts.maxRestarts };
    const r = new SupervisedRole(
      role,
      args,
      (l) => this.s.log(l.startsWith('[') ? l : `[${role}] ${l}`),
      this.s.clock,
      policy,
      (inc) => this.incidents.push(inc),
      role === 'stream' ? undefined : opts.batchNice,
    );
    this.s.log(`[harness] ${role} pipeline started (pid ${r.current.pid}, ${r.priority})`);
    this.roles.set(role, r);
    return r;
  }
}

/** A role option as argv: ["--flag", "value"], or ["--flag"] for a boolean that is set. */
function arg(flag: string, value: string | number | boolean): string[] {
  return typeof value === 'boolean' ? (value ? [`--${flag}`] : []) : [`--${flag}`, String(value)];
}

/**
 * The argv of a role: the run it works for, and every run parameter declared as passed to this
 * role (src/harness/report/parameters.ts), under the role command's flag.
 */
export function roleArgs(role: Role, runId: string, opts: RunOptions): string[] {
  const values = opts as unknown as Record<string, string | number | boolean>;
  return [
    ...arg(ROLE_OPTIONS.runId.flag, runId),
    // Only this run's generator writes to its topics: a reading with no run id is not this run's.
    ...arg(ROLE_OPTIONS.requireRunId.flag, true),
    // The services answered a moment ago; a role restarted during an outage waits for them.
    ...arg(ROLE_OPTIONS.waitForServicesS.flag, 180),
    ...roleParameters(role).flatMap(({ name, flag }) => arg(flag, values[name]!)),
  ];
}
