import type { FaultReport } from '../../results/schema.js';
import {
  batchCaughtUp,
  describeIncident,
  epochMs,
  outages,
  p99Split,
  recoveredAfter,
  ROLE_GROUP,
  round1,
  sinceStartS,
  type Explained,
  type FaultAnalysisInput,
  type InjectedFault,
} from './analysis.js';
import { faultEndS, faultTarget, kindOf, type FaultSpec } from './spec.js';
import type { Interval, LatencySplit } from '../measure/latency-split.js';

export type { AvailabilitySample } from './analysis.js';

/** The run's record with the faults it injected. */
export type FaultRecord = Omit<FaultAnalysisInput, 'injected'> & { injected: Array<InjectedFault<FaultSpec>> };

/**
 * The intervals of t_intended whose latencies the reports of analyseFaults compare (a fault up
 * to its recovery): known from the run's record alone, before any reading is read.
 */
export function faultIntervals(x: Omit<FaultRecord, 'latencies'>): Interval[] {
  const intervals: Interval[] = [];
  const none: LatencySplit = { p99_during_ms: {}, p99_outside_ms: {}, readings_during: {} };
  analyseFaults({
    ...x,
    latencies: {
      split: (from, to) => {
        intervals.push({ from, to });
        return none;
      },
    },
  });
  return intervals;
}

/**
 * Faults injected, and outages and role exits nobody injected, each with: when the harness
 * detected it, when it was over, how long until the consumer backlog was back at its level
 * before the fault (the recovery time), and the event-time p99 of readings intended during the
 * fault (up to recovery) against the p99 of all other measured readings.
 */
export function analyseFaults(x: FaultRecord): FaultReport[] {
  const explained: Explained = { incidents: new Set(), serviceWindows: [] };
  const reports = [
    ...x.injected.map((f) => injectedFaultReport(x, f, explained)),
    ...unannouncedOutageReports(x, explained),
    ...unexplainedIncidentReports(x, explained),
  ];
  return reports.sort((a, b) => (a.injected_at_s ?? Infinity) - (b.injected_at_s ?? Infinity));
}

function injectedFaultReport(x: FaultRecord, f: InjectedFault<FaultSpec>, explained: Explained): FaultReport {
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
  const kind = kindOf(spec);
  const { detectedAt, detectedBy, restarts, backAtS } = kind.detect(x, spec, at, ended, explained);
  const from = epochMs(x, Math.max(ended, detectedAt ?? ended));
  const recovery = kind.recovery?.(spec) ?? 'consumers';
  const recoveredAt =
    recovery === 'batch-pass'
      ? batchCaughtUp(x, from)
      : recovery === 'restart'
        ? backAtS === undefined
          ? null
          : epochMs(x, backAtS)
        : recoveredAfter(x, epochMs(x, at), from);
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
      const recoveredAt =
        inc.role === 'batch'
          ? batchCaughtUp(x, back)
          : inc.role in ROLE_GROUP
            ? recoveredAfter(x, from, back)
            : inc.restarted_in_s === undefined
              ? null
              : back;
      return {
        fault: `${inc.role} ${inc.how} (not injected)`,
        injected: false,
        target: inc.role in ROLE_GROUP ? `${inc.role} role` : `external job ${inc.role}`,
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
