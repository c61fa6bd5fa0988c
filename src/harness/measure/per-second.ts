/**
 * One mode's results per second since the schedule's start (the timeseries; reading-latency.ts
 * keeps a second one by minute, its index a minute): how many committed
 * in each second, and the event-time p99 of those. A second's histogram is kept only while
 * results can still come in it; once closed, its p99 is all that is left, so the memory this
 * takes follows the seconds still open, not the run's length.
 */
import { LatencyHistogram } from '../../results/histogram.js';

export class PerSecondLatency {
  /** Results committed per second. */
  readonly output: number[] = [];
  /** Per closed second, the p99 of its results' latencies (null: none). */
  private readonly p99s: Array<number | null> = [];
  private readonly open = new Map<number, LatencyHistogram>();
  private closedBefore = 0;
  /** Results of a second already closed (only if a clock went back): counted, left out of its p99. */
  lateForClosed = 0;

  record(second: number, latencyMs: number): void {
    while (this.output.length <= second) this.output.push(0);
    this.output[second]!++;
    if (second < this.closedBefore) {
      this.lateForClosed++;
      return;
    }
    let h = this.open.get(second);
    if (!h) this.open.set(second, (h = new LatencyHistogram(undefined, true)));
    h.record(latencyMs);
  }

  /** No result can come any more in a second before `second`: their p99s are final. */
  closeBefore(second: number): void {
    if (second <= this.closedBefore) return;
    for (const [s, h] of this.open) {
      if (s >= second) continue;
      while (this.p99s.length <= s) this.p99s.push(null);
      this.p99s[s] = h.count > 0 ? h.percentile(99) : null;
      this.open.delete(s);
    }
    this.closedBefore = second;
  }

  /** The p99 of a closed second (null: no result in it). */
  p99(second: number): number | null {
    if (second >= this.closedBefore) throw new Error(`second ${second} is not closed yet`);
    return this.p99s[second] ?? null;
  }

  /** Seconds whose histogram is still kept. */
  get openSeconds(): number {
    return this.open.size;
  }
}
