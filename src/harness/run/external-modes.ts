import type { Pool } from '../../infra/mysql.js';
import type { CostSampler } from '../processes/proc-sampler.js';
import { describe, ExternalJob, type ExternalRunSettings } from '../processes/external-job.js';
import { measureExternal, type ExternalFigures, type ExternalJudgement } from '../measure/external.js';
import { readExternalRows } from '../measure/external-rows.js';
import type { Sighting, SightingLookup } from '../measure/results-observer.js';
import type { ExternalSpec } from '../processes/external-spec.js';
import type { RoleIncident } from '../processes/supervisor.js';
import type { FaultTarget } from '../faults/kind.js';

export interface ExternalModeOptions {
  readyTimeoutMs: number;
  /** How often the results observer asks for new results of every mode (ms). */
  pollIntervalMs: number;
  /** After the built-in modes drained: how long without a new result before a job counts as drained. */
  quietMs: number;
}

export const DEFAULT_EXTERNAL_OPTIONS: ExternalModeOptions = {
  readyTimeoutMs: 300_000,
  pollIntervalMs: 2,
  quietMs: 15_000,
};

/**
 * The external modes of one run (docs/EXTERNAL.md): their jobs started and made ready, their
 * results watched while the run goes on, the jobs stopped with the run, and their figures.
 */
export class ExternalModes {
  private readonly jobs: ExternalJob[] = [];
  private readonly startupMs = new Map<string, number>();
  private readonly startupCpuS = new Map<string, number>();
  private readonly exits = new Map<string, string>();
  private readonly failures: string[] = [];
  /** Rejects when a job ends on its own after it was ready. */
  readonly died: Promise<never>;
  private rejectDied!: (err: Error) => void;
  private stopping = false;
  /** Jobs a fault is about to kill: their exit is the fault's, and they are started again. */
  private readonly expectedKills = new Set<string>();
  /** Jobs being started again after a kill: not drained until they are back and quiet. */
  private readonly restarting = new Set<string>();
  /** Jobs that ended during the run and what the harness did about it (as role incidents are). */
  readonly incidents: RoleIncident[] = [];

  constructor(
    private readonly specs: readonly ExternalSpec[],
    private readonly settings: ExternalRunSettings,
    private readonly pool: Pool,
    private readonly log: (line: string) => void,
    private readonly options: ExternalModeOptions = DEFAULT_EXTERNAL_OPTIONS,
    /** Seconds since the load started, for incident times. */
    private readonly clock: () => number = () => 0,
  ) {
    this.died = new Promise<never>((_, reject) => (this.rejectDied = reject));
    this.died.catch(() => undefined);
  }

  get names(): string[] {
    return this.specs.map((s) => s.name);
  }

  /** Every job started at once; resolves when all are ready (each job's start-up time is kept). */
  async start(): Promise<void> {
    for (const spec of this.specs) this.jobs.push(new ExternalJob(spec, this.settings, this.log));
    await Promise.all(
      this.jobs.map(async (job) => {
        const ms = await job.waitReady(this.options.readyTimeoutMs);
        this.checkDeclaredRules(job);
        this.startupMs.set(job.spec.name, ms);
        if (job.startupCpuS !== undefined) this.startupCpuS.set(job.spec.name, job.startupCpuS);
        this.log(
          `[${job.spec.name}] ready after ${(ms / 1000).toFixed(1)} s${job.startupCpuS !== undefined ? ` (${job.startupCpuS.toFixed(1)} CPU s)` : ''}`,
        );
        this.watchExit(job);
      }),
    );
  }

  /** Rules a job says it evaluates must be the run's. */
  private checkDeclaredRules(job: ExternalJob): void {
    const known = new Set(this.settings.ruleSet.rules.map((r) => r.id));
    const unknown = (job.declaredRules ?? []).filter((r) => !known.has(r));
    if (unknown.length)
      throw new Error(
        `external job ${job.spec.name} declared rules the run does not have: ${unknown.join(', ')} (the run's rules: ${[...known].join(', ')})`,
      );
    if (job.declaredRules) {
      const skipped = [...known].filter((r) => !job.declaredRules!.includes(r));
      this.log(
        `[${job.spec.name}] evaluates ${job.declaredRules.join(', ')}${skipped.length ? `; not ${skipped.join(', ')}` : ''}`,
      );
    }
  }

  private watchExit(job: ExternalJob): void {
    const timer = setInterval(() => {
      if (!job.exit) return;
      clearInterval(timer);
      if (this.stopping) return;
      if (this.expectedKills.delete(job.spec.name)) void this.restart(job);
      else this.fail(`external job ${job.spec.name} ${describe(job.exit)} during the run${job.stderrExcerpt()}`);
    }, 200);
    timer.unref();
  }

  private fail(message: string): void {
    this.failures.push(message);
    this.rejectDied(new Error(message));
  }

  /**
   * A job killed by a fault, started again with the same command, settings and work folder (it
   * recovers from its own checkpoint there). One that is not ready again within the ready
   * timeout fails the run, named.
   */
  private async restart(old: ExternalJob): Promise<void> {
    const name = old.spec.name;
    const atS = Math.round(this.clock() * 10) / 10;
    const began = Date.now();
    const how = old.exit?.signal ? `killed by ${old.exit.signal}` : `exited with code ${old.exit?.code}`;
    this.log(`[${name}] ${how} by the fault; starting it again`);
    this.restarting.add(name);
    await old.stop();
    if (this.stopping) return;
    const job = new ExternalJob(old.spec, this.settings, this.log);
    this.jobs[this.jobs.indexOf(old)] = job;
    try {
      await job.waitReady(this.options.readyTimeoutMs);
      const restartedIn = Math.round((Date.now() - began) / 100) / 10;
      this.incidents.push({ role: name, how, at_s: atS, restarted_in_s: restartedIn });
      this.log(`[${name}] ready again after ${restartedIn} s`);
      this.watchExit(job);
    } catch (err) {
      this.incidents.push({ role: name, how, at_s: atS, gave_up: (err as Error).message });
      if (!this.stopping)
        this.fail(`external job ${name} did not come back after it was killed: ${(err as Error).message}`);
    } finally {
      this.restarting.delete(name);
    }
  }

  /** A job as a fault's target: signals go to its whole process group; after a kill it is started again. */
  faultTarget(name: string): FaultTarget | undefined {
    const find = (): ExternalJob | undefined => this.jobs.find((j) => j.spec.name === name);
    if (!find()) return undefined;
    return {
      name,
      description: `external job ${name}`,
      get pid() {
        const job = find();
        return job && !job.exit ? job.pgid : undefined;
      },
      isGroup: true,
      signal: (sig) => {
        const pgid = find()?.pgid;
        if (pgid !== undefined) process.kill(-pgid, sig);
      },
      expectKill: () => void this.expectedKills.add(name),
    };
  }

  /**
   * Each job's process group, followed for the cost (call once a sample): counted from the run's
   * first sample, as the built-in roles are; its start-up CPU is the job's startup_cpu_s.
   */
  trackCost(costs: CostSampler): void {
    for (const job of this.jobs) for (const pid of job.pids()) costs.track(job.spec.name, pid, true);
  }

  /**
   * Until no job has written a new result for the quiet period (or the deadline passes: false);
   * `lastNewAt` is when the results observer last saw a new result of a mode.
   */
  async drain(
    deadlineMs: number,
    signal: AbortSignal,
    lastNewAt: (mode: string) => number | undefined,
  ): Promise<boolean> {
    const from = Date.now();
    while (!signal.aborted) {
      const quiet =
        this.restarting.size === 0 &&
        this.names.every((m) => Date.now() - Math.max(from, lastNewAt(m) ?? 0) >= this.options.quietMs);
      if (quiet) return true;
      if (Date.now() > deadlineMs) return false;
      await Promise.race([new Promise((r) => setTimeout(r, 250)), this.died]);
    }
    return true;
  }

  /** Jobs stopped (SIGTERM, then SIGKILL); returns the failures of the jobs (ended on their own). */
  async stop(): Promise<string[]> {
    this.stopping = true;
    await Promise.all(
      this.jobs.map(async (job) => {
        const exit = await job.stop();
        this.exits.set(job.spec.name, exit ? describe(exit) : 'did not start');
        if (exit?.killed) this.log(`[${job.spec.name}] did not end within the grace period after SIGTERM: killed`);
      }),
    );
    return [...this.failures];
  }

  /** Every job's rows read once more, with the observer's sighting of each, then its figures against the judgement. */
  async measure(
    j: ExternalJudgement,
    sightings: ReadonlyMap<string, SightingLookup>,
    observedFrom: number,
  ): Promise<ExternalFigures> {
    const out: ExternalFigures = { jobs: [], agreement: [], failures: [], series: {} };
    for (const spec of this.specs) {
      if (!this.startupMs.has(spec.name)) continue;
      const seen = sightings.get(spec.name) ?? new Map<number, Sighting>();
      const rows = await readExternalRows(this.pool, this.settings.runId, spec.name, seen, observedFrom);
      const missed = rows.filter((r) => r.final_scan).length;
      if (missed) this.log(`[${spec.name}] ${missed} rows were seen only by the final scan`);
      const job = this.jobs.find((x) => x.spec.name === spec.name);
      const m = measureExternal({
        ...j,
        ...(job?.declaredRules ? { rules: job.declaredRules } : {}),
        name: spec.name,
        command: spec.command,
        rows,
        startupMs: this.startupMs.get(spec.name),
        startupCpuS: this.startupCpuS.get(spec.name),
        pollIntervalMs: this.options.pollIntervalMs,
        exit: this.exits.get(spec.name) ?? 'unknown',
      });
      out.jobs.push(m.result);
      out.series![spec.name] = m.series;
      out.agreement.push(...m.agreement);
      out.failures.push(...m.failures);
    }
    return out;
  }
}
