/**
 * The run report's shared figures and prose (report.md's sections are sections/, in order in
 * sections/index.ts): the latency table rows, the summary's paragraph and headline table, the
 * cost section and the stream-vs-batch comparison, which share their sentences. They state only
 * what follows from the numbers in the result, and every mode (external ones included,
 * modes-view.ts) is in every table that lists the modes.
 */
import type { AgreementResult, CostResult, LatencySummary, ModeResult, RunResult } from '../../results/schema.js';
import { cpuPer1000AtRate } from '../measure/cost.js';
import { fmtCount, fmtMs, fmtNum, fmtPercent, fmtRatio, fmtSeconds, fmtTimes, plural } from './format.js';
import { table } from './md-table.js';
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
import { validityProblems } from './verdict.js';

export interface ChartRef {
  /** Caption / alt text. */
  name: string;
  /** Path relative to the report (e.g. "latency_percentiles.svg"). */
  file: string;
}

export const METRICS = 'METRICS.md (docs/METRICS.md in vitals-bench)';

/** Short names in tables; each definition is given once, in the Definitions section, under its number. */
export const FIGURE = {
  event_time: 'Event-time latency [1]',
  processing_time: 'Processing-time latency [2]',
  send_delay: 'Send delay [3]',
  detection: 'Detection latency [4]',
  window_result: 'Window-result latency [5]',
} as const;

export const LAT_HEADER = ['figure', 'count', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max'];

/** One latency distribution in ms: count, mean and the percentiles (p95 and min are in results.json and latency.csv). */
export function latRow(label: string, s: LatencySummary): string[] {
  if (s.count === 0) return [label, '0', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
  return [label, fmtCount(s.count), ...[s.mean, s.p50, s.p90, s.p99, s.p999, s.max].map(fmtMs)];
}

/** "X ms" or "n/a" for one percentile of a summary. */
export function pct(s: LatencySummary | undefined, f: 'p50' | 'p99' | 'p999' | 'max'): string {
  return !s || s.count === 0 ? 'n/a' : `${fmtMs(s[f])} ms`;
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
export function headlineTable(r: RunResult): string {
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

/** The cost of each mode with what only it needs, each process's own figures, and the shared servers apart. */
export function costSection(r: RunResult): string | null {
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
