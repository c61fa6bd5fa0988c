/**
 * One mode's reading figures (METRICS.md "Latency", "Throughput"), added a reading at a time:
 * event-time and processing-time latency of the measured readings, their results per second, and
 * the stored readings that have no committed result.
 */
import { LatencyHistogram } from '../../results/histogram.js';
import { PerSecondLatency } from './per-second.js';

export class ReadingLatencyTally {
  readonly eventTime = new LatencyHistogram();
  readonly processing = new LatencyHistogram();
  readonly perSecond = new PerSecondLatency();
  /** The same by minute of commit (the drift of a long run): index = minute since the schedule's start. */
  readonly perMinute = new PerSecondLatency();
  /** Stored readings the generator sent with no committed result. */
  unprocessed = 0;
  /** Readings with a result, intended during the warm-up (not measured). */
  warmup = 0;
  /** The latest commit of a measured reading's result (epoch ms; -Infinity: none). */
  lastCommit = -Infinity;
  /** Measured readings with a committed result. */
  count = 0;

  /** `startMs`: the schedule's start (second 0 of the timeseries); `warmupEnd`: where the measured phase begins. */
  constructor(
    private readonly startMs: number,
    private readonly warmupEnd: number,
  ) {}

  /** A stored reading the generator sent: its t_intended, its result's t_committed (NaN: none), its t_appended. */
  add(intended: number, committed: number, appended: number): void {
    if (Number.isNaN(committed)) {
      this.unprocessed++;
      return;
    }
    if (intended < this.warmupEnd) {
      this.warmup++;
      return;
    }
    const latency = committed - intended;
    this.eventTime.record(latency);
    this.processing.record(committed - appended);
    const second = Math.max(0, Math.floor((committed - this.startMs) / 1000));
    this.perSecond.record(second, latency);
    this.perMinute.record(Math.floor(second / 60), latency);
    if (committed > this.lastCommit) this.lastCommit = committed;
    this.count++;
  }
}
