/**
 * Open-loop send schedules. Every intended time is computed from the start and the index,
 * never by accumulating sleeps, so a sender loop cannot drift.
 */

export interface Schedule {
  /** Intended send time of reading i, epoch ms, possibly fractional. `now` is used only by 'max'. */
  intendedExact(i: number, now?: number): number;
  /** Integer-ms intended time (Math.floor of intendedExact): the event_time to stamp. */
  intendedMs(i: number, now?: number): number;
  /** How many readings (indices 0..n-1) are due at `now`, i.e. have intendedExact <= now. */
  dueCount(now: number): number;
}

/** t_sent - t_intended (METRICS.md "send delay"), ms. */
export function sendDelay(tSent: number, tIntended: number): number {
  return tSent - tIntended;
}

/** Readings to send now in a burst: due at `now` minus already sent (never negative). */
export function dueNow(schedule: Schedule, now: number, sent: number): number {
  return Math.max(0, schedule.dueCount(now) - sent);
}

/** Fixed-rate open loop: intended(i) = start + i * 1000 / rate. */
export class OpenLoopSchedule implements Schedule {
  readonly start: number;
  readonly rate: number;
  /** Total readings, or Infinity. dueCount never exceeds it. */
  readonly total: number;
  private readonly intervalMs: number;

  constructor(opts: { start: number; rate: number; total?: number }) {
    if (!(opts.rate > 0) || !Number.isFinite(opts.rate))
      throw new RangeError(`rate must be a positive number, got ${opts.rate}`);
    this.start = opts.start;
    this.rate = opts.rate;
    this.total = opts.total ?? Infinity;
    this.intervalMs = 1000 / opts.rate;
  }

  intendedExact(i: number): number {
    // i * 1000 / rate rather than i * intervalMs: one rounding, not a rounded interval multiplied.
    return this.start + (i * 1000) / this.rate;
  }

  intendedMs(i: number): number {
    return Math.floor(this.intendedExact(i));
  }

  dueCount(now: number): number {
    if (now < this.start) return 0;
    let n = Math.floor((now - this.start) / this.intervalMs) + 1;
    // Make the count agree exactly with intendedExact despite floating-point rounding.
    while (this.intendedExact(n) <= now) n++;
    while (n > 0 && this.intendedExact(n - 1) > now) n--;
    return Math.min(n, this.total);
  }

  /** Ms from `now` until reading i is due (<= 0 when already due): how long a sender may sleep. */
  msUntil(i: number, now: number): number {
    return this.intendedExact(i) - now;
  }
}

export type ReplayMode = { kind: 'recorded' } | { kind: 'rate'; rate: number } | { kind: 'max' };

/**
 * Replays a recorded data set:
 * - recorded: intended(i) = replayStart + (rec_i - rec_0), keeping the recorded timing;
 * - rate: intended(i) = replayStart + i * 1000 / R;
 * - max: as fast as possible, intended = the send time (pass it as `now`).
 */
export class ReplaySchedule implements Schedule {
  private readonly fixed: OpenLoopSchedule | null;

  constructor(
    private readonly recorded: ArrayLike<number>,
    readonly replayStart: number,
    readonly mode: ReplayMode,
  ) {
    this.fixed =
      mode.kind === 'rate'
        ? new OpenLoopSchedule({ start: replayStart, rate: mode.rate, total: recorded.length })
        : null;
    if (mode.kind === 'recorded') {
      for (let i = 1; i < recorded.length; i++) {
        if (recorded[i]! < recorded[i - 1]!)
          throw new RangeError(`recorded event times must be non-decreasing (record ${i})`);
      }
    }
  }

  get total(): number {
    return this.recorded.length;
  }

  intendedExact(i: number, now?: number): number {
    switch (this.mode.kind) {
      case 'recorded':
        return this.replayStart + (this.recordedAt(i) - this.recordedAt(0));
      case 'rate':
        return this.fixed!.intendedExact(i);
      case 'max':
        if (now === undefined) throw new Error("replay mode 'max': the intended time is the send time; pass now");
        return now;
    }
  }

  intendedMs(i: number, now?: number): number {
    return Math.floor(this.intendedExact(i, now));
  }

  dueCount(now: number): number {
    switch (this.mode.kind) {
      case 'max':
        return this.recorded.length;
      case 'rate':
        return this.fixed!.dueCount(now);
      case 'recorded': {
        // Binary search for the first record not yet due.
        let lo = 0;
        let hi = this.recorded.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (this.intendedExact(mid) <= now) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      }
    }
  }

  private recordedAt(i: number): number {
    const v = this.recorded[i];
    if (v === undefined) throw new RangeError(`record ${i} out of 0..${this.recorded.length - 1}`);
    return v;
  }
}
