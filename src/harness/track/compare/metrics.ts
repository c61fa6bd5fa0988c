/**
 * The headline metrics a comparison looks at, one value per run, each with the direction that
 * is better. Declared once here; the comparison and its rendering follow this table.
 */
import { median } from '../../measure/spread.js';
import type { LatencySummary, ModeResult, RunResult } from '../../../results/schema.js';

/** Which way is better: smaller for latencies and CPU, bigger for rates. */
export type Direction = 'smaller' | 'bigger';

interface MetricDef {
  /** Stable id, used in the JSON form: `<scope>.<id>` (stream.event_time_p99, input.send_delay_p99). */
  id: string;
  label: string;
  unit: string;
  better: Direction;
  /** 'mode': one row per mode; 'input': one row for the run. */
  scope: 'mode' | 'input';
  /** The run's value (for `mode` when scope is 'mode'); undefined when the run did not record it. */
  value: (run: RunResult, mode: ModeResult | undefined) => number | undefined;
}

/** A latency percentile, or undefined when the distribution is empty (count 0: every figure is 0). */
const pct = (s: LatencySummary | undefined, key: 'p50' | 'p99' | 'p999'): number | undefined =>
  s && s.count > 0 ? s[key] : undefined;

const finite = (v: number | undefined): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** Median duration of a run's batch passes, the final pass (after the load, usually empty) left out. */
export function batchPassDuration(run: RunResult): number | undefined {
  const d = (run.batch_passes ?? []).filter((p) => !p.final).map((p) => p.duration_ms);
  return d.length ? median(d) : undefined;
}

const METRICS: readonly MetricDef[] = [
  {
    id: 'event_time_p50',
    label: 'event-time p50',
    unit: 'ms',
    better: 'smaller',
    scope: 'mode',
    value: (_, m) => pct(m?.event_time_latency, 'p50'),
  },
  {
    id: 'event_time_p99',
    label: 'event-time p99',
    unit: 'ms',
    better: 'smaller',
    scope: 'mode',
    value: (_, m) => pct(m?.event_time_latency, 'p99'),
  },
  {
    id: 'event_time_p999',
    label: 'event-time p99.9',
    unit: 'ms',
    better: 'smaller',
    scope: 'mode',
    value: (_, m) => pct(m?.event_time_latency, 'p999'),
  },
  {
    id: 'processing_time_p99',
    label: 'processing-time p99',
    unit: 'ms',
    better: 'smaller',
    scope: 'mode',
    value: (_, m) => pct(m?.processing_time_latency, 'p99'),
  },
  {
    id: 'output_rate',
    label: 'output rate',
    unit: 'readings/s',
    better: 'bigger',
    scope: 'mode',
    value: (_, m) => finite(m?.output_rate),
  },
  {
    id: 'processing_rate_while_busy',
    label: 'rate while busy',
    unit: 'readings/s',
    better: 'bigger',
    scope: 'mode',
    value: (_, m) => finite(m?.processing_rate_while_busy),
  },
  {
    id: 'cpu_ms_per_1000_readings',
    label: 'CPU per 1,000 readings',
    unit: 'CPU ms',
    better: 'smaller',
    scope: 'mode',
    value: (r, m) => (m ? finite(r.cost?.modes[m.mode]?.cpu_ms_per_1000_readings) : undefined),
  },
  {
    id: 'batch_pass_ms',
    label: 'pass duration (median of a run)',
    unit: 'ms',
    better: 'smaller',
    scope: 'mode',
    value: (r, m) => (m?.mode === 'batch' ? batchPassDuration(r) : undefined),
  },
  {
    id: 'send_delay_p99',
    label: 'send delay p99',
    unit: 'ms',
    better: 'smaller',
    scope: 'input',
    value: (r) => pct(r.input.send_delay, 'p99'),
  },
];

/** The modes in the order the rows list them: stream, batch, then any other. */
function modesOf(runs: readonly RunResult[]): string[] {
  const seen = new Set<string>();
  for (const r of runs) for (const m of r.modes) seen.add(m.mode);
  const order = ['stream', 'batch'];
  return [...seen].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
}

export interface MetricSeries {
  /** `<mode>.<id>` or `input.<id>`. */
  key: string;
  /** "stream event-time p99", "send delay p99". */
  label: string;
  metric: MetricDef;
  mode?: string;
  base: number[];
  next: number[];
}

/** Each metric's values on each side (runs that did not record it left out); metrics no run recorded are omitted. */
export function extractSeries(base: readonly RunResult[], next: readonly RunResult[]): MetricSeries[] {
  const out: MetricSeries[] = [];
  const values = (runs: readonly RunResult[], def: MetricDef, mode?: string): number[] =>
    runs
      .map((r) => def.value(r, mode === undefined ? undefined : r.modes.find((m) => m.mode === mode)))
      .filter((v): v is number => v !== undefined && Number.isFinite(v));
  const push = (def: MetricDef, mode?: string): void => {
    const s: MetricSeries = {
      key: `${mode ?? 'input'}.${def.id}`,
      label: mode ? `${mode} ${def.label}` : def.label,
      metric: def,
      ...(mode ? { mode } : {}),
      base: values(base, def, mode),
      next: values(next, def, mode),
    };
    if (s.base.length || s.next.length) out.push(s);
  };
  for (const mode of modesOf([...base, ...next]))
    for (const def of METRICS.filter((d) => d.scope === 'mode')) push(def, mode);
  for (const def of METRICS.filter((d) => d.scope === 'input')) push(def);
  return out;
}
