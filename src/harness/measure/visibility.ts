/**
 * Visibility latency of every mode (METRICS.md "Visibility latency"), from what the results
 * observer saw: per measured reading, its first record result to become visible, from its
 * t_intended; with each result's bound (how late its t_visible may be). Pure.
 */
import { readingKey } from '../../domain/keys.js';
import { LatencyHistogram } from '../../results/histogram.js';
import type { ExternalModeResult, LatencySummary, ObservationResult } from '../../results/schema.js';
import type { SightingLookup } from './results-observer.js';

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

/** t_intended of a reading the generator sent (undefined: any other key). */
export type IntendedOf = (patientId: number, seq: number) => number | undefined;

/**
 * Visibility figures of results given a chunk at a time, where all results of one reading are in
 * one chunk: per reading intended after the warm-up, its first visible result and that result's bound.
 */
export class VisibilityTally {
  private readonly latency = new LatencyHistogram();
  private readonly bound = new LatencyHistogram();

  constructor(
    private readonly intendedOf: IntendedOf,
    private readonly warmupEnd: number,
  ) {}

  add(results: Iterable<VisibleResult>): void {
    const first = new Map<string, VisibleResult>();
    for (const r of results) {
      if (r.seq === null) continue;
      const key = readingKey(r.patient_id, r.seq);
      const seen = first.get(key);
      if (!seen || r.visible_at < seen.visible_at) first.set(key, r);
    }
    for (const r of first.values()) {
      const t = this.intendedOf(r.patient_id, r.seq!);
      if (t === undefined || t < this.warmupEnd) continue;
      this.latency.record(r.visible_at - t);
      this.bound.record(r.visible_at - r.not_before);
    }
  }

  figures(): VisibilityFigures {
    return { latency: this.latency.summary(), bound: this.bound.summary() };
  }
}

/** Over the readings intended after the warm-up: first visible result per reading, and its bound. */
export function visibilityOf(
  results: Iterable<VisibleResult>,
  intendedOf: IntendedOf,
  warmupEnd: number,
): VisibilityFigures {
  const tally = new VisibilityTally(intendedOf, warmupEnd);
  tally.add(results);
  return tally.figures();
}

/**
 * A built-in mode's alerts of one chunk as the observer saw them (those it saw), and as they
 * committed (the writer's clock after COMMIT).
 */
export function seenAndCommitted(
  alerts: ReadonlyArray<{ patient_id: number; seq: number | null; alert_id: number; committed_at: number | null }>,
  sightings: SightingLookup,
): { seen: VisibleResult[]; committed: VisibleResult[] } {
  const seen: VisibleResult[] = [];
  const committed: VisibleResult[] = [];
  for (const a of alerts) {
    const s = sightings.get(a.alert_id);
    if (s) seen.push({ patient_id: a.patient_id, seq: a.seq, visible_at: s.at, not_before: s.notBefore });
    if (a.committed_at !== null)
      committed.push({ patient_id: a.patient_id, seq: a.seq, visible_at: a.committed_at, not_before: a.committed_at });
  }
  return { seen, committed };
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
  builtIn: ReadonlyArray<{ mode: string; visible: VisibilityFigures; committed: VisibilityFigures }>,
  external: ReadonlyArray<Pick<ExternalModeResult, 'name' | 'result_latency' | 'visibility_bound'>>,
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
    out.visibility_latency[m.mode] = m.visible.latency;
    out.visibility_bound[m.mode] = m.visible.bound;
    out.commit_latency[m.mode] = m.committed.latency;
  }
  for (const j of external) {
    out.visibility_latency[j.name] = j.result_latency;
    if (j.visibility_bound) out.visibility_bound[j.name] = j.visibility_bound;
  }
  return out;
}

/**
 * What the results observer aims at: t_visible late by at most this for 99% of results (its
 * rounds 2 ms apart plus one index-only query). A machine too loaded to keep it shows as a
 * larger bound, and the run's warnings say so.
 */
export const OBSERVER_RESOLUTION_TARGET_MS = 5;

const oneDecimal = (v: number): string => String(Math.round(v * 10) / 10);

/**
 * A warning when the resolution stated for a mode (the p99 of its per-result bound) is above the
 * target: the largest such resolution, every mode's above it, and the observer's round gaps.
 */
export function observerResolutionWarnings(o: ObservationResult): string[] {
  const over = Object.entries(o.visibility_bound)
    .filter(([, b]) => b.count > 0 && b.p99 > OBSERVER_RESOLUTION_TARGET_MS)
    .sort(([, a], [, b]) => b.p99 - a.p99);
  if (!over.length) return [];
  const worst = over[0]![1].p99;
  return [
    `the results observer's resolution was ${oneDecimal(worst)} ms (p99), above its ${OBSERVER_RESOLUTION_TARGET_MS} ms target: the machine was loaded ` +
      `(${over.map(([mode, b]) => `${mode} ${oneDecimal(b.p99)} ms, p95 ${oneDecimal(b.p95)}, widest ${oneDecimal(b.max)}`).join('; ')}; its rounds started ${oneDecimal(o.round_gap_ms.p99)} ms apart at p99 and ` +
      `${oneDecimal(o.round_gap_ms.max)} ms at most, ${o.poll_interval_ms} ms pause asked): each visibility latency may be late by that much`,
  ];
}
