/**
 * Every mode of a run as one list, the built-in ones and the external ones alike (docs/EXTERNAL.md):
 * the latency the headline compares them on, what each costs with what only it needs, and
 * which alert comparisons apply to it. Every table, chart and summary sentence that names the
 * modes takes them from here, so an external mode is never left out of one.
 */
import type {
  AgreementResult,
  AttributedCost,
  ExternalModeResult,
  LatencySummary,
  RunResult,
} from '../../results/schema.js';
import { fmtNum } from './format.js';

export interface ModeView {
  name: string;
  external: boolean;
  /** "stream", "batch (a pass every 10 s)", "spark (external)". */
  label: string;
  /** The latency the headline compares the modes on (see headlineLatency). */
  headline: LatencySummary | undefined;
  /** Event-time latency of every measured reading (built-in modes). */
  eventTime?: LatencySummary;
  /** Readings whose results committed per second (built-in modes; an external job's output is counted in results). */
  outputRate?: number;
  /** What the mode costs with what only it needs. */
  cost?: AttributedCost;
  job?: ExternalModeResult;
}

/** Which latency the headline compares: event-time without external modes; with them, the one population every mode has. */
export interface HeadlineLatency {
  key: 'event_time' | 'result';
  /** Short name for a column or a sentence. */
  name: string;
  /** What it is and over which readings, for the line under a table. */
  note: string;
}

export function headlineLatency(r: RunResult): HeadlineLatency {
  if (r.external?.jobs.length)
    return {
      key: 'result',
      name: 'latency to a reading’s first alert',
      note:
        "from a reading's t_intended to its first record-rule result in the database, over the measured readings that fired a record rule: " +
        "the one population an external job (observed by polling its table) and the built-in modes share; every reading's event-time latency of stream and batch is in Latency",
    };
  return {
    key: 'event_time',
    name: 'event-time latency',
    note: 'event-time latency [1] of every measured reading: from when it was due to when its result was committed',
  };
}

/** Every mode of the run: the built-in ones in their order, then the external jobs. */
export function modeViews(r: RunResult): ModeView[] {
  const kind = headlineLatency(r).key;
  const costs = attributedCosts(r);
  const out: ModeView[] = r.modes.map((m) => ({
    name: m.mode,
    external: false,
    label:
      m.mode === 'batch' && m.batch_interval_s !== undefined
        ? `batch (a pass every ${fmtNum(m.batch_interval_s)} s)`
        : m.mode,
    headline: kind === 'result' ? r.external?.result_latency[m.mode] : m.event_time_latency,
    eventTime: m.event_time_latency,
    outputRate: m.output_rate,
    ...(costs[m.mode] ? { cost: costs[m.mode] } : {}),
  }));
  for (const j of r.external?.jobs ?? [])
    out.push({
      name: j.name,
      external: true,
      label: `${j.name} (external)`,
      headline: r.external!.result_latency[j.name] ?? j.result_latency,
      ...(costs[j.name] ? { cost: costs[j.name] } : {}),
      job: j,
    });
  return out;
}

/** Every mode's name, external ones included. */
export function allModeNames(r: RunResult): string[] {
  return [...r.modes.map((m) => m.mode), ...(r.external?.jobs ?? []).map((j) => j.name)];
}

/**
 * What each mode costs with what only it needs. A run that recorded it (cost.attributed) says
 * so itself; for an older run it is rebuilt from the roles' figures the same way: batch = its
 * passes + ingest, the stream its role, an external job its process group.
 */
export function attributedCosts(r: RunResult): Record<string, AttributedCost> {
  const c = r.cost;
  if (!c) return {};
  if (c.attributed) return c.attributed;
  const out: Record<string, AttributedCost> = {};
  const readings = c.ingest?.readings ?? Object.values(c.modes)[0]?.readings ?? 0;
  for (const m of r.modes) {
    const own = c.modes[m.mode];
    if (!own) continue;
    const parts = m.mode === 'batch' && c.ingest ? [own, c.ingest] : [own];
    out[m.mode] = {
      roles: m.mode === 'batch' && c.ingest ? ['batch', 'ingest'] : [m.mode],
      readings,
      cpu_s: parts.reduce((t, p) => t + p.cpu_s, 0),
      // Each part's figure is per the run's stored readings, which every role processed: they add up.
      cpu_ms_per_1000_readings: parts.reduce((t, p) => t + p.cpu_ms_per_1000_readings, 0),
      peak_rss_mib: parts.reduce((t, p) => t + p.peak_rss_mib, 0),
      db_transactions: parts.reduce((t, p) => t + p.db_transactions, 0),
      db_rows: parts.reduce((t, p) => t + p.db_rows, 0),
    };
  }
  for (const [name, x] of Object.entries(c.external ?? {}))
    out[name] = {
      roles: [name],
      readings,
      cpu_s: x.cpu_s,
      cpu_ms_per_1000_readings: x.cpu_ms_per_1000_readings,
      peak_rss_mib: x.peak_rss_mib,
    };
  return out;
}

/**
 * Below this ratio two costs are "about the same": one run's CPU figures vary by about this much
 * from run to run, so a smaller difference is not a claim a report makes.
 */
export const SAME_COST_RATIO = 1.2;

/** The cost figure the report compares modes on: above idle when the run timed an idle baseline, else over the whole run. */
export interface CostBasis {
  key: 'above_idle' | 'run';
  /** Column title. */
  title: string;
  value: (c: AttributedCost | undefined) => number | undefined;
}

export function costBasis(r: RunResult): CostBasis {
  const costs = Object.values(attributedCosts(r));
  if (costs.length > 0 && costs.every((c) => c.cpu_ms_per_1000_above_idle !== undefined))
    return {
      key: 'above_idle',
      title: 'CPU ms per 1,000 readings above idle',
      value: (c) => c?.cpu_ms_per_1000_above_idle,
    };
  return {
    key: 'run',
    title: 'CPU ms per 1,000 readings over the run (idle included)',
    value: (c) => c?.cpu_ms_per_1000_readings,
  };
}

/** The rule ids of one scope among the run's resolved rules (undefined: not recorded). */
function ruleIdsOf(r: RunResult, scope: 'record' | 'window'): Set<string> | undefined {
  const rs = r.parameters.rules_resolved as { rules?: Array<{ id?: unknown; kind?: unknown }> } | undefined;
  if (!rs?.rules) return undefined;
  return new Set(rs.rules.filter((x) => (x.kind === 'window') === (scope === 'window')).map((x) => String(x.id)));
}

/**
 * Whether a comparison says anything: not when one side is an external job that declared it
 * evaluates no rule of the comparison's scope (it skipped them; 0 against 0 would read as full agreement).
 */
export function agreementApplies(r: RunResult, a: AgreementResult): boolean {
  if (a.scope === 'all') return true;
  for (const side of [a.a, a.b]) {
    const job = r.external?.jobs.find((j) => j.name === side);
    if (!job?.rules_evaluated) continue;
    const ids = ruleIdsOf(r, a.scope);
    if (ids && !job.rules_evaluated.some((id) => ids.has(id))) return false;
  }
  return true;
}

/** Why a comparison does not apply, for its row ("spark evaluates no window rule"). */
export function whyNotApplies(r: RunResult, a: AgreementResult): string {
  const job = r.external?.jobs.find((j) => (j.name === a.a || j.name === a.b) && j.rules_evaluated);
  return job ? `${job.name} evaluates no ${a.scope} rule` : 'not applicable';
}
