/**
 * report.md for one run and for a sweep. Every figure names its METRICS.md definition,
 * its unit, its sample count and its spread; a distribution without samples prints "n/a".
 * The comparison paragraph states only what follows from the numbers in the result.
 */
import type { AgreementResult, LatencySummary, ModeResult, RunResult, SweepResult } from '../results.js';
import { seedComparisonSection } from './seed-comparison.js';

export interface ChartRef {
  /** Caption / alt text. */
  name: string;
  /** Path relative to the report (e.g. "latency_percentiles.svg"). */
  file: string;
}

const METRICS = 'METRICS.md (docs/METRICS.md in vitals-bench)';

const DEF = {
  event_time: `Event-time latency = t_committed − t_intended (${METRICS} §Latency)`,
  processing_time: `Processing-time latency = t_committed − t_appended (${METRICS} §Latency)`,
  detection: `Detection latency = first alert's t_committed − t_intended of the episode's first reading (${METRICS} §Latency)`,
  send_delay: `Send delay = t_sent − t_intended (${METRICS} §Latency)`,
  window_result: `Window-result latency = t_committed of the window row − the largest t_intended among its readings (${METRICS} §Latency)`,
} as const;

/** Milliseconds with sensible precision. */
export function fmtMs(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

function fmtNum(v: number, digits = 1): string {
  return Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : 'n/a';
}

function fmtRatio(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : 'n/a';
}

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  return JSON.stringify(v) ?? String(v);
}

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.map(esc).join(' | ')} |`);
  return lines.join('\n');
}

function kvTable(obj: Record<string, unknown>, keyTitle: string): string {
  const entries = Object.entries(obj);
  if (entries.length === 0) return '_none recorded_';
  return table([keyTitle, 'value'], entries.map(([k, v]) => [k, valueText(v)]));
}

const LAT_HEADER = ['figure (definition)', 'unit', 'count', 'mean', 'min', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'];

function latRow(label: string, s: LatencySummary): string[] {
  if (s.count === 0) return [label, s.unit, '0', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
  return [label, s.unit, String(s.count), ...[s.mean, s.min, s.p50, s.p90, s.p95, s.p99, s.p999, s.max].map(fmtMs)];
}

/** "X ms" or "n/a" for one percentile of a summary. */
function pct(s: LatencySummary, f: 'p50' | 'p99' | 'p999' | 'max'): string {
  return s.count === 0 ? 'n/a' : `${fmtMs(s[f])} ms`;
}

function agreementRows(rows: AgreementResult[]): string[][] {
  return rows.map((a) => [
    a.a,
    a.b,
    a.scope,
    String(a.tp),
    String(a.fp),
    String(a.fn),
    fmtRatio(a.precision),
    fmtRatio(a.recall),
    fmtRatio(a.f1),
    fmtRatio(a.jaccard),
  ]);
}

function findMode(r: RunResult, mode: ModeResult['mode']): ModeResult | undefined {
  return r.modes.find((m) => m.mode === mode);
}

/** Plain-words stream vs batch comparison, derived only from the numbers. */
export function comparisonLines(r: RunResult): string[] {
  const s = findMode(r, 'stream');
  const b = findMode(r, 'batch');
  const out: string[] = [];
  if (!s || !b) {
    out.push(`Only ${r.modes.map((m) => m.mode).join(', ') || 'no'} mode(s) in this run; no stream vs batch comparison.`);
    return out;
  }
  const se = s.event_time_latency;
  const be = b.event_time_latency;
  if (se.count > 0 && be.count > 0) {
    let line = `Event-time latency p50: stream ${pct(se, 'p50')} vs batch ${pct(be, 'p50')}; p99: stream ${pct(se, 'p99')} vs batch ${pct(be, 'p99')}`;
    if (se.p99 > 0) line += ` (batch/stream p99 ratio ${fmtNum(be.p99 / se.p99, 2)})`;
    line += '.';
    if (b.batch_interval_s !== undefined) {
      line += ` Batch readings wait for the next batch run (interval ${fmtNum(b.batch_interval_s, 2)} s = ${fmtMs(b.batch_interval_s * 1000)} ms), which the batch event-time latency includes (${METRICS}).`;
    }
    out.push(line);
  } else {
    out.push(`Event-time latency: stream ${se.count} samples, batch ${be.count} samples; no comparison where a side has no samples (n/a).`);
  }
  const sp = s.processing_time_latency;
  const bp = b.processing_time_latency;
  if (sp.count > 0 && bp.count > 0) {
    out.push(`Processing-time latency p99 (pipeline alone, from the Kafka timestamp): stream ${pct(sp, 'p99')} vs batch ${pct(bp, 'p99')}.`);
  }
  const sd = s.detection_latency;
  const bd = b.detection_latency;
  if (sd.count > 0 || bd.count > 0) {
    out.push(`Detection latency p50: stream ${pct(sd, 'p50')} (${sd.count} episodes) vs batch ${pct(bd, 'p50')} (${bd.count} episodes).`);
  }
  const ach = r.input.achieved_rate;
  out.push(
    `Output rate: stream ${fmtNum(s.output_rate)} vs batch ${fmtNum(b.output_rate)} readings/s, against an achieved input rate of ${fmtNum(ach)} readings/s` +
      (ach > 0 ? ` (stream ${fmtNum((100 * s.output_rate) / ach)}%, batch ${fmtNum((100 * b.output_rate) / ach)}%).` : '.'),
  );
  out.push(`Alerts: stream ${s.alerts}, batch ${b.alerts}; windows: stream ${s.windows}, batch ${b.windows}.`);
  const pair = r.agreement.filter(
    (a) => (a.a === 'stream' && a.b === 'batch') || (a.a === 'batch' && a.b === 'stream'),
  );
  const rec = pair.find((a) => a.scope === 'record');
  const win = pair.find((a) => a.scope === 'window');
  if (rec) {
    out.push(
      rec.fp === 0 && rec.fn === 0
        ? `Record-level alerts agree exactly between stream and batch (${rec.tp} matched).`
        : `Record-level alerts DISAGREE between stream and batch (TP ${rec.tp}, FP ${rec.fp}, FN ${rec.fn}, Jaccard ${fmtRatio(rec.jaccard)}); ${METRICS} requires 100% agreement.`,
    );
  }
  if (win) {
    if (win.fp === 0 && win.fn === 0) out.push(`Window alerts agree exactly (${win.tp} matched).`);
    else
      out.push(
        `Window alerts differ: TP ${win.tp}, FP ${win.fp}, FN ${win.fn}, Jaccard ${fmtRatio(win.jaccard)}; ${r.late_readings.length} reading(s) arrived late (see Late readings).`,
      );
  }
  return out;
}

/** Each fault: when, what the harness saw, how long until the backlog was back, latency during and outside. */
export function faultsSection(r: RunResult): string {
  const faults = r.faults ?? [];
  const sec = (v: number | null): string => (v === null ? 'n/a' : `${v} s`);
  const modes = r.modes.map((m) => m.mode);
  const rows = faults.map((f) => [
    esc(f.fault) + (f.injected ? '' : ' *'),
    sec(f.injected_at_s),
    sec(f.ended_at_s),
    f.detected_at_s === null ? esc(f.detected_by) : `${f.detected_at_s} s (${esc(f.detected_by)})`,
    f.recovery_s === null ? 'not recovered by the end' : `${f.recovery_s} s`,
    modes.map((m) => `${m} ${f.p99_during_ms[m] == null ? 'n/a' : fmtMs(f.p99_during_ms[m]!)} / ${f.p99_outside_ms[m] == null ? 'n/a' : fmtMs(f.p99_outside_ms[m]!)}`).join('; '),
  ]);
  const lines = [
    '## Faults',
    'Times in seconds since the load started. Recovery: from the fault until the consumer backlogs of ingest and stream (and of batch, for a fault of the batch role) were back at their level before the fault. ' +
      'p99: event-time latency (ms) of readings intended during the fault (until recovery) / of all other measured readings. ' +
      `Loss ${r.storage.loss} and duplicates ${r.storage.duplicates} over the whole run. * not injected: observed by the harness.`,
    table(['fault', 'at', 'over at', 'detected', 'recovery', 'p99 during / outside'], rows),
  ];
  const notes = faults.flatMap((f) => [...f.restarts.map((x) => `- ${esc(x)}`), ...(f.error ? [`- ${esc(f.fault)}: ${esc(f.error)}`] : [])]);
  if (notes.length) lines.push(notes.join('\n'));
  return lines.join('\n\n');
}

function lateSection(r: RunResult, show = 10): string {
  const late = r.late_readings;
  if (late.length === 0) return 'No late readings recorded.';
  const sorted = [...late].sort((x, y) => y.lateness_ms - x.lateness_ms);
  const largest = sorted[0]!;
  return [
    `${late.length} late reading(s); largest lateness ${fmtMs(largest.lateness_ms)} ms (patient ${largest.patient_id}, seq ${largest.seq}). ` +
      `Largest ${Math.min(show, late.length)}:`,
    '',
    table(
      ['patient_id', 'seq', 'lateness (ms)'],
      sorted.slice(0, show).map((l) => [String(l.patient_id), String(l.seq), fmtMs(l.lateness_ms)]),
    ),
  ].join('\n');
}

function definitions(r: RunResult): string {
  const ts = r.kafka_timestamp_type ?? 'not recorded';
  return [
    `All definitions are those of ${METRICS} ("What the harness measures, exactly").`,
    '',
    `- **${DEF.event_time}**: the headline figure; measured from the intended send time, so a generator that falls behind shows up as latency (coordinated-omission-free). No HdrHistogram expected-interval correction is applied on top (that would double-count).`,
    `- **${DEF.processing_time}**: the pipeline alone. t_appended is the Kafka record timestamp (${ts}).`,
    `- **${DEF.send_delay}**: how far the load generator itself lagged.`,
    `- **${DEF.detection}**.`,
    `- A window result's event time is the largest t_intended among its readings; batch latency includes the wait for the next batch run.`,
    `- Percentiles come from HDR histograms (values recorded in µs, 3 significant digits: within 0.1%). Warm-up readings are excluded (${r.warmup.seconds} s, ${r.warmup.excluded_readings} readings). "n/a" means no samples.`,
    `- **Offered rate**: readings the schedule asked for per second. **Achieved input rate**: readings acknowledged by Kafka per second. **Output rate**: readings whose results committed per second.`,
    `- **Loss** = valid readings sent but absent from storage; **duplicates** = readings stored more than once; both must be 0.`,
    `- **Alert agreement** of A against B, matched on (patient, rule, reading or window): TP in both, FP in A only, FN in B only; precision TP/(TP+FP), recall TP/(TP+FN), F1 2TP/(2TP+FP+FN), Jaccard |A∩B|/|A∪B|. A ratio 0/0 is reported as 1 (two empty sets agree perfectly).`,
  ].join('\n');
}

export function renderMarkdown(result: RunResult, charts: ChartRef[]): string {
  const r = result;
  const parts: string[] = [];
  parts.push(`# vitals-bench run ${r.run_id}`);
  parts.push(`Started ${r.started_at}, ended ${r.ended_at}. Measured phase ${fmtNum(r.input.measured_seconds)} s after a ${r.warmup.seconds} s warm-up (${r.warmup.excluded_readings} readings excluded).`);
  if (!r.complete) parts.push(`**INCOMPLETE RUN**: ${r.incomplete_reason ?? 'no reason recorded'}.`);
  parts.push(
    r.verdict.passed
      ? '**Verdict: PASSED**'
      : `**Verdict: FAILED**\n\n${r.verdict.failures.length ? r.verdict.failures.map((f) => `- ${f}`).join('\n') : '- (no failure reasons recorded)'}`,
  );

  parts.push('## Set-up', kvTable(r.parameters, 'parameter'));
  parts.push('## Environment', kvTable(r.environment, 'item'));

  const i = r.input;
  parts.push(
    '## Input',
    table(
      ['figure', 'value'],
      [
        ['offered rate (readings/s)', fmtNum(i.offered_rate)],
        ['achieved input rate (readings/s, acknowledged by Kafka)', fmtNum(i.achieved_rate)],
        ['planned', String(i.planned)],
        ['sent', String(i.sent)],
        ['acknowledged', String(i.acknowledged)],
        ['malformed sent', String(i.malformed_sent)],
        ['duplicates sent', String(i.duplicates_sent)],
        ['measured seconds', fmtNum(i.measured_seconds)],
      ],
    ),
    table(LAT_HEADER, [latRow(DEF.send_delay, i.send_delay)]),
    i.generator_fell_behind
      ? `**The generator fell behind its schedule** (send delay p99 ${pct(i.send_delay, 'p99')}, max ${pct(i.send_delay, 'max')}): part of the measured latency is the load generator's, not the system under test's.`
      : `The generator kept to its schedule (send delay p99 ${pct(i.send_delay, 'p99')}).`,
  );

  parts.push('## Latency');
  for (const m of r.modes) {
    parts.push(
      `### ${m.mode}`,
      table(LAT_HEADER, [
        latRow(DEF.event_time, m.event_time_latency),
        latRow(DEF.processing_time, m.processing_time_latency),
        latRow(DEF.detection, m.detection_latency),
        ...(m.window_result_latency ? [latRow(DEF.window_result, m.window_result_latency)] : []),
      ]),
    );
    if (m.episodes_injected !== undefined) {
      parts.push(`Anomaly episodes: ${m.episodes_detected ?? 'n/a'} of ${m.episodes_injected} detected.`);
    }
  }
  if (r.modes.length === 0) parts.push('No mode results.');

  parts.push(
    '## Throughput',
    table(
      ['mode', 'output rate (readings/s)', 'results committed', 'alerts', 'windows', 'output / achieved input'],
      r.modes.map((m) => [
        m.mode,
        fmtNum(m.output_rate),
        String(m.results_committed),
        String(m.alerts),
        String(m.windows),
        i.achieved_rate > 0 ? `${fmtNum((100 * m.output_rate) / i.achieved_rate)}%` : 'n/a',
      ]),
    ),
  );
  if (r.batch_passes?.length) {
    parts.push(
      '### Batch passes',
      table(
        ['pass', 'readings', 'alerts', 'windows', 'duration (ms)', 'final'],
        r.batch_passes.map((p) => [String(p.pass), String(p.readings), String(p.alerts), String(p.windows), String(p.duration_ms), p.final ? 'yes' : '']),
      ),
    );
  }

  parts.push('## Alert agreement');
  parts.push(
    r.agreement.length
      ? table(['A', 'B', 'scope', 'TP', 'FP', 'FN', 'precision', 'recall', 'F1', 'Jaccard'], agreementRows(r.agreement))
      : 'No agreement computed.',
  );
  for (const d of r.agreement_diffs ?? []) {
    const lines = [`Alerts in ${d.a} only: ${d.only_a_count}; in ${d.b} only: ${d.only_b_count}.`];
    if (d.only_a.length) lines.push(`- only in ${d.a} (first ${d.only_a.length}): ${d.only_a.map((k) => `\`${k}\``).join(', ')}`);
    if (d.only_b.length) lines.push(`- only in ${d.b} (first ${d.only_b.length}): ${d.only_b.map((k) => `\`${k}\``).join(', ')}`);
    parts.push(lines.join('\n'));
  }

  parts.push('## Late readings', lateSection(r));

  const st = r.storage;
  parts.push(
    '## Storage',
    table(
      ['figure', 'value'],
      [
        ['stored', String(st.stored)],
        ['loss (valid readings sent, absent from storage)', String(st.loss)],
        ['duplicates (readings stored more than once)', String(st.duplicates)],
        ['rejected (invalid readings)', String(st.rejected)],
        ...(st.foreign !== undefined ? [['of which foreign (another run\'s readings, not counted as this run\'s)', String(st.foreign)]] : []),
        ...(st.conflicting_duplicates !== undefined ? [['of which duplicates with different content (first stored copy kept)', String(st.conflicting_duplicates)]] : []),
        ...(st.refused_by_database !== undefined ? [['of which refused by the database (isolated from their batch)', String(st.refused_by_database)]] : []),
      ],
    ),
    st.loss === 0 && st.duplicates === 0 ? 'No loss, no duplicates.' : `**Loss ${st.loss}, duplicates ${st.duplicates}: both must be 0 (${METRICS}).**`,
  );

  if (r.faults?.length) parts.push(faultsSection(r));

  parts.push('## Stream vs batch', comparisonLines(r).map((l) => `- ${l}`).join('\n'));
  const seed = seedComparisonSection(r);
  if (seed) parts.push(seed);

  if (charts.length) parts.push('## Charts', charts.map((c) => `![${c.name}](${c.file})`).join('\n\n'));

  parts.push('## Definitions', definitions(r));
  return parts.join('\n\n') + '\n';
}

export function renderSweepMarkdown(sweep: SweepResult, charts: ChartRef[]): string {
  const runs = [...sweep.runs].sort((x, y) => x.result.input.offered_rate - y.result.input.offered_rate);
  const modes: string[] = [];
  for (const { result } of runs) for (const m of result.modes) if (!modes.includes(m.mode)) modes.push(m.mode);
  const parts: string[] = ['# vitals-bench rate sweep', `${runs.length} run(s).`];

  const header = ['offered (readings/s)', 'achieved', 'send delay p99', 'generator fell behind'];
  for (const m of modes) header.push(`${m} event-time p50`, `${m} event-time p99`, `${m} output (readings/s)`);
  header.push('complete', 'verdict', 'run');
  const rows = runs.map(({ dir, result: r }) => {
    const row = [fmtNum(r.input.offered_rate), fmtNum(r.input.achieved_rate), pct(r.input.send_delay, 'p99'), r.input.generator_fell_behind ? 'yes' : 'no'];
    for (const name of modes) {
      const m = r.modes.find((x) => x.mode === name);
      row.push(m ? pct(m.event_time_latency, 'p50') : 'n/a', m ? pct(m.event_time_latency, 'p99') : 'n/a', m ? fmtNum(m.output_rate) : 'n/a');
    }
    row.push(r.complete ? 'yes' : `no (${r.incomplete_reason ?? 'no reason'})`, r.verdict.passed ? 'passed' : `failed: ${r.verdict.failures.join('; ')}`, `[${r.run_id}](${dir}/report.md)`);
    return row;
  });
  parts.push('## Runs', table(header, rows));

  const fm = sweep.find_max;
  if (fm) {
    const lines = [
      '## Sustainable throughput',
      `Criteria: ${fm.criteria}`,
      '',
      fm.sustainable_rate === null
        ? '**No tested rate was sustainable.**'
        : `**Sustainable throughput: ${fmtNum(fm.sustainable_rate)} readings/s.**`,
    ];
    const either = (label: string, rate: number | undefined): void => {
      if (rate === undefined) return;
      const run = runs.find((x) => x.result.input.offered_rate === rate);
      if (!run) {
        lines.push(`- ${label}: ${fmtNum(rate)} readings/s (run not in this sweep)`);
        return;
      }
      const ms = run.result.modes.map((m) => `${m.mode} p99 ${pct(m.event_time_latency, 'p99')}, output ${fmtNum(m.output_rate)}/s`).join('; ');
      lines.push(`- ${label}: ${fmtNum(rate)} readings/s — [${run.result.run_id}](${run.dir}/report.md); achieved ${fmtNum(run.result.input.achieved_rate)}/s, send delay p99 ${pct(run.result.input.send_delay, 'p99')}; ${ms}; ${run.result.verdict.passed ? 'passed' : 'failed'}`);
    };
    either('Run below (sustained)', fm.below);
    either('Run above (not sustained)', fm.above);
    if (fm.above_reasons?.length) lines.push(`- Why ${fmtNum(fm.above!)} readings/s was not sustainable: ${fm.above_reasons.join('; ')}.`);
    parts.push(lines.join('\n'));
  }

  if (charts.length) parts.push('## Charts', charts.map((c) => `![${c.name}](${c.file})`).join('\n\n'));
  parts.push(
    '## Definitions',
    `As in ${METRICS}: event-time latency = t_committed − t_intended (no coordinated-omission correction on top); output rate = readings whose results committed per second; ` +
      `sustainable throughput = the highest offered rate at which, over the measured phase, consumer backlog and event-time latency do not keep growing and send delay stays small. "n/a" means no samples.`,
  );
  return parts.join('\n\n') + '\n';
}
