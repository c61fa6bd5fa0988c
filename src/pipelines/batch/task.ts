import type { RuleSet } from '../rules/types.js';

/** One unit of a batch pass: the readings of a patient range that arrived in (ingestLo, ingestHi]. */
export interface BatchTask {
  mysqlUrl: string;
  runId: string;
  ruleSet: RuleSet;
  allowedLatenessMs: number;
  patientLo: number;
  patientHi: number;
  ingestLo: number;
  ingestHi: number;
  /** Batch watermark of the previous pass (-1 for the first): windows closed by it were written then. */
  prevWatermark: number;
  /** This pass's watermark: the largest event_time stored; a window [s, e) is complete when e + lateness <= it. */
  watermark: number;
  /** The last pass: every window is complete. */
  final: boolean;
  /** Where windows are aligned (rules/windows.ts windowStartOf). */
  windowOriginMs: number;
  /** t_pass_start: when the pass that dispatched this task began (epoch ms, METRICS.md "Stage latency"). */
  passStartedAt: number;
}

export interface BatchTaskResult {
  readings: number;
  alerts: number;
  windows: number;
  /** Windows written before and written again because late readings changed them. */
  windowsRecomputed: number;
  committedAt: number;
}
