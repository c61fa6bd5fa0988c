/**
 * CSV renderings of a RunResult (RFC 4180 via csv-stringify, header row first).
 * Latency cells are left empty when the summary's count is 0 (no samples, not "0 ms").
 */
import { stringify } from 'csv-stringify/sync';
import { decodeCurves } from '../../results/histogram.js';
import type { LatencySummary, RunResult } from '../../results/schema.js';
import { measurementValidity } from '../measure/validity.js';
import { attributedCosts, modeViews } from './modes-view.js';
import { verdictWords } from './verdict.js';

export const SUMMARY_COLUMNS = [
  'mode',
  'event_time_p50_ms',
  'event_time_p99_ms',
  'event_time_p999_ms',
  'event_time_max_ms',
  'event_time_count',
  'event_time_mean_ms',
  'processing_time_p50_ms',
  'processing_time_p99_ms',
  'detection_p50_ms',
  'output_rate',
  'alerts',
  'windows',
  'offered_rate',
  'achieved_rate',
  'loss',
  'duplicates',
  // Every mode, external ones included: the latency to a reading's first alert (empty without external modes).
  'kind',
  'result_latency_count',
  'result_latency_p50_ms',
  'result_latency_p99_ms',
  // The cost with what only the mode needs (batch: its passes + ingest); see docs/REPORT.md "Cost".
  'cost_processes',
  'cpu_s',
  'cpu_ms_per_1000_readings',
  'idle_cpu_ms_per_s',
  'cpu_ms_per_1000_above_idle',
  'db_transactions',
  // The mode's own role: seconds it spent processing, and every stored reading over them (batch: its pass rate).
  'busy_s',
  'readings_per_busy_s',
  'verdict',
  'measured_pipelines',
] as const;

type Cell = string | number;

function lat(s: LatencySummary | undefined, field: 'p50' | 'p99' | 'p999' | 'max' | 'mean'): Cell {
  return !s || s.count === 0 ? '' : s[field];
}

/**
 * summary.csv: one row per mode (external ones included), columns SUMMARY_COLUMNS. An external
 * mode has no event-time figures (it is judged by the rows it writes): those cells are empty and
 * its latency is in the result_latency columns, which every mode has when the run had one.
 */
export function summaryCsv(result: RunResult): string {
  const costs = attributedCosts(result);
  const verdict = verdictWords(result);
  const valid = measurementValidity(result).valid ? 1 : 0;
  const rows: Cell[][] = modeViews(result).map((v) => {
    const m = result.modes.find((x) => x.mode === v.name);
    const c = costs[v.name];
    const own = m ? result.cost?.modes[m.mode] : undefined;
    const rl = result.external?.result_latency[v.name];
    return [
      v.name,
      lat(m?.event_time_latency, 'p50'),
      lat(m?.event_time_latency, 'p99'),
      lat(m?.event_time_latency, 'p999'),
      lat(m?.event_time_latency, 'max'),
      m ? m.event_time_latency.count : '',
      lat(m?.event_time_latency, 'mean'),
      lat(m?.processing_time_latency, 'p50'),
      lat(m?.processing_time_latency, 'p99'),
      lat(m?.detection_latency, 'p50'),
      m ? m.output_rate : '',
      m ? m.alerts : (v.job?.results ?? ''),
      m ? m.windows : '',
      result.input.offered_rate,
      result.input.achieved_rate,
      result.storage.loss,
      result.storage.duplicates,
      v.external ? 'external' : 'built-in',
      rl ? rl.count : '',
      lat(rl, 'p50'),
      lat(rl, 'p99'),
      c ? c.roles.join('+') : '',
      c ? c.cpu_s : '',
      c ? c.cpu_ms_per_1000_readings : '',
      c?.idle_cpu_ms_per_s ?? '',
      c?.cpu_ms_per_1000_above_idle ?? '',
      c?.db_transactions ?? '',
      own?.busy_s ?? '',
      m?.processing_rate_while_busy ?? '',
      verdict,
      valid,
    ];
  });
  return stringify(rows, { header: true, columns: [...SUMMARY_COLUMNS] });
}

/**
 * latency.csv: mode, metric, percentile, value_ms — the percentile curves of the encoded
 * histograms (mode "input" for send_delay). No histograms: header only.
 */
export function latencyCsv(result: RunResult): string {
  const rows: Cell[][] = [];
  for (const c of decodeCurves(result.histograms)) {
    for (const p of c.points) rows.push([c.mode, c.metric, p.percentile, p.value_ms]);
  }
  return stringify(rows, { header: true, columns: ['mode', 'metric', 'percentile', 'value_ms'] });
}

function keysInOrder(records: Array<Record<string, unknown>>): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/**
 * timeseries.csv: second, offered, achieved, output_<mode>..., p99_ms_<mode>...,
 * backlog_<name>... (names in order of first appearance; missing or null values are empty).
 */
export function timeseriesCsv(result: RunResult): string {
  const ts = result.timeseries;
  const outs = keysInOrder(ts.map((p) => p.output));
  const p99s = keysInOrder(ts.map((p) => p.p99_ms));
  const backlogs = keysInOrder(ts.map((p) => p.backlog));
  const columns = [
    'second',
    'offered',
    'achieved',
    ...outs.map((k) => `output_${k}`),
    ...p99s.map((k) => `p99_ms_${k}`),
    ...backlogs.map((k) => `backlog_${k}`),
  ];
  const rows: Cell[][] = ts.map((p) => [
    p.second,
    p.offered,
    p.achieved,
    ...outs.map((k) => p.output[k] ?? ''),
    ...p99s.map((k) => p.p99_ms[k] ?? ''),
    ...backlogs.map((k) => p.backlog[k] ?? ''),
  ]);
  return stringify(rows, { header: true, columns });
}
