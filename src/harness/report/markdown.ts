/**
 * report.md for one run and for a sweep. Every figure names its METRICS.md definition,
 * its unit, its sample count and its spread; a distribution without samples prints "n/a".
 * The comparison paragraph states only what follows from the numbers in the result.
 */
import type { AgreementResult, LatencySummary, ModeResult, RunResult, SweepResult } from '../../results/schema.js';
import { externalSection } from './external-section.js';
import { seedComparisonSection } from './seed-comparison.js';
import { limitSentence } from '../measure/sustainable.js';
import { fmtMs, fmtNum, fmtRatio, fmtSpread, fmtValue, partyName } from './format.js';
import {
  externalModesOf,
  groupByValue,
  hasCost,
  modesOf,
  sweptOf,
  sweptTitle,
  sweptValueOf,
  type SweptInfo,
} from './sweep-data.js';
import { stagesSection } from './stages-section.js';

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

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  // String() only gets what JSON has no text for (a function, a symbol, an object whose toJSON()
  // returns undefined), never a plain object: JSON.stringify gives those a text.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- last resort for non-JSON values, see above
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
  return table(
    [keyTitle, 'value'],
    entries.map(([k, v]) => [k, valueText(v)]),
  );
}

/** Short names in tables; each definition is given once, in the Definitions section, under its number. */
const FIGURE = {
  event_time: 'Event-time latency [1]',
  processing_time: 'Processing-time latency [2]',
  send_delay: 'Send delay [3]',
  detection: 'Detection latency [4]',
  window_result: 'Window-result latency [5]',
} as const;

const LAT_HEADER = ['figure', 'count', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max'];

/** One latency distribution in ms: count, mean and the percentiles (p95 and min are in results.json and latency.csv). */
function latRow(label: string, s: LatencySummary): string[] {
  if (s.count === 0) return [label, '0', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
  return [label, String(s.count), ...[s.mean, s.p50, s.p90, s.p99, s.p999, s.max].map(fmtMs)];
}

/** "X ms" or "n/a" for one percentile of a summary. */
function pct(s: LatencySummary, f: 'p50' | 'p99' | 'p999' | 'max'): string {
  return s.count === 0 ? 'n/a' : `${fmtMs(s[f])} ms`;
}

function agreementRows(rows: AgreementResult[]): string[][] {
  return rows.map((a) => [
    partyName(a.a),
    partyName(a.b),
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

function times(x: number): string {
  return `${x >= 10 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1)} times`;
}

/**
 * What a reader needs in one minute, in plain words with the numbers: which mode was faster
 * and by how much, which was cheaper and by how much, whether they agreed, what limited the run.
 */
export function summaryParagraph(r: RunResult): string {
  const out: string[] = [];
  const s = findMode(r, 'stream');
  const b = findMode(r, 'batch');
  const lat = (m: ModeResult): string =>
    `${fmtMs(m.event_time_latency.p50)} ms after its intended time at the median (p99 ${fmtMs(m.event_time_latency.p99)} ms)`;
  const interval = b?.batch_interval_s !== undefined ? `, with a pass every ${fmtNum(b.batch_interval_s)} s,` : '';
  if (s && b && s.event_time_latency.count > 0 && b.event_time_latency.count > 0) {
    const ratio = b.event_time_latency.p50 / Math.max(s.event_time_latency.p50, 1e-9);
    out.push(
      `Stream committed each reading's result ${lat(s)}; batch${interval} took ${fmtMs(b.event_time_latency.p50)} ms (p99 ${fmtMs(b.event_time_latency.p99)} ms): ` +
        (ratio >= 1
          ? `stream was ${times(ratio)} faster at the median.`
          : `batch was ${times(1 / ratio)} faster at the median.`),
    );
  } else {
    for (const m of r.modes)
      if (m.event_time_latency.count > 0)
        out.push(`${m.mode === 'stream' ? 'Stream' : 'Batch'} committed each reading's result ${lat(m)}.`);
  }
  const sc = r.cost?.modes.stream;
  const bc = r.cost?.modes.batch;
  if (sc && bc && sc.cpu_ms_per_1000_readings > 0 && bc.cpu_ms_per_1000_readings > 0) {
    const [cheap, dear] =
      sc.cpu_ms_per_1000_readings <= bc.cpu_ms_per_1000_readings
        ? (['stream', 'batch'] as const)
        : (['batch', 'stream'] as const);
    const c = { stream: sc, batch: bc };
    out.push(
      `${cheap === 'batch' ? 'Batch' : 'Stream'} was cheaper: ${fmtNum(c[cheap].cpu_ms_per_1000_readings)} CPU ms per 1,000 readings against ${fmtNum(c[dear].cpu_ms_per_1000_readings)} for ${dear} ` +
        `(${times(c[dear].cpu_ms_per_1000_readings / c[cheap].cpu_ms_per_1000_readings)} less), in ${c[cheap].db_transactions.toLocaleString('en-US')} database transactions against ${c[dear].db_transactions.toLocaleString('en-US')}` +
        (r.cost?.ingest
          ? `; the ingest both rely on used ${fmtNum(r.cost.ingest.cpu_ms_per_1000_readings)} CPU ms per 1,000 readings more.`
          : '.'),
    );
  }
  const pair = r.agreement.filter((a) => a.a === 'stream' && a.b === 'batch' && a.scope !== 'all');
  if (pair.length) {
    const same = pair.every((a) => a.fp === 0 && a.fn === 0);
    const matched = pair.reduce((n, a) => n + a.tp, 0);
    out.push(
      same && matched === 0
        ? 'Neither raised an alert: their agreement is agreement on nothing.'
        : same
          ? `Both raised the same ${matched.toLocaleString('en-US')} alerts.`
          : `Their alerts differ (${pair.map((a) => `${a.scope} rules: ${a.fp} only in stream, ${a.fn} only in batch`).join('; ')}).`,
    );
  }
  const ref = r.agreement.filter((a) => a.b === 'ground_truth' && a.scope === 'record');
  if (ref.length) {
    out.push(
      ref.every((a) => a.jaccard === 1)
        ? 'Every mode matched the rule reference (the rules evaluated over the generated data) on every record rule.'
        : `Record-rule alerts differ from the rule reference for ${ref
            .filter((a) => a.jaccard < 1)
            .map((a) => a.a)
            .join(' and ')}.`,
    );
  }
  out.push(
    r.input.generator_fell_behind
      ? `The load generator fell behind its schedule (send delay p99 ${fmtMs(r.input.send_delay.p99)} ms): part of the latency is the generator's, so this run measured the machine's load generation, not only the pipelines.`
      : `The load generator kept to its schedule (send delay p99 ${fmtMs(r.input.send_delay.p99)} ms), so the figures describe the pipelines.`,
  );
  if (r.storage.loss > 0 || r.storage.duplicates > 0)
    out.push(`**${r.storage.loss} readings were lost and ${r.storage.duplicates} stored twice: the run failed.**`);
  return out.join(' ');
}

/** The figures a reader compares first, one row per mode, few columns (pastes into any document). */
function headlineTable(r: RunResult): string {
  const rows = r.modes.map((m) => {
    const c = r.cost?.modes[m.mode];
    return [
      m.mode === 'batch' && m.batch_interval_s !== undefined ? `batch (every ${fmtNum(m.batch_interval_s)} s)` : m.mode,
      pct(m.event_time_latency, 'p50'),
      pct(m.event_time_latency, 'p99'),
      fmtNum(m.output_rate),
      m.processing_rate_while_busy !== undefined ? fmtNum(m.processing_rate_while_busy, 0) : 'n/a',
      c ? fmtNum(c.cpu_ms_per_1000_readings) : 'n/a',
    ];
  });
  return table(
    [
      'mode',
      'event-time p50 [1]',
      'p99 [1]',
      'output (readings/s)',
      'while busy (readings/s)',
      'CPU ms per 1,000 readings',
    ],
    rows,
  );
}

/** The rules as a reader would write them. */
function rulesTable(parameters: Record<string, unknown>): string | null {
  const rs = parameters.rules_resolved as { name?: string; rules?: Array<Record<string, unknown>> } | undefined;
  if (!rs?.rules?.length) return null;
  return table(
    ['rule', 'condition', 'severity'],
    rs.rules.map((x) => [
      String(x.id),
      x.kind === 'window'
        ? `${String(x.agg)}(${String(x.vital)}) over ${String(x.window_s)} s ${String(x.op)} ${String(x.value)}`
        : `${String(x.vital)} ${String(x.op)} ${String(x.value)}`,
      String(x.severity),
    ]),
  );
}

function costSection(r: RunResult): string | null {
  const c = r.cost;
  if (!c) return null;
  const roles: Array<[string, NonNullable<RunResult['cost']>['ingest']]> = [
    ...r.modes.map((m) => [m.mode, c.modes[m.mode]] as [string, NonNullable<RunResult['cost']>['ingest']]),
    ['ingest (shared)', c.ingest],
  ];
  const externalRows = Object.entries(c.external ?? {}).map(([name, x]) => [
    `${name} (external: its process group)`,
    fmtNum(x.cpu_s, 2),
    fmtNum(x.cpu_ms_per_1000_readings),
    fmtNum(x.peak_rss_mib, 0),
    'n/a',
    'n/a',
    'n/a',
  ]);
  const rows = roles
    .filter(([, x]) => x)
    .map(([name, x]) => [
      name,
      fmtNum(x!.cpu_s, 2),
      fmtNum(x!.cpu_ms_per_1000_readings),
      fmtNum(x!.peak_rss_mib, 0),
      fmtNum(x!.busy_s, 2),
      x!.db_transactions.toLocaleString('en-US'),
      x!.db_rows.toLocaleString('en-US'),
    ]);
  const servers =
    `Over the same ${fmtNum(c.sampled_s)} s the Kafka broker used ${c.broker_cpu_s === null ? "n/a (not this project's server)" : `${fmtNum(c.broker_cpu_s, 2)}`} CPU s and the database ` +
    `${c.database_cpu_s === null ? "n/a (not this project's server)" : `${fmtNum(c.database_cpu_s, 2)}`} CPU s; both serve every mode.` +
    (c.generator_cpu_s === undefined
      ? ''
      : ` The load generator (not part of any mode) used ${fmtNum(c.generator_cpu_s, 2)} CPU s.`);
  return [
    '## Cost',
    table(
      [
        'process',
        'CPU s',
        'CPU ms per 1,000 readings',
        'peak memory (MiB)',
        'busy s',
        'database transactions',
        'database rows',
      ],
      [...rows, ...externalRows],
    ),
    servers,
  ].join('\n\n');
}

/** Event-time, processing-time and detection latency of stream vs batch. */
function latencyComparisonLines(s: ModeResult, b: ModeResult): string[] {
  const out: string[] = [];
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
    out.push(
      `Event-time latency: stream ${se.count} samples, batch ${be.count} samples; no comparison where a side has no samples (n/a).`,
    );
  }
  const sp = s.processing_time_latency;
  const bp = b.processing_time_latency;
  if (sp.count > 0 && bp.count > 0) {
    out.push(
      `Processing-time latency p99 (pipeline alone, from the Kafka timestamp): stream ${pct(sp, 'p99')} vs batch ${pct(bp, 'p99')}.`,
    );
  }
  const sd = s.detection_latency;
  const bd = b.detection_latency;
  if (sd.count > 0 || bd.count > 0) {
    out.push(
      `Detection latency p50: stream ${pct(sd, 'p50')} (${sd.count} episodes) vs batch ${pct(bd, 'p50')} (${bd.count} episodes).`,
    );
  }
  return out;
}

/** Output rate of stream vs batch against the achieved input, and their rates while busy. */
function rateComparisonLines(r: RunResult, s: ModeResult, b: ModeResult): string[] {
  const out: string[] = [];
  const ach = r.input.achieved_rate;
  out.push(
    `Output rate: stream ${fmtNum(s.output_rate)} vs batch ${fmtNum(b.output_rate)} readings/s, against an achieved input rate of ${fmtNum(ach)} readings/s` +
      (ach > 0
        ? ` (stream ${fmtNum((100 * s.output_rate) / ach)}%, batch ${fmtNum((100 * b.output_rate) / ach)}%).`
        : '.'),
  );
  if (s.processing_rate_while_busy !== undefined && b.processing_rate_while_busy !== undefined) {
    out.push(
      `While busy, stream processed ${fmtNum(s.processing_rate_while_busy, 0)} and batch ${fmtNum(b.processing_rate_while_busy, 0)} readings/s: batch's output rate is low only because its readings wait for the next pass, not because it works slowly.`,
    );
  }
  return out;
}

/** The cost of each mode's answer (CPU, database transactions, busy time); none without cost figures. */
function costComparisonLines(r: RunResult, s: ModeResult, b: ModeResult): string[] {
  const sc = r.cost?.modes.stream;
  const bc = r.cost?.modes.batch;
  if (!sc || !bc) return [];
  return [
    `The trade-off: stream spent ${fmtNum(sc.cpu_ms_per_1000_readings)} CPU ms and ${fmtNum((1000 * sc.db_transactions) / Math.max(1, sc.readings), 2)} database transactions per 1,000 readings to answer in ${pct(s.event_time_latency, 'p50')}; ` +
      `batch spent ${fmtNum(bc.cpu_ms_per_1000_readings)} CPU ms and ${fmtNum((1000 * bc.db_transactions) / Math.max(1, bc.readings), 2)} transactions per 1,000 readings and answered in ${pct(b.event_time_latency, 'p50')} (busy ${fmtNum(sc.busy_s, 1)} s vs ${fmtNum(bc.busy_s, 1)} s).`,
  ];
}

/** Whether stream and batch raised the same record-level and window alerts. */
function agreementComparisonLines(r: RunResult): string[] {
  const out: string[] = [];
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

/** Plain-words stream vs batch comparison, derived only from the numbers. */
export function comparisonLines(r: RunResult): string[] {
  const s = findMode(r, 'stream');
  const b = findMode(r, 'batch');
  if (!s || !b) {
    return [
      `Only ${r.modes.map((m) => m.mode).join(', ') || 'no'} mode(s) in this run; no stream vs batch comparison.`,
    ];
  }
  return [
    ...latencyComparisonLines(s, b),
    ...rateComparisonLines(r, s, b),
    ...costComparisonLines(r, s, b),
    `Alerts: stream ${s.alerts}, batch ${b.alerts}; windows: stream ${s.windows}, batch ${b.windows}.`,
    ...agreementComparisonLines(r),
  ];
}

/** Each fault: when, what the harness saw, how long until the backlog was back, latency during and outside. */
function faultsSection(r: RunResult): string {
  const faults = r.faults ?? [];
  const sec = (v: number | null): string => (v === null ? 'n/a' : `${v} s`);
  const modes = r.modes.map((m) => m.mode);
  const rows = faults.map((f) => [
    esc(f.fault) + (f.injected ? '' : ' *'),
    sec(f.injected_at_s),
    sec(f.ended_at_s),
    f.detected_at_s === null ? esc(f.detected_by) : `${f.detected_at_s} s (${esc(f.detected_by)})`,
    f.recovery_s === null ? 'not recovered by the end' : `${f.recovery_s} s`,
    modes
      .map(
        (m) =>
          `${m} ${f.p99_during_ms[m] == null ? 'n/a' : fmtMs(f.p99_during_ms[m])} / ${f.p99_outside_ms[m] == null ? 'n/a' : fmtMs(f.p99_outside_ms[m])}`,
      )
      .join('; '),
  ]);
  const lines = [
    '## Faults',
    'Times in seconds since the load started. Recovery: from the fault until the consumer backlogs of ingest and stream were back at their level before the fault (for a fault of the batch role: until a batch pass ended after it). ' +
      'p99: event-time latency (ms) of readings intended during the fault (until recovery) / of all other measured readings. ' +
      `Loss ${r.storage.loss} and duplicates ${r.storage.duplicates} over the whole run. * not injected: observed by the harness.`,
    table(['fault', 'at', 'over at', 'detected', 'recovery', 'p99 during / outside'], rows),
  ];
  const notes = faults.flatMap((f) => [
    ...f.restarts.map((x) => `- ${esc(x)}`),
    ...(f.error ? [`- ${esc(f.fault)}: ${esc(f.error)}`] : []),
  ]);
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
    `1. **${DEF.event_time}**: the headline figure; measured from the intended send time, so a generator that falls behind shows up as latency (coordinated-omission-free). No HdrHistogram expected-interval correction is applied on top (that would double-count). Batch latency includes the wait for the next batch run.`,
    `2. **${DEF.processing_time}**: the pipeline alone. t_appended is the Kafka record timestamp (${ts}).`,
    `3. **${DEF.send_delay}**: how far the load generator itself lagged.`,
    `4. **${DEF.detection}**: counted from the first reading of an injected anomaly episode, while a rule fires only once a reading crosses its threshold (often several readings into the episode) or a window closes, so it exceeds the per-reading latency.`,
    `5. **${DEF.window_result}**: a window result's event time is the largest t_intended among its readings. Windows still open when the load ends close only after the drain, so a run's last windows raise the upper percentiles.`,
    '',
    'All latencies are in milliseconds.',
    `- Percentiles come from HDR histograms (values recorded in µs, 3 significant digits: within 0.1%). Warm-up readings are excluded (${r.warmup.seconds} s, ${r.warmup.excluded_readings} readings). "n/a" means no samples.`,
    `- **Offered rate**: readings the schedule asked for per second. **Achieved input rate**: readings acknowledged by Kafka per second. **Output rate**: measured readings whose results committed, divided by the measured phase (or by the time until the last result, when later). **Processing rate while busy**: every stored reading divided by the time the mode spent processing (batch: its passes; stream: its evaluation and write transactions, an upper bound of its busy time).`,
    `- **Cost**: CPU seconds (user + system, all threads) from the start of the load to the end of the run, and the largest resident memory, of each mode's process, read from /proc once a second; database rows and transactions from the writers' commit records. The **rule reference** is the rules evaluated over the generated data; the injected anomaly **episodes** are a different thing, reported apart.`,
    `- **Loss** = valid readings sent but absent from storage; **duplicates** = readings stored more than once; **substituted** = stored readings whose content (source, event time, vitals) is not what the generator sent with their (patient_id, seq); all three must be 0.`,
    `- **Alert agreement** of A against B, matched on (patient, rule, reading or window): TP in both, FP in A only, FN in B only; precision TP/(TP+FP), recall TP/(TP+FN), F1 2TP/(2TP+FP+FN), Jaccard |A∩B|/|A∪B|. A ratio 0/0 is reported as 1 (two empty sets agree perfectly).`,
  ].join('\n');
}

export function renderMarkdown(r: RunResult, charts: ChartRef[]): string {
  const parts = [
    ...headerSection(r),
    ...summarySection(r),
    ...setUpSection(r),
    ...inputSection(r),
    ...latencySection(r),
    ...present(stagesSection(r)),
    ...present(externalSection(r)),
    ...throughputSection(r),
    ...agreementSection(r),
    '## Late readings',
    lateSection(r),
    ...storageSection(r),
    ...present(costSection(r)),
    ...(r.faults?.length ? [faultsSection(r)] : []),
    ...comparisonSection(r),
    ...chartsSection(charts),
    '## Definitions',
    definitions(r),
  ];
  return parts.join('\n\n') + '\n';
}

/** A section that may be absent, as the parts it adds. */
function present(section: string | null): string[] {
  return section ? [section] : [];
}

function headerSection(r: RunResult): string[] {
  return [
    `# vitals-bench run ${r.run_id}`,
    `Started ${r.started_at}, ended ${r.ended_at}. Measured phase ${fmtNum(r.input.measured_seconds)} s after a ${r.warmup.seconds} s warm-up (${r.warmup.excluded_readings} readings excluded).`,
    ...(r.complete ? [] : [`**INCOMPLETE RUN**: ${r.incomplete_reason ?? 'no reason recorded'}.`]),
    r.verdict.passed
      ? '**Verdict: PASSED**'
      : `**Verdict: FAILED**\n\n${r.verdict.failures.length ? r.verdict.failures.map((f) => `- ${f}`).join('\n') : '- (no failure reasons recorded)'}`,
    ...(r.vacuous?.length
      ? [
          `**Warning: agreement on nothing.**\n\n${r.vacuous.map((w) => `- ${w.replace(/^agreement on nothing: /, '')}`).join('\n')}`,
        ]
      : []),
  ];
}

function summarySection(r: RunResult): string[] {
  return [
    '## Summary',
    summaryParagraph(r),
    headlineTable(r),
    ...(r.warnings?.length ? [`**Warnings about this run:**\n\n${r.warnings.map((w) => `- ${w}`).join('\n')}`] : []),
  ];
}

/** The run's parameters (the resolved rules as their own table) and its environment. */
function setUpSection(r: RunResult): string[] {
  const { rules_resolved: _rules, ...setup } = r.parameters;
  const rules = rulesTable(r.parameters);
  return [
    '## Set-up',
    kvTable(setup, 'parameter'),
    ...(rules ? ['### Rules', rules] : []),
    '## Environment',
    kvTable(r.environment, 'item'),
  ];
}

function inputSection(r: RunResult): string[] {
  const i = r.input;
  return [
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
    table(LAT_HEADER, [latRow(FIGURE.send_delay, i.send_delay)]),
    i.generator_fell_behind
      ? `**The generator fell behind its schedule** (send delay p99 ${pct(i.send_delay, 'p99')}, max ${pct(i.send_delay, 'max')}): part of the measured latency is the load generator's, not the system under test's.`
      : `The generator kept to its schedule (send delay p99 ${pct(i.send_delay, 'p99')}).`,
  ];
}

function latencySection(r: RunResult): string[] {
  const parts = ['## Latency'];
  for (const m of r.modes) {
    parts.push(
      `### ${m.mode}`,
      table(LAT_HEADER, [
        latRow(FIGURE.event_time, m.event_time_latency),
        latRow(FIGURE.processing_time, m.processing_time_latency),
        latRow(FIGURE.detection, m.detection_latency),
        ...(m.window_result_latency ? [latRow(FIGURE.window_result, m.window_result_latency)] : []),
      ]),
    );
    if (m.episodes_injected !== undefined) {
      parts.push(
        `Injected anomaly episodes with at least one alert: ${m.episodes_detected ?? 'n/a'} of ${m.episodes_injected} (an episode can stay below every rule's threshold; this is not the rule agreement, see [4]).`,
      );
    }
  }
  if (r.modes.length === 0) parts.push('No mode results.');
  return parts;
}

function throughputSection(r: RunResult): string[] {
  const i = r.input;
  const parts = [
    '## Throughput',
    table(
      [
        'mode',
        'output rate (readings/s)',
        'over (s)',
        'processing rate while busy (readings/s)',
        'results committed',
        'alerts',
        'windows',
        'output / achieved input',
      ],
      r.modes.map((m) => [
        m.mode,
        fmtNum(m.output_rate),
        m.output_span_s !== undefined ? fmtNum(m.output_span_s) : 'n/a',
        m.processing_rate_while_busy !== undefined ? fmtNum(m.processing_rate_while_busy, 0) : 'n/a',
        String(m.results_committed),
        String(m.alerts),
        String(m.windows),
        i.achieved_rate > 0 ? `${fmtNum((100 * m.output_rate) / i.achieved_rate)}%` : 'n/a',
      ]),
    ),
    'Output rate: measured readings whose results committed, over the measured phase or until the last result when later ("over"). Processing rate while busy: every stored reading over the time the mode spent processing.',
  ];
  if (r.batch_passes?.length) {
    parts.push(
      '### Batch passes',
      table(
        ['pass', 'readings', 'alerts', 'windows', 'duration (ms)', 'final'],
        r.batch_passes.map((p) => [
          String(p.pass),
          String(p.readings),
          String(p.alerts),
          String(p.windows),
          String(p.duration_ms),
          p.final ? 'yes' : '',
        ]),
      ),
    );
  }
  return parts;
}

function agreementSection(r: RunResult): string[] {
  const parts = [
    '## Alert agreement',
    r.agreement.length
      ? table(['A', 'B', 'scope', 'TP', 'FP', 'FN', 'precision', 'recall', 'F1', 'Jaccard'], agreementRows(r.agreement))
      : 'No agreement computed.',
  ];
  for (const d of r.agreement_diffs ?? []) {
    const lines = [
      `Alerts in ${partyName(d.a)} only: ${d.only_a_count}; in ${partyName(d.b)} only: ${d.only_b_count}.`,
    ];
    if (d.only_a.length)
      lines.push(`- only in ${d.a} (first ${d.only_a.length}): ${d.only_a.map((k) => `\`${k}\``).join(', ')}`);
    if (d.only_b.length)
      lines.push(`- only in ${d.b} (first ${d.only_b.length}): ${d.only_b.map((k) => `\`${k}\``).join(', ')}`);
    parts.push(lines.join('\n'));
  }
  return parts;
}

function storageSection(r: RunResult): string[] {
  const st = r.storage;
  return [
    '## Storage',
    table(
      ['figure', 'value'],
      [
        ['stored', String(st.stored)],
        ['loss (valid readings sent, absent from storage)', String(st.loss)],
        ['duplicates (readings stored more than once)', String(st.duplicates)],
        ['rejected (invalid readings)', String(st.rejected)],
        ...(st.foreign !== undefined
          ? [["of which foreign (another run's readings, not counted as this run's)", String(st.foreign)]]
          : []),
        ...(st.conflicting_duplicates !== undefined
          ? [['of which duplicates with different content (first stored copy kept)', String(st.conflicting_duplicates)]]
          : []),
        ...(st.refused_by_database !== undefined
          ? [['of which refused by the database (isolated from their batch)', String(st.refused_by_database)]]
          : []),
        ...(st.no_run_id !== undefined
          ? [['of which without a run id (counted as foreign)', String(st.no_run_id)]]
          : []),
        ...(st.substituted !== undefined
          ? [['substituted (stored with other content than the generator sent)', String(st.substituted)]]
          : []),
        ...(st.stream_rejected !== undefined ? [['rejected by the stream', String(st.stream_rejected)]] : []),
        ...(st.stream_conflicting_duplicates !== undefined
          ? [
              [
                'of which duplicates with different content (first processed copy kept)',
                String(st.stream_conflicting_duplicates),
              ],
            ]
          : []),
      ],
    ),
    st.loss === 0 && st.duplicates === 0
      ? 'No loss, no duplicates.'
      : `**Loss ${st.loss}, duplicates ${st.duplicates}: both must be 0 (${METRICS}).**`,
    ...(st.substituted
      ? [`**${st.substituted} stored readings are not what the generator sent: another message took their place.**`]
      : []),
  ];
}

/** Stream vs batch in plain words, and how the run compares with the seed project's. */
function comparisonSection(r: RunResult): string[] {
  return [
    '## Stream vs batch',
    comparisonLines(r)
      .map((l) => `- ${l}`)
      .join('\n'),
    ...present(seedComparisonSection(r)),
  ];
}

function chartsSection(charts: ChartRef[]): string[] {
  return charts.length ? ['## Charts', charts.map((c) => `![${c.name}](${c.file})`).join('\n\n')] : [];
}

/** A setting's value in the sweep report's Settings table. */
function settingText(key: string, v: unknown, swept: SweptInfo): string {
  if (key === 'patients' && v === null) return 'one per reading/s (default)';
  if (key === swept.key) return `${swept.values.map(fmtValue).join(', ')} (swept)`;
  if (Array.isArray(v))
    return v.length ? v.map((x) => (typeof x === 'number' ? fmtValue(x) : valueText(x))).join(', ') : 'none';
  if (typeof v === 'number') return fmtValue(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (v === '') return '(none)';
  return valueText(v);
}

/**
 * The trade-off curve in plain words: per mode, how its median latency and its CPU per 1,000
 * readings moved from the first swept value to the last (medians over repeats).
 */
export function sweepSummary(sweep: SweepResult, option: string, unit?: string): string | null {
  const groups = groupByValue(sweep);
  if (groups.length < 2) return null;
  const first = groups[0]!;
  const last = groups[groups.length - 1]!;
  const v = (x: number): string => `${fmtValue(x)}${unit ? ` ${unit}` : ''}`;
  const out: string[] = [`From --${option} ${v(first.value)} to ${v(last.value)}:`];
  for (const mode of modesOf(sweep)) {
    const a = first.modes.find((m) => m.mode === mode);
    const b = last.modes.find((m) => m.mode === mode);
    if (!a?.eventP50 || !b?.eventP50) continue;
    let line =
      `${mode === 'stream' ? 'Stream' : 'Batch'} event-time p50 went from ${fmtMs(a.eventP50.median)} ms to ${fmtMs(b.eventP50.median)} ms` +
      (a.eventP99 && b.eventP99 ? ` (p99 ${fmtMs(a.eventP99.median)} to ${fmtMs(b.eventP99.median)} ms)` : '');
    if (a.cpuMsPer1000 && b.cpuMsPer1000) {
      line += ` and its CPU per 1,000 readings from ${fmtNum(a.cpuMsPer1000.median)} to ${fmtNum(b.cpuMsPer1000.median)} ms`;
    }
    out.push(`${line}.`);
  }
  for (const name of externalModesOf(sweep)) {
    const a = first.externals.find((m) => m.mode === name);
    const b = last.externals.find((m) => m.mode === name);
    if (!a?.eventP50 || !b?.eventP50) continue;
    out.push(
      `The external mode ${name}'s latency to a reading's first result p50 went from ${fmtMs(a.eventP50.median)} ms to ${fmtMs(b.eventP50.median)} ms` +
        `${a.eventP99 && b.eventP99 ? ` (p99 ${fmtMs(a.eventP99.median)} to ${fmtMs(b.eventP99.median)} ms)` : ''}.`,
    );
  }
  if (out.length === 1) return null;
  const behind = sweep.runs.filter((r) => r.result.input.generator_fell_behind).length;
  const failed = sweep.runs.filter((r) => !r.result.verdict.passed).length;
  out.push(
    behind
      ? `In ${behind} of ${sweep.runs.length} runs the load generator fell behind its schedule: their latency is partly the generator's.`
      : 'The load generator kept to its schedule in every run.',
  );
  out.push(
    failed
      ? `${failed} of ${sweep.runs.length} runs FAILED (see their reports).`
      : 'Every run passed (no loss, no duplicates, the modes agreed).',
  );
  return out.join(' ');
}

export function renderSweepMarkdown(sweep: SweepResult, charts: ChartRef[]): string {
  const swept = sweptOf(sweep);
  const valueOf = (run: SweepRun): number => sweptValueOf(run, swept);
  const runs = [...sweep.runs].sort(
    (x, y) =>
      valueOf(x) - valueOf(y) ||
      x.result.input.offered_rate - y.result.input.offered_rate ||
      x.result.started_at.localeCompare(y.result.started_at),
  );
  const summary = sweepSummary(sweep, swept.option, swept.unit);
  const parts = [
    ...sweepHeaderSection(sweep, swept, runs.map(valueOf)),
    ...(summary ? ['## Summary', summary] : []),
    ...sweepSettingsSection(sweep, swept),
    ...perValueSection(sweep, swept),
    ...runsSection(sweep, swept, runs, valueOf),
    ...(sweep.find_max ? [sustainableSection(sweep.find_max, runs)] : []),
    ...chartsSection(charts),
    '## Definitions',
    `As in ${METRICS}: event-time latency = t_committed − t_intended (no coordinated-omission correction on top); output rate = readings whose results committed per second; ` +
      `sustainable throughput = the highest offered rate at which, over the measured phase, consumer backlog and event-time latency do not keep growing and send delay stays small. "n/a" means no samples.`,
  ];
  return parts.join('\n\n') + '\n';
}

type SweepRun = SweepResult['runs'][number];

/** The title and the line naming the swept values; `runValues` are the runs' own values, used when the sweep does not list them. */
function sweepHeaderSection(sweep: SweepResult, swept: SweptInfo, runValues: number[]): string[] {
  const title = swept.key === 'rate' ? '# vitals-bench rate sweep' : `# vitals-bench sweep over --${swept.option}`;
  const values = swept.values.length ? swept.values : [...new Set(runValues)];
  return [
    title,
    `${runValues.length} run(s): --${swept.option} ${values.map(fmtValue).join(', ')}${swept.unit ? ` ${swept.unit}` : ''}` +
      `${(sweep.repeat ?? 1) > 1 ? `, ${sweep.repeat} runs per value (--repeat)` : ''}.`,
  ];
}

function sweepSettingsSection(sweep: SweepResult, swept: SweptInfo): string[] {
  if (!sweep.options) return [];
  const rows = Object.entries(sweep.options)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, settingText(k, v, swept)]);
  if (!('patients' in sweep.options) || sweep.options.patients === undefined)
    rows.push(['--patients', 'one per reading/s (default)']);
  if (sweep.repeat !== undefined && !('repeat' in sweep.options)) rows.push(['--repeat', String(sweep.repeat)]);
  return [
    '## Settings',
    'Every run of the sweep had these settings; only the swept option differs between runs.',
    table(['setting', 'value'], rows),
  ];
}

/** Per value of the swept option and mode: the median of each figure over the value's runs, with its spread. */
function perValueSection(sweep: SweepResult, swept: SweptInfo): string[] {
  const cost = hasCost(sweep);
  const header = [
    sweptTitle(swept),
    'mode',
    'runs',
    'event-time p50',
    'event-time p99',
    'output (readings/s)',
    'processing rate while busy (readings/s)',
  ];
  if (cost) header.push('CPU ms per 1,000 readings', 'busy (s)');
  const perValue: string[][] = [];
  const groups = groupByValue(sweep);
  for (const g of groups) {
    for (const f of [...g.modes, ...g.externals]) {
      const row = [
        fmtValue(g.value),
        g.externals.includes(f) ? `${f.mode} (external)` : f.mode,
        String(f.runs),
        fmtSpread(f.eventP50, fmtMs, ' ms', f.runs),
        fmtSpread(f.eventP99, fmtMs, ' ms', f.runs),
        fmtSpread(f.outputRate, (v) => fmtNum(v), '', f.runs),
        fmtSpread(f.processingRateWhileBusy, (v) => fmtNum(v), '', f.runs),
      ];
      if (cost)
        row.push(
          fmtSpread(f.cpuMsPer1000, (v) => fmtNum(v, 2), '', f.runs),
          fmtSpread(f.busyS, (v) => fmtNum(v, 2), '', f.runs),
        );
      perValue.push(row);
    }
  }
  return [
    `## Per value of --${swept.option}`,
    'Each figure is the median over the runs at that value, with its spread: (min..max, n = runs that had the figure). ' +
      `Event-time latency as in ${METRICS}; "n/a": no run had the figure${cost ? '' : '; no run recorded its cost'}.` +
      (groups.some((g) => g.externals.length)
        ? " An external mode's row (docs/EXTERNAL.md) gives its latency from a reading's t_intended to its first result as the results observer saw it, and its output in results/s."
        : ''),
    table(header, perValue),
  ];
}

/** One row per run, in the order given; a rate sweep needs no separate column for the swept value. */
function runsSection(
  sweep: SweepResult,
  swept: SweptInfo,
  runs: SweepRun[],
  valueOf: (run: SweepRun) => number,
): string[] {
  const byRate = swept.key === 'rate';
  const modes = modesOf(sweep);
  const externals = externalModesOf(sweep);
  const runHeader = byRate ? [] : [sweptTitle(swept)];
  runHeader.push('offered (readings/s)', 'achieved', 'send delay p99', 'generator fell behind');
  for (const m of modes) runHeader.push(`${m} event-time p50`, `${m} event-time p99`, `${m} output (readings/s)`);
  for (const m of externals) runHeader.push(`${m} result p50`, `${m} result p99`, `${m} results/s`);
  runHeader.push('complete', 'verdict', 'run');
  const rows = runs.map((run) => {
    const { dir, result: r } = run;
    const row = byRate ? [] : [fmtValue(valueOf(run))];
    row.push(
      fmtNum(r.input.offered_rate),
      fmtNum(r.input.achieved_rate),
      pct(r.input.send_delay, 'p99'),
      r.input.generator_fell_behind ? 'yes' : 'no',
    );
    for (const name of modes) {
      const m = r.modes.find((x) => x.mode === name);
      row.push(
        m ? pct(m.event_time_latency, 'p50') : 'n/a',
        m ? pct(m.event_time_latency, 'p99') : 'n/a',
        m ? fmtNum(m.output_rate) : 'n/a',
      );
    }
    for (const name of externals) {
      const j = r.external?.jobs.find((x) => x.name === name);
      row.push(
        j ? pct(j.result_latency, 'p50') : 'n/a',
        j ? pct(j.result_latency, 'p99') : 'n/a',
        j ? fmtNum(j.output_rate) : 'n/a',
      );
    }
    row.push(
      r.complete ? 'yes' : `no (${r.incomplete_reason ?? 'no reason'})`,
      r.verdict.passed ? 'passed' : `failed: ${r.verdict.failures.join('; ')}`,
      `[${r.run_id}](${dir}/report.md)`,
    );
    return row;
  });
  return ['## Runs', table(runHeader, rows)];
}

/** --find-max: the rate found, the runs either side of it, and what limited the first unsustainable one. */
function sustainableSection(fm: NonNullable<SweepResult['find_max']>, runs: SweepRun[]): string {
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
    const ms = [
      ...run.result.modes.map(
        (m) => `${m.mode} p99 ${pct(m.event_time_latency, 'p99')}, output ${fmtNum(m.output_rate)}/s`,
      ),
      ...(run.result.external?.jobs ?? []).map(
        (j) => `${j.name} (external) result p99 ${pct(j.result_latency, 'p99')}, ${fmtNum(j.output_rate)} results/s`,
      ),
    ];
    lines.push(
      `- ${label}: ${fmtNum(rate)} readings/s — [${run.result.run_id}](${run.dir}/report.md); ` +
        [
          `achieved ${fmtNum(run.result.input.achieved_rate)}/s, send delay p99 ${pct(run.result.input.send_delay, 'p99')}`,
          ...ms,
          run.result.verdict.passed ? 'passed' : 'failed',
        ].join('; '),
    );
  };
  either('Run below (sustained)', fm.below);
  either('Run above (not sustained)', fm.above);
  if (fm.above_reasons?.length) {
    lines.push(`- Why ${fmtNum(fm.above!)} readings/s was not sustainable: ${fm.above_reasons.join('; ')}.`);
    lines.push('', limitSentence(fm.above!, fm.above_reasons));
  }
  return lines.join('\n');
}
