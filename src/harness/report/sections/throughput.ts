/**
 * Throughput: each mode's output rate and busy rate, and the batch passes.
 */
import type { RunResult } from '../../../results/schema.js';
import { fmtCount, fmtNum, fmtPercent } from '../format.js';
import { table } from '../md-table.js';
import { always, type RunSection } from './section.js';

function throughputSection(r: RunResult): string[] {
  const i = r.input;
  const parts = [
    '## Throughput',
    table(
      [
        'mode',
        'output rate (readings/s)',
        'over (s)',
        'readings per busy second',
        'results committed',
        'alerts',
        'windows',
        'output / achieved input',
      ],
      r.modes.map((m) => [
        m.mode,
        fmtNum(m.output_rate),
        m.output_span_s !== undefined ? fmtNum(m.output_span_s) : 'n/a',
        m.processing_rate_while_busy !== undefined
          ? `${fmtNum(m.processing_rate_while_busy)}${m.mode === 'batch' ? ' (pass rate: a capacity)' : ' (follows the offered rate: not a capacity)'}`
          : 'n/a',
        fmtCount(m.results_committed),
        fmtCount(m.alerts),
        fmtCount(m.windows),
        i.achieved_rate > 0 ? fmtPercent((100 * m.output_rate) / i.achieved_rate) : 'n/a',
      ]),
    ),
    'Output rate: measured readings whose results committed, over the measured phase or until the last result when later ("over"). Readings per busy second: every stored reading over the time the mode spent processing. For batch that time is its passes, which run flat out over what has gathered: the pass rate is what batch can process. The stream works on readings as they arrive, so its figure follows the offered rate and says nothing of what it could process: that is the sustainable throughput (--find-max).',
  ];
  if (r.batch_passes?.length) {
    parts.push(
      '### Batch passes',
      table(
        ['pass', 'readings', 'alerts', 'windows', 'duration (ms)', 'final'],
        r.batch_passes.map((p) => [
          String(p.pass),
          fmtCount(p.readings),
          fmtCount(p.alerts),
          fmtCount(p.windows),
          fmtCount(p.duration_ms),
          p.final ? 'yes' : '',
        ]),
      ),
    );
  }
  return parts;
}

export const throughput: RunSection = { title: 'Throughput', applies: always, render: throughputSection };
