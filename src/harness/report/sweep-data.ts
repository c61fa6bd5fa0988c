/**
 * A sweep's runs grouped by the value of the swept option (and, in a grid, of the second one),
 * and the headline figures of every mode per group (median, interval and the runs' values):
 * what the sweep report's tables, its summary and its charts show. External modes are modes
 * like the others here.
 */
import type { RunResult, SweepResult } from '../../results/schema.js';
import { cpuPer1000AtRate } from '../measure/cost.js';
import { spread, type Spread } from '../measure/spread.js';
import { measurementValidity } from '../measure/validity.js';
import { allModeNames, attributedCosts, headlineLatency } from './modes-view.js';

export type ModeName = string;

export interface SweptInfo {
  /** Command-line name: "batch-interval". */
  option: string;
  /** Name in a run's parameters: "batchInterval". */
  key: string;
  values: number[];
  unit?: string;
}

/** The swept option; a sweep written before it was recorded swept the rate. */
export function sweptOf(sweep: SweepResult): SweptInfo {
  return (
    sweep.swept ?? {
      option: 'rate',
      key: 'rate',
      values: [...new Set(sweep.runs.map((r) => r.result.input.offered_rate))],
      unit: 'readings/s',
    }
  );
}

/** A run's value of the swept option: as the sweep recorded it, else from its parameters (the rate: as offered). */
export function sweptValueOf(run: SweepResult['runs'][number], swept: SweptInfo): number {
  if (typeof run.swept_value === 'number') return run.swept_value;
  return parameterValue(run, swept);
}

/** A run's value of the grid's second option (NaN outside a grid). */
export function gridValueOf(run: SweepResult['runs'][number], sweep: SweepResult): number {
  if (!sweep.grid) return Number.NaN;
  if (typeof run.grid_value === 'number') return run.grid_value;
  return parameterValue(run, sweep.grid);
}

function parameterValue(run: SweepResult['runs'][number], o: SweptInfo): number {
  const p = run.result.parameters[o.key];
  if (typeof p === 'number') return p;
  return o.key === 'rate' ? run.result.input.offered_rate : Number.NaN;
}

/** The x axis / column title of a swept option: "--batch-interval (s)". */
export function sweptTitle(swept: SweptInfo): string {
  return `--${swept.option}${swept.unit ? ` (${swept.unit})` : ''}`;
}

/** Modes in the sweep: stream, batch, then external modes in the order first seen. */
export function modesOf(sweep: SweepResult): ModeName[] {
  const seen = new Set(sweep.runs.flatMap((r) => allModeNames(r.result)));
  const builtIn = ['stream', 'batch'].filter((m) => seen.has(m));
  return [...builtIn, ...[...seen].filter((m) => !builtIn.includes(m))];
}

/** Whether any run recorded its cost. */
export function hasCost(sweep: SweepResult): boolean {
  return sweep.runs.some((r) => r.result.cost !== undefined);
}

/** Whether every run with a cost timed its idle baseline: then costs compare above idle. */
export function costAboveIdle(sweep: SweepResult): boolean {
  const withCost = sweep.runs.filter((r) => r.result.cost);
  return withCost.length > 0 && withCost.every((r) => r.result.cost!.idle !== undefined);
}

/** Which latency a sweep's tables and charts compare: event-time, or with external modes the latency to a reading's first alert. */
export function sweepLatencyKind(sweep: SweepResult): 'event_time' | 'result' {
  return sweep.runs.some((r) => headlineLatency(r.result).key === 'result') ? 'result' : 'event_time';
}

/** One figure of one mode at one cell: its median and spread, and each run's value (for the tests across values). */
export interface Figure {
  spread: Spread;
  values: number[];
}

function figure(values: ReadonlyArray<number | undefined>): Figure | undefined {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const s = spread(xs);
  return s ? { spread: s, values: xs } : undefined;
}

/** One mode's headline figures at one cell of the sweep. */
export interface ModeFigures {
  mode: ModeName;
  /** Runs at this cell that ran the mode. */
  runs: number;
  p50: Figure | undefined;
  p99: Figure | undefined;
  /** Built-in modes: readings whose results committed per second. */
  outputRate: Figure | undefined;
  /** Readings per second of busy time (batch: its pass rate). */
  readingsPerBusyS: Figure | undefined;
  /** CPU ms per 1,000 readings with what only the mode needs: above idle when every run timed its idle baseline, else over the run. */
  cost: Figure | undefined;
  /** The mode's roles' idle CPU, ms per second. */
  idleMsPerS: Figure | undefined;
  /** CPU ms per 1,000 readings at the run's offered rate: above idle + idle ÷ rate (over the run without a baseline). */
  costAtRate: Figure | undefined;
  /** How far the CPU counters' tick alone can move the cost above idle (cost.ts), per 1,000 readings. */
  costResolution: Figure | undefined;
  busyS: Figure | undefined;
}

export interface Cell {
  value: number;
  /** The grid's second option's value (NaN outside a grid). */
  gridValue: number;
  runs: RunResult[];
  /** Runs that measured the pipelines (complete, the generator on schedule). */
  validRuns: number;
  /** Each distinct warning of the cell's runs, with how many runs had it. */
  warnings: Array<{ text: string; runs: number }>;
  modes: ModeFigures[];
}

function figuresOf(runs: RunResult[], mode: ModeName, kind: 'event_time' | 'result', aboveIdle: boolean): ModeFigures {
  const withMode = runs.filter((r) => allModeNames(r).includes(mode));
  const builtIn = (r: RunResult) => r.modes.find((m) => m.mode === mode);
  const latency = (r: RunResult) =>
    kind === 'result' ? r.external?.result_latency[mode] : builtIn(r)?.event_time_latency;
  const lat = (f: 'p50' | 'p99') =>
    figure(
      withMode.map((r) => {
        const s = latency(r);
        return s && s.count > 0 ? s[f] : undefined;
      }),
    );
  const cost = (r: RunResult) => attributedCosts(r)[mode];
  return {
    mode,
    runs: withMode.length,
    p50: lat('p50'),
    p99: lat('p99'),
    outputRate: figure(withMode.map((r) => builtIn(r)?.output_rate)),
    readingsPerBusyS: figure(withMode.map((r) => builtIn(r)?.processing_rate_while_busy)),
    cost: figure(
      withMode.map((r) => (aboveIdle ? cost(r)?.cpu_ms_per_1000_above_idle : cost(r)?.cpu_ms_per_1000_readings)),
    ),
    idleMsPerS: figure(withMode.map((r) => cost(r)?.idle_cpu_ms_per_s)),
    costAtRate: figure(
      withMode.map((r) => {
        const c = cost(r);
        if (!c) return undefined;
        return aboveIdle ? cpuPer1000AtRate(c, r.input.offered_rate) : c.cpu_ms_per_1000_readings;
      }),
    ),
    costResolution: figure(withMode.map((r) => cost(r)?.cpu_ms_per_1000_above_idle_resolution)),
    busyS: figure(
      withMode.map((r) => (mode === 'stream' || mode === 'batch' ? r.cost?.modes[mode]?.busy_s : undefined)),
    ),
  };
}

/** The runs grouped by swept value (and grid value), ascending, with each mode's figures. */
export function cellsOf(sweep: SweepResult): Cell[] {
  const swept = sweptOf(sweep);
  const modes = modesOf(sweep);
  const kind = sweepLatencyKind(sweep);
  const aboveIdle = costAboveIdle(sweep);
  const cells = new Map<string, { value: number; gridValue: number; runs: RunResult[] }>();
  for (const run of sweep.runs) {
    const value = sweptValueOf(run, swept);
    const gridValue = gridValueOf(run, sweep);
    const key = `${value}|${gridValue}`;
    const c = cells.get(key) ?? { value, gridValue, runs: [] };
    c.runs.push(run.result);
    cells.set(key, c);
  }
  return [...cells.values()]
    .sort((a, b) => a.value - b.value || (a.gridValue || 0) - (b.gridValue || 0))
    .map((c) => ({
      ...c,
      validRuns: c.runs.filter((r) => measurementValidity(r).valid).length,
      warnings: warningsOf(c.runs),
      modes: modes.map((m) => figuresOf(c.runs, m, kind, aboveIdle)),
    }));
}

/** Each distinct warning of the runs (a run's warnings, and what made it measure the machine), with its count. */
function warningsOf(runs: RunResult[]): Cell['warnings'] {
  const counts = new Map<string, number>();
  for (const r of runs) {
    const texts = new Set([...(r.warnings ?? []), ...measurementValidity(r).problems.map(genericProblem)]);
    for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return [...counts].map(([text, n]) => ({ text, runs: n }));
}

/** A run's validity problem without its own figures, so that the same problem of several runs is listed once. */
function genericProblem(p: string): string {
  return p.replace(/ \(send delay p99 .*?\)/, '').replace(/: it measured the machine, not the pipelines$/, '');
}

/** The commits the sweep's runs were made at (git_commit of each run's environment), in the order first seen, with their run counts. */
export function commitsOf(sweep: SweepResult): Array<{ commit: string; runs: number }> {
  const counts = new Map<string, number>();
  for (const r of sweep.runs) {
    const c = commitOf(r.result);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return [...counts].map(([commit, runs]) => ({ commit, runs }));
}

/** A run's commit, short ("d823be9", "d823be9+" with uncommitted changes; "unknown"). */
export function commitOf(r: RunResult): string {
  const full = r.environment.git_commit;
  if (typeof full !== 'string' || !/^[0-9a-f]{7,}/.test(full)) return 'unknown';
  return `${full.slice(0, 7)}${full.includes('+') ? '+' : ''}`;
}
