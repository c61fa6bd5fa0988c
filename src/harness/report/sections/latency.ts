/**
 * Latency: each mode's latency distributions, and the injected episodes it alerted on.
 */
import type { RunResult } from '../../../results/schema.js';
import { FIGURE, LAT_HEADER, latRow } from '../markdown.js';
import { table } from '../md-table.js';
import { always, type RunSection } from './section.js';

function latencySection(r: RunResult): string[] {
  const parts = ['## Latency'];
  for (const m of r.modes) {
    parts.push(
      `### ${m.mode}`,
      table(LAT_HEADER, [
        latRow(FIGURE.event_time, m.event_time_latency),
        latRow(FIGURE.processing_time, m.processing_time_latency),
        latRow(FIGURE.detection, m.detection_latency),
        ...(m.window_result_latency ? [latRow(FIGURE.window_result, m.window_result_latency)] : []),
      ]),
    );
    if (m.episodes_injected !== undefined) {
      parts.push(
        `Injected anomaly episodes with at least one alert: ${m.episodes_detected ?? 'n/a'} of ${m.episodes_injected} (an episode can stay below every rule's threshold; this is not the rule agreement, see [4]).`,
      );
    }
  }
  if (r.modes.length === 0) parts.push('No mode results.');
  return parts;
}

export const latency: RunSection = { title: 'Latency', applies: always, render: latencySection };
