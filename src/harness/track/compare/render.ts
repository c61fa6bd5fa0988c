/**
 * A comparison as Markdown, ready for a pull-request comment or $GITHUB_STEP_SUMMARY, and as
 * JSON (the Comparison itself, NaN and infinities as null). The result comes first, then the
 * runs that were left out and why, then the table.
 */
import { isMode } from '../../../domain/modes.js';
import { GATE_DEFAULTS } from '../../measure/figures.js';
import { fmtMs, fmtSpread } from '../../report/format.js';
import type { Comparison, MetricComparison } from './compare.js';
import { EXIT_CODES } from './outcome.js';
import type { StageComparison, StageStat } from './stages.js';

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

/** "+25.0 ms", "-0.333 ms", "n/a". */
function fmtDiffMs(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  return `${v > 0 ? '+' : ''}${fmtMs(v)} ms`;
}

const fmtMaybeMs = (v: number | null): string => (v === null ? 'n/a' : fmtMs(v));

function verdictCell(m: MetricComparison): string {
  switch (m.verdict) {
    case 'regression':
      return '**regression**';
    case 'improvement':
      return '_improvement_';
    case 'not gated':
      return 'context (not gated)';
    default:
      return m.verdict;
  }
}

/** Escape the characters that would break a table cell. */
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The comparison table's rows: metric, base median (spread), new median (spread), change %, p, verdict. */
function comparisonTable(c: Comparison): string[] {
  if (c.metrics.length === 0) return ['No figure to compare: no valid run recorded one on either side.'];
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

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line: the outcome, its exit code and why. */
function summaryLine(c: Comparison): string {
  const label = (key: string): string => c.metrics.find((m) => m.key === key)?.label ?? key;
  const regressions = c.regressions.length
    ? `${plural(c.regressions.length, 'regression')} (${c.regressions.map(label).join(', ')})`
    : '';
  const code = `(exit ${EXIT_CODES[c.outcome]})`;
  if (c.outcome === 'fail') {
    const invariants = c.invariants.length ? plural(c.invariants.length, 'broken invariant') : '';
    const left = c.inconclusive.length ? `; the figures could not be judged: ${c.inconclusive.join('; ')}` : '';
    return `**Result: FAIL** ${code}: ${[regressions, invariants].filter(Boolean).join(', ')}${left}.`;
  }
  if (c.outcome === 'inconclusive') {
    const seen = regressions ? `; among the valid runs: ${regressions}` : '';
    return `**Result: INCONCLUSIVE** ${code}: ${c.inconclusive.join('; ')}${seen}. Nothing was judged: run again (on a quieter machine, or with more runs).`;
  }
  const improved = c.improvements.length
    ? `; ${plural(c.improvements.length, 'improvement')} (${c.improvements.map(label).join(', ')})`
    : '';
  return `**Result: PASS** ${code}: no regression, invariants hold${improved}.`;
}

/** "a regression is a median change for the worse beyond 10.0% ..." */
function ruleLine(c: Comparison): string {
  const o = c.options;
  const thresholds = [...new Set(c.metrics.filter((m) => m.gates).map((m) => m.threshold))];
  const beyond =
    thresholds.length <= 1
      ? `beyond ${fmtChange(thresholds[0] ?? o.threshold ?? GATE_DEFAULTS.threshold).replace('+', '')}`
      : "beyond the figure's own threshold";
  return (
    `- Rule: a regression is a median change of a gated figure for the worse ${beyond} with p < ${o.alpha} ` +
    `(two-sided Mann-Whitney U test) over at least ${o.min_runs} valid runs a side. A run that crashed or whose ` +
    'measurement was not valid (incomplete, or the load generator fell behind) is left out and makes the result ' +
    'inconclusive; context figures are shown, never gated.'
  );
}

function runIds(runs: Comparison['base']): string {
  const shown = runs.run_ids.slice(0, 5).join(', ');
  const valid = runs.valid !== runs.runs ? `, ${runs.valid} valid` : '';
  return `${plural(runs.runs, 'run')}${valid} (${shown}${runs.run_ids.length > 5 ? `, ... ${runs.run_ids.length - 5} more` : ''})`;
}

function leftOutSection(c: Comparison): string[] {
  if (!c.left_out.length) return [];
  return [
    '### Runs left out',
    '',
    ...c.left_out.map(
      (r) =>
        `- ${r.side} run ${r.run}: ${r.why === 'crashed' ? 'crashed' : 'not a valid measurement'}: ${r.problems.join('; ')}`,
    ),
    '',
  ];
}

/** Modes whose event-time latency moved (a gated row judged a regression or an improvement). */
function movedModes(c: Comparison): Set<string> {
  return new Set(
    c.metrics
      .filter(
        (m) => m.mode && m.key.includes('.event_time_') && (m.verdict === 'regression' || m.verdict === 'improvement'),
      )
      .map((m) => m.mode!),
  );
}

const statCells = (s: StageStat): string[] => [fmtMaybeMs(s.base), fmtMaybeMs(s.new), fmtDiffMs(s.diff), fmtP(s.p)];

/** "stream event-time mean 4.33 -> 29.3 ms (+25.0 ms, p 0.0079): processing and group-commit wait +25.0 ms (100% of the change, p 0.0079)." */
export function stageSentence(s: StageComparison): string {
  const moved = s.stages.filter((x) => x.moved).sort((a, b) => Math.abs(b.mean.diff!) - Math.abs(a.mean.diff!));
  const parts = moved.map((x) => {
    const detail = [x.share !== null ? `${Math.round(x.share * 100)}% of the change` : '', `p ${fmtP(x.mean.p)}`];
    return `${x.label} ${fmtDiffMs(x.mean.diff)} (${detail.filter(Boolean).join(', ')})`;
  });
  const rest = s.stages.filter((x) => !x.moved && x.mean.diff !== null);
  const restMax = rest.length ? Math.max(...rest.map((x) => Math.abs(x.mean.diff!))) : undefined;
  const head = `${s.mode} event-time mean ${fmtMaybeMs(s.total.base)} -> ${fmtMaybeMs(s.total.new)} ms (${fmtDiffMs(s.total.diff)}, p ${fmtP(s.total.p)})`;
  const body = parts.length ? parts.join('; ') : 'no single stage moved significantly';
  const tail =
    restMax !== undefined
      ? `; ${parts.length ? 'the other stages' : 'each stage'} moved by at most ${fmtMs(restMax)} ms`
      : '';
  return `${head}: ${body}${tail}.`;
}

function stagesSection(c: Comparison): string[] {
  const moved = movedModes(c);
  const out: string[] = [];
  for (const s of c.stages.filter((x) => moved.has(x.mode))) {
    out.push(
      `### Where the ${s.mode} latency moved`,
      '',
      `${stageSentence(s)} Medians across runs (${s.runs.base} BASE, ${s.runs.new} NEW) of each stage's mean and p50, in ms; the stages of a reading add up to its event-time latency, so their means add up to the mean.`,
      '',
      '| stage | base mean | new mean | change | p | base p50 | new p50 | change | p |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...s.stages.map(
        (x) =>
          `| ${cell(x.moved ? `**${x.label}**` : x.label)} | ${[...statCells(x.mean), ...statCells(x.p50)].join(' | ')} |`,
      ),
      `| event-time (mean of the readings) | ${statCells(s.total).join(' | ')} | | | | |`,
      '',
    );
  }
  return out;
}

/** Each context figure once, with the reason it is not gated. */
function contextSection(c: Comparison): string[] {
  const reasons = new Map<string, string>();
  for (const m of c.metrics) {
    if (m.gates || !m.not_gated_because) continue;
    const name = m.mode ? m.label.slice(m.mode.length + 1) : m.label;
    reasons.set(name, m.not_gated_because);
  }
  if (!reasons.size) return [];
  return ['### Context figures (not gated)', '', ...[...reasons].map(([name, why]) => `- ${name}: ${why}.`), ''];
}

export function renderMarkdown(c: Comparison): string {
  const lines: string[] = [
    '## vitals-bench compare',
    '',
    summaryLine(c),
    '',
    `- BASE: ${runIds(c.base)}`,
    `- NEW: ${runIds(c.new)}`,
  ];
  if (c.across)
    lines.push(
      `- Across \`--${c.across.flag}\`: BASE ${c.across.base}, NEW ${c.across.new}; every other compared parameter is the same.`,
    );
  const workload = Object.entries(c.parameters)
    .filter(([, v]) => v !== 'not recorded')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  lines.push(
    `- Workload: ${workload || 'not known (no run finished)'}`,
    ruleLine(c),
    '',
    ...leftOutSection(c),
    ...comparisonTable(c),
    '',
    ...stagesSection(c),
    '### Invariants of the NEW runs',
    '',
  );
  const complete = c.new.complete;
  if (c.invariants.length === 0)
    lines.push(
      complete === 0
        ? '- No NEW run finished: nothing to check.'
        : `- No loss, no duplicates and complete record-rule agreement${c.metrics.some((m) => m.mode && !isMode(m.mode)) ? ', and no lost, duplicate or unexpected result of an external mode,' : ''} in ${complete === 1 ? 'the NEW run' : `all ${complete} NEW runs`} that finished.`,
    );
  else for (const f of c.invariants) lines.push(`- **broken**: ${f.message}`);
  lines.push('', ...contextSection(c));
  if (c.notes.length) lines.push('### Notes', '', ...c.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

/** The comparison as JSON text; non-finite numbers as null. */
export function renderJson(c: unknown): string {
  return `${JSON.stringify(c, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
