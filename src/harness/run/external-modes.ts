import type { Pool } from '../../infra/mysql.js';
import type { CostSampler } from '../processes/proc-sampler.js';
import { describe, ExternalJob, type ExternalRunSettings } from '../processes/external-job.js';
import { measureExternal, type ExternalFigures, type ExternalJudgement } from '../measure/external.js';
import { ResultsPoller } from '../measure/results-poller.js';
import type { ExternalSpec } from '../processes/external-spec.js';

export interface ExternalModeOptions {
  readyTimeoutMs: number;
  pollIntervalMs: number;
  /** After the built-in modes drained: how long without a new result before a job counts as drained. */
  quietMs: number;
}

export const DEFAULT_EXTERNAL_OPTIONS: ExternalModeOptions = {
  readyTimeoutMs: 300_000,
  pollIntervalMs: 100,
  quietMs: 15_000,
};

/**
 * The external modes of one run (docs/EXTERNAL.md): their jobs started and made ready, their
 * results watched while the run goes on, the jobs stopped with the run, and their figures.
 */
export class ExternalModes {
  private readonly jobs: ExternalJob[] = [];
  private readonly pollers = new Map<string, ResultsPoller>();
  private readonly startupMs = new Map<string, number>();
  private readonly exits = new Map<string, string>();
  private readonly failures: string[] = [];
  /** Rejects when a job ends on its own after it was ready. */
  readonly died: Promise<never>;
  private rejectDied!: (err: Error) => void;
  private stopping = false;

  constructor(
    private readonly specs: readonly ExternalSpec[],
    private readonly settings: ExternalRunSettings,
    private readonly pool: Pool,
    private readonly log: (line: string) => void,
    private readonly options: ExternalModeOptions = DEFAULT_EXTERNAL_OPTIONS,
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
        this.log(`[${job.spec.name}] ready after ${(ms / 1000).toFixed(1)} s`);
        this.watchExit(job);
        const poller = new ResultsPoller(this.pool, this.settings.runId, job.spec.name, this.options.pollIntervalMs);
        this.pollers.set(job.spec.name, poller);
        poller.start();
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
      if (!this.stopping) {
        const message = `external job ${job.spec.name} ${describe(job.exit)} during the run${job.stderrTail()}`;
        this.failures.push(message);
        this.rejectDied(new Error(message));
      }
    }, 200);
    timer.unref();
  }

  /** Each job's process group, followed for the cost (call once a sample). */
  trackCost(costs: CostSampler): void {
    for (const job of this.jobs) for (const pid of job.pids()) costs.track(job.spec.name, pid, true);
  }

  /** Until no job has written a new result for the quiet period (or the deadline passes: false). */
  async drain(deadlineMs: number, signal: AbortSignal): Promise<boolean> {
    const from = Date.now();
    while (!signal.aborted) {
      const quiet = [...this.pollers.values()].every(
        (p) => Date.now() - Math.max(from, p.lastNewRowAt ?? 0) >= this.options.quietMs,
      );
      if (quiet) return true;
      if (Date.now() > deadlineMs) return false;
      await Promise.race([new Promise((r) => setTimeout(r, 250)), this.died]);
    }
    return true;
  }

  /** Polls stopped, jobs stopped (SIGTERM, then SIGKILL); returns the failures of the jobs (ended on their own). */
  async stop(): Promise<string[]> {
    this.stopping = true;
    await Promise.all([...this.pollers.values()].map((p) => p.stop()));
    await Promise.all(
      this.jobs.map(async (job) => {
        const exit = await job.stop();
        this.exits.set(job.spec.name, exit ? describe(exit) : 'did not start');
        if (exit?.killed) this.log(`[${job.spec.name}] did not end within the grace period after SIGTERM: killed`);
      }),
    );
    return [...this.failures];
  }

  /** Every job's rows read once more, then its figures against the judgement. */
  async measure(j: ExternalJudgement): Promise<ExternalFigures> {
    const out: ExternalFigures = { jobs: [], agreement: [], failures: [], series: {} };
    for (const spec of this.specs) {
      const poller = this.pollers.get(spec.name);
      if (!poller) continue;
      const missed = await poller.finalScan();
      if (missed) this.log(`[${spec.name}] ${missed} rows were seen only by the final scan`);
      const job = this.jobs.find((x) => x.spec.name === spec.name);
      const m = measureExternal({
        ...j,
        ...(job?.declaredRules ? { rules: job.declaredRules } : {}),
        name: spec.name,
        command: spec.command,
        rows: [...poller.rows.values()],
        startupMs: this.startupMs.get(spec.name),
        pollIntervalMs: poller.intervalMs,
        largestPollGapMs: poller.largestGapMs,
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
