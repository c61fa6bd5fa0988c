import type { Admin } from 'kafkajs';
import { consumerLag, endOffsets } from '../../infra/kafka.js';
import type { Pool } from '../../infra/mysql.js';
import type { AvailabilitySample } from '../faults/report.js';
import type { BacklogSample } from '../measure/metrics.js';
import { CostSampler } from '../processes/proc-sampler.js';
import type { ExternalModes } from './external-modes.js';
import type { Pipelines } from './pipelines.js';
import type { Progress } from './progress.js';
import type { RunProgress } from './progress-state.js';
import { heartbeat } from './run-registry.js';

/** A probe or sample that does not answer within this is a failed one (the broker may be down). */
const SAMPLE_TIMEOUT_MS = 2500;

interface RecorderSettings {
  runId: string;
  pool: Pool;
  admin: Admin;
  topics: string[];
  log: (line: string) => void;
  progress: Progress;
}

/**
 * The run's per-second record, kept by one owner: every process's CPU and memory, each
 * consumer's backlog, whether the broker and the database answered, and the progress line.
 */
export class RunRecorder {
  readonly backlog: BacklogSample[] = [];
  readonly availability: AvailabilitySample[] = [];
  readonly costs = new CostSampler();
  private loop: Promise<void> | undefined;
  private sampling = false;

  constructor(private readonly s: RecorderSettings) {}

  /** Once a second until stopped. */
  start(p: Pipelines, tracker: RunProgress, externals: ExternalModes | undefined): void {
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
    const dbUp = await bounded(heartbeat(s.pool, s.runId)).then(
      () => true,
      (err: Error) => (s.log(`[harness] database probe failed: ${err.message}`), false),
    );
    let kafkaUp = true;
    try {
      const b = await bounded(this.sampleBacklog(p));
      this.backlog.push({ at, backlog: b });
      s.progress.update(tracker.state(at, b));
    } catch (err) {
      kafkaUp = false;
      s.log(`[harness] backlog sample failed: ${(err as Error).message}`);
    }
    this.availability.push({ at, kafka: kafkaUp, db: dbUp });
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
