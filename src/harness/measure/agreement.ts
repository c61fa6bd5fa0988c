/**
 * Alert agreement between two alert sets (METRICS.md "Correctness and agreement").
 * Alerts are matched on alertKey = (rule, patient, reading seq | window start); duplicates
 * within one set count once.
 *
 * Convention: a ratio whose numerator and denominator are both 0 is 1. Two empty sets
 * agree perfectly (precision = recall = F1 = Jaccard = 1); if only one side is empty the
 * other ratios are 0 as usual (e.g. A empty, B not: precision 1 (0/0), recall 0, F1 0, Jaccard 0).
 */
import { alertKey } from '../../pipelines/rules/types.js';
import type { AlertRecord } from '../../pipelines/rules/types.js';
import type { AgreementResult, AlertDiff } from '../../results/schema.js';

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
  // fp: in A (the evaluated set) but not in B (the reference); fn: in B but missed by A.
  return agreementFigures(aName, bName, scope, tp, A.size - tp, B.size - tp);
}

function agreementFigures(
  aName: string,
  bName: string,
  scope: AgreementResult['scope'],
  tp: number,
  fp: number,
  fn: number,
): AgreementResult {
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

/** TP and the two set sizes of one scope, summed over chunks. */
interface ScopeCounts {
  tp: number;
  a: number;
  b: number;
}

const SCOPES = ['record', 'window', 'all'] as const;

/**
 * compareAlerts and diffAlerts of two alert sets given a chunk at a time, where no alert key is
 * in two chunks (chunks of patients): the same figures as over the whole sets, with the alerts of
 * one chunk in memory at a time. The lists of keys only in one set keep the first `cap` in order.
 */
export class AgreementTally {
  private readonly counts = new Map<AgreementResult['scope'], ScopeCounts>(
    SCOPES.map((s) => [s, { tp: 0, a: 0, b: 0 }]),
  );
  private onlyA: string[] = [];
  private onlyB: string[] = [];

  constructor(
    readonly a: string,
    readonly b: string,
    private readonly cap = 20,
  ) {}

  add(a: AlertRecord[], b: AlertRecord[]): void {
    for (const scope of SCOPES) {
      const A = keys(a, scope);
      const B = keys(b, scope);
      const c = this.counts.get(scope)!;
      for (const k of A) if (B.has(k)) c.tp++;
      c.a += A.size;
      c.b += B.size;
      if (scope !== 'all') continue;
      this.onlyA = firstSorted(
        this.onlyA,
        [...A].filter((k) => !B.has(k)),
        this.cap,
      );
      this.onlyB = firstSorted(
        this.onlyB,
        [...B].filter((k) => !A.has(k)),
        this.cap,
      );
    }
  }

  /** As compareAlerts(a, A, b, B). */
  results(): AgreementResult[] {
    return SCOPES.map((scope) => {
      const { tp, a, b } = this.counts.get(scope)!;
      return agreementFigures(this.a, this.b, scope, tp, a - tp, b - tp);
    });
  }

  /** As diffAlerts(A, B, cap). */
  diff(): Omit<AlertDiff, 'a' | 'b'> {
    const all = this.counts.get('all')!;
    return { only_a_count: all.a - all.tp, only_b_count: all.b - all.tp, only_a: this.onlyA, only_b: this.onlyB };
  }
}

/** The first `cap` of two lists of keys in sort order. */
function firstSorted(kept: string[], more: string[], cap: number): string[] {
  if (more.length === 0) return kept;
  return [...kept, ...more].sort().slice(0, cap);
}
