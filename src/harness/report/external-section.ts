/**
 * "External pipelines" (docs/EXTERNAL.md): each external job's figures, and every mode's latency
 * to its record results side by side, the one population the built-in modes and a black-box
 * job can be compared on.
 */
import type { ExternalModeResult, LatencySummary, RunResult } from '../../results/schema.js';
import { fmtCount, fmtMs, fmtNum } from './format.js';

const ms = fmtMs;
const num = fmtNum;

function latencyCells(s: LatencySummary | undefined): string[] {
  if (!s || s.count === 0) return ['0', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
  return [fmtCount(s.count), ms(s.mean), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
}

/** The section, or null when the run had no external mode. */
export function externalSection(r: RunResult): string | null {
  const e = r.external;
  if (!e) return null;
  const parts = [
    '## External pipelines',
    'Jobs the harness ran as black boxes beside its own modes (docs/EXTERNAL.md), judged only by the rows they wrote to `external_results`.',
    resultLatencyTable(r, e.result_latency),
    jobsTable(e.jobs),
    ...e.jobs.map(jobNotes),
  ];
  return parts.join('\n\n');
}

function resultLatencyTable(r: RunResult, byMode: Record<string, LatencySummary>): string {
  const rows = Object.entries(byMode).map(([mode, s]) => {
    const external = r.external!.jobs.find((j) => j.name === mode);
    const how = external
      ? `first poll that saw it (resolution ${ms(external.visibility_resolution_ms)} ms)`
      : 'its commit (t_committed)';
    return `| ${mode} | ${latencyCells(s).join(' | ')} | ${how} |`;
  });
  return [
    "### Latency to a reading's result (ms)",
    'Per reading of the measured phase that fired a record rule: from its t_intended to the moment its first result (alert or flag) was in the database. ' +
      "The built-in modes stamp their own commit; an external job is seen by the results observer, which asks the database for every mode's new results in one query after another, so its figure is late by at most its resolution: each result is bounded by the start of the query before the one that returned it, and the resolution stated is the p99 of those bounds (the pause between queries, --external-poll-ms, is what was asked; the resolution is what the observer achieved).",
    '',
    '| mode | readings | mean | p50 | p95 | p99 | max | result time |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

function jobsTable(jobs: ExternalModeResult[]): string {
  const rows = jobs.map(
    (j) =>
      `| ${j.name} | ${j.kind === 'alerts' ? 'per-rule alerts' : 'flagged readings'} | ${j.startup_s !== undefined ? num(j.startup_s) : 'n/a'} | ` +
      `${fmtCount(j.rows)} | ${fmtCount(j.results)} | ${fmtCount(j.duplicates)} | ${fmtCount(j.loss)} | ${fmtCount(j.unexpected)} | ${num(j.output_rate)} | ${num(j.expected_rate)} | ${ms(j.visibility_resolution_ms)} |`,
  );
  return [
    '### Jobs',
    '| job | writes | start-up (s) | rows | results | duplicates | loss | unexpected | results/s | expected results/s | resolution (ms) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

function jobNotes(j: ExternalModeResult): string {
  const lines = [
    `**${j.name}** (\`${j.command.replace(/`/g, "'")}\`): ${j.exit}.`,
    `Latency from its rows' inserted_at (the database clock at the insert, before the commit: a lower bound): p50 ${pctOf(j.result_latency_at_insert, 'p50')}, p99 ${pctOf(j.result_latency_at_insert, 'p99')}.`,
  ];
  if (j.window_result_latency)
    lines.push(
      `Window results, from the window's end to the first poll that saw it: p50 ${pctOf(j.window_result_latency, 'p50')}, p99 ${pctOf(j.window_result_latency, 'p99')}.`,
    );
  if (j.seen_only_by_final_scan)
    lines.push(
      `${fmtCount(j.seen_only_by_final_scan)} rows were seen only by the final scan (committed out of id order or during a database outage): their t_visible is that scan's time.`,
    );
  if (j.rules_not_evaluated?.length)
    lines.push(
      `It declared the rules it evaluates (${j.rules_evaluated!.join(', ')}); not evaluated, and left out of its comparisons: ${j.rules_not_evaluated.join(', ')}.`,
    );
  lines.push(
    j.kind === 'flagged_readings'
      ? 'It flags readings without naming a rule: it is compared per reading (scope record) with the readings any record rule fires on.'
      : 'Its alerts are compared per rule, patient and reading or window, as the built-in modes are (Alert agreement above).',
  );
  return lines.join(' ');
}

function pctOf(s: LatencySummary, f: 'p50' | 'p99'): string {
  return s.count === 0 ? 'n/a' : `${ms(s[f])} ms`;
}
