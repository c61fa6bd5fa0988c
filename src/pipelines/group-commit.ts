/**
 * Group commit: work submitted while a write is in flight is written together in the next
 * one. kafkajs hands over one partition's batch at a time; with several partitions consumed
 * concurrently this turns their batches into one database transaction (one fsync) instead of
 * one each, and every submitter resolves only when its own rows are committed.
 */
export class GroupCommit<T> {
  private pending: T[] = [];
  private waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private running: Promise<void> | null = null;

  constructor(private readonly write: (items: T[]) => Promise<void>) {}

  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push(item);
      this.waiters.push({ resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Resolves when nothing is pending or being written. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const items = this.pending.splice(0);
        const waiters = this.waiters.splice(0);
        try {
          // Called through an async function so that a write throwing at once still suspends
          // here: otherwise `finally` would run before submit() stores this promise in
          // `running`, which would then stay set for good.
          await (async () => this.write(items))();
          for (const w of waiters) w.resolve();
        } catch (err) {
          for (const w of waiters) w.reject(err as Error);
        }
      }
    } finally {
      this.running = null;
    }
  }
}
