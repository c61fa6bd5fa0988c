/**
 * Late readings: how many readings came behind the watermark, the latest first.
 */
import type { RunResult } from '../../../results/schema.js';
import { fmtMs, plural } from '../format.js';
import { table } from '../md-table.js';
import { always, type RunSection } from './section.js';

function lateSection(r: RunResult, show = 10): string {
  const late = r.late_readings;
  if (late.length === 0) return 'No late readings recorded.';
  const sorted = [...late].sort((x, y) => y.lateness_ms - x.lateness_ms);
  const largest = sorted[0]!;
  return [
    `${plural(late.length, 'late reading')}; largest lateness ${fmtMs(largest.lateness_ms)} ms (patient ${largest.patient_id}, seq ${largest.seq}). ` +
      `Largest ${Math.min(show, late.length)}:`,
    '',
    table(
      ['patient_id', 'seq', 'lateness (ms)'],
      sorted.slice(0, show).map((l) => [String(l.patient_id), String(l.seq), fmtMs(l.lateness_ms)]),
    ),
  ].join('\n');
}

export const lateReadings: RunSection = {
  title: 'Late readings',
  applies: always,
  render: (r) => ['## Late readings', lateSection(r)],
};
