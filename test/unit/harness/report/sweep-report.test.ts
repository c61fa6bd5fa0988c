import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModeCost, RunResult, SweepResult } from '../../../../src/results/schema.js';
import { renderSweepMarkdown, sweepSummary } from '../../../../src/harness/report/sweep-markdown.js';
import { sweepChartFiles, sweptCostChart, sweptLatencyChart } from '../../../../src/harness/report/sweep-charts.js';
import { cellsOf } from '../../../../src/harness/report/sweep-data.js';
import { sweepCsv, writeSweepReport } from '../../../../src/harness/report/write.js';
import { makeRunResult, makeSweep } from '../fixture.js';

const cost = (cpuMs: number, busy: number): ModeCost => ({
  cpu_s: 1,
  peak_rss_mib: 100,
  busy_s: busy,
  db_rows: 10,
  db_transactions: 5,
  readings: 1000,
  cpu_ms_per_1000_readings: cpuMs,
});

/** A run at one batch interval with the given stream/batch event-time p50 and p99 (ms). */
function run(
  interval: number,
  i: number,
  f: { sp50: number; sp99: number; bp50: number; bp99: number; busy?: number; cpu?: [number, number] },
): SweepResult['runs'][number] {
  const r: RunResult = makeRunResult({ offered: 200, runId: `FAKE-bi${interval}-${i}` });
  r.parameters = { ...r.parameters, batchInterval: interval, swept: { option: 'batch-interval', value: interval } };
  const [stream, batch] = r.modes as [RunResult['modes'][number], RunResult['modes'][number]];
  stream.event_time_latency = { ...stream.event_time_latency, p50: f.sp50, p99: f.sp99 };
  batch.event_time_latency = { ...batch.event_time_latency, p50: f.bp50, p99: f.bp99 };
  if (f.busy !== undefined) batch.processing_rate_while_busy = f.busy;
  if (f.cpu)
    r.cost = {
      modes: { stream: cost(f.cpu[0], 4), batch: cost(f.cpu[1], 2) },
      broker_cpu_s: null,
      database_cpu_s: null,
      sampled_s: 10,
    };
  return { dir: `FAKE-bi${interval}-${i}_batch-interval-${interval}`, result: r, swept_value: interval };
}

function batchIntervalSweep(withCost: boolean): SweepResult {
  return {
    swept: { option: 'batch-interval', key: 'batchInterval', values: [10, 2], unit: 's' },
    options: {
      rate: 200,
      duration: 6,
      warmup: 1,
      batchInterval: [10, 2],
      modes: ['stream', 'batch'],
      topicPrefix: '',
      fault: [],
      repeat: 3,
    },
    repeat: 3,
    runs: [
      run(10, 1, {
        sp50: 12,
        sp99: 40,
        bp50: 5000,
        bp99: 9800,
        busy: 9000,
        ...(withCost ? { cpu: [3, 1.5] as [number, number] } : {}),
      }),
      run(10, 2, {
        sp50: 8,
        sp99: 30,
        bp50: 5200,
        bp99: 9900,
        busy: 11000,
        ...(withCost ? { cpu: [5, 2.5] as [number, number] } : {}),
      }),
      run(10, 3, {
        sp50: 30,
        sp99: 90,
        bp50: 4900,
        bp99: 9700,
        ...(withCost ? { cpu: [4, 2] as [number, number] } : {}),
      }),
      run(2, 1, { sp50: 10, sp99: 35, bp50: 1100, bp99: 1900, busy: 8000 }),
      run(2, 2, { sp50: 14, sp99: 45, bp50: 1000, bp99: 2000, busy: 9000 }),
      run(2, 3, { sp50: 12, sp99: 40, bp50: 1300, bp99: 2100, busy: 8500 }),
    ],
  };
}

describe('a sweep over --batch-interval', () => {
  it('groups runs by value (ascending) with the median and spread of each figure (hand-computed)', () => {
    const cells = cellsOf(batchIntervalSweep(true));
    expect(cells.map((g) => g.value)).toEqual([2, 10]);
    const [two, ten] = cells as [(typeof cells)[number], (typeof cells)[number]];
    const s10 = ten.modes.find((m) => m.mode === 'stream')!;
    expect(s10.runs).toBe(3);
    expect(s10.p50!.spread).toEqual({ n: 3, median: 12, min: 8, max: 30 });
    expect(s10.p50!.values).toEqual([12, 8, 30]);
    expect(s10.p99!.spread).toEqual({ n: 3, median: 40, min: 30, max: 90 });
    // No idle baseline in these runs: the cost over the run (the stream its role alone).
    expect(s10.cost!.spread).toEqual({ n: 3, median: 4, min: 3, max: 5 });
    expect(s10.busyS!.spread).toEqual({ n: 3, median: 4, min: 4, max: 4 });
    const b10 = ten.modes.find((m) => m.mode === 'batch')!;
    expect(b10.readingsPerBusyS!.spread).toEqual({ n: 2, median: 10000, min: 9000, max: 11000 }); // one run without it
    expect(b10.p50!.spread).toEqual({ n: 3, median: 5000, min: 4900, max: 5200 });
    const b2 = two.modes.find((m) => m.mode === 'batch')!;
    expect(b2.p99!.spread).toEqual({ n: 3, median: 2000, min: 1900, max: 2100 });
    expect(b2.cost).toBeUndefined();
    expect(two.validRuns).toBe(3);
  });

  it('report.md: settings (narrow table), a row per value and mode with median and its interval, the runs by value', () => {
    const md = renderSweepMarkdown(batchIntervalSweep(true), [
      { name: 'latency vs --batch-interval', file: 'sweep_latency_vs_batch-interval.svg' },
    ]);
    expect(md).toContain('# vitals-bench sweep over --batch-interval');
    expect(md).toContain('6 runs: --batch-interval 10, 2 s, 3 runs per value (--repeat).');
    expect(md).toContain('## Settings');
    expect(md).toContain('| setting | value |');
    expect(md).toContain('| --batch-interval | 10, 2 (swept) |');
    expect(md).toContain('| --rate | 200 |');
    expect(md).toContain('| --modes | stream, batch |');
    expect(md).toContain('| --patients | one per reading/s (default) |');
    expect(md).toContain('## Per value of --batch-interval');
    expect(md).toContain(
      '| --batch-interval (s) | mode | runs | p50 event-time | p99 event-time | output (readings/s) | CPU ms per 1,000 readings over the run | idle CPU (ms/s) |',
    );
    // 3 runs: min..max is a 75% interval of the median.
    expect(md).toContain('| 10 | stream | 3 | 12 ms (8..30, 75% CI, n=3) | 40 ms (30..90, 75% CI, n=3) |');
    expect(md).toContain(
      '| 10 | batch | 3 | 5,000 ms (4,900..5,200, 75% CI, n=3) | 9,800 ms (9,700..9,900, 75% CI, n=3) | 166 (166..166, 75% CI, n=3) | 2 (1.5..2.5, 75% CI, n=3) | n/a |',
    );
    expect(md).toContain('| 2 | stream | 3 | 12 ms (10..14, 75% CI, n=3) |');
    expect(md).toMatch(/\| 2 \| batch \| 3 \| .* \| n\/a \| n\/a \|/);
    expect(md).not.toContain('processing rate while busy');
    // Rows by ascending value: 2 before 10.
    expect(md.indexOf('| 2 | stream')).toBeLessThan(md.indexOf('| 10 | stream'));
    expect(md).toContain('| --batch-interval (s) | verdict | offered (readings/s) |');
    expect(md).toContain('![latency vs --batch-interval](sweep_latency_vs_batch-interval.svg)');
    expect(md).toContain('No run had a warning.');
  });

  it('cost says n/a when absent, and the cost columns go when no run has cost', () => {
    const s = batchIntervalSweep(false);
    const md = renderSweepMarkdown(s, []);
    expect(md).not.toContain('CPU ms per 1,000 readings');
    expect(md).toContain('no run recorded its cost');
  });

  it("carries each run's warnings and validity into its value's rows", () => {
    const s = batchIntervalSweep(true);
    s.runs[0]!.result.warnings = [
      'the measured phase (6 s) is shorter than 3 batch intervals (3 x 10 s): measure at least 30 s',
    ];
    s.runs[1]!.result.warnings = [...s.runs[0]!.result.warnings];
    s.runs[1]!.result.input.generator_fell_behind = true;
    s.runs[1]!.result.input.send_delay = { ...s.runs[1]!.result.input.send_delay, p99: 554 };
    const md = renderSweepMarkdown(s, []);
    expect(md).toMatch(/\| 10 \| stream \| 3 \(1 measured the machine\) \|/);
    expect(md).toContain(
      '- --batch-interval 10 (2 of 3 runs): the measured phase (6 s) is shorter than 3 batch intervals',
    );
    expect(md).toContain('- --batch-interval 10 (1 of 3 runs): the load generator fell behind its schedule');
    expect(md).toMatch(/\| 10 \| PASSED, but measured the machine, not the pipelines \|/);
    expect(sweepSummary(s)).toContain('In 1 of 6 runs the load generator fell behind its schedule');
  });
  it('charts against the swept value: fixed mode colours, the option as axis title, integer ticks', async () => {
    const s = batchIntervalSweep(true);
    const l = await sweptLatencyChart(s);
    expect(l.startsWith('<svg')).toBe(true);
    expect(l).toContain('--batch-interval (s)');
    expect(l).toContain('#1f77b4');
    expect(l).toContain('#ff7f0e');
    expect(l).toContain('>10<');
    expect(l).not.toMatch(/>2\.0</);
    expect(l).not.toMatch(/>10\.0</);
    const c = await sweptCostChart(s);
    expect(c).toContain('CPU ms per 1,000 readings');
    expect(c).toContain('#1f77b4');
    expect(sweepChartFiles('batch-interval')).toEqual({
      latency: 'sweep_latency_vs_batch-interval.svg',
      cost: 'sweep_cost_vs_batch-interval.svg',
    });
  });

  it('fractional values are labelled as typed (0.05, 0.1)', async () => {
    const s = batchIntervalSweep(false);
    s.swept = { option: 'prevalence', key: 'prevalence', values: [0.05, 0.1] };
    s.runs = s.runs.slice(0, 2).map((r, i) => ({ ...r, swept_value: [0.05, 0.1][i] }));
    const svg = await sweptLatencyChart(s);
    expect(svg).toContain('>0.05<');
    expect(svg).toContain('>0.1<');
    expect(svg).toContain('--prevalence');
  });

  it('writes sweep.json, sweep.csv with the swept value, the charts vs the value (cost only when recorded), report.md', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vitals-sweep-'));
    const written = await writeSweepReport(dir, batchIntervalSweep(true));
    const files = await readdir(dir);
    expect(files).toEqual(
      expect.arrayContaining([
        'sweep.json',
        'sweep.csv',
        'sweep_latency_vs_batch-interval.svg',
        'sweep_cost_vs_batch-interval.svg',
        'report.md',
      ]),
    );
    expect(files.filter((f) => f.endsWith('.svg')).sort()).toEqual([
      'sweep_cost_vs_batch-interval.svg',
      'sweep_latency_vs_batch-interval.svg',
      'sweep_tradeoff.svg',
    ]);
    expect(new Set(written)).toEqual(new Set(files));
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toContain('](sweep_latency_vs_batch-interval.svg)');
    const json = JSON.parse(await readFile(join(dir, 'sweep.json'), 'utf8')) as SweepResult;
    expect(json.swept).toEqual({ option: 'batch-interval', key: 'batchInterval', values: [10, 2], unit: 's' });
    const csv = sweepCsv(batchIntervalSweep(true)).trim().split('\n');
    const header = csv[0]!.split(',');
    expect(header).toEqual(
      expect.arrayContaining([
        'swept_option',
        'swept_value',
        'readings_per_busy_s',
        'cpu_ms_per_1000_readings',
        'cpu_ms_per_1000_above_idle',
        'idle_cpu_ms_per_s',
        'busy_s',
        'grid_option',
        'grid_value',
        'kind',
        'verdict',
        'measured_pipelines',
      ]),
    );
    expect(csv.slice(1).map((l) => l.split(',')[header.indexOf('swept_value')])).toEqual([
      '2',
      '2',
      '2',
      '2',
      '2',
      '2',
      '10',
      '10',
      '10',
      '10',
      '10',
      '10',
    ]);
    expect(csv.slice(1).every((l) => l.split(',')[header.indexOf('verdict')] === 'PASSED')).toBe(true);

    const dir2 = await mkdtemp(join(tmpdir(), 'vitals-sweep-'));
    await writeSweepReport(dir2, batchIntervalSweep(false));
    expect(await readdir(dir2)).not.toContain('sweep_cost_vs_batch-interval.svg');
  });

  it('a rate sweep keeps its charts against the offered rate (and gains the cost chart when recorded)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vitals-sweep-'));
    const s = makeSweep();
    await writeSweepReport(dir, s);
    expect((await readdir(dir)).filter((f) => f.endsWith('.svg')).sort()).toEqual([
      'sweep_latency.svg',
      'sweep_throughput.svg',
    ]);
    s.runs[0]!.result.cost = { modes: { stream: cost(3, 1) }, broker_cpu_s: null, database_cpu_s: null, sampled_s: 1 };
    const dir2 = await mkdtemp(join(tmpdir(), 'vitals-sweep-'));
    await writeSweepReport(dir2, s);
    expect(await readdir(dir2)).toContain('sweep_cost_vs_rate.svg');
    expect(await readdir(dir2)).toContain('sweep_tradeoff.svg');
    expect(renderSweepMarkdown(s, [])).toContain('# vitals-bench rate sweep');
  });
});
