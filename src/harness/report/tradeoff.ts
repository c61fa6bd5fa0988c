/**
 * The trade-off map of a sweep: each mode at each setting as a point of latency (p99, log) against
 * CPU per reading at the offered rate, the Pareto front of each workload marked (no other point
 * is both cheaper and faster), and the crossover the stream-versus-batch question asks for, in
 * words, from the measured medians only. A workload is one offered rate: points of different
 * rates are not compared with each other (one panel per rate).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SweepResult } from '../../results/schema.js';
import { LOG_FLOOR_MS, seriesColor } from './charts.js';
import { fmtCount, fmtMs, fmtNum, fmtPercent, fmtValue } from './format.js';
import { SAME_COST_RATIO } from './modes-view.js';
import { cellsOf, costAboveIdle, modesOf, sweepLatencyKind, type Cell, type SweptInfo } from './sweep-data.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export const TRADEOFF_FILE = 'sweep_tradeoff.svg';

/** One mode at one cell of the sweep. */
interface TradeoffPoint {
  mode: string;
  /** The offered rate of the workload (the panel). */
  rate: number;
  /** What distinguishes the setting within its workload ("--batch-interval 10"), "" when nothing does. */
  setting: string;
  /** CPU ms per 1,000 readings at the offered rate (median over the cell's runs). */
  cost: number;
  p50: number;
  p99: number;
  runs: number;
  front: boolean;
}

/** Which of the sweep's options is the rate: the swept one, the grid's second, or neither. */
function rateRole(sweep: SweepResult): 'swept' | 'grid' | undefined {
  if ((sweep.swept?.key ?? 'rate') === 'rate') return 'swept';
  if (sweep.grid?.key === 'rate') return 'grid';
  return undefined;
}

/** The option that is not the rate, and its value in a cell (NaN: none). */
function settingOf(sweep: SweepResult, c: Cell): { option: SweptInfo | undefined; value: number } {
  const role = rateRole(sweep);
  if (role === 'swept') return { option: sweep.grid, value: c.gridValue };
  if (role === 'grid') return { option: sweep.swept, value: c.value };
  // Neither is the rate: both options describe the setting (the workload is the runs' one rate).
  return { option: sweep.swept, value: c.value };
}

function rateOf(sweep: SweepResult, c: Cell): number {
  const role = rateRole(sweep);
  if (role === 'swept') return c.value;
  if (role === 'grid') return c.gridValue;
  return c.runs[0]?.input.offered_rate ?? Number.NaN;
}

function settingText(sweep: SweepResult, c: Cell): string {
  const { option, value } = settingOf(sweep, c);
  const parts: string[] = [];
  if (option && Number.isFinite(value)) parts.push(`--${option.option} ${fmtValue(value)}`);
  if (!rateRole(sweep) && sweep.grid && Number.isFinite(c.gridValue))
    parts.push(`--${sweep.grid.option} ${fmtValue(c.gridValue)}`);
  return parts.join(' ');
}

/** Every mode at every cell that has both a cost and a latency, with the Pareto front of each rate marked. */
export function tradeoffPoints(sweep: SweepResult): TradeoffPoint[] {
  const points: TradeoffPoint[] = [];
  for (const c of cellsOf(sweep)) {
    for (const f of c.modes) {
      const cost = f.costAtRate?.spread.median;
      const p99 = f.p99?.spread.median;
      const p50 = f.p50?.spread.median;
      if (cost === undefined || p99 === undefined || p50 === undefined) continue;
      points.push({
        mode: f.mode,
        rate: rateOf(sweep, c),
        setting: settingText(sweep, c),
        cost,
        p50,
        p99,
        runs: f.runs,
        front: false,
      });
    }
  }
  for (const p of points)
    p.front = !points.some(
      (q) => q !== p && q.rate === p.rate && q.cost <= p.cost && q.p99 <= p.p99 && (q.cost < p.cost || q.p99 < p.p99),
    );
  return points;
}

/** "1/5" of a cost for a ratio of 5.7 (the cheaper side costs at most that share), "80%" below 2. */
function shareText(ratio: number): string {
  return ratio >= 2 ? `1/${Math.floor(ratio)}` : fmtPercent(100 / ratio);
}

/**
 * The crossover in words: below which offered rate batch, at its best setting, is cheaper per
 * reading than the stream, how fast it then answers, and at what share of the stream's cost.
 * Null when the sweep does not vary the rate or lacks stream or batch or their costs.
 */
export function crossoverSentence(sweep: SweepResult): string | null {
  const role = rateRole(sweep);
  if (!role) return null;
  const cells = cellsOf(sweep);
  const byConfig = costsBySetting(sweep, cells);
  if (byConfig.size === 0) return null;
  const rates = [...new Set(cells.map((c) => rateOf(sweep, c)))].sort((a, b) => a - b);
  const best = cheaperBatchSetting(byConfig);
  const basis = `CPU per 1,000 readings at the offered rate${costAboveIdle(sweep) ? ' (above idle, plus the idle CPU spread over the rate)' : ' (over the run)'}, medians over each setting's runs, not tested`;
  const latencyName = sweepLatencyKind(sweep) === 'result' ? 'p99 to a first alert' : 'p99';
  if (!best) {
    const lowest = [...byConfig.values()]
      .flat()
      .sort((a, b) => a.rate - b.rate || a.batch / a.stream - b.batch / b.stream)[0]!;
    return (
      `At no rate measured was batch cheaper than the stream by more than ${fmtPercent((SAME_COST_RATIO - 1) * 100)} and the CPU counters' resolution: at ${fmtCount(lowest.rate)} readings/s, its cheapest setting used ` +
      `${fmtNum(lowest.batch)} CPU ms per 1,000 readings against the stream's ${fmtNum(lowest.stream)} (${basis}). There is no crossover in this sweep.`
    );
  }
  const { setting, prefix } = best;
  const last = prefix[prefix.length - 1]!;
  const next = rates.find((r) => r > last.rate);
  const where =
    next === undefined
      ? `At every rate measured (up to ${fmtCount(last.rate)} readings/s)`
      : `Below ${fmtCount(next)} readings/s (cheaper at ${prefix.map((r) => fmtCount(r.rate)).join(', ')}; not at ${fmtCount(next)}; rates in between were not measured)`;
  const within = Math.max(...prefix.map((r) => r.bp99));
  const ratio = Math.min(...prefix.map((r) => r.stream / r.batch));
  const streamWithin = Math.max(...prefix.map((r) => r.sp99));
  const config = batchSettingText(sweep, setting);
  return (
    `${where}, ${config} answers within ${fmtMs(within)} ms (${latencyName}) at ${shareText(ratio)} of the stream's cost or less; ` +
    `the stream answers within ${fmtMs(streamWithin)} ms there (${basis}).`
  );
}

/** Stream and batch medians at one offered rate, for one setting of the other options. */
interface CostPair {
  rate: number;
  batch: number;
  stream: number;
  bp99: number;
  sp99: number;
  runs: number;
  resolution: number;
}

/** Per setting (the options other than the rate), its cells that have both modes' cost and p99. */
function costsBySetting(sweep: SweepResult, cells: ReturnType<typeof cellsOf>): Map<string, CostPair[]> {
  const byConfig = new Map<string, CostPair[]>();
  for (const c of cells) {
    const s = c.modes.find((m) => m.mode === 'stream');
    const b = c.modes.find((m) => m.mode === 'batch');
    const sc = s?.costAtRate?.spread.median;
    const bc = b?.costAtRate?.spread.median;
    const bp99 = b?.p99?.spread.median;
    const sp99 = s?.p99?.spread.median;
    if (sc === undefined || bc === undefined || bp99 === undefined || sp99 === undefined) continue;
    const key = settingText(sweep, c);
    const list = byConfig.get(key) ?? [];
    const resolution = (s!.costResolution?.spread.median ?? 0) + (b!.costResolution?.spread.median ?? 0);
    list.push({
      rate: rateOf(sweep, c),
      batch: bc,
      stream: sc,
      bp99,
      sp99,
      runs: Math.min(s!.runs, b!.runs),
      resolution,
    });
    byConfig.set(key, list);
  }
  return byConfig;
}

/**
 * The setting at which batch is cheaper than the stream over the longest run of rates from the
 * lowest up (ties: the lower worst batch p99), with those rates; undefined when none is.
 */
function cheaperBatchSetting(byConfig: Map<string, CostPair[]>): { setting: string; prefix: CostPair[] } | undefined {
  let best: { setting: string; prefix: CostPair[] } | undefined;
  for (const [setting, list] of byConfig) {
    list.sort((a, b) => a.rate - b.rate);
    const prefix: typeof list = [];
    // Cheaper means by more than one run's noise (SAME_COST_RATIO) and than the CPU counters' resolution.
    for (const r of list) {
      if (r.stream >= SAME_COST_RATIO * r.batch && r.stream - r.batch > r.resolution) prefix.push(r);
      else break;
    }
    if (prefix.length === 0) continue;
    const worst = Math.max(...prefix.map((r) => r.bp99));
    if (
      !best ||
      prefix.length > best.prefix.length ||
      (prefix.length === best.prefix.length && worst < Math.max(...best.prefix.map((r) => r.bp99)))
    )
      best = { setting, prefix };
  }
  return best;
}

/** "batch with a 30 s interval", "batch with --threads 4", "batch (a pass every 10 s)" for a sweep of the rate alone. */
function batchSettingText(sweep: SweepResult, setting: string): string {
  const interval = /^--batch-interval (\S+)$/.exec(setting);
  if (interval) return `batch with a ${interval[1]} s interval`;
  if (setting) return `batch with ${setting}`;
  const fixed = [...new Set(sweep.runs.map((r) => r.result.parameters.batchInterval))];
  return fixed.length === 1 && typeof fixed[0] === 'number' ? `batch (a pass every ${fmtValue(fixed[0])} s)` : 'batch';
}

/** The map as a Vega-Lite spec: a panel per offered rate, log axes, the front joined and ringed. */
export function tradeoffSpec(sweep: SweepResult): TopLevelSpec {
  const points = tradeoffPoints(sweep).map((p) => ({
    ...p,
    p99: Math.max(p.p99, LOG_FLOOR_MS),
    panel: `${fmtCount(p.rate)} readings/s`,
    label: p.setting.replace(/^--[a-z-]+ /, ''),
  }));
  const layer = tradeoffLayers(sweep);
  const panels = [...new Set(points.map((p) => p.panel))];
  const title = tradeoffTitle(sweep, points);
  if (points.length === 0)
    return {
      $schema: SCHEMA,
      title,
      width: 420,
      height: 260,
      data: { values: [{ text: 'no run recorded both a cost and a latency' }] },
      mark: { type: 'text', fontSize: 13, color: '#777' },
      encoding: { text: { field: 'text' } },
    } as unknown as TopLevelSpec;
  return {
    $schema: SCHEMA,
    title,
    data: { values: points },
    facet: { field: 'panel', type: 'ordinal', title: 'offered rate', sort: panels },
    columns: Math.min(3, panels.length),
    spec: { width: panels.length > 1 ? 280 : 480, height: panels.length > 1 ? 220 : 300, layer },
    resolve: { scale: { x: 'shared', y: 'shared' } },
  } as unknown as TopLevelSpec;
}

/** The layers of each panel: the front joined and ringed, every point coloured by mode, its label. */
function tradeoffLayers(sweep: SweepResult): unknown[] {
  const modes = modesOf(sweep);
  const color = {
    field: 'mode',
    type: 'nominal',
    title: 'mode',
    scale: { domain: modes, range: modes.map(seriesColor) },
  };
  const latencyTitle = `${sweepLatencyKind(sweep) === 'result' ? 'p99 to first alert' : 'event-time p99'} (ms, log)`;
  const x = {
    field: 'cost',
    type: 'quantitative',
    title: 'CPU ms per 1,000 readings (log)',
    scale: { type: 'log' },
    axis: { format: ',~g' },
  };
  const y = {
    field: 'p99',
    type: 'quantitative',
    title: latencyTitle,
    scale: { type: 'log' },
    axis: { format: ',~g' },
  };
  const tooltip = [
    { field: 'mode' },
    { field: 'panel', title: 'offered' },
    { field: 'setting' },
    { field: 'cost', title: 'CPU ms per 1,000 readings', format: ',.1~f' },
    { field: 'p50', title: 'p50 (ms)', format: ',.1~f' },
    { field: 'p99', title: 'p99 (ms)', format: ',.1~f' },
    { field: 'runs' },
    { field: 'front', title: 'on the Pareto front' },
  ];
  return [
    {
      transform: [{ filter: 'datum.front' }],
      mark: { type: 'line', color: '#444', strokeDash: [4, 3], strokeWidth: 1.5 },
      encoding: { x, y, order: { field: 'cost', type: 'quantitative' } },
    },
    {
      transform: [{ filter: 'datum.front' }],
      mark: { type: 'point', shape: 'circle', size: 260, filled: false, color: '#222', strokeWidth: 1.5 },
      encoding: { x, y },
    },
    { mark: { type: 'point', filled: true, size: 70, opacity: 1 }, encoding: { x, y, color, tooltip } },
    {
      mark: { type: 'text', align: 'left', dx: 8, dy: -6, fontSize: 10 },
      encoding: { x, y, text: { field: 'label' }, color },
    },
  ];
}

/** The chart's title and subtitle: what a point is, how its cost is counted, its labels, the log floor. */
function tradeoffTitle(sweep: SweepResult, points: Array<{ label: string; p99: number }>): unknown {
  const costNote = costAboveIdle(sweep)
    ? 'x: CPU at the offered rate, each mode with what only it needs (above idle, plus the idle CPU spread over the rate)'
    : 'x: CPU over the run, each mode with what only it needs (these runs timed no idle baseline)';
  return {
    text: 'Trade-off: latency against CPU per reading',
    subtitle: [
      'a point per mode and setting (median over its runs); ringed and joined: the Pareto front (nothing both cheaper and faster)',
      costNote,
      ...(points.some((p) => p.label)
        ? [
            `labels: ${[sweep.swept, sweep.grid]
              .filter((o) => o && o.key !== 'rate')
              .map((o) => `--${o!.option}`)
              .join(', ')}`,
          ]
        : []),
      ...(points.some((p) => p.p99 === LOG_FLOOR_MS)
        ? [`values under ${LOG_FLOOR_MS} ms drawn at ${LOG_FLOOR_MS} ms`]
        : []),
    ],
  };
}
