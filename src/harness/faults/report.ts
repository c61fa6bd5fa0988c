import type { Mode } from '../../domain/modes.js';
import type { BacklogSample } from '../measure/metrics.js';
import { faultEndS, faultTarget, type FaultSpec } from './spec.js';
import type { InjectedFault } from './injector.js';
import { LatencyHistogram } from '../../results/histogram.js';
import type { FaultReport } from '../../results/schema.js';
import type { RoleIncident } from '../processes/supervisor.js';

/** Whether the broker and the database answered the harness's probe at one moment. */
export interface AvailabilitySample {
  /** Epoch ms. */
  at: number;
  kafka: boolean;
  db: boolean;
}

/** A reading's event-time latency in one mode: its t_intended and t_committed (epoch ms). */
export interface LatencyPoint {
  intended: number;
  committed: number;
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
  /** Per mode, every measured reading (after warm-up). */
  latencies: Partial<Record<Mode, LatencyPoint[]>>;
  /** When each batch pass ended (epoch ms): the batch layer has caught up when a pass ends after a fault. */
  batchPassEndsMs?: number[];
}

const ROLE_GROUP: Record<string, string> = { ingest: 'ingest', stream: 'stream', batch: 'batch' };

/** An injected restart of the broker or the database: outages within it are the fault's, not unannounced ones. */
interface ServiceWindow {
  kind: 'kafka' | 'db';
  from: number;
  to: number;
}

/** What the analysis of one fault tells the next: role exits already explained, restart windows so far. */
interface Explained {
  incidents: Set<RoleIncident>;
  serviceWindows: ServiceWindow[];
}

/** When and by what the harness noticed a fault, and the role exits it caused. */
interface Detection {
  detectedAt: number | null;
  detectedBy: string;
  restarts: string[];
}

/**
 * Faults injected, and outages and role exits nobody injected, each with: when the harness
 * detected it, when it was over, how long until the consumer backlog was back at its level
 * before the fault (the recovery time), and the event-time p99 of readings intended during the
 * fault (up to recovery) against the p99 of all other measured readings.
 */
export function analyseFaults(x: FaultAnalysisInput): FaultReport[] {
  const explained: Explained = { incidents: new Set(), serviceWindows: [] };
  const reports = [
    ...x.injected.map((f) => injectedFaultReport(x, f, explained)),
    ...unannouncedOutageReports(x, explained),
    ...unexplainedIncidentReports(x, explained),
  ];
  return reports.sort((a, b) => (a.injected_at_s ?? Infinity) - (b.injected_at_s ?? Infinity));
}

/** Seconds since the load started, to a tenth. */
function sinceStartS(x: FaultAnalysisInput, ms: number): number {
  return round1((ms - x.startMs) / 1000);
}

/** Epoch ms of a time in seconds since the load started. */
function epochMs(x: FaultAnalysisInput, sec: number): number {
  return x.startMs + sec * 1000;
}

function injectedFaultReport(x: FaultAnalysisInput, f: InjectedFault, explained: Explained): FaultReport {
  const spec = f.spec;
  const base = { fault: spec.text, injected: true, target: faultTarget(spec) };
  if (f.injected_at_s === undefined) {
    return {
      ...base,
      injected_at_s: null,
      ended_at_s: null,
      detected_at_s: null,
      detected_by: 'not injected',
      recovered_at_s: null,
      recovery_s: null,
      restarts: [],
      p99_during_ms: {},
      p99_outside_ms: {},
      ...(f.error ? { error: f.error } : {}),
    };
  }
  const at = f.injected_at_s;
  const ended = f.ended_at_s ?? faultEndS(spec);
  const { detectedAt, detectedBy, restarts } = detectInjected(x, spec, at, ended, explained);
  const hitsBatch = (spec.kind === 'kill' || spec.kind === 'pause') && spec.role === 'batch';
  const from = epochMs(x, Math.max(ended, detectedAt ?? ended));
  const recoveredAt = hitsBatch ? batchCaughtUp(x, from) : recoveredAfter(x, epochMs(x, at), from);
  return {
    ...base,
    injected_at_s: at,
    ended_at_s: round1(ended),
    detected_at_s: detectedAt,
    detected_by: detectedBy,
    recovered_at_s: recoveredAt === null ? null : sinceStartS(x, recoveredAt),
    recovery_s: recoveredAt === null ? null : round1((recoveredAt - epochMs(x, at)) / 1000),
    restarts,
    ...p99Split(x, epochMs(x, at), recoveredAt ?? epochMs(x, ended)),
    ...(f.error ? { error: f.error } : {}),
  };
}

function detectInjected(
  x: FaultAnalysisInput,
  spec: FaultSpec,
  at: number,
  ended: number,
  explained: Explained,
): Detection {
  if (spec.kind === 'kafka-restart' || spec.kind === 'db-restart')
    return detectServiceRestart(x, spec.kind === 'kafka-restart' ? 'kafka' : 'db', at, ended, explained);
  if (spec.kind === 'kill') return detectKill(x, spec.role, at, explained);
  return detectBacklogGrowth(x, spec.role, at);
}

/** A restarted service is detected by the first failed probe; the role exits during it are its doing. */
function detectServiceRestart(
  x: FaultAnalysisInput,
  kind: 'kafka' | 'db',
  at: number,
  ended: number,
  explained: Explained,
): Detection {
  const detection: Detection = { detectedAt: null, detectedBy: 'not detected', restarts: [] };
  explained.serviceWindows.push({ kind, from: epochMs(x, at), to: epochMs(x, ended) + 5000 });
  const first = x.availability.find((a) => a.at >= epochMs(x, at) && !a[kind]);
  if (first) {
    detection.detectedAt = sinceStartS(x, first.at);
    detection.detectedBy = kind === 'kafka' ? 'broker unreachable' : 'database unreachable';
  }
  for (const inc of x.incidents) {
    if (inc.at_s >= at && inc.at_s <= ended + 30) {
      explained.incidents.add(inc);
      detection.restarts.push(describeIncident(inc));
    }
  }
  return detection;
}

/** A killed role is detected by its exit: the first of that role from the kill on not yet explained. */
function detectKill(x: FaultAnalysisInput, role: string, at: number, explained: Explained): Detection {
  const inc = x.incidents.find((i) => i.role === role && i.at_s >= at - 0.5 && !explained.incidents.has(i));
  if (!inc) return { detectedAt: null, detectedBy: 'not detected', restarts: [] };
  explained.incidents.add(inc);
  return { detectedAt: inc.at_s, detectedBy: 'role exit', restarts: [describeIncident(inc)] };
}

/** A paused role is detected by its backlog growing beyond its level before the pause. */
function detectBacklogGrowth(x: FaultAnalysisInput, role: string, at: number): Detection {
  const group = ROLE_GROUP[role]!;
  const level = preFaultLevel(x, epochMs(x, at));
  const grown = x.backlog.find(
    (b) => b.at >= epochMs(x, at) && (b.backlog[group] ?? 0) > level[group]! + tolerance(x, level[group]!),
  );
  if (!grown) return { detectedAt: null, detectedBy: 'not detected', restarts: [] };
  return { detectedAt: sinceStartS(x, grown.at), detectedBy: `${group} backlog growth`, restarts: [] };
}

/** Outages of the broker or the database outside any injected restart of it. */
function unannouncedOutageReports(x: FaultAnalysisInput, explained: Explained): FaultReport[] {
  const reports: FaultReport[] = [];
  const s = (ms: number): number => sinceStartS(x, ms);
  for (const kind of ['kafka', 'db'] as const) {
    for (const o of outages(x.availability, kind)) {
      if (explained.serviceWindows.some((w) => w.kind === kind && o.from <= w.to && o.to >= w.from)) continue;
      const recoveredAt = recoveredAfter(x, o.from, o.to);
      for (const inc of x.incidents)
        if (inc.at_s >= s(o.from) && inc.at_s <= s(o.to) + 30) explained.incidents.add(inc);
      reports.push({
        fault: `${kind === 'kafka' ? 'Kafka broker' : 'database'} unreachable (not injected)`,
        injected: false,
        target: kind === 'kafka' ? 'Kafka broker' : 'database server',
        injected_at_s: s(o.from),
        ended_at_s: s(o.to),
        detected_at_s: s(o.from),
        detected_by: kind === 'kafka' ? 'broker unreachable' : 'database unreachable',
        recovered_at_s: recoveredAt === null ? null : s(recoveredAt),
        recovery_s: recoveredAt === null ? null : round1((recoveredAt - o.from) / 1000),
        restarts: [],
        ...p99Split(x, o.from, recoveredAt ?? o.to),
      });
    }
  }
  return reports;
}

/** Role exits that no injected fault and no outage explains. */
function unexplainedIncidentReports(x: FaultAnalysisInput, explained: Explained): FaultReport[] {
  return x.incidents
    .filter((inc) => !explained.incidents.has(inc))
    .map((inc) => {
      const from = epochMs(x, inc.at_s);
      const back = from + (inc.restarted_in_s ?? 0) * 1000;
      const recoveredAt = inc.role === 'batch' ? batchCaughtUp(x, back) : recoveredAfter(x, from, back);
      return {
        fault: `${inc.role} ${inc.how} (not injected)`,
        injected: false,
        target: `${inc.role} role`,
        injected_at_s: inc.at_s,
        ended_at_s: inc.restarted_in_s === undefined ? null : round1(inc.at_s + inc.restarted_in_s),
        detected_at_s: inc.at_s,
        detected_by: 'role exit',
        recovered_at_s: recoveredAt === null ? null : sinceStartS(x, recoveredAt),
        recovery_s: recoveredAt === null ? null : round1((recoveredAt - from) / 1000),
        restarts: [describeIncident(inc)],
        ...p99Split(x, from, recoveredAt ?? from),
      };
    });
}

/** "stream killed by SIGKILL at 20.3 s, restarted in 1.1 s". */
function describeIncident(inc: RoleIncident): string {
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
function preFaultLevel(x: FaultAnalysisInput, at: number): Record<string, number> {
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
function tolerance(x: FaultAnalysisInput, level: number): number {
  return Math.max(x.rate * 0.2, level * 0.1, 1);
}

/**
 * The first backlog sample at or after `from` with the Kafka consumers (ingest, stream) back at
 * their pre-fault level (the batch backlog, a saw-tooth full until each pass, says nothing here).
 */
function recoveredAfter(x: FaultAnalysisInput, faultAt: number, from: number): number | null {
  const level = preFaultLevel(x, faultAt);
  for (const b of x.backlog) {
    if (b.at < from) continue;
    const groups = Object.entries(b.backlog).filter(([g]) => g !== 'batch');
    if (groups.every(([g, v]) => v <= (level[g] ?? 0) + tolerance(x, level[g] ?? 0))) return b.at;
  }
  return null;
}

/** A fault of the batch role is over when a batch pass ends after it (its backlog is then processed). */
function batchCaughtUp(x: FaultAnalysisInput, from: number): number | null {
  const after = (x.batchPassEndsMs ?? []).filter((t) => t >= from);
  return after.length ? Math.min(...after) : null;
}

function p99Split(
  x: FaultAnalysisInput,
  from: number,
  to: number,
): Pick<FaultReport, 'p99_during_ms' | 'p99_outside_ms' | 'readings_during'> {
  const during: Record<string, number | null> = {};
  const outside: Record<string, number | null> = {};
  const counts: Record<string, number> = {};
  for (const [mode, points] of Object.entries(x.latencies)) {
    const inH = new LatencyHistogram();
    const outH = new LatencyHistogram();
    for (const p of points ?? [])
      (p.intended >= from && p.intended <= to ? inH : outH).record(p.committed - p.intended);
    during[mode] = inH.count > 0 ? inH.summary().p99 : null;
    outside[mode] = outH.count > 0 ? outH.summary().p99 : null;
    counts[mode] = inH.count;
  }
  return { p99_during_ms: during, p99_outside_ms: outside, readings_during: counts };
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

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
