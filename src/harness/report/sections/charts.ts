/**
 * Charts: the charts written beside the report (the sweep's report lists its own the same way).
 */
import type { ChartRef } from '../markdown.js';
import type { RunSection } from './section.js';

export function chartsSection(charts: ChartRef[]): string[] {
  return charts.length ? ['## Charts', charts.map((c) => `![${c.name}](${c.file})`).join('\n\n')] : [];
}

export const charts: RunSection = {
  title: 'Charts',
  applies: (_r, ctx) => ctx.charts.length > 0,
  render: (_r, ctx) => chartsSection(ctx.charts),
};
