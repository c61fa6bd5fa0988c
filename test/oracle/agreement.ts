// The old in-memory path (before issue 20 item 3), kept unchanged as the oracle of the streaming collection (test/oracle/metrics.ts).
/**
 * Alert agreement between two alert sets (METRICS.md "Correctness and agreement").
 * Alerts are matched on alertKey = (rule, patient, reading seq | window start); duplicates
 * within one set count once.
 *
 * Convention: a ratio whose numerator and denominator are both 0 is 1. Two empty sets
 * agree perfectly (precision = recall = F1 = Jaccard = 1); if only one side is empty the
 * other ratios are 0 as usual (e.g. A empty, B not: precision 1 (0/0), recall 0, F1 0, Jaccard 0).
 */
import { alertKey } from '../../src/pipelines/rules/types.js';
import type { AlertRecord } from '../../src/pipelines/rules/types.js';
import type { AgreementResult, AlertDiff } from '../../src/results/schema.js';

/** n / d with 0/0 = 1 (see module doc). */
function ratio(n: number, d: number): number {
  return d === 0 ? 1 : n / d;
}

function keys(alerts: AlertRecord[], scope: AgreementResult['scope']): Set<string> {
  const out = new Set<string>();
  for (const a of alerts) {
    if (scope === 'record' && a.seq === null) continue;
    if (scope === 'window' && a.seq !== null) continue;
    out.add(alertKey(a));
  }
  return out;
}

function agreementOf(
  aName: string,
  A: Set<string>,
  bName: string,
  B: Set<string>,
  scope: AgreementResult['scope'],
): AgreementResult {
  let tp = 0;
  for (const k of A) if (B.has(k)) tp++;
  const fp = A.size - tp; // in A (the evaluated set) but not in B (the reference)
  const fn = B.size - tp; // in B but missed by A
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  // F1 = 2TP / (2TP + FP + FN), with 0/0 = 1; equals the harmonic mean whenever defined.
  const f1 = ratio(2 * tp, 2 * tp + fp + fn);
  const jaccard = ratio(tp, tp + fp + fn);
  return { a: aName, b: bName, scope, tp, fp, fn, precision, recall, f1, jaccard };
}

/**
 * Compare alert set A against B (B is the reference: FP = in A only, FN = in B only),
 * for scopes record (seq !== null), window (seq === null) and all, in that order.
 */
export function compareAlerts(aName: string, a: AlertRecord[], bName: string, b: AlertRecord[]): AgreementResult[] {
  return (['record', 'window', 'all'] as const).map((scope) =>
    agreementOf(aName, keys(a, scope), bName, keys(b, scope), scope),
  );
}

/**
 * Alert keys only in A and only in B (sorted, each list capped at `cap`), with full counts.
 * For RunResult.agreement_diffs: `{ a: 'stream', b: 'batch', ...diffAlerts(stream, batch) }`.
 */
export function diffAlerts(a: AlertRecord[], b: AlertRecord[], cap = 20): Omit<AlertDiff, 'a' | 'b'> {
  const A = keys(a, 'all');
  const B = keys(b, 'all');
  const onlyA = [...A].filter((k) => !B.has(k)).sort();
  const onlyB = [...B].filter((k) => !A.has(k)).sort();
  return {
    only_a_count: onlyA.length,
    only_b_count: onlyB.length,
    only_a: onlyA.slice(0, cap),
    only_b: onlyB.slice(0, cap),
  };
}
