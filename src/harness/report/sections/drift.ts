/**
 * Drift (METRICS.md "Drift"): the first window of whole measured minutes against the last, for
 * each mode's event-time p99 and each process group's peak memory, then the minutes themselves.
 */
import type { DriftResult, RunResult } from '../../../results/schema.js';
import { fmtNum, fmtPercent } from '../format.js';
import { table } from '../md-table.js';
import type { RunSection } from './section.js';

const value = (v: number | null, unit: 'ms' | 'MiB'): string =>
  v === null ? 'n/a' : `${fmtNum(v, unit === 'ms' ? 1 : 0)} ${unit}`;

function comparedTable(d: DriftResult): string {
  return table(
    ['figure', `first ${d.window_minutes} min (median of minutes)`, `last ${d.window_minutes} min`, 'change'],
    d.compared.map((c) => [
      c.figure,
      value(c.first, c.unit),
      value(c.last, c.unit),
      c.change_pct === null ? 'n/a' : `${c.change_pct >= 0 ? '+' : ''}${fmtPercent(c.change_pct)}`,
    ]),
  );
}

function minutesTable(d: DriftResult): string {
  const modes = Object.keys(d.minutes[0]?.p99_ms ?? {});
  const groups = Object.keys(d.minutes[0]?.rss_mib ?? {}).sort();
  return table(
    ['minute', ...modes.map((m) => `${m} p99 (ms)`), ...groups.map((g) => `${g} (MiB)`)],
    d.minutes.map((m) => [
      String(m.minute),
      ...modes.map((x) => value(m.p99_ms[x] ?? null, 'ms').replace(' ms', '')),
      ...groups.map((g) => value(m.rss_mib[g] ?? null, 'MiB').replace(' MiB', '')),
    ]),
  );
}

export const drift: RunSection = {
  title: 'Drift',
  applies: (r: RunResult) => r.drift !== undefined,
  render: (r) => {
    const d = r.drift!;
    return [
      '## Drift',
      `Whether the run held its latency and memory over the load (METRICS.md "Drift"): ${d.minutes.length} whole measured minutes; ` +
        `each figure's median over the first ${d.window_minutes} against the last ${d.window_minutes}. ` +
        `p99: of the results committed in the minute; memory: the largest resident set of each process group sampled in it (once a second; "harness" is this process).`,
      comparedTable(d),
      "Per minute (from the schedule's start, warm-up included):",
      minutesTable(d),
    ];
  },
};
