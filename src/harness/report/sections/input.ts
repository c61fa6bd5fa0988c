/**
 * Input: what the load generator offered, sent and had acknowledged, and whether it kept to its schedule.
 */
import type { RunResult } from '../../../results/schema.js';
import { fmtCount, fmtNum } from '../format.js';
import { FIGURE, LAT_HEADER, latRow, pct } from '../markdown.js';
import { table } from '../md-table.js';
import { always, type RunSection } from './section.js';

function inputSection(r: RunResult): string[] {
  const i = r.input;
  return [
    '## Input',
    table(
      ['figure', 'value'],
      [
        ['offered rate (readings/s)', fmtNum(i.offered_rate)],
        ['achieved input rate (readings/s, acknowledged by Kafka)', fmtNum(i.achieved_rate)],
        ['planned', fmtCount(i.planned)],
        ['sent', fmtCount(i.sent)],
        ['acknowledged', fmtCount(i.acknowledged)],
        ['malformed sent', fmtCount(i.malformed_sent)],
        ['duplicates sent', fmtCount(i.duplicates_sent)],
        ['measured seconds', fmtNum(i.measured_seconds)],
      ],
    ),
    table(LAT_HEADER, [latRow(FIGURE.send_delay, i.send_delay)]),
    i.generator_fell_behind
      ? `**The generator fell behind its schedule** (send delay p99 ${pct(i.send_delay, 'p99')}, max ${pct(i.send_delay, 'max')}): part of the measured latency is the load generator's, not the system under test's.`
      : `The generator kept to its schedule (send delay p99 ${pct(i.send_delay, 'p99')}).`,
  ];
}

export const input: RunSection = { title: 'Input', applies: always, render: inputSection };
