import { describe, expect, it } from 'vitest';
import { SUMMARY_COLUMNS, latencyCsv, summaryCsv, timeseriesCsv } from '../../../../src/harness/report/csv.js';
import { makeRunResult } from '../fixture.js';

const lines = (s: string) => s.trim().split('\n');
const cells = (line: string | undefined) => (line ?? '').split(',');

describe('csv', () => {
  it('summary.csv: header and one row per mode', () => {
    const r = makeRunResult();
    const l = lines(summaryCsv(r));
    expect(cells(l[0])).toEqual([...SUMMARY_COLUMNS]);
    expect(l).toHaveLength(1 + r.modes.length);
    const stream = cells(l[1]);
    expect(stream[0]).toBe('stream');
    expect(stream[SUMMARY_COLUMNS.indexOf('offered_rate')]).toBe('1234');
    expect(stream[SUMMARY_COLUMNS.indexOf('alerts')]).toBe('42');
    expect(Number(stream[SUMMARY_COLUMNS.indexOf('event_time_p50_ms')])).toBeCloseTo(500, -1);
  });

  it('summary.csv: empty latency cells when a mode has no samples', () => {
    const l = lines(summaryCsv(makeRunResult({ emptyBatch: true })));
    const batch = cells(l[2]);
    expect(batch[0]).toBe('batch');
    expect(batch[SUMMARY_COLUMNS.indexOf('event_time_p99_ms')]).toBe('');
    expect(batch[SUMMARY_COLUMNS.indexOf('event_time_count')]).toBe('0');
  });

  it('latency.csv: one row per curve point', () => {
    const r = makeRunResult();
    const l = lines(latencyCsv(r));
    expect(cells(l[0])).toEqual(['mode', 'metric', 'percentile', 'value_ms']);
    const rows = l.slice(1).map(cells);
    const metrics = new Set(rows.map((c) => `${c[0]}.${c[1]}`));
    expect(metrics).toEqual(
      new Set(['stream.event_time', 'stream.processing_time', 'batch.event_time', 'input.send_delay']),
    );
    // stream event_time has 1000 samples: percentiles up to 99.9 plus 100
    const se = rows.filter((c) => c[0] === 'stream' && c[1] === 'event_time');
    expect(se.map((c) => c[2])).toContain('99.9');
    expect(se.map((c) => c[2])).not.toContain('99.99');
    expect(Number(se.at(-1)![3])).toBeCloseTo(1000, -1);
  });

  it('latency.csv: header only without histograms', () => {
    expect(lines(latencyCsv({ ...makeRunResult(), histograms: {} }))).toHaveLength(1);
  });

  it('timeseries.csv: columns per mode and backlog, one row per second, null as empty', () => {
    const r = makeRunResult();
    const l = lines(timeseriesCsv(r));
    expect(cells(l[0])).toEqual([
      'second',
      'offered',
      'achieved',
      'output_stream',
      'output_batch',
      'p99_ms_stream',
      'p99_ms_batch',
      'backlog_stream',
      'backlog_batch',
    ]);
    expect(l).toHaveLength(1 + r.timeseries.length);
    expect(cells(l[1])).toEqual(['0', '1234', '1234', '1234', '0', '50', '', '0', '0']);
  });
});
