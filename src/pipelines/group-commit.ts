/**
 * Group commit: work submitted while a write is in flight is written together in the next
 * one, and a write starts on the turn of the event loop after the first submission, so work
 * submitted in the same turn goes together too. The clients hand over one partition's batch
 * at a time, the batches of one fetch in one turn: they become one database transaction (one
 * fsync) instead of one each, and every submitter resolves only when its own rows are committed.
 * Nothing waits for a timer: a write waits only for the one before it.
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
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.pending.length > 0) {
        const items = this.pending.splice(0);
        const waiters = this.waiters.splice(0);
        try {
          await this.write(items);
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
