import type { Reading } from '../../domain/reading.js';
import { compileRuleSet, evaluateRecord, evaluateWindow } from './evaluate.js';
import type { AlertRecord, RuleSet, WindowResult } from './types.js';
import { computeWindows } from './windows.js';

/** Deterministic alert order: patient_id, event_time, rule_id, then seq / window_start. */
function compareAlerts(a: AlertRecord, b: AlertRecord): number {
  return (
    a.patient_id - b.patient_id ||
    a.event_time - b.event_time ||
    (a.rule_id < b.rule_id ? -1 : a.rule_id > b.rule_id ? 1 : 0) ||
    (a.seq ?? -1) - (b.seq ?? -1) ||
    (a.window_start ?? -1) - (b.window_start ?? -1)
  );
}

/** Readings with duplicate (patient_id, seq) removed, first copy kept, order preserved. */
export function dedupeReadings(readings: Iterable<Reading>): Reading[] {
  const seen = new Map<number, Set<number>>();
  const out: Reading[] = [];
  for (const r of readings) {
    let seqs = seen.get(r.patient_id);
    if (!seqs) seen.set(r.patient_id, (seqs = new Set()));
    if (seqs.has(r.seq)) continue;
    seqs.add(r.seq);
    out.push(r);
  }
  return out;
}

/**
 * The reference evaluation (batch mode and ground truth): record rules on every reading
 * (each (patient_id, seq) once), window rules on computeWindows over all of them.
 * Alerts sorted by compareAlerts, windows by compareWindowResults.
 */
export function evaluateAll(
  readings: Iterable<Reading>,
  ruleSet: RuleSet,
  windowOriginMs = 0,
): { alerts: AlertRecord[]; windows: WindowResult[] } {
  const compiled = compileRuleSet(ruleSet);
  const unique = dedupeReadings(readings);
  const alerts: AlertRecord[] = [];
  for (const r of unique) alerts.push(...evaluateRecord(r, compiled.recordRules));
  const windows = compiled.windowSizes.length > 0 ? computeWindows(unique, compiled.windowSizes, windowOriginMs) : [];
  for (const w of windows) alerts.push(...evaluateWindow(w, compiled.windowRules));
  alerts.sort(compareAlerts);
  return { alerts, windows };
}
