/**
 * Faults: each fault injected or observed, when the harness saw it, the recovery and the latency during it.
 */
import type { RunResult } from '../../../results/schema.js';
import { fmtCount, fmtMs, fmtSeconds } from '../format.js';
import { esc, table } from '../md-table.js';
import type { RunSection } from './section.js';

/** Each fault: when, what the harness saw, how long until the backlog was back, latency during and outside. */
function faultsSection(r: RunResult): string {
  const faults = r.faults ?? [];
  const sec = (v: number | null): string => (v === null ? 'n/a' : fmtSeconds(v));
  const modes = r.modes.map((m) => m.mode);
  const rows = faults.map((f) => [
    esc(f.fault) + (f.injected ? '' : ' *'),
    sec(f.injected_at_s),
    sec(f.ended_at_s),
    f.detected_at_s === null ? esc(f.detected_by) : `${fmtSeconds(f.detected_at_s)} (${esc(f.detected_by)})`,
    f.recovery_s === null ? 'not recovered by the end' : fmtSeconds(f.recovery_s),
    modes
      .map(
        (m) =>
          `${m} ${f.p99_during_ms[m] == null ? 'n/a' : fmtMs(f.p99_during_ms[m])} / ${f.p99_outside_ms[m] == null ? 'n/a' : fmtMs(f.p99_outside_ms[m])}`,
      )
      .join('; '),
  ]);
  const lines = [
    '## Faults',
    'Times in seconds since the load started. Recovery: from the fault until the consumer backlogs of ingest and stream were back at their level before the fault (for a fault of the batch role: until a batch pass ended after it). ' +
      'p99: event-time latency (ms) of readings intended during the fault (until recovery) / of all other measured readings. ' +
      `Loss ${fmtCount(r.storage.loss)} and duplicates ${fmtCount(r.storage.duplicates)} over the whole run. * not injected: observed by the harness.`,
    table(['fault', 'at', 'over at', 'detected', 'recovery', 'p99 during / outside'], rows),
  ];
  const notes = faults.flatMap((f) => [
    ...f.restarts.map((x) => `- ${esc(x)}`),
    ...(f.error ? [`- ${esc(f.fault)}: ${esc(f.error)}`] : []),
  ]);
  if (notes.length) lines.push(notes.join('\n'));
  return lines.join('\n\n');
}

export const faults: RunSection = {
  title: 'Faults',
  applies: (r) => Boolean(r.faults?.length),
  render: (r) => [faultsSection(r)],
};
