/**
 * Alert agreement: each pair of modes (and the rule reference), and the alerts only one of them raised.
 */
import type { RunResult } from '../../../results/schema.js';
import { fmtCount, fmtRatio, partyName } from '../format.js';
import { table } from '../md-table.js';
import { agreementApplies, whyNotApplies } from '../modes-view.js';
import { always, type RunSection } from './section.js';

/** The agreement table's rows; a comparison an external job's declared rules leave empty is n/a, not 1.0000. */
function agreementRows(r: RunResult): string[][] {
  return r.agreement.map((a) => {
    const head = [partyName(a.a), partyName(a.b), a.scope];
    if (!agreementApplies(r, a))
      return [...head, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', `n/a (${whyNotApplies(r, a)})`];
    return [
      ...head,
      fmtCount(a.tp),
      fmtCount(a.fp),
      fmtCount(a.fn),
      fmtRatio(a.precision),
      fmtRatio(a.recall),
      fmtRatio(a.f1),
      fmtRatio(a.jaccard),
    ];
  });
}

function agreementSection(r: RunResult): string[] {
  const parts = [
    '## Alert agreement',
    r.agreement.length
      ? table(['A', 'B', 'scope', 'TP', 'FP', 'FN', 'precision', 'recall', 'F1', 'Jaccard'], agreementRows(r))
      : 'No agreement computed.',
  ];
  for (const d of r.agreement_diffs ?? []) {
    const lines = [
      `Alerts in ${partyName(d.a)} only: ${fmtCount(d.only_a_count)}; in ${partyName(d.b)} only: ${fmtCount(d.only_b_count)}.`,
    ];
    if (d.only_a.length)
      lines.push(`- only in ${d.a} (first ${d.only_a.length}): ${d.only_a.map((k) => `\`${k}\``).join(', ')}`);
    if (d.only_b.length)
      lines.push(`- only in ${d.b} (first ${d.only_b.length}): ${d.only_b.map((k) => `\`${k}\``).join(', ')}`);
    parts.push(lines.join('\n'));
  }
  return parts;
}

export const agreement: RunSection = { title: 'Alert agreement', applies: always, render: agreementSection };
