import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AttributedCost, RunResult, SweepResult } from '../../../../src/results/schema.js';
import { renderSweepMarkdown, sweepSummary } from '../../../../src/harness/report/sweep-markdown.js';
import { crossoverSentence, tradeoffPoints, tradeoffSpec } from '../../../../src/harness/report/tradeoff.js';
import { renderSvg } from '../../../../src/harness/report/charts.js';
import { sweptLatencySpec } from '../../../../src/harness/report/sweep-charts.js';
import { sweepCsv, writeSweepReport } from '../../../../src/harness/report/write.js';
import { makeExternalRunResult, makeRunResult } from '../fixture.js';

/** The cost of one mode: above idle and idle CPU as given (ms per 1,000 readings, ms per second). */
function cost(roles: string[], aboveIdle: number, idleMsPerS: number): AttributedCost {
  return {
    roles,
    readings: 10000,
    cpu_s: 1,
    cpu_ms_per_1000_readings: aboveIdle,
    idle_cpu_ms_per_s: idleMsPerS,
    cpu_ms_per_1000_above_idle: aboveIdle,
    peak_rss_mib: 100,
  };
}

/**
 * A run at one rate and batch interval: the stream answers in 20 ms for 400 CPU ms per 1,000
 * readings above idle and idles at 60 ms/s; batch (with ingest) 300 above idle, idle 10 ms/s,
 * and answers in about its interval.
 */
function gridRun(rate: number, interval: number, i: number): SweepResult['runs'][number] {
  const r: RunResult = makeRunResult({ offered: rate, runId: `FAKE-g-${rate}-${interval}-${i}` });
  r.parameters = { ...r.parameters, rate, batchInterval: interval };
  const [stream, batch] = r.modes as [RunResult['modes'][number], RunResult['modes'][number]];
  stream.event_time_latency = { ...stream.event_time_latency, p50: 10 + i, p99: 20 + i };
  batch.event_time_latency = { ...batch.event_time_latency, p50: interval * 500 + i, p99: interval * 1000 + i };
  // Batch's per-reading cost grows with the rate here (bigger passes), so that it stops being cheaper at 2,000/s.
  const batchAbove = rate >= 2000 ? 480 : 300;
  r.cost = {
    modes: {},
    broker_cpu_s: null,
    database_cpu_s: null,
    sampled_s: 30,
    idle: { seconds: 4, cpu_ms_per_s: { stream: 60, batch: 2, ingest: 8 } },
    attributed: { stream: cost(['stream'], 400, 60), batch: cost(['batch', 'ingest'], batchAbove + i, 10) },
  };
  return { dir: `g-${rate}-${interval}-${i}`, result: r, swept_value: rate, grid_value: interval };
}

function grid(repeat = 1): SweepResult {
  const runs: SweepResult['runs'] = [];
  for (const rate of [200, 500, 2000])
    for (const interval of [2, 10, 30]) for (let i = 0; i < repeat; i++) runs.push(gridRun(rate, interval, i));
  return {
    swept: { option: 'rate', key: 'rate', values: [200, 500, 2000], unit: 'readings/s' },
    grid: { option: 'batch-interval', key: 'batchInterval', values: [2, 10, 30], unit: 's' },
    options: { rate: [200, 500, 2000], batchInterval: [2, 10, 30], duration: 30, repeat },
    repeat,
    runs,
  };
}

describe('the trade-off map of a --rate x --batch-interval grid', () => {
  it('a point per mode and setting, at the offered rate (above idle + idle / rate), the Pareto front per rate', () => {
    const points = tradeoffPoints(grid());
    expect(points).toHaveLength(3 * 3 * 2);
    const s200 = points.find((p) => p.mode === 'stream' && p.rate === 200 && p.setting === '--batch-interval 2')!;
    // 400 + 60 * 1000 / 200 = 700; batch 300 + 10 * 1000 / 200 = 350.
    expect(s200.cost).toBe(700);
    const b200 = points.find((p) => p.mode === 'batch' && p.rate === 200 && p.setting === '--batch-interval 2')!;
    expect(b200.cost).toBe(350);
    // At 200/s: batch at 2 s is cheaper (350) but slower (2,000 ms) than the stream (700, 20 ms): both on the front;
    // batch at 10 s and 30 s cost the same as at 2 s and are slower: dominated.
    const front200 = points.filter((p) => p.rate === 200 && p.front).map((p) => `${p.mode} ${p.setting}`);
    expect(front200.sort()).toEqual([
      'batch --batch-interval 2',
      'stream --batch-interval 10',
      'stream --batch-interval 2',
      'stream --batch-interval 30',
    ]);
    // At 2,000/s batch costs 480 + 5 = 485 against the stream's 430: the stream alone is on the front.
    expect(points.filter((p) => p.rate === 2000 && p.front).every((p) => p.mode === 'stream')).toBe(true);
  });

  it('the crossover in words, from the measured medians only', () => {
    expect(crossoverSentence(grid())).toBe(
      "Below 2,000 readings/s (cheaper at 200, 500; not at 2,000; rates in between were not measured), batch with a 2 s interval answers within 2,000 ms (p99) at 61.5% of the stream's cost or less; " +
        "the stream answers within 20 ms there (CPU per 1,000 readings at the offered rate (above idle, plus the idle CPU spread over the rate), medians over each setting's runs, not tested).",
    );
  });

  it('no crossover when batch is never cheaper, and none without a rate among the options', () => {
    const s = grid();
    for (const r of s.runs) r.result.cost!.attributed!.batch!.cpu_ms_per_1000_above_idle = 5000;
    expect(crossoverSentence(s)).toMatch(
      /^At no rate measured was batch cheaper than the stream by more than 20% and the CPU counters' resolution: at 200 readings\/s/,
    );
    // Cheaper by less than the counters' resolution is no crossover either.
    const blurred = grid();
    for (const r of blurred.runs) r.result.cost!.attributed!.batch!.cpu_ms_per_1000_above_idle_resolution = 500;
    expect(crossoverSentence(blurred)).toMatch(/^At no rate measured/);
    const t = grid();
    t.swept = { option: 'threads', key: 'threads', values: [1, 2] };
    expect(crossoverSentence(t)).toBeNull();
  });

  it('draws a panel per rate, and the report states the crossover under "Trade-off"', async () => {
    const spec = tradeoffSpec(grid()) as unknown as { facet: unknown; data: { values: unknown[] } };
    expect(spec.facet).toMatchObject({ field: 'panel' });
    expect(spec.data.values).toHaveLength(18);
    const svg = await renderSvg(tradeoffSpec(grid()));
    expect(svg).toContain('200 readings/s');
    expect(svg).toContain('2,000 readings/s');
    expect(svg).not.toMatch(/e\+\d/);
    const md = renderSweepMarkdown(grid(), [{ name: 'map', file: 'sweep_tradeoff.svg' }]);
    expect(md).toContain('# vitals-bench grid over --rate and --batch-interval');
    expect(md).toContain('9 runs: --rate 200, 500, 2000 readings/s × --batch-interval 2, 10, 30 s.');
    expect(md).toContain('## Trade-off\n\nBelow 2,000 readings/s');
    expect(md).toContain('| --rate (readings/s) | --batch-interval (s) | mode | runs |');
  }, 60_000);

  it('writes the grid: sweep.json with both options, sweep.csv with the grid value, the map', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vitals-grid-'));
    await writeSweepReport(dir, grid());
    expect(await readdir(dir)).toEqual(
      expect.arrayContaining(['sweep_tradeoff.svg', 'sweep_tradeoff.png', 'sweep_latency_vs_rate.svg']),
    );
    const json = JSON.parse(await readFile(join(dir, 'sweep.json'), 'utf8')) as SweepResult;
    expect(json.grid).toEqual({ option: 'batch-interval', key: 'batchInterval', values: [2, 10, 30], unit: 's' });
    const csv = sweepCsv(grid()).trim().split('\n');
    const header = csv[0]!.split(',');
    const batch30 = csv.find((l) => l.includes('FAKE-g-500-30-0') && l.includes(',batch,'))!.split(',');
    expect(batch30[header.indexOf('grid_option')]).toBe('batch-interval');
    expect(batch30[header.indexOf('grid_value')]).toBe('30');
    expect(batch30[header.indexOf('cost_processes')]).toBe('batch+ingest');
  }, 60_000);
});

describe('a sweep tells trends from noise', () => {
  /** Four runs per value; the stream's p50 overlaps across values, batch's does not. */
  function noisy(): SweepResult {
    const s = grid(4);
    delete s.grid;
    s.swept = { option: 'batch-interval', key: 'batchInterval', values: [2, 10], unit: 's' };
    s.runs = s.runs
      .filter((r) => r.result.input.offered_rate === 500 && r.grid_value !== 30)
      .map((r, i) => {
        const stream = r.result.modes[0]!;
        stream.event_time_latency = { ...stream.event_time_latency, p50: [24, 76, 50, 40, 30, 31.5, 33, 35][i]! };
        const { grid_value: _g, ...rest } = r;
        return { ...rest, swept_value: r.grid_value! };
      });
    return s;
  }

  it('states only differences that pass the test; the rest is "no measurable change"', () => {
    const text = sweepSummary(noisy())!;
    expect(text).toContain('2 settings, 4 runs each.');
    // batch p50: 1,001.5 -> 5,001.5 ms, every run of 10 s above every run of 2 s: p = 2/70.
    expect(text).toMatch(
      /Changed: batch p50 event-time rose from 1,002 to 5,002 ms \(--batch-interval 2 → 10 s, p 0\.029\)/,
    );
    expect(text).toMatch(/No measurable change: [^.]*stream p50 event-time/);
    expect(text).not.toMatch(/stream p50 event-time (rose|fell)/);
    const md = renderSweepMarkdown(noisy(), []);
    expect(md).toContain(
      '| --batch-interval 2 → 10 s | stream | p50 event-time | 45 ms | 32.3 ms | no measurable change (p 0.343) |',
    );
    expect(md).toContain(
      '| --batch-interval 2 → 10 s | batch | p50 event-time | 1,002 ms | 5,002 ms | **changed** (p 0.029) |',
    );
    // 4 runs: min..max holds the median with 87.5%.
    expect(md).toMatch(/\| 2 \| stream \| 4 \| 45 ms \(24\.\.76, 87\.5% CI, n=4\)/);
  }, 60_000);
});

describe('an external mode in a sweep and in summary.csv', () => {
  it('is a row of summary.csv, with its latency to a first alert and its cost, and n/a where it has no figure', async () => {
    const { summaryCsv, SUMMARY_COLUMNS } = await import('../../../../src/harness/report/csv.js');
    const lines = summaryCsv(makeExternalRunResult()).trim().split('\n');
    expect(lines).toHaveLength(4);
    const spark = lines[3]!.split(',');
    const col = (name: (typeof SUMMARY_COLUMNS)[number]): string => spark[SUMMARY_COLUMNS.indexOf(name)]!;
    expect(col('mode')).toBe('spark');
    expect(col('kind')).toBe('external');
    expect(col('event_time_p50_ms')).toBe('');
    expect(Number(col('result_latency_p50_ms'))).toBeGreaterThan(2000);
    expect(col('cost_processes')).toBe('spark');
    expect(col('cpu_ms_per_1000_above_idle')).toBe('2000');
    expect(col('idle_cpu_ms_per_s')).toBe('500');
    expect(col('verdict')).toBe('PASSED');
    expect(col('measured_pipelines')).toBe('1');
  });

  it('is drawn in the sweep charts in its own colour, every mode on the latency to a first alert', async () => {
    const runs = [500, 1000].map((rate, i) => {
      const r = makeExternalRunResult();
      r.input.offered_rate = rate;
      r.run_id = `FAKE-ext-${i}`;
      return { dir: `ext-${i}`, result: r, swept_value: rate };
    });
    const s: SweepResult = { swept: { option: 'rate', key: 'rate', values: [500, 1000], unit: 'readings/s' }, runs };
    const spec = sweptLatencySpec(s) as unknown as { data: { values: Array<{ mode: string }> } };
    expect(new Set(spec.data.values.map((v) => v.mode))).toEqual(new Set(['stream', 'batch', 'spark']));
    const dir = await mkdtemp(join(tmpdir(), 'vitals-ext-sweep-'));
    await writeSweepReport(dir, s);
    for (const f of ['sweep_latency.svg', 'sweep_throughput.svg', 'sweep_cost_vs_rate.svg', 'sweep_tradeoff.svg'])
      expect(await readFile(join(dir, f), 'utf8'), f).toContain('spark');
    const csv = sweepCsv(s);
    expect(csv.split('\n').filter((l) => l.includes(',spark,'))).toHaveLength(2);
  }, 60_000);
});
