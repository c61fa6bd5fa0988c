import type { Admin } from 'kafkajs';
import { consumerLag, endOffsets } from '../../infra/kafka.js';
import { hostPortOf, portAnswers } from '../../infra/preflight.js';
import type { Pool } from '../../infra/mysql.js';
import type { AvailabilitySample } from '../faults/report.js';
import type { BacklogSample } from '../measure/metrics.js';
import { MemoryByMinute } from '../processes/memory-by-minute.js';
import { CostSampler } from '../processes/proc-sampler.js';
import type { ExternalModes } from './external-modes.js';
import type { Pipelines } from './pipelines.js';
import type { Progress } from './progress.js';
import type { RunProgress } from './progress-state.js';
import { heartbeat } from './run-registry.js';

/** A probe or sample that does not answer within this is a failed one (the broker may be down). */
const SAMPLE_TIMEOUT_MS = 2500;
/** A server this run did not take down that has not answered for this long ends the run. */
const SERVICE_LOST_AFTER_MS = 30_000;

type Service = 'kafka' | 'db';
const SERVICE_NAME: Record<Service, string> = { kafka: 'the Kafka broker', db: 'the database' };

interface RecorderSettings {
  runId: string;
  pool: Pool;
  admin: Admin;
  topics: string[];
  log: (line: string) => void;
  progress: Progress;
  config: { kafkaBrokers: string[]; mysqlUrl: string };
}

/**
 * The run's per-second record, kept by one owner: every process's CPU and memory, each
 * consumer's backlog, whether the broker and the database answered, and the progress line.
 */
export class RunRecorder {
  readonly backlog: BacklogSample[] = [];
  readonly availability: AvailabilitySample[] = [];
  readonly costs = new CostSampler();
  /** Every group's memory per minute of the load, the harness's own too (set when sampling starts). */
  memory: MemoryByMinute | undefined;
  private loop: Promise<void> | undefined;
  private sampling = false;
  private readonly downSince = new Map<Service, number>();
  private rejectLost!: (err: Error) => void;
  /** Rejects when a server stayed away for SERVICE_LOST_AFTER_MS and no fault of this run took it down. */
  readonly lost: Promise<never> = new Promise((_, reject) => (this.rejectLost = reject));
  /** Whether an injected fault has the server down right now (set once faults are scheduled). */
  expectsOutage: (service: Service) => boolean = () => false;
  /** Seconds since the load started, for messages. */
  clock: () => number = () => 0;
  /** The server whose loss stopped the run, if one did. */
  lostService: Service | undefined;

  constructor(private readonly s: RecorderSettings) {
    this.lost.catch(() => undefined);
  }

  /** Once a second until stopped; `loadStartMs`: minute 0 of the memory drift. */
  start(p: Pipelines, tracker: RunProgress, externals: ExternalModes | undefined, loadStartMs: number): void {
    this.memory = new MemoryByMinute(loadStartMs);
    this.sampling = true;
    this.loop = (async () => {
      while (this.sampling) {
        const at = Date.now();
        await this.sampleOnce(p, tracker, externals, at);
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - at))));
      }
    })();
  }

  /** Resolves when the last sample is done. */
  async stop(): Promise<void> {
    this.sampling = false;
    await this.loop;
  }

  /** The latest backlog per consumer group / mode ({} before the first sample). */
  latestBacklog(): Record<string, number> {
    return this.backlog[this.backlog.length - 1]?.backlog ?? {};
  }

  /** Whether the broker answered the latest sample (true before the first). */
  kafkaAnswering(): boolean {
    return this.availability[this.availability.length - 1]?.kafka !== false;
  }

  private async sampleOnce(
    p: Pipelines,
    tracker: RunProgress,
    externals: ExternalModes | undefined,
    at: number,
  ): Promise<void> {
    const { s } = this;
    // From each process's first sample: the roles' start-up before the run is not the run's cost.
    for (const [role, r] of p.roles) this.costs.track(role, r.current.child.pid, false);
    externals?.trackCost(this.costs);
    this.costs.sample();
    for (const [group, rss] of this.costs.latestRss()) this.memory?.observe(at, group, rss);
    this.memory?.observe(at, 'harness', process.memoryUsage().rss);
    let dbUp = true;
    try {
      await bounded(heartbeat(s.pool, s.runId));
    } catch (err) {
      dbUp = await this.alive('db', err as Error);
    }
    let kafkaUp = true;
    try {
      const b = await bounded(this.sampleBacklog(p));
      this.backlog.push({ at, backlog: b });
      s.progress.update(tracker.state(at, b));
    } catch (err) {
      kafkaUp = await this.alive('kafka', err as Error);
    }
    this.availability.push({ at, kafka: kafkaUp, db: dbUp });
    this.watchForLoss('kafka', kafkaUp, at);
    this.watchForLoss('db', dbUp, at);
  }

  /**
   * A sample failed: is the server gone, or only slow to answer on a loaded machine? Gone when its
   * port refuses a connection (or the connect times out); a port that accepts one is alive, and a
   * starved sample is not counted as an outage.
   */
  private async alive(service: Service, err: Error): Promise<boolean> {
    const address = service === 'kafka' ? this.s.config.kafkaBrokers[0]! : this.s.config.mysqlUrl;
    const port = await portAnswers(hostPortOf(address));
    this.s.log(
      `[harness] ${service === 'kafka' ? 'backlog sample' : 'database probe'} failed: ${err.message}; its port ${port === 'up' ? 'accepts connections (slow, not down)' : 'refuses connections (down)'}`,
    );
    return port === 'up';
  }

  private watchForLoss(service: Service, up: boolean, at: number): void {
    if (up || this.expectsOutage(service)) {
      this.downSince.delete(service);
      return;
    }
    const since = this.downSince.get(service) ?? at;
    this.downSince.set(service, since);
    if (at - since >= SERVICE_LOST_AFTER_MS && !this.lostService) {
      this.lostService = service;
      const fromS = Math.round((this.clock() - (at - since) / 1000) * 10) / 10;
      this.rejectLost(
        new Error(
          `${SERVICE_NAME[service]} stopped answering at ${fromS} s and had not come back ${SERVICE_LOST_AFTER_MS / 1000} s later (no fault of this run took it down): the run was stopped`,
        ),
      );
    }
  }

  private async sampleBacklog(p: Pipelines): Promise<Record<string, number>> {
    const { admin, runId, topics } = this.s;
    const b: Record<string, number> = { ingest: await consumerLag(admin, `vitals-ingest-${runId}`, topics) };
    if (p.stream) {
      // The stream commits offsets only up to its oldest open window (for recovery), so its
      // backlog is measured from what it has read, which it reports itself.
      const stats = p.streamStats();
      let lag = 0;
      for (const [key, end] of await endOffsets(admin, topics)) lag += Math.max(0, end - (stats?.positions[key] ?? 0));
      b.stream = lag;
    }
    if (p.batch) b.batch = Math.max(0, (p.ingestStats()?.stored ?? 0) - p.batchProcessed);
    return b;
  }
}

/** A sample that does not answer in time counts as failed (its promise is left to settle). */
function bounded<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${SAMPLE_TIMEOUT_MS} ms`)), SAMPLE_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}
