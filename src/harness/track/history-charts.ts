/**
 * Trend charts of the run history: one chart per figure, x the run order over all recorded runs
 * (labelled "<n> <short commit>"), one series per comparable parameter set, so that runs of
 * different parameters are never joined by a line.
 */
import type { TopLevelSpec } from 'vega-lite';
import { trendPoints, type HistoryGroup, type TrendMetric } from './history.js';
import { MS_FORMAT, RATE_FORMAT, renderPng, renderSvg } from '../report/charts.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export function historyTrendSpec(groups: HistoryGroup[], metric: TrendMetric): TopLevelSpec {
  const points = trendPoints(groups, metric);
  const runs = [...new Map(points.map((p) => [p.order, p.run])).entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, r]) => r);
  const logScale = metric.log && points.every((p) => p.value > 0);
  const spec = {
    $schema: SCHEMA,
    title: `${metric.title} across runs`,
    width: Math.max(360, Math.min(1200, runs.length * 28)),
    height: 260,
    data: {
      values: points.length
        ? points
        : [{ run: 'no data', value: 0, series: 'none', order: 0, time: '', run_id: '', commit: '' }],
    },
    mark: { type: 'line', point: { size: 50, filled: true }, strokeWidth: 2 },
    encoding: {
      x: {
        field: 'run',
        type: 'ordinal',
        sort: runs.length ? runs : undefined,
        title: 'run (order, commit)',
        axis: { labelAngle: -45 },
      },
      y: {
        field: 'value',
        type: 'quantitative',
        title: `${metric.title} (${metric.unit})`,
        axis: { format: metric.unit === 'ms' ? MS_FORMAT : RATE_FORMAT },
        scale: logScale ? { type: 'log' } : { zero: !metric.log },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: 'parameter set',
        legend: { orient: 'bottom', columns: 1, labelLimit: 600 },
      },
      tooltip: [
        { field: 'run_id', title: 'run' },
        { field: 'commit' },
        { field: 'time' },
        { field: 'series', title: 'parameter set' },
        { field: 'value', title: metric.unit, format: ',.3~f' },
      ],
    },
  };
  return spec as unknown as TopLevelSpec;
}

/** The SVG of a trend chart and, when asked, its PNG. */
export async function historyTrendChart(
  groups: HistoryGroup[],
  metric: TrendMetric,
  opts: { png?: boolean } = {},
): Promise<{ svg: string; png?: Buffer }> {
  const svg = await renderSvg(historyTrendSpec(groups, metric));
  return { svg, ...(opts.png ? { png: await renderPng(svg) } : {}) };
}
