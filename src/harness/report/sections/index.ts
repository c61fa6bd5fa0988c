/**
 * report.md of one run: its sections in the order a reader meets them. Every figure names its
 * METRICS.md definition, its unit, its sample count and its spread; a distribution without
 * samples prints "n/a"; every mode (external ones included, modes-view.ts) is in every table
 * that lists the modes. A new section: a module exporting a RunSection (section.ts), and its
 * line here. The sweep's report is sweep-markdown.ts.
 */
import type { RunResult } from '../../../results/schema.js';
import type { ChartRef } from '../markdown.js';
import { agreement } from './agreement.js';
import { charts } from './charts.js';
import { comparison } from './comparison.js';
import { cost } from './cost.js';
import { definitions } from './definitions.js';
import { drift } from './drift.js';
import { engines } from './engines.js';
import { external } from './external.js';
import { faults } from './faults.js';
import { header } from './header.js';
import { input } from './input.js';
import { lateReadings } from './late.js';
import { latency } from './latency.js';
import type { RunSection } from './section.js';
import { setUp } from './set-up.js';
import { stages } from './stages.js';
import { storage } from './storage.js';
import { summary } from './summary.js';
import { throughput } from './throughput.js';

export const RUN_SECTIONS: readonly RunSection[] = [
  header,
  summary,
  setUp,
  input,
  latency,
  stages,
  external,
  engines,
  throughput,
  agreement,
  lateReadings,
  storage,
  cost,
  drift,
  faults,
  comparison,
  charts,
  definitions,
];

export function renderMarkdown(r: RunResult, chartRefs: ChartRef[]): string {
  const ctx = { charts: chartRefs };
  return (
    RUN_SECTIONS.filter((s) => s.applies(r, ctx))
      .flatMap((s) => s.render(r, ctx))
      .join('\n\n') + '\n'
  );
}
