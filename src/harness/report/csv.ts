/**
 * CSV renderings of a RunResult (RFC 4180 via csv-stringify, header row first).
 * Latency cells are left empty when the summary's count is 0 (no samples, not "0 ms").
 */
import { stringify } from 'csv-stringify/sync';
import { decodeCurves } from '../../results/histogram.js';
import type { LatencySummary, RunResult } from '../../results/schema.js';

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
] as const;

type Cell = string | number;

function lat(s: LatencySummary, field: 'p50' | 'p99' | 'p999' | 'max' | 'mean'): Cell {
  return s.count === 0 ? '' : s[field];
}

/** summary.csv: one row per mode, columns SUMMARY_COLUMNS. */
export function summaryCsv(result: RunResult): string {
  const rows: Cell[][] = result.modes.map((m) => [
    m.mode,
    lat(m.event_time_latency, 'p50'),
    lat(m.event_time_latency, 'p99'),
    lat(m.event_time_latency, 'p999'),
    lat(m.event_time_latency, 'max'),
    m.event_time_latency.count,
    lat(m.event_time_latency, 'mean'),
    lat(m.processing_time_latency, 'p50'),
    lat(m.processing_time_latency, 'p99'),
    lat(m.detection_latency, 'p50'),
    m.output_rate,
    m.alerts,
    m.windows,
    result.input.offered_rate,
    result.input.achieved_rate,
    result.storage.loss,
    result.storage.duplicates,
  ]);
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
