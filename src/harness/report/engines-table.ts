/**
 * The engines table of one run: a row per mode (built-in and external) with the figures that
 * compare the engines like with like. Latency by the one results observer (the same clock and
 * poll for every mode, METRICS.md "Visibility latency"), the built-in modes' t_committed headline
 * beside it, what each mode costs with what only it needs, and its agreement with the rule
 * reference. A figure a mode has no value for is undefined (printed n/a), never 0.
 */
import { stringify } from 'csv-stringify/sync';
import type { AgreementResult, LatencySummary, RunResult } from '../../results/schema.js';
import { agreementApplies, attributedCosts, costBasis, modeViews } from './modes-view.js';

/** The percentiles of a latency distribution the table shows, with its sample count. */
interface EngineLatency {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface EngineRow {
  mode: string;
  external: boolean;
  /** Observer: t_visible - t_intended of each measured reading's first record result. */
  visible?: EngineLatency;
  /** The observer's resolution for this mode: p99 of the per-result bound (ms). */
  resolution_ms?: number;
  /** Built-in modes: event-time latency (t_committed - t_intended, the headline), every measured reading. */
  committed?: EngineLatency;
  /** CPU ms per 1,000 readings with what only the mode needs (batch: its passes + ingest), on `cpu_basis`. */
  cpu_ms_per_1000?: number;
  cpu_basis: 'above_idle' | 'run';
  /** The process groups the cost counts ("batch+ingest"). */
  cost_roles?: string;
  peak_rss_mib?: number;
  /** From start to ready: an external job's process group, a built-in mode's role processes (batch with ingest). */
  startup_s?: number;
  /** Jaccard against the rule reference, per scope (undefined: not computed or not applicable). */
  jaccard_record?: number;
  jaccard_window?: number;
  /** Alerts compared in the record scope (TP + FP + FN), the sample count of the agreement. */
  agreement_alerts?: number;
}

function latencyOf(s: LatencySummary | undefined): EngineLatency | undefined {
  if (!s || s.count === 0) return undefined;
  return { count: s.count, p50: s.p50, p95: s.p95, p99: s.p99, max: s.max };
}

function againstReference(r: RunResult, mode: string, scope: 'record' | 'window'): AgreementResult | undefined {
  const a = r.agreement.find(
    (x) => x.scope === scope && ((x.a === mode && x.b === 'ground_truth') || (x.b === mode && x.a === 'ground_truth')),
  );
  if (!a || !agreementApplies(r, a)) return undefined;
  const job = r.external?.jobs.find((j) => j.name === mode);
  if (job?.scopes_not_evaluated?.includes(scope)) return undefined;
  // No rule of the scope in the run: 0 against 0 is not an agreement.
  if (a.tp + a.fp + a.fn === 0) return undefined;
  return a;
}

/** The observer's figures for a mode: the observation block, else (runs before it) an external job's own. */
function observed(r: RunResult, mode: string): Pick<EngineRow, 'visible' | 'resolution_ms'> {
  const o = r.observation;
  const job = r.external?.jobs.find((j) => j.name === mode);
  const visible = latencyOf(o?.visibility_latency[mode]) ?? (o ? undefined : latencyOf(job?.result_latency));
  const bound = o?.visibility_bound[mode];
  const resolution = bound && bound.count > 0 ? bound.p99 : o ? undefined : job?.visibility_resolution_ms;
  return { ...(visible ? { visible } : {}), ...(resolution !== undefined ? { resolution_ms: resolution } : {}) };
}

function startupOf(r: RunResult, v: ReturnType<typeof modeViews>[number]): Pick<EngineRow, 'startup_s'> {
  const s = v.job?.startup_s ?? r.modes.find((m) => m.mode === v.name)?.startup_s;
  return s !== undefined ? { startup_s: s } : {};
}

export function engineRows(r: RunResult): EngineRow[] {
  const costs = attributedCosts(r);
  const basis = costBasis(r);
  return modeViews(r).map((v) => {
    const c = costs[v.name];
    const cpu = basis.value(c);
    const committed = latencyOf(r.modes.find((m) => m.mode === v.name)?.event_time_latency);
    const record = againstReference(r, v.name, 'record');
    const window = againstReference(r, v.name, 'window');
    return {
      mode: v.name,
      external: v.external,
      ...observed(r, v.name),
      ...(committed ? { committed } : {}),
      cpu_basis: basis.key,
      ...(cpu !== undefined ? { cpu_ms_per_1000: cpu } : {}),
      ...(c ? { cost_roles: c.roles.join('+'), peak_rss_mib: c.peak_rss_mib } : {}),
      ...startupOf(r, v),
      ...(record ? { jaccard_record: record.jaccard, agreement_alerts: record.tp + record.fp + record.fn } : {}),
      ...(window ? { jaccard_window: window.jaccard } : {}),
    };
  });
}

/** The CPU column's title for a basis. */
export function cpuTitle(basis: EngineRow['cpu_basis']): string {
  return basis === 'above_idle' ? 'CPU ms / 1,000 readings above idle' : 'CPU ms / 1,000 readings (idle included)';
}

/** The lines under an engines table: each column's definition (METRICS.md names). */
export const ENGINE_NOTES: readonly string[] = [
  "Visible p50..max: METRICS.md \"Visibility latency\": from a reading's t_intended to the start of the results observer's first query that returned its first record result, over the measured readings that fired a record rule (n); one observer process polls every mode's result table, so every mode is measured by the same clock and the same poll.",
  "Resolution: how late t_visible may be, the p99 of each result's own bound (the start of the query before the one that returned it); a difference between two modes smaller than it is not one the observer can see.",
  'Committed p50/p99: METRICS.md "Event-time latency" (t_committed - t_intended, every measured reading, n): the built-in modes\' headline, stamped by the writer after its COMMIT; external jobs have no such stamp (n/a).',
  'CPU: METRICS.md "What a mode costs": each mode with what only it needs, the stream its role, batch its passes and ingest (which lands the readings only batch reads), an external job its process group; the broker and the database serve every mode and are left out (report.md "Cost").',
  "Peak memory: the largest sum of the counted process groups' resident sets at one 1 s sample (MiB; batch: its passes' and ingest's peaks added). Start-up: from an external job's start to its ready line; for a built-in mode from the start of its role processes to their ready signal (batch: the later of batch and ingest); n/a in runs before it was recorded.",
  'Agreement: METRICS.md "Alert agreement", Jaccard of the mode\'s alerts against the rule reference, per scope; n/a when the mode evaluates no rule of the scope or the run has none (n: alerts compared in the record scope).',
];

/** engines.csv's columns for one row (raw numbers; empty where the figure does not apply). */
const ENGINE_CSV_COLUMNS = [
  'mode',
  'kind',
  'visible_count',
  'visible_p50_ms',
  'visible_p95_ms',
  'visible_p99_ms',
  'visible_max_ms',
  'resolution_ms',
  'committed_count',
  'committed_p50_ms',
  'committed_p99_ms',
  'cpu_basis',
  'cpu_ms_per_1000_readings',
  'cost_processes',
  'peak_rss_mib',
  'startup_s',
  'jaccard_record',
  'jaccard_window',
  'agreement_count',
] as const;

function engineCsvCells(e: EngineRow): Array<string | number> {
  const v = (x: number | undefined): string | number => x ?? '';
  return [
    e.mode,
    e.external ? 'external' : 'built-in',
    v(e.visible?.count),
    v(e.visible?.p50),
    v(e.visible?.p95),
    v(e.visible?.p99),
    v(e.visible?.max),
    v(e.resolution_ms),
    v(e.committed?.count),
    v(e.committed?.p50),
    v(e.committed?.p99),
    e.cpu_basis,
    v(e.cpu_ms_per_1000),
    e.cost_roles ?? '',
    v(e.peak_rss_mib),
    v(e.startup_s),
    v(e.jaccard_record),
    v(e.jaccard_window),
    v(e.agreement_alerts),
  ];
}

/** engines.csv of one run: a row per mode. */
export function enginesCsv(r: RunResult): string {
  return stringify(engineRows(r).map(engineCsvCells), { header: true, columns: [...ENGINE_CSV_COLUMNS] });
}
