/**
 * report.md for one run. Every figure names its METRICS.md definition, its unit, its sample
 * count and its spread; a distribution without samples prints "n/a". The summary and the
 * comparison state only what follows from the numbers in the result, and every mode (external
 * ones included, modes-view.ts) is in every table that lists the modes. The sweep's report is
 * sweep-markdown.ts.
 */
import type { AgreementResult, CostResult, LatencySummary, ModeResult, RunResult } from '../../results/schema.js';
import { externalSection } from './external-section.js';
import { seedComparisonSection } from './seed-comparison.js';
import { cpuPer1000AtRate } from '../measure/cost.js';
import { fmtCount, fmtMs, fmtNum, fmtPercent, fmtRatio, fmtSeconds, fmtTimes, partyName, plural } from './format.js';
import { esc, table } from './md-table.js';
import {
  agreementApplies,
  allModeNames,
  attributedCosts,
  costBasis,
  headlineLatency,
  modeViews,
  SAME_COST_RATIO,
  whyNotApplies,
  type ModeView,
} from './modes-view.js';
import { stagesSection } from './stages-section.js';
import { validityProblems, verdictWords } from './verdict.js';

export interface ChartRef {
  /** Caption / alt text. */
  name: string;
  /** Path relative to the report (e.g. "latency_percentiles.svg"). */
  file: string;
}

export const METRICS = 'METRICS.md (docs/METRICS.md in vitals-bench)';

const DEF = {
  event_time: `Event-time latency = t_committed − t_intended (${METRICS} §Latency)`,
  processing_time: `Processing-time latency = t_committed − t_appended (${METRICS} §Latency)`,
  detection: `Detection latency = first alert's t_committed − t_intended of the episode's first reading (${METRICS} §Latency)`,
  send_delay: `Send delay = t_sent − t_intended (${METRICS} §Latency)`,
  window_result: `Window-result latency = t_committed of the window row − the largest t_intended among its readings (${METRICS} §Latency)`,
  result: `Latency to a reading's first alert = the first record-rule result's t_committed (an external job's: t_visible, the first poll that saw it) − t_intended (${METRICS} §Stages, external pipelines)`,
} as const;

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  // String() only gets what JSON has no text for (a function, a symbol, an object whose toJSON()
  // returns undefined), never a plain object: JSON.stringify gives those a text.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- last resort for non-JSON values, see above
  return JSON.stringify(v) ?? String(v);
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
  return [label, fmtCount(s.count), ...[s.mean, s.p50, s.p90, s.p99, s.p999, s.max].map(fmtMs)];
}

/** "X ms" or "n/a" for one percentile of a summary. */
function pct(s: LatencySummary | undefined, f: 'p50' | 'p99' | 'p999' | 'max'): string {
  return !s || s.count === 0 ? 'n/a' : `${fmtMs(s[f])} ms`;
}

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

function findMode(r: RunResult, mode: ModeResult['mode']): ModeResult | undefined {
  return r.modes.find((m) => m.mode === mode);
}

/** "a, b and c". */
function listWords(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Below this ratio two latencies are "about as fast". */
const SAME_LATENCY_RATIO = 1.1;

/**
 * What a reader needs in one minute, in plain words with the numbers: whether the run measured
 * the pipelines at all (first, not last), which mode answered fastest and by how much, which was
 * cheapest with what only it needs, whether they agreed.
 */
export function summaryParagraph(r: RunResult): string {
  const out: string[] = [];
  const problems = validityProblems(r);
  if (problems.length)
    out.push(
      `**This run measured the machine, not the pipelines**: ${problems.join('; ')}. Its figures are shown below, but they describe the machine's load, not what the pipelines can do.`,
    );
  out.push(...latencySentences(r));
  out.push(...costSentences(r));
  out.push(...agreementSentences(r));
  out.push(...referenceSentences(r));
  if (!r.input.generator_fell_behind)
    out.push(
      `The load generator kept to its schedule (send delay p99 ${fmtMs(r.input.send_delay.p99)} ms), so the figures describe the pipelines.`,
    );
  if (r.storage.loss > 0 || r.storage.duplicates > 0)
    out.push(
      `**${plural(r.storage.loss, 'reading was', 'readings were')} lost and ${fmtCount(r.storage.duplicates)} stored twice: the run failed.**`,
    );
  return out.join(' ');
}

/** Which mode answered fastest, and how many times longer the others took, on the headline latency. */
function latencySentences(r: RunResult): string[] {
  const h = headlineLatency(r);
  const views = modeViews(r).filter((v) => v.headline && v.headline.count > 0);
  if (views.length === 0) return [];
  const lat = (v: ModeView): string => `${fmtMs(v.headline!.p50)} ms (p99 ${fmtMs(v.headline!.p99)} ms)`;
  const population =
    h.key === 'result'
      ? ` Latency here is to a reading's first alert in the database, over the measured readings that fired a record rule (${listWords(views.map((v) => `${v.name} ${fmtCount(v.headline!.count)}`))}), the one population every mode shares.`
      : '';
  if (views.length === 1) {
    const v = views[0]!;
    return [
      `${capitalised(v.label)} committed each reading's result ${fmtMs(v.headline!.p50)} ms after its intended time at the median (p99 ${fmtMs(v.headline!.p99)} ms).${population}`,
    ];
  }
  const sorted = [...views].sort((a, b) => a.headline!.p50 - b.headline!.p50);
  const fastest = sorted[0]!;
  const others = sorted.slice(1).map((v) => {
    const ratio = v.headline!.p50 / Math.max(fastest.headline!.p50, 1e-9);
    return `${v.label} took ${lat(v)}: ${ratio < SAME_LATENCY_RATIO ? 'about as fast' : `${fmtTimes(ratio)} longer`} at the median`;
  });
  return [
    `${capitalised(fastest.label)} answered fastest: ${fmtMs(fastest.headline!.p50)} ms from a reading's intended time to its result at the median (p99 ${fmtMs(fastest.headline!.p99)} ms); ${others.join('; ')}.${population}`,
  ];
}

/** A role's CPU per 1,000 readings on a cost basis (above idle, or over the run). */
function roleCost(
  c: CostResult,
  role: string,
  cpuS: number,
  readings: number,
  basis: 'above_idle' | 'run',
): number | undefined {
  if (readings <= 0) return undefined;
  if (basis === 'run') return (cpuS * 1_000_000) / readings;
  const idle = c.idle?.cpu_ms_per_s[role];
  if (idle === undefined) return undefined;
  return (Math.max(0, cpuS - (idle / 1000) * c.sampled_s) * 1_000_000) / readings;
}

/** The resolution of a cost above idle (0 when not recorded). */
function resolutionOf(c: { cpu_ms_per_1000_above_idle_resolution?: number } | undefined): number {
  return c?.cpu_ms_per_1000_above_idle_resolution ?? 0;
}

/** A cost above idle with its resolution when that is not small beside it (or always, `always`): "700", "52 ± 180". */
function aboveIdleText(
  c: { cpu_ms_per_1000_above_idle?: number; cpu_ms_per_1000_above_idle_resolution?: number } | undefined,
  always = false,
): string {
  const v = c?.cpu_ms_per_1000_above_idle;
  if (v === undefined) return 'n/a';
  const res = resolutionOf(c);
  return res > 0 && (always || res >= 0.1 * v) ? `${fmtNum(v)} ± ${fmtNum(res)}` : fmtNum(v);
}

/** "batch 689 (its passes 35.5 and ingest 653.5, which only batch needs)". */
function costWithParts(r: RunResult, v: ModeView, value: number): string {
  const c = r.cost;
  const basis = costBasis(r).key;
  if (!c || v.name !== 'batch' || !c.modes.batch || !c.ingest) return `${v.name} ${fmtNum(value)}`;
  const passes = roleCost(c, 'batch', c.modes.batch.cpu_s, c.ingest.readings, basis);
  const ingest = roleCost(c, 'ingest', c.ingest.cpu_s, c.ingest.readings, basis);
  if (passes === undefined || ingest === undefined) return `${v.name} ${fmtNum(value)}`;
  return `${v.name} ${fmtNum(value)} (its passes ${fmtNum(passes)} and ingest ${fmtNum(ingest)}, which only batch needs)`;
}

/** Which mode was cheapest with what only it needs, on the cost basis the headline table shows; its idle CPU apart. */
function costSentences(r: RunResult): string[] {
  const basis = costBasis(r);
  const views = modeViews(r).filter((v) => (basis.value(v.cost) ?? 0) > 0);
  if (views.length === 0) return [];
  const out: string[] = [];
  const sorted = [...views].sort((a, b) => basis.value(a.cost)! - basis.value(b.cost)!);
  const what =
    basis.key === 'above_idle'
      ? 'CPU per 1,000 readings above idle (what the readings cost; the comparison this report makes)'
      : 'CPU per 1,000 readings over the run (idle included; this run timed no idle baseline)';
  const figures = listWords(sorted.map((v) => costWithParts(r, v, basis.value(v.cost)!)));
  if (sorted.length === 1) out.push(`${capitalised(what)}: ${figures} ms.`);
  else {
    const [cheap, next] = [sorted[0]!, sorted[1]!];
    const ratio = basis.value(next.cost)! / basis.value(cheap.cost)!;
    const res = (v: ModeView): number => (basis.key === 'above_idle' ? resolutionOf(v.cost) : 0);
    const blurred = basis.value(next.cost)! - basis.value(cheap.cost)! <= res(cheap) + res(next);
    const verdict = blurred
      ? `${cheap.name} and ${next.name} cannot be told apart: the CPU counters' resolution alone makes each figure uncertain by ${listWords([cheap, next].map((v) => `${v.name} ±${fmtNum(res(v))}`))} ms (a longer run, or a higher rate, shrinks it)`
      : ratio < SAME_COST_RATIO
        ? `${cheap.name} and ${next.name} cost about the same (within ${fmtPercent((SAME_COST_RATIO - 1) * 100)})`
        : `${cheap.name} was cheapest, ${fmtTimes(ratio)} less than ${next.name}`;
    out.push(`${capitalised(what)}, in ms: ${figures}; ${verdict}.`);
  }
  const idle = views.filter((v) => v.cost?.idle_cpu_ms_per_s !== undefined);
  if (basis.key === 'above_idle' && idle.length) {
    const rate = r.input.offered_rate;
    out.push(
      `With nothing to process, their processes idled at ${listWords(idle.map((v) => `${v.name} ${fmtNum(v.cost!.idle_cpu_ms_per_s!)}`))} CPU ms per second` +
        (rate > 0
          ? `, which this run's ${fmtNum(rate)} readings/s spread as ${listWords(idle.map((v) => `${fmtNum((v.cost!.idle_cpu_ms_per_s! * 1000) / rate)}`))} ms per 1,000 readings.`
          : '.'),
    );
  }
  const tx = views.filter((v) => v.cost?.db_transactions !== undefined);
  if (tx.length > 1)
    out.push(
      `Database transactions: ${listWords(tx.map((v) => `${v.name} ${fmtCount(v.cost!.db_transactions!)}${v.name === 'batch' && v.cost!.roles.includes('ingest') ? " (ingest's included)" : ''}`))}.`,
    );
  if (r.cost?.broker_cpu_s != null || r.cost?.database_cpu_s != null)
    out.push('The broker and the database serve every mode and are counted apart (Cost).');
  return out;
}

/** The comparisons between modes (not with the rule reference) that say something. */
function modePairs(r: RunResult): AgreementResult[] {
  const modes = new Set(allModeNames(r));
  return r.agreement.filter((a) => a.scope !== 'all' && modes.has(a.a) && modes.has(a.b));
}

/** Whether every mode raised the same alerts, across all of them; n/a where a mode skipped a scope's rules. */
function agreementSentences(r: RunResult): string[] {
  const pairs = modePairs(r);
  if (pairs.length === 0) return [];
  const applicable = pairs.filter((a) => agreementApplies(r, a));
  const skipped = [...new Set(pairs.filter((a) => !agreementApplies(r, a)).map((a) => whyNotApplies(r, a)))];
  const note = skipped.length ? ` (${skipped.join('; ')}: those comparisons are n/a)` : '';
  const differing = applicable.filter((a) => a.fp > 0 || a.fn > 0);
  const n = allModeNames(r).length;
  if (differing.length === 0) {
    const count = (scope: string): number | undefined => applicable.find((a) => a.scope === scope)?.tp;
    const rec = count('record');
    const win = count('window');
    const parts = [
      ...(rec !== undefined ? [`the same ${plural(rec, 'record-rule alert')}`] : []),
      ...(win !== undefined ? [`the same ${plural(win, 'window alert')}`] : []),
    ];
    if (parts.length && (rec ?? 0) + (win ?? 0) === 0)
      return [`No mode raised an alert: their agreement is agreement on nothing${note}.`];
    return parts.length ? [`${n === 2 ? 'Both modes' : `All ${n} modes`} raised ${parts.join(' and ')}${note}.`] : [];
  }
  return [
    `Their alerts differ: ${differing.map((a) => `${a.a} vs ${a.b}, ${a.scope} rules: ${fmtCount(a.fp)} only in ${a.a}, ${fmtCount(a.fn)} only in ${a.b}`).join('; ')}${note}.`,
  ];
}

function referenceSentences(r: RunResult): string[] {
  const ref = r.agreement.filter((a) => a.b === 'ground_truth' && a.scope === 'record' && agreementApplies(r, a));
  if (!ref.length) return [];
  const off = ref.filter((a) => a.jaccard < 1).map((a) => a.a);
  return [
    off.length === 0
      ? 'Every mode matched the rule reference (the rules evaluated over the generated data) on every record rule it evaluates.'
      : `Record-rule alerts differ from the rule reference for ${listWords(off)}.`,
  ];
}

/** The figures a reader compares first, one row per mode (external ones included), six columns (pastes into any document). */
function headlineTable(r: RunResult): string {
  const h = headlineLatency(r);
  const basis = costBasis(r);
  const tag = h.key === 'result' ? '[6]' : '[1]';
  const views = modeViews(r);
  const rows = views.map((v) => [
    v.label,
    pct(v.headline, 'p50'),
    pct(v.headline, 'p99'),
    v.outputRate !== undefined ? fmtNum(v.outputRate) : 'n/a',
    basis.key === 'above_idle'
      ? aboveIdleText(v.cost)
      : basis.value(v.cost) !== undefined
        ? fmtNum(basis.value(v.cost)!)
        : 'n/a',
    v.cost?.idle_cpu_ms_per_s !== undefined ? fmtNum(v.cost.idle_cpu_ms_per_s) : 'n/a',
  ]);
  const counts = views.map((v) => `${v.name} ${fmtCount(v.headline?.count ?? 0)}`).join(', ');
  const notes = [
    `p50 and p99: ${h.note} (readings: ${counts}).`,
    ...(views.some((v) => v.external)
      ? ["An external job's output is counted in results, not readings (External pipelines)."]
      : []),
    `CPU: each mode with what only it needs (batch: its passes and ingest, which lands the readings only batch reads); the broker and the database serve every mode and are in Cost. ` +
      (basis.key === 'above_idle'
        ? 'Above idle: what the readings cost, whatever the rate and the run length; idle: what the mode costs per second with nothing to do (Cost).'
        : 'Over the run, idle included: it depends on the rate and the run length (this run timed no idle baseline).'),
  ];
  return [
    table(['mode', `p50 ${tag}`, `p99 ${tag}`, 'output (readings/s)', basis.title, 'idle CPU (ms/s)'], rows),
    notes.join(' '),
  ].join('\n\n');
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

/** The cost of each mode with what only it needs, each process's own figures, and the shared servers apart. */
function costSection(r: RunResult): string | null {
  const c = r.cost;
  if (!c) return null;
  const basis = costBasis(r);
  const rate = r.input.offered_rate;
  const attributed = attributedCosts(r);
  const modeRows = modeViews(r)
    .filter((v) => attributed[v.name])
    .map((v) => {
      const a = attributed[v.name]!;
      const atRate = cpuPer1000AtRate(a, rate);
      return [
        v.label,
        a.roles.join(' + '),
        a.idle_cpu_ms_per_s !== undefined ? fmtNum(a.idle_cpu_ms_per_s) : 'n/a',
        aboveIdleText(a, true),
        atRate !== undefined ? fmtNum(atRate) : 'n/a',
        fmtNum(a.cpu_s),
        fmtNum(a.cpu_ms_per_1000_readings),
        fmtNum(a.peak_rss_mib, 0),
        a.db_transactions !== undefined ? fmtCount(a.db_transactions) : 'n/a',
        a.db_rows !== undefined ? fmtCount(a.db_rows) : 'n/a',
      ];
    });
  const parts = [
    '## Cost',
    'Each mode is charged what only it needs: the stream its role; batch its passes and ingest, which lands the readings in patient_vitals that only batch reads; an external job its whole process group. ' +
      'The broker and the database serve every mode and are shown apart, charged to none; so is the load generator. ' +
      (c.idle
        ? `Idle: each process's CPU per second with nothing to process, timed for ${fmtSeconds(c.idle.seconds)} once every reading had its results (drained, final batch pass done). ` +
          `Above idle: the CPU over the run (${fmtSeconds(c.sampled_s)}) minus the idle rate over the same time, per 1,000 readings: what the readings cost, whatever the rate and the run's length; ± is how far the CPU counters' clock tick alone can move it (the idle rate's tick extrapolated over the run), large when few readings share it. ` +
          `At the offered rate: above idle plus the idle CPU spread over ${fmtNum(rate)} readings a second: what running the mode at this rate costs per reading. `
        : 'This run timed no idle baseline: its CPU per 1,000 readings is over the whole run, idle included, and depends on the rate and on the run length. ') +
      `Comparisons (Summary, headline table) use the ${basis.key === 'above_idle' ? 'cost above idle' : 'cost over the run'}.` +
      (c.shared_servers_with?.length
        ? ` **The broker and the database also served ${c.shared_servers_with.map((o) => `run ${o.run_id} (topics ${o.topics || 'unknown'}) for ${fmtSeconds(o.overlap_s)}`).join(' and ')} of this run: their CPU includes that load, and the modes' latencies shared the machine with it.**`
        : ''),
    table(
      [
        'mode',
        'processes counted',
        'idle CPU (ms/s)',
        'CPU ms per 1,000 readings above idle',
        `at ${fmtNum(rate)} readings/s`,
        'CPU s over the run',
        'CPU ms per 1,000 readings over the run',
        'peak memory (MiB)',
        'database transactions',
        'database rows',
      ],
      modeRows,
    ),
    '### Each process',
    table(
      [
        'process',
        'serves',
        'idle CPU (ms/s)',
        'CPU s',
        'CPU ms per 1,000 readings above idle',
        'peak memory (MiB)',
        'busy s',
        'database transactions',
        'database rows',
      ],
      processRows(r, c),
    ),
  ];
  return parts.join('\n\n');
}

/** One row per process group: the modes' roles, ingest, external jobs, the servers and the generator. */
function processRows(r: RunResult, c: CostResult): string[][] {
  const readings = c.ingest?.readings ?? Object.values(c.modes)[0]?.readings ?? 0;
  const idle = (g: string): string => {
    const v = c.idle?.cpu_ms_per_s[g];
    return v === undefined ? 'n/a' : fmtNum(v);
  };
  const above = (g: string, cpuS: number): string => {
    const v = roleCost(c, g, cpuS, readings, 'above_idle');
    return v === undefined ? 'n/a' : fmtNum(v);
  };
  const batch = r.modes.some((m) => m.mode === 'batch');
  const rows: string[][] = [];
  const role = (name: string, serves: string, x: NonNullable<CostResult['ingest']> | undefined): void => {
    if (!x) return;
    rows.push([
      name,
      serves,
      idle(name),
      fmtNum(x.cpu_s),
      above(name, x.cpu_s),
      fmtNum(x.peak_rss_mib, 0),
      fmtNum(x.busy_s),
      fmtCount(x.db_transactions),
      fmtCount(x.db_rows),
    ]);
  };
  for (const m of r.modes) role(m.mode, m.mode, c.modes[m.mode]);
  role(
    'ingest',
    batch ? 'batch (it lands the readings only batch reads)' : "no mode (the harness's record of what was stored)",
    c.ingest,
  );
  for (const [name, x] of Object.entries(c.external ?? {}))
    rows.push([
      name,
      `${name} (external: its process group)`,
      idle(name),
      fmtNum(x.cpu_s),
      above(name, x.cpu_s),
      fmtNum(x.peak_rss_mib, 0),
      'n/a',
      'n/a',
      'n/a',
    ]);
  const server = (name: string, label: string, cpuS: number | null): void => {
    rows.push(
      cpuS === null
        ? [label, 'every mode (shared)', 'n/a', "n/a (not this project's server)", 'n/a', 'n/a', 'n/a', 'n/a', 'n/a']
        : [label, 'every mode (shared)', idle(name), fmtNum(cpuS), above(name, cpuS), 'n/a', 'n/a', 'n/a', 'n/a'],
    );
  };
  server('broker', 'Kafka broker', c.broker_cpu_s);
  server('database', 'database', c.database_cpu_s);
  if (c.generator_cpu_s !== undefined)
    rows.push([
      'load generator',
      'no mode (the load)',
      'n/a',
      fmtNum(c.generator_cpu_s),
      'n/a',
      'n/a',
      'n/a',
      'n/a',
      'n/a',
    ]);
  return rows;
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

/** Output rate of stream vs batch against the achieved input; batch's pass rate (a capacity) and why the stream's busy rate is not one. */
function rateComparisonLines(r: RunResult, s: ModeResult, b: ModeResult): string[] {
  const out: string[] = [];
  const ach = r.input.achieved_rate;
  out.push(
    `Output rate: stream ${fmtNum(s.output_rate)} vs batch ${fmtNum(b.output_rate)} readings/s, against an achieved input rate of ${fmtNum(ach)} readings/s` +
      (ach > 0
        ? ` (stream ${fmtPercent((100 * s.output_rate) / ach)}, batch ${fmtPercent((100 * b.output_rate) / ach)}); batch's is lower only because its last readings wait for the next pass.`
        : '.'),
  );
  if (b.processing_rate_while_busy !== undefined)
    out.push(
      `Batch's passes worked through ${fmtNum(b.processing_rate_while_busy)} readings per second of pass time: how fast a pass clears its backlog, a capacity.` +
        (s.processing_rate_while_busy !== undefined
          ? ` The stream's ${fmtNum(s.processing_rate_while_busy)} readings per second of write time is not one: it follows the offered rate (the stream works as readings arrive); its capacity is the sustainable throughput --find-max measures.`
          : ''),
    );
  return out;
}

/** The cost of each mode's answer (CPU with what only it needs, database transactions); none without cost figures. */
function costComparisonLines(r: RunResult, s: ModeResult, b: ModeResult): string[] {
  const a = attributedCosts(r);
  const basis = costBasis(r);
  const sc = a.stream;
  const bc = a.batch;
  const sv = basis.value(sc);
  const bv = basis.value(bc);
  if (!sc || !bc || sv === undefined || bv === undefined) return [];
  const tx = (x: typeof sc): string =>
    x.db_transactions !== undefined
      ? ` and ${fmtNum((1000 * x.db_transactions) / Math.max(1, x.readings))} database transactions`
      : '';
  const what = basis.key === 'above_idle' ? 'CPU ms above idle' : 'CPU ms (over the run)';
  return [
    `The trade-off: stream spent ${fmtNum(sv)} ${what}${tx(sc)} per 1,000 readings to answer in ${pct(s.event_time_latency, 'p50')} at the median; ` +
      `batch, with the ingest only it needs, ${fmtNum(bv)} ${what}${tx(bc)} per 1,000 readings, and answered in ${pct(b.event_time_latency, 'p50')}.`,
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
        ? `Record-level alerts agree exactly between stream and batch (${fmtCount(rec.tp)} matched).`
        : `Record-level alerts DISAGREE between stream and batch (TP ${fmtCount(rec.tp)}, FP ${fmtCount(rec.fp)}, FN ${fmtCount(rec.fn)}, Jaccard ${fmtRatio(rec.jaccard)}); ${METRICS} requires 100% agreement.`,
    );
  }
  if (win) {
    if (win.fp === 0 && win.fn === 0) out.push(`Window alerts agree exactly (${fmtCount(win.tp)} matched).`);
    else
      out.push(
        `Window alerts differ: TP ${fmtCount(win.tp)}, FP ${fmtCount(win.fp)}, FN ${fmtCount(win.fn)}, Jaccard ${fmtRatio(win.jaccard)}; ${plural(r.late_readings.length, 'reading')} arrived late (see Late readings).`,
      );
  }
  return out;
}

/** Plain-words stream vs batch comparison, derived only from the numbers. */
export function comparisonLines(r: RunResult): string[] {
  const s = findMode(r, 'stream');
  const b = findMode(r, 'batch');
  if (!s || !b) {
    return [`Only ${allModeNames(r).join(', ') || 'no'} mode(s) in this run; no stream vs batch comparison.`];
  }
  return [
    ...latencyComparisonLines(s, b),
    ...rateComparisonLines(r, s, b),
    ...costComparisonLines(r, s, b),
    `Alerts: stream ${fmtCount(s.alerts)}, batch ${fmtCount(b.alerts)}; windows: stream ${fmtCount(s.windows)}, batch ${fmtCount(b.windows)}.`,
    ...agreementComparisonLines(r),
  ];
}

/** Each fault: when, what the harness saw, how long until the backlog was back, latency during and outside. */
function faultsSection(r: RunResult): string {
  const faults = r.faults ?? [];
  const sec = (v: number | null): string => (v === null ? 'n/a' : fmtSeconds(v));
  const modes = r.modes.map((m) => m.mode);
  const rows = faults.map((f) => [
    esc(f.fault) + (f.injected ? '' : ' *'),
    sec(f.injected_at_s),
    sec(f.ended_at_s),
    f.detected_at_s === null ? esc(f.detected_by) : `${fmtSeconds(f.detected_at_s)} (${esc(f.detected_by)})`,
    f.recovery_s === null ? 'not recovered by the end' : fmtSeconds(f.recovery_s),
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
      `Loss ${fmtCount(r.storage.loss)} and duplicates ${fmtCount(r.storage.duplicates)} over the whole run. * not injected: observed by the harness.`,
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
    `${plural(late.length, 'late reading')}; largest lateness ${fmtMs(largest.lateness_ms)} ms (patient ${largest.patient_id}, seq ${largest.seq}). ` +
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
    `6. **${DEF.result}**: over the measured readings that fired a record rule; the one latency an external job, judged only by the rows it writes, shares with the built-in modes. An external job's figure is late by at most its stated resolution (the p99 of each result's bound: the start of the observer's query that returned it minus the start of the query before).`,
    '',
    'All latencies are in milliseconds.',
    `- Percentiles come from HDR histograms (values recorded in µs, 3 significant digits: within 0.1%). Warm-up readings are excluded (${r.warmup.seconds} s, ${fmtCount(r.warmup.excluded_readings)} readings). "n/a" means no samples.`,
    `- **Offered rate**: readings the schedule asked for per second. **Achieved input rate**: readings acknowledged by Kafka per second. **Output rate**: measured readings whose results committed, divided by the measured phase (or by the time until the last result, when later). **Readings per busy second**: every stored reading divided by the time the mode spent processing; for batch (its passes) a capacity, for the stream (its evaluation and write transactions) not one: it follows the offered rate.`,
    `- **Cost**: CPU seconds (user + system, all threads) from the first sample of the run (once every role and external job is ready: no start-up is counted; an external job's start-up CPU is given apart) to its end (the idle interval included), and the largest sum of the resident memory of a role's or a job's processes at one sample, read from /proc once a second; each mode charged what only it needs (batch: its passes and ingest); the **idle baseline** is each process's CPU per second with no load, timed once every reading has its results, and **above idle** is the CPU over the run minus that rate over the same time, per 1,000 readings. Database rows and transactions from the writers' commit records. The **rule reference** is the rules evaluated over the generated data; the injected anomaly **episodes** are a different thing, reported apart.`,
    `- **Loss** = valid readings sent but absent from storage; **duplicates** = readings stored more than once; **substituted** = stored readings whose content (source, event time, vitals) is not what the generator sent with their (patient_id, seq); all three must be 0.`,
    `- **Alert agreement** of A against B, matched on (patient, rule, reading or window): TP in both, FP in A only, FN in B only; precision TP/(TP+FP), recall TP/(TP+FN), F1 2TP/(2TP+FP+FN), Jaccard |A∩B|/|A∪B|. A ratio 0/0 is reported as 1 (two empty sets agree perfectly); a comparison of rules a mode does not evaluate is n/a.`,
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
  const words = verdictWords(r);
  const problems = validityProblems(r);
  return [
    `# vitals-bench run ${r.run_id}`,
    `Started ${r.started_at}, ended ${r.ended_at}. Measured phase ${fmtSeconds(r.input.measured_seconds)} after a ${fmtSeconds(r.warmup.seconds)} warm-up (${fmtCount(r.warmup.excluded_readings)} readings excluded).`,
    ...(r.complete ? [] : [`**INCOMPLETE RUN**: ${r.incomplete_reason ?? 'no reason recorded'}.`]),
    r.verdict.passed
      ? problems.length
        ? `**Verdict: ${words}**\n\n${problems.map((p) => `- ${p}`).join('\n')}`
        : `**Verdict: ${words}**`
      : `**Verdict: ${words}**\n\n${r.verdict.failures.length ? r.verdict.failures.map((f) => `- ${f}`).join('\n') : '- (no failure reasons recorded)'}`,
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

/** The modes as run: the built-in ones and each external job with its command. */
function modesText(r: RunResult): string {
  return [
    ...r.modes.map((m) => m.mode),
    ...(r.external?.jobs ?? []).map((j) => `${j.name} (external: ${j.command})`),
  ].join(', ');
}

/** The run's parameters (the resolved rules as their own table, every mode in "modes") and its environment. */
function setUpSection(r: RunResult): string[] {
  const { rules_resolved: _rules, ...setup } = r.parameters;
  if (r.external?.jobs.length) setup.modes = modesText(r);
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
        ['planned', fmtCount(i.planned)],
        ['sent', fmtCount(i.sent)],
        ['acknowledged', fmtCount(i.acknowledged)],
        ['malformed sent', fmtCount(i.malformed_sent)],
        ['duplicates sent', fmtCount(i.duplicates_sent)],
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
        'readings per busy second',
        'results committed',
        'alerts',
        'windows',
        'output / achieved input',
      ],
      r.modes.map((m) => [
        m.mode,
        fmtNum(m.output_rate),
        m.output_span_s !== undefined ? fmtNum(m.output_span_s) : 'n/a',
        m.processing_rate_while_busy !== undefined
          ? `${fmtNum(m.processing_rate_while_busy)}${m.mode === 'batch' ? ' (pass rate: a capacity)' : ' (follows the offered rate: not a capacity)'}`
          : 'n/a',
        fmtCount(m.results_committed),
        fmtCount(m.alerts),
        fmtCount(m.windows),
        i.achieved_rate > 0 ? fmtPercent((100 * m.output_rate) / i.achieved_rate) : 'n/a',
      ]),
    ),
    'Output rate: measured readings whose results committed, over the measured phase or until the last result when later ("over"). Readings per busy second: every stored reading over the time the mode spent processing. For batch that time is its passes, which run flat out over what has gathered: the pass rate is what batch can process. The stream works on readings as they arrive, so its figure follows the offered rate and says nothing of what it could process: that is the sustainable throughput (--find-max).',
  ];
  if (r.batch_passes?.length) {
    parts.push(
      '### Batch passes',
      table(
        ['pass', 'readings', 'alerts', 'windows', 'duration (ms)', 'final'],
        r.batch_passes.map((p) => [
          String(p.pass),
          fmtCount(p.readings),
          fmtCount(p.alerts),
          fmtCount(p.windows),
          fmtCount(p.duration_ms),
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

function storageSection(r: RunResult): string[] {
  const st = r.storage;
  return [
    '## Storage',
    table(
      ['figure', 'value'],
      [
        ['stored', fmtCount(st.stored)],
        ['loss (valid readings sent, absent from storage)', fmtCount(st.loss)],
        ['duplicates (readings stored more than once)', fmtCount(st.duplicates)],
        ['rejected (invalid readings)', fmtCount(st.rejected)],
        ...(st.foreign !== undefined
          ? [["of which foreign (another run's readings, not counted as this run's)", fmtCount(st.foreign)]]
          : []),
        ...(st.conflicting_duplicates !== undefined
          ? [
              [
                'of which duplicates with different content (first stored copy kept)',
                fmtCount(st.conflicting_duplicates),
              ],
            ]
          : []),
        ...(st.refused_by_database !== undefined
          ? [['of which refused by the database (isolated from their batch)', fmtCount(st.refused_by_database)]]
          : []),
        ...(st.no_run_id !== undefined
          ? [['of which without a run id (counted as foreign)', fmtCount(st.no_run_id)]]
          : []),
        ...(st.substituted !== undefined
          ? [['substituted (stored with other content than the generator sent)', fmtCount(st.substituted)]]
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
      : `**Loss ${fmtCount(st.loss)}, duplicates ${fmtCount(st.duplicates)}: both must be 0 (${METRICS}).**`,
    ...(st.substituted
      ? [
          `**${fmtCount(st.substituted)} stored readings are not what the generator sent: another message took their place.**`,
        ]
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

export function chartsSection(charts: ChartRef[]): string[] {
  return charts.length ? ['## Charts', charts.map((c) => `![${c.name}](${c.file})`).join('\n\n')] : [];
}
