/**
 * "Where the time goes": the stream's stage latencies (METRICS.md "Stage latency") as a
 * Markdown section and as a stacked bar of the stages' mean durations.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../results.js';
import type { StageBreakdown } from '../stages.js';
import { MS_FORMAT, VEGA_LITE_SCHEMA } from './charts.js';

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(v === Math.round(v) ? 0 : 1));
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

/** The section, or null when the run has no stage figures (no stream mode, or recorded before they existed). */
export function stagesSection(r: RunResult): string | null {
  const b = r.stages?.stream;
  if (!b) return null;
  const head =
    `## Where the time goes (stream)\n\nEach measured reading's event-time latency, cut at the instants it passed (docs/METRICS.md, "Stage latency"): ` +
    "t_intended → t_sent → t_appended → t_fetched → t_commit_start → t_committed. A reading's stages add up to its event-time latency exactly; " +
    'percentiles of stages do not add up, their means do.';
  if (b.readings === 0)
    return `${head}\n\nNo reading has every instant recorded${b.incomplete ? ` (${b.incomplete} lack one)` : ''}.`;
  const rows = b.stages.map(
    (s) =>
      `| ${s.label} | ${fmt(s.mean_ms)} | ${pct(s.share)} | ${fmt(s.latency.p50)} | ${fmt(s.latency.p99)} | ${fmt(s.latency.p999)} | ${fmt(s.latency.max)} |`,
  );
  const table = [
    '| stage | mean | share of mean | p50 | p99 | p99.9 | max |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    `| **event-time latency** | **${fmt(b.mean_total_ms)}** | 100% | | | | |`,
  ].join('\n');
  const note =
    `${b.readings.toLocaleString('en-US')} readings of the measured phase, milliseconds` +
    (b.incomplete ? `; ${b.incomplete.toLocaleString('en-US')} left out because an instant was not recorded.` : '.') +
    " Send delay: the generator; produce: the request to the broker's log append; delivery: the log to the consumer's batch; " +
    'processing: evaluation and the wait for the group commit (and any --inject-delay-ms); commit: the database transaction.';
  return [head, table, note].join('\n\n');
}

/** A stacked bar of the stages' mean durations: which stage the mean event-time latency is made of. */
export function stagesSpec(b: StageBreakdown): TopLevelSpec {
  const values = b.stages.map((s, order) => ({
    stage: s.label,
    order,
    mean_ms: Math.max(0, s.mean_ms),
    share: s.share,
    mode: 'stream',
  }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: "Where the stream's time goes",
      subtitle: `mean of each stage, ${b.readings.toLocaleString('en-US')} readings; together the mean event-time latency`,
    },
    width: 560,
    height: 80,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'mode', type: 'nominal', title: null },
      x: {
        field: 'mean_ms',
        type: 'quantitative',
        stack: 'zero',
        title: 'mean latency (ms)',
        axis: { format: MS_FORMAT },
      },
      color: {
        field: 'stage',
        type: 'nominal',
        title: 'stage',
        sort: b.stages.map((s) => s.label),
        legend: { orient: 'bottom', columns: 2, labelLimit: 0 },
      },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [
        { field: 'stage' },
        { field: 'mean_ms', type: 'quantitative', title: 'mean (ms)', format: ',.2~f' },
        { field: 'share', type: 'quantitative', format: '.1%' },
      ],
    },
  } as unknown as TopLevelSpec;
}
