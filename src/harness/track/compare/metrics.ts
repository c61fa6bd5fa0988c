/**
 * The rows of a comparison: each figure of the figure table (measure/figures.ts) that is judged
 * across runs, per mode for a mode's figure (external modes' own figures for them), with its
 * values on each side, one per run.
 */
import { FIGURES, figureOfMode, modeOfRun, modesOfRun, type FigureDef } from '../../measure/figures.js';
import type { RunResult } from '../../../results/schema.js';

/** The modes in the order the rows list them: stream, batch, then the external ones by name. */
function modesOf(runs: readonly RunResult[]): string[] {
  const seen = new Set<string>();
  for (const r of runs) for (const m of modesOfRun(r)) seen.add(m.name);
  const order = ['stream', 'batch'];
  return [...seen].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
}

export interface MetricSeries {
  /** `<mode>.<id>` or `input.<id>`. */
  key: string;
  /** "stream event-time p99", "send delay p99". */
  label: string;
  figure: FigureDef;
  mode?: string;
  base: number[];
  next: number[];
}

/**
 * Each figure's values on each side (runs that did not record it left out); figures no run
 * recorded are omitted, and so are the invariants (loss, duplicates), which are judged per run.
 */
export function extractSeries(base: readonly RunResult[], next: readonly RunResult[]): MetricSeries[] {
  const out: MetricSeries[] = [];
  const values = (runs: readonly RunResult[], def: FigureDef, mode?: string): number[] =>
    runs
      .map((r) => def.value(r, mode === undefined ? undefined : modeOfRun(r, mode)))
      .filter((v): v is number => v !== undefined && Number.isFinite(v));
  const push = (def: FigureDef, mode?: string): void => {
    const s: MetricSeries = {
      key: `${mode ?? def.scope}.${def.id}`,
      label: mode ? `${mode} ${def.label}` : def.label,
      figure: def,
      ...(mode ? { mode } : {}),
      base: values(base, def, mode),
      next: values(next, def, mode),
    };
    if (s.base.length || s.next.length) out.push(s);
  };
  const compared = FIGURES.filter((f) => !f.invariant);
  for (const mode of modesOf([...base, ...next]))
    for (const def of compared.filter((d) => d.scope === 'mode' && figureOfMode(d, mode))) push(def, mode);
  for (const def of compared.filter((d) => d.scope !== 'mode')) push(def);
  return out;
}
