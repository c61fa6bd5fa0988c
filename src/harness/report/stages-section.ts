/**
 * "Where the time goes": each mode's stage latencies (METRICS.md "Stage latency") as a
 * Markdown section, a table per mode, and as a stacked bar per mode of the stages' mean
 * durations.
 */
import type { TopLevelSpec } from 'vega-lite';
import { MODES, type Mode } from '../../domain/modes.js';
import type { RunResult } from '../../results/schema.js';
import type { StageBreakdown } from '../../results/schema.js';
import { VEGA_LITE_SCHEMA } from './charts.js';
import { fmtCount, fmtMs, fmtPercent } from './format.js';

const fmt = fmtMs;
const pct = (v: number): string => fmtPercent(v * 100);

type RunStages = NonNullable<RunResult['stages']>;

/** Per mode: the instants its readings pass, and what each stage holds. */
const MODE_TEXT: Record<Mode, { title: string; chain: string; note: string }> = {
  stream: {
    title: 'Stream',
    chain: 't_intended → t_sent → t_appended → t_fetched → t_commit_start → t_committed',
    note:
      "Send delay: the generator; produce: the request to the broker's log append; delivery: the log to the consumer's batch; " +
      'processing: evaluation and the wait for the group commit (and any --inject-delay-ms); commit: the database transaction.',
  },
  batch: {
    title: 'Batch',
    chain: 't_intended → t_stored → t_pass_start → t_task_start → t_read_done → t_commit_start → t_committed',
    note:
      "Ingest: the generator, Kafka and ingest's commit of the reading into patient_vitals; wait for the pass: until the batch pass that took it began " +
      '(the batch interval shows here; a reading committed while the pass read its ingest_id cut can come out a millisecond or two negative); ' +
      "pass planning and queue: the pass's own queries and the wait for a free worker thread; read: the task's queries of patient_vitals; " +
      "evaluate: the record and window rules; write: the transaction of the task's alerts and windows.",
  },
};

/** The modes of a run with stage figures, in the usual order. */
function stagedModes(stages: RunResult['stages']): Mode[] {
  return MODES.filter((m) => stages?.[m]);
}

/** The section, or null when the run has no stage figures (recorded before they existed). */
export function stagesSection(r: RunResult): string | null {
  const modes = stagedModes(r.stages);
  if (modes.length === 0) return null;
  const head =
    `## Where the time goes\n\nEach measured reading's event-time latency, cut at the instants it passed (docs/METRICS.md, "Stage latency"). ` +
    "Within a mode, a reading's stages add up to its event-time latency exactly; percentiles of stages do not add up, their means do.";
  return [head, ...modes.map((m) => modeSection(m, r.stages![m]!))].join('\n\n');
}

function modeSection(mode: Mode, b: StageBreakdown): string {
  const text = MODE_TEXT[mode];
  const head = `### ${text.title}\n\n${text.chain}`;
  if (b.readings === 0)
    return `${head}\n\nNo reading has every instant recorded${b.incomplete ? ` (${b.incomplete} lack one)` : ''}.`;
  const note =
    `${fmtCount(b.readings)} readings of the measured phase, milliseconds` +
    (b.incomplete ? `; ${fmtCount(b.incomplete)} left out because an instant was not recorded.` : '.') +
    ` ${text.note}`;
  return [head, stageTable(b), note].join('\n\n');
}

function stageTable(b: StageBreakdown): string {
  const rows = b.stages.map(
    (s) =>
      `| ${s.label} | ${fmt(s.mean_ms)} | ${pct(s.share)} | ${fmt(s.latency.p50)} | ${fmt(s.latency.p99)} | ${fmt(s.latency.p999)} | ${fmt(s.latency.max)} |`,
  );
  return [
    '| stage | mean | share of mean | p50 | p99 | p99.9 | max |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    `| **event-time latency** | **${fmt(b.mean_total_ms)}** | 100% | | | | |`,
  ].join('\n');
}

/**
 * A stacked bar per mode of the stages' mean durations: which stages the mode's mean
 * event-time latency is made of. Each mode has its own axis (the batch's is often a thousand
 * times the stream's) and its own stages.
 */
export function stagesSpec(stages: RunStages): TopLevelSpec {
  const modes = stagedModes(stages).filter((m) => stages[m]!.readings > 0);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: 'Where the time goes', subtitle: 'mean of each stage; together the mean event-time latency' },
    vconcat: modes.map((m) => modeBar(m, stages[m]!)),
    resolve: { scale: { x: 'independent', color: 'independent' }, legend: { color: 'independent' } },
  } as unknown as TopLevelSpec;
}

function modeBar(mode: Mode, b: StageBreakdown): Record<string, unknown> {
  const values = b.stages.map((s, order) => ({
    stage: s.label,
    order,
    mean_ms: Math.max(0, s.mean_ms),
    share: s.share,
    mode,
  }));
  return {
    title: { text: MODE_TEXT[mode].title, subtitle: `${fmtCount(b.readings)} readings` },
    width: 560,
    height: 40,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'mode', type: 'nominal', title: null, axis: null },
      x: {
        field: 'mean_ms',
        type: 'quantitative',
        stack: 'zero',
        title: 'mean latency (ms)',
        // Vega's default tick format: MS_FORMAT (~g) writes a batch axis as 4e+2.
      },
      color: {
        field: 'stage',
        type: 'nominal',
        title: `${mode} stage`,
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
  };
}
