/**
 * Storage: what was stored, lost, duplicated, rejected or substituted.
 */
import type { RunResult } from '../../../results/schema.js';
import { fmtCount } from '../format.js';
import { METRICS } from '../markdown.js';
import { table } from '../md-table.js';
import { always, type RunSection } from './section.js';

function storageSection(r: RunResult): string[] {
  const st = r.storage;
  return [
    '## Storage',
    table(
      ['figure', 'value'],
      [
        ['stored', fmtCount(st.stored)],
        ['loss (valid readings sent, absent from storage)', fmtCount(st.loss)],
        ['duplicates (readings stored more than once)', fmtCount(st.duplicates)],
        ['rejected (invalid readings)', fmtCount(st.rejected)],
        ...(st.foreign !== undefined
          ? [["of which foreign (another run's readings, not counted as this run's)", fmtCount(st.foreign)]]
          : []),
        ...(st.conflicting_duplicates !== undefined
          ? [
              [
                'of which duplicates with different content (first stored copy kept)',
                fmtCount(st.conflicting_duplicates),
              ],
            ]
          : []),
        ...(st.refused_by_database !== undefined
          ? [['of which refused by the database (isolated from their batch)', fmtCount(st.refused_by_database)]]
          : []),
        ...(st.no_run_id !== undefined
          ? [['of which without a run id (counted as foreign)', fmtCount(st.no_run_id)]]
          : []),
        ...(st.substituted !== undefined
          ? [['substituted (stored with other content than the generator sent)', fmtCount(st.substituted)]]
          : []),
        ...(st.stream_rejected !== undefined ? [['rejected by the stream', String(st.stream_rejected)]] : []),
        ...(st.stream_conflicting_duplicates !== undefined
          ? [
              [
                'of which duplicates with different content (first processed copy kept)',
                String(st.stream_conflicting_duplicates),
              ],
            ]
          : []),
      ],
    ),
    st.loss === 0 && st.duplicates === 0
      ? 'No loss, no duplicates.'
      : `**Loss ${fmtCount(st.loss)}, duplicates ${fmtCount(st.duplicates)}: both must be 0 (${METRICS}).**`,
    ...(st.substituted
      ? [
          `**${fmtCount(st.substituted)} stored readings are not what the generator sent: another message took their place.**`,
        ]
      : []),
  ];
}

export const storage: RunSection = { title: 'Storage', applies: always, render: storageSection };
