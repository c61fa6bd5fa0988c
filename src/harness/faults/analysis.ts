/**
 * What the analysis of faults reads (the run's per-second record, role exits, latencies) and
 * the helpers every fault kind's report uses: when something was noticed, when the consumers
 * were back at their level before the fault, the p99 of readings during the fault.
 */
import type { LatencySplit } from '../measure/latency-split.js';
import type { BacklogSample } from '../measure/metrics.js';
import type { RoleIncident } from '../processes/supervisor.js';

/** What every --fault has: its text, its kind and when it strikes (seconds since the load started). */
export interface FaultSpecBase {
  text: string;
  kind: string;
  atS: number;
}

/** What happened when a fault was injected: times in seconds since the load started. */
export interface InjectedFault<S extends FaultSpecBase = FaultSpecBase> {
  spec: S;
  injected_at_s?: number;
  /** The broker or database answering again, the paused process continued, the killed one back. */
  ended_at_s?: number;
  error?: string;
}

/** Whether the broker and the database answered the harness's probe at one moment. */
export interface AvailabilitySample {
  /** Epoch ms. */
  at: number;
  kafka: boolean;
  db: boolean;
}

/**
 * Per mode, the event-time p99 of the measured readings intended in [from, to] against that of
 * the others (measure/latency-split.ts IntervalLatencies, over the intervals faultIntervals names).
 */
export interface LatencySplits {
  split(from: number, to: number): LatencySplit;
}

export interface FaultAnalysisInput {
  /** When the load started (epoch ms): fault times are seconds since then. */
  startMs: number;
  warmupEndMs: number;
  rate: number;
  batchIntervalS: number;
  injected: InjectedFault[];
  incidents: RoleIncident[];
  availability: AvailabilitySample[];
  backlog: BacklogSample[];
  /** The measured readings' latencies split by the intervals the reports ask for. */
  latencies: LatencySplits;
  /** When each batch pass ended (epoch ms): the batch layer has caught up when a pass ends after a fault. */
  batchPassEndsMs?: number[];
}

export const ROLE_GROUP: Record<string, string> = { ingest: 'ingest', stream: 'stream', batch: 'batch' };

/** An injected restart of the broker or the database: outages within it are the fault's, not unannounced ones. */
interface ServiceWindow {
  kind: 'kafka' | 'db';
  from: number;
  to: number;
}

/** What the analysis of one fault tells the next: role exits already explained, restart windows so far. */
export interface Explained {
  incidents: Set<RoleIncident>;
  serviceWindows: ServiceWindow[];
}

/** When and by what the harness noticed a fault, and the role exits it caused. */
export interface Detection {
  detectedAt: number | null;
  detectedBy: string;
  restarts: string[];
  /** When the target was running again after a restart (seconds since the load started). */
  backAtS?: number;
}

/** Seconds since the load started, to a tenth. */
export function sinceStartS(x: FaultAnalysisInput, ms: number): number {
  return round1((ms - x.startMs) / 1000);
}

/** Epoch ms of a time in seconds since the load started. */
export function epochMs(x: FaultAnalysisInput, sec: number): number {
  return x.startMs + sec * 1000;
}

/** "stream killed by SIGKILL at 20.3 s, restarted in 1.1 s". */
export function describeIncident(inc: RoleIncident): string {
  const then =
    inc.restarted_in_s !== undefined
      ? `, restarted in ${inc.restarted_in_s} s`
      : inc.gave_up
        ? `, not restarted: ${inc.gave_up}`
        : '';
  return `${inc.role} ${inc.how} at ${inc.at_s} s${then}`;
}

/**
 * Per backlog group, the highest backlog in the 5 s before the fault; for the batch, whose
 * backlog fills until each pass, over a batch interval.
 */
export function preFaultLevel(x: FaultAnalysisInput, at: number): Record<string, number> {
  const level: Record<string, number> = {};
  for (const b of x.backlog) {
    for (const [group, v] of Object.entries(b.backlog)) {
      level[group] ??= 0;
      const from = at - (group === 'batch' ? Math.max(5, x.batchIntervalS) : 5) * 1000;
      if (b.at >= from && b.at < at) level[group] = Math.max(level[group], v);
    }
  }
  return level;
}

/** Sampling noise allowed above the pre-fault level: a fifth of a second of input, or 10% of the level. */
export function tolerance(x: FaultAnalysisInput, level: number): number {
  return Math.max(x.rate * 0.2, level * 0.1, 1);
}

/**
 * The first backlog sample at or after `from` with the Kafka consumers (ingest, stream) back at
 * their pre-fault level (the batch backlog, a saw-tooth full until each pass, says nothing here).
 */
export function recoveredAfter(x: FaultAnalysisInput, faultAt: number, from: number): number | null {
  const level = preFaultLevel(x, faultAt);
  for (const b of x.backlog) {
    if (b.at < from) continue;
    const groups = Object.entries(b.backlog).filter(([g]) => g !== 'batch');
    if (groups.every(([g, v]) => v <= (level[g] ?? 0) + tolerance(x, level[g] ?? 0))) return b.at;
  }
  return null;
}

/** A fault of the batch role is over when a batch pass ends after it (its backlog is then processed). */
export function batchCaughtUp(x: FaultAnalysisInput, from: number): number | null {
  const after = (x.batchPassEndsMs ?? []).filter((t) => t >= from);
  return after.length ? Math.min(...after) : null;
}

/** The event-time p99 of the measured readings intended in [from, to], and of all the others. */
export function p99Split(x: FaultAnalysisInput, from: number, to: number): LatencySplit {
  return x.latencies.split(from, to);
}

/** Runs of consecutive failed probes of one service: [first failure, first success after]. */
export function outages(samples: AvailabilitySample[], kind: 'kafka' | 'db'): Array<{ from: number; to: number }> {
  const out: Array<{ from: number; to: number }> = [];
  let from: number | null = null;
  let failures = 0;
  for (const a of samples) {
    if (!a[kind]) {
      from ??= a.at;
      failures++;
    } else if (from !== null) {
      // One failed probe can be a slow answer; two in a row is an outage.
      if (failures >= 2) out.push({ from, to: a.at });
      from = null;
      failures = 0;
    }
  }
  if (from !== null && failures >= 2) out.push({ from, to: samples[samples.length - 1]!.at });
  return out;
}

export function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
