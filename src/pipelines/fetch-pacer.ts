/**
 * Spaces fetches that bring data at least intervalMs apart (ConsumerLoopOptions.fetchIntervalMs).
 * Both clients hand over the batches of one fetch in one synchronous pass and fetch again once
 * all of them have returned: the first batch of a pass decides when that may be, and the others
 * of the same pass wait for the same moment. A batch's own processing and write never wait for
 * it: only the next fetch does.
 */
export class FetchPacer {
  /** When the last batches were released (performance.now()): about when the client fetched next. */
  private releasedAt = -Infinity;
  private pass: Promise<void> | null = null;
  /** Fetches that brought data so far. */
  fetches = 0;

  constructor(private readonly intervalMs: number) {}

  nextFetch(): Promise<void> {
    if (this.pass) return this.pass;
    this.fetches++;
    const wait = this.releasedAt + this.intervalMs - performance.now();
    this.pass =
      wait > 0
        ? new Promise<void>((resolve) => setTimeout(resolve, wait)).then(() => this.release())
        : Promise.resolve(this.release());
    // The batches of this pass are all handed over in this turn of the event loop; the next
    // fetch's come with its response, in a later turn.
    const pass = this.pass;
    setImmediate(() => {
      if (this.pass === pass) this.pass = null;
    });
    return pass;
  }

  private release(): void {
    this.releasedAt = performance.now();
  }
}
