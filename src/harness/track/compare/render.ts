/**
 * A comparison as Markdown, ready for a pull-request comment or $GITHUB_STEP_SUMMARY, and as
 * JSON (the Comparison itself, NaN and infinities as null).
 */
import { fmtMs } from '../../report/format.js';
import { fmtSpread } from '../../report/format.js';
import type { Comparison, MetricComparison } from './compare.js';

/** A figure with sensible decimals: 1234, 56.7, 8.91, 0.123. */
export const fmtNumber = fmtMs;

/** "+25.0%", "-3.2%", "0.0%"; "n/a" when there is no relative change (a side has no value, or BASE is 0). */
export function fmtChange(change: number | null): string {
  if (change === null || !Number.isFinite(change)) return 'n/a';
  const pct = change * 100;
  const text = Math.abs(pct) >= 100 ? pct.toFixed(0) : pct.toFixed(1);
  return `${pct > 0 && Number(text) !== 0 ? '+' : ''}${Number(text) === 0 ? '0.0' : text}%`;
}

/** "0.0079", "0.19", "<0.0001", "1.00"; "n/a" without a test. */
export function fmtP(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return 'n/a';
  if (p < 0.0001) return '<0.0001';
  if (p < 0.01) return p.toFixed(4);
  return p.toFixed(2);
}

function verdictCell(m: MetricComparison): string {
  switch (m.verdict) {
    case 'regression':
      return '**regression**';
    case 'improvement':
      return '_improvement_';
    default:
      return m.verdict;
  }
}

/** Escape the characters that would break a table cell. */
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The comparison table's rows: metric, base median (spread), new median (spread), change %, p, verdict. */
function comparisonTable(c: Comparison): string[] {
  const lines = [
    '| metric | base median (spread) | new median (spread) | change % | p | verdict |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const m of c.metrics) {
    const unit = m.unit ? ` (${m.unit}, ${m.better} is better)` : '';
    lines.push(
      `| ${cell(m.label + unit)} | ${fmtSpread(m.base ?? undefined, fmtNumber)} | ${fmtSpread(m.new ?? undefined, fmtNumber)} | ${fmtChange(m.change)} | ${fmtP(m.p)} | ${verdictCell(m)} |`,
    );
  }
  return lines;
}

/** One line: PASS or FAIL and why. */
function summaryLine(c: Comparison): string {
  const label = (key: string): string => c.metrics.find((m) => m.key === key)?.label ?? key;
  const parts: string[] = [];
  if (c.regressions.length)
    parts.push(
      `${c.regressions.length} regression${c.regressions.length === 1 ? '' : 's'} (${c.regressions.map(label).join(', ')})`,
    );
  if (c.invariants.length) parts.push(`${c.invariants.length} broken invariant${c.invariants.length === 1 ? '' : 's'}`);
  if (parts.length) return `**Result: FAIL**: ${parts.join(', ')}.`;
  const few = c.metrics.filter((m) => m.verdict === 'too few samples').length;
  const improved = c.improvements.length
    ? `; ${c.improvements.length} improvement${c.improvements.length === 1 ? '' : 's'} (${c.improvements.map(label).join(', ')})`
    : '';
  const cannot = few
    ? `; cannot judge ${few} of ${c.metrics.length} metric${c.metrics.length === 1 ? '' : 's'}: too few samples (at least ${c.options.min_runs} runs a side are needed)`
    : '';
  return `**Result: PASS**: no regression, invariants hold${improved}${cannot}.`;
}

export function renderMarkdown(c: Comparison): string {
  const ids = (runs: { runs: number; run_ids: string[] }): string => {
    const shown = runs.run_ids.slice(0, 5).join(', ');
    return `${runs.runs} run${runs.runs === 1 ? '' : 's'} (${shown}${runs.run_ids.length > 5 ? `, ... ${runs.run_ids.length - 5} more` : ''})`;
  };
  const o = c.options;
  const lines: string[] = [
    '## vitals-bench compare',
    '',
    `- BASE: ${ids(c.base)}`,
    `- NEW: ${ids(c.new)}`,
    `- Workload: ${Object.entries(c.parameters)
      .filter(([, v]) => v !== 'not recorded')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- Rule: a regression is a median change for the worse beyond ${fmtChange(o.threshold).replace('+', '')} with p < ${o.alpha} ` +
      `(two-sided Mann-Whitney U test) and at least ${o.min_runs} runs a side; fewer runs: the change is shown but not judged.` +
      (o.ignored_parameters.length ? ` Parameters not required to match: ${o.ignored_parameters.join(', ')}.` : ''),
    '',
    ...comparisonTable(c),
    '',
    '### Invariants of the NEW runs',
    '',
  ];
  if (c.invariants.length === 0)
    lines.push(
      `- No loss, no duplicates and complete record-rule agreement in ${c.new.runs === 1 ? 'the NEW run' : `all ${c.new.runs} NEW runs`}.`,
    );
  else for (const f of c.invariants) lines.push(`- **broken**: ${f.message}`);
  if (c.notes.length) lines.push('', '### Notes', '', ...c.notes.map((n) => `- ${n}`));
  lines.push('', summaryLine(c), '');
  return lines.join('\n');
}

/** The comparison as JSON text; non-finite numbers as null. */
export function renderJson(c: Comparison): string {
  return `${JSON.stringify(c, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
