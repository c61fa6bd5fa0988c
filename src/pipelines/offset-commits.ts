import { partitionKey } from '../domain/keys.js';
import type { OffsetCommit } from '../infra/kafka-client/index.js';

/**
 * Offset commits follow the writes: once a batch is written (in the order the batches were
 * handed over), its offsets become the partition's next commit. One OffsetCommit request is
 * in flight at a time, at most one per interval, and it carries the latest offset of every
 * partition written meanwhile: a commit per batch would pay the group coordinator's round trip
 * per transaction, for nothing a reading waits for. Before it, `beforeCommit` runs (the commit
 * records of what it covers are made durable). A failed offset commit (for example during a
 * rebalance) is logged, not fatal: the next one covers it, and until then a restart only
 * re-reads more.
 */
export class OffsetCommits {
  private unwritten = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly waiters: Array<() => void> = [];
  private readonly due = new Map<string, OffsetCommit>();
  /** Resolved when the offsets due so far have been committed (or their commit failed). */
  private committed: { promise: Promise<void>; resolve: () => void } | null = null;
  private committing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private lastCommitAt = -Infinity;
  private draining = false;
  /** Offset commits made so far, and failed. */
  made = 0;
  failed = 0;

  constructor(
    private readonly commit: (offsets: OffsetCommit[]) => Promise<void>,
    private readonly beforeCommit: (() => Promise<void>) | undefined,
    private readonly intervalMs: number,
    private readonly log?: (line: string) => void,
  ) {}

  /** Batches handed over and not yet written. */
  get size(): number {
    return this.unwritten;
  }

  add(written: Promise<OffsetCommit[] | null>): void {
    this.unwritten++;
    this.chain = this.chain.then(async () => {
      const commits = await written;
      this.unwritten--;
      for (const wake of this.waiters.splice(0)) wake();
      void this.markDue(commits ?? []);
    });
  }

  /** Offsets written outside the batches (already durable): committed with the next commit. */
  commitSoon(offsets: OffsetCommit[]): Promise<void> {
    if (offsets.length === 0) return Promise.resolve();
    return this.markDue(offsets);
  }

  async waitBelow(limit: number): Promise<void> {
    while (this.unwritten > limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Resolves when every batch handed over is written and its offsets committed, without waiting for the interval. */
  async drain(): Promise<void> {
    await this.chain;
    this.draining = true;
    this.schedule();
    while (this.committing) await this.committing;
  }

  private markDue(commits: OffsetCommit[]): Promise<void> {
    for (const c of commits) this.due.set(partitionKey(c.topic, c.partition), c);
    if (!this.committed) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.committed = { promise, resolve };
    }
    const { promise } = this.committed;
    this.schedule();
    return promise;
  }

  /** Start a commit of what is due, unless one is in flight or the interval has not passed (then later). */
  private schedule(): void {
    if (this.committing || this.due.size === 0) return;
    const wait = this.draining ? 0 : this.lastCommitAt + this.intervalMs - performance.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.committing = this.commitDue().finally(() => {
      this.committing = null;
      this.schedule();
    });
  }

  private async commitDue(): Promise<void> {
    this.lastCommitAt = performance.now();
    const commits = [...this.due.values()];
    this.due.clear();
    const done = this.committed;
    this.committed = null;
    try {
      await this.beforeCommit?.();
      await this.commit(commits);
      this.made++;
    } catch (err) {
      this.failed++;
      this.log?.(`offset commit failed (${(err as Error).message}); the next commit covers it`);
    } finally {
      done?.resolve();
    }
  }
}
