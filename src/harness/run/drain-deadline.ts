/**
 * When a drain gives up: not before the rules' windows could have closed (the base deadline),
 * and after that only once the backlog has stopped shrinking for `stallMs`. A run whose ingest
 * fell a million readings behind and is working them off at 10,000 a second is draining, not
 * stuck; one whose backlog stands still is stuck, however short its windows.
 */
export class DrainDeadline {
  private lowest = Number.POSITIVE_INFINITY;
  private lastProgressAt: number;

  constructor(
    readonly baseAt: number,
    readonly stallMs: number,
    now: number,
  ) {
    this.lastProgressAt = now;
  }

  /** Notes the backlog still to drain at `now`; whether the drain has run out of time. */
  passed(backlog: number, now: number): boolean {
    if (backlog < this.lowest) {
      this.lowest = backlog;
      this.lastProgressAt = now;
    }
    return now > this.baseAt && now - this.lastProgressAt > this.stallMs;
  }

  /** Why it gave up, for the run's incomplete reason. */
  reason(now: number, loadEndMs: number): string {
    return `${Math.round((now - loadEndMs) / 1000)} s after the end of the load, with no progress for ${Math.round((now - this.lastProgressAt) / 1000)} s`;
  }
}
