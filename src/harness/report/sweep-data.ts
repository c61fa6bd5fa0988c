/**
 * A sweep's runs grouped by the value of the swept option, and the headline figures of each
 * mode per value (median and spread across repeats): what the sweep report's table and its
 * charts against the swept value show.
 */
import type { ModeResult, RunResult, SweepResult } from '../../results/schema.js';
import { spread, type Spread } from '../measure/spread.js';

export type ModeName = ModeResult['mode'];

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
  const p = run.result.parameters[swept.key];
  if (typeof p === 'number') return p;
  return swept.key === 'rate' ? run.result.input.offered_rate : Number.NaN;
}

/** The x axis / column title of the swept option: "--batch-interval (s)". */
export function sweptTitle(swept: SweptInfo): string {
  return `--${swept.option}${swept.unit ? ` (${swept.unit})` : ''}`;
}

/** Modes in the sweep, stream before batch. */
export function modesOf(sweep: SweepResult): ModeName[] {
  const seen = new Set(sweep.runs.flatMap((r) => r.result.modes.map((m) => m.mode)));
  return (['stream', 'batch'] as const).filter((m) => seen.has(m));
}

/** External modes in the sweep (docs/EXTERNAL.md), in the order first seen. */
export function externalModesOf(sweep: SweepResult): string[] {
  return [...new Set(sweep.runs.flatMap((r) => (r.result.external?.jobs ?? []).map((j) => j.name)))];
}

/** Whether any run recorded its cost. */
export function hasCost(sweep: SweepResult): boolean {
  return sweep.runs.some((r) => r.result.cost !== undefined);
}

/** One mode's headline figures at one swept value, each as median and spread over the value's runs. */
export interface ModeFigures {
  /** A built-in mode, or an external one (then its latency is to a reading's first result, its output in results/s). */
  mode: string;
  /** Runs at this value that ran the mode. */
  runs: number;
  eventP50: Spread | undefined;
  eventP99: Spread | undefined;
  outputRate: Spread | undefined;
  processingRateWhileBusy: Spread | undefined;
  cpuMsPer1000: Spread | undefined;
  busyS: Spread | undefined;
}

export interface ValueGroup {
  value: number;
  runs: RunResult[];
  /** Achieved input rate across the value's runs. */
  achievedRate: Spread | undefined;
  modes: ModeFigures[];
  /** The external modes' figures: result latency, results/s, CPU of the job's process group. */
  externals: ModeFigures[];
}

/** The headline figures of each mode of one group of runs. A latency without samples counts as missing. */
function figuresOf(runs: RunResult[], mode: ModeName): ModeFigures {
  const ms = runs
    .map((r) => ({ r, m: r.modes.find((x) => x.mode === mode) }))
    .filter((x): x is { r: RunResult; m: ModeResult } => x.m !== undefined);
  const lat = (f: 'p50' | 'p99'): Spread | undefined =>
    spread(ms.map(({ m }) => (m.event_time_latency.count > 0 ? m.event_time_latency[f] : undefined)));
  return {
    mode,
    runs: ms.length,
    eventP50: lat('p50'),
    eventP99: lat('p99'),
    outputRate: spread(ms.map(({ m }) => m.output_rate)),
    processingRateWhileBusy: spread(ms.map(({ m }) => m.processing_rate_while_busy)),
    cpuMsPer1000: spread(ms.map(({ r }) => r.cost?.modes[mode]?.cpu_ms_per_1000_readings)),
    busyS: spread(ms.map(({ r }) => r.cost?.modes[mode]?.busy_s)),
  };
}

/** An external mode's figures: latency from a reading's t_intended to its first result as the observer saw it. */
function externalFiguresOf(runs: RunResult[], name: string): ModeFigures {
  const js = runs.flatMap((r) => {
    const job = r.external?.jobs.find((j) => j.name === name);
    return job ? [{ r, job }] : [];
  });
  const lat = (f: 'p50' | 'p99'): Spread | undefined =>
    spread(js.map(({ job }) => (job.result_latency.count > 0 ? job.result_latency[f] : undefined)));
  return {
    mode: name,
    runs: js.length,
    eventP50: lat('p50'),
    eventP99: lat('p99'),
    outputRate: spread(js.map(({ job }) => job.output_rate)),
    processingRateWhileBusy: undefined,
    cpuMsPer1000: spread(js.map(({ r }) => r.cost?.external?.[name]?.cpu_ms_per_1000_readings)),
    busyS: undefined,
  };
}

/** The runs grouped by swept value, ascending, with each mode's figures. */
export function groupByValue(sweep: SweepResult): ValueGroup[] {
  const swept = sweptOf(sweep);
  const modes = modesOf(sweep);
  const externals = externalModesOf(sweep);
  const groups = new Map<number, RunResult[]>();
  for (const run of sweep.runs) {
    const v = sweptValueOf(run, swept);
    groups.set(v, [...(groups.get(v) ?? []), run.result]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([value, runs]) => ({
      value,
      runs,
      achievedRate: spread(runs.map((r) => r.input.achieved_rate)),
      modes: modes.map((m) => figuresOf(runs, m)),
      externals: externals.map((m) => externalFiguresOf(runs, m)),
    }));
}
