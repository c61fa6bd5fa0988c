import type { Reading } from '../../domain/reading.js';
import type { AlertRecord, Comparison, RecordRule, Rule, RuleSet, WindowResult, WindowRule } from './types.js';

/** `a op b`. */
export function compare(a: number, op: Comparison, b: number): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

/** A rule set split once by kind, for the hot paths. */
export interface CompiledRuleSet {
  name: string;
  recordRules: RecordRule[];
  windowRules: WindowRule[];
  /** Distinct window_s of the window rules, ascending. */
  windowSizes: number[];
  /** Window rules grouped by window_s. */
  windowRulesBySize: Map<number, WindowRule[]>;
}

export function compileRuleSet(ruleSet: RuleSet): CompiledRuleSet {
  const recordRules: RecordRule[] = [];
  const windowRules: WindowRule[] = [];
  const windowRulesBySize = new Map<number, WindowRule[]>();
  for (const rule of ruleSet.rules) {
    if (rule.kind === 'record') {
      recordRules.push(rule);
    } else {
      windowRules.push(rule);
      const group = windowRulesBySize.get(rule.window_s);
      if (group) group.push(rule);
      else windowRulesBySize.set(rule.window_s, [rule]);
    }
  }
  const windowSizes = [...windowRulesBySize.keys()].sort((a, b) => a - b);
  return { name: ruleSet.name, recordRules, windowRules, windowSizes, windowRulesBySize };
}

/**
 * Alerts of the record rules on one reading, in rule order. Window rules in `rules` are
 * skipped; pass `compiled.recordRules` to avoid even looking at them.
 */
export function evaluateRecord(reading: Reading, rules: readonly Rule[]): AlertRecord[] {
  const out: AlertRecord[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'record') continue;
    if (compare(reading[rule.vital], rule.op, rule.value)) {
      out.push({
        rule_id: rule.id,
        severity: rule.severity,
        patient_id: reading.patient_id,
        seq: reading.seq,
        window_start: null,
        event_time: reading.event_time,
      });
    }
  }
  return out;
}

/**
 * Alerts of the window rules whose window_s equals `result.window_s`, in rule order.
 * agg 'count' compares result.count; the others compare result.stats[vital][agg].
 * Record rules and rules of other window sizes are skipped.
 */
export function evaluateWindow(result: WindowResult, rules: readonly Rule[]): AlertRecord[] {
  const out: AlertRecord[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'window' || rule.window_s !== result.window_s) continue;
    const actual = rule.agg === 'count' ? result.count : result.stats[rule.vital][rule.agg];
    if (compare(actual, rule.op, rule.value)) {
      out.push({
        rule_id: rule.id,
        severity: rule.severity,
        patient_id: result.patient_id,
        seq: null,
        window_start: result.window_start,
        event_time: result.max_event_time,
      });
    }
  }
  return out;
}
