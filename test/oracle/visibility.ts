// The old in-memory path (before issue 20 item 3), kept unchanged as the oracle of the streaming collection (test/oracle/metrics.ts).
/**
 * Visibility latency of every mode (METRICS.md "Visibility latency"), from what the results
 * observer saw: per measured reading, its first record result to become visible, from its
 * t_intended; with each result's bound (how late its t_visible may be). Pure.
 */
import { readingKey } from '../../src/domain/keys.js';
import { LatencyHistogram } from '../../src/results/histogram.js';
import type { ExternalModeResult, LatencySummary, ObservationResult } from '../../src/results/schema.js';

/** A record result (an alert of a reading, or a flagged reading) as the observer saw it. */
export interface VisibleResult {
  patient_id: number;
  /** The reading's seq; null for a window result (left out here). */
  seq: number | null;
  visible_at: number;
  not_before: number;
}

export interface VisibilityFigures {
  latency: LatencySummary;
  bound: LatencySummary;
}

/** Over the readings intended after the warm-up: first visible result per reading, and its bound. */
export function visibilityOf(
  results: Iterable<VisibleResult>,
  intended: ReadonlyMap<string, number>,
  warmupEnd: number,
): VisibilityFigures {
  const first = new Map<string, VisibleResult>();
  for (const r of results) {
    if (r.seq === null) continue;
    const key = readingKey(r.patient_id, r.seq);
    const seen = first.get(key);
    if (!seen || r.visible_at < seen.visible_at) first.set(key, r);
  }
  const latency = new LatencyHistogram();
  const bound = new LatencyHistogram();
  for (const [key, r] of first) {
    const t = intended.get(key);
    if (t === undefined || t < warmupEnd) continue;
    latency.record(r.visible_at - t);
    bound.record(r.visible_at - r.not_before);
  }
  return { latency: latency.summary(), bound: bound.summary() };
}

/** What the observer process reported about itself. */
export interface ObserverReport {
  intervalMs: number;
  priority: string;
  rounds: number;
  queriesPerS: number;
  cpuMs: number;
  gapP50Ms: number;
  gapP99Ms: number;
  gapMaxMs: number;
  sweptLate: number;
  failedRounds: number;
}

/**
 * The observation block of a run: every mode's visibility latency and its bound by the one
 * observer; the built-in modes' t_committed latency of the same results beside it.
 */
export function observationResult(
  report: ObserverReport,
  builtIn: ReadonlyArray<{
    mode: string;
    alerts: ReadonlyArray<{ patient_id: number; seq: number | null; alert_id: number; committed_at: number | null }>;
    sightings: ReadonlyMap<number, { at: number; notBefore: number }>;
  }>,
  external: ReadonlyArray<Pick<ExternalModeResult, 'name' | 'result_latency' | 'visibility_bound'>>,
  intended: ReadonlyMap<string, number>,
  warmupEnd: number,
): ObservationResult {
  const out: ObservationResult = {
    poll_interval_ms: report.intervalMs,
    priority: report.priority,
    rounds: report.rounds,
    queries_per_s: report.queriesPerS,
    cpu_ms: report.cpuMs,
    round_gap_ms: { p50: report.gapP50Ms, p99: report.gapP99Ms, max: report.gapMaxMs },
    swept_late: report.sweptLate,
    failed_rounds: report.failedRounds,
    visibility_latency: {},
    visibility_bound: {},
    commit_latency: {},
  };
  for (const m of builtIn) {
    const seen: VisibleResult[] = [];
    for (const a of m.alerts) {
      const s = m.sightings.get(a.alert_id);
      if (s) seen.push({ patient_id: a.patient_id, seq: a.seq, visible_at: s.at, not_before: s.notBefore });
    }
    const v = visibilityOf(seen, intended, warmupEnd);
    out.visibility_latency[m.mode] = v.latency;
    out.visibility_bound[m.mode] = v.bound;
    out.commit_latency[m.mode] = visibilityOf(
      m.alerts.flatMap((a) =>
        a.committed_at === null
          ? []
          : [{ patient_id: a.patient_id, seq: a.seq, visible_at: a.committed_at, not_before: a.committed_at }],
      ),
      intended,
      warmupEnd,
    ).latency;
  }
  for (const j of external) {
    out.visibility_latency[j.name] = j.result_latency;
    if (j.visibility_bound) out.visibility_bound[j.name] = j.visibility_bound;
  }
  return out;
}
