import { describe, expect, it } from 'vitest';
import { computeCost } from '../../../../src/harness/measure/cost.js';
import { CostSampler, parseProcStat, type ProcSample } from '../../../../src/harness/processes/proc-sampler.js';
import { runLengthWarnings } from '../../../../src/harness/measure/metrics.js';

describe('parseProcStat', () => {
  it('reads utime + stime (clock ticks) and rss (pages), with a command name holding spaces and parentheses', () => {
    const line =
      '4242 (node (batch) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 566 0 0 20 0 11 0 99 1000000 25600 18446744073709551615';
    expect(parseProcStat(line, 100, 4096)).toEqual({ cpuS: 18, rssBytes: 25600 * 4096 });
  });
});

describe('CostSampler with hand-made counters', () => {
  it("sums CPU over a role's processes (restarts), counts a pre-existing server from its first sample, keeps the peak memory", () => {
    const counters = new Map<number, ProcSample[]>([
      [
        10,
        [
          { cpuS: 0.5, rssBytes: 50 * 2 ** 20 },
          { cpuS: 2, rssBytes: 80 * 2 ** 20 },
        ],
      ], // stream, killed after 2 samples
      [
        11,
        [
          { cpuS: 0.4, rssBytes: 40 * 2 ** 20 },
          { cpuS: 1.4, rssBytes: 60 * 2 ** 20 },
          { cpuS: 3, rssBytes: 70 * 2 ** 20 },
        ],
      ], // its successor
      [
        99,
        [
          { cpuS: 1000, rssBytes: 900 * 2 ** 20 },
          { cpuS: 1004, rssBytes: 910 * 2 ** 20 },
          { cpuS: 1010, rssBytes: 905 * 2 ** 20 },
        ],
      ], // the broker
    ]);
    const calls = new Map<number, number>();
    const read = (pid: number): ProcSample | null => {
      const list = counters.get(pid)!;
      const i = calls.get(pid) ?? 0;
      calls.set(pid, i + 1);
      return i < list.length ? list[i]! : null; // past its samples: gone
    };
    let t = 0;
    const s = new CostSampler(read, () => (t += 1000));
    s.track('stream', 10, true);
    s.track('broker', 99, false);
    s.sample();
    s.track('stream', 10, true); // idempotent
    s.track('stream', 11, true);
    s.sample();
    s.sample();
    const totals = s.totals();
    expect(totals.groups.stream).toEqual({ cpuS: 2 + 3, peakRssMiB: 80 });
    expect(totals.groups.broker).toEqual({ cpuS: 10, peakRssMiB: 910 });
    expect(totals.sampledS).toBe(2);
  });
});

describe('computeCost on a hand-made run', () => {
  it("gives CPU per 1,000 readings, busy time and database writes per mode, and the servers' CPU", () => {
    const c = computeCost({
      processes: {
        ingest: { cpuS: 6, peakRssMiB: 120 },
        stream: { cpuS: 4.5, peakRssMiB: 110 },
        batch: { cpuS: 1.5, peakRssMiB: 150 },
        broker: { cpuS: 9, peakRssMiB: 800 },
        database: { cpuS: 12, peakRssMiB: 1200 },
        generator: { cpuS: 2.25, peakRssMiB: 90 },
      },
      sampledS: 40,
      writes: {
        ingest: { transactions: 300, rows: 15000 },
        stream: { transactions: 290, rows: 1700 },
        batch: { transactions: 16, rows: 1700 },
      },
      busyS: { ingest: 3, stream: 2.5, batch: 1.2 },
      readings: { ingest: 15000, stream: 15000, batch: 15000 },
      modes: ['stream', 'batch'],
    });
    expect(c.modes.stream).toEqual({
      cpu_s: 4.5,
      peak_rss_mib: 110,
      busy_s: 2.5,
      db_rows: 1700,
      db_transactions: 290,
      readings: 15000,
      cpu_ms_per_1000_readings: 300,
    });
    expect(c.modes.batch).toMatchObject({
      cpu_s: 1.5,
      busy_s: 1.2,
      db_transactions: 16,
      cpu_ms_per_1000_readings: 100,
    });
    expect(c.ingest).toMatchObject({ cpu_s: 6, cpu_ms_per_1000_readings: 400 });
    expect(c).toMatchObject({ broker_cpu_s: 9, database_cpu_s: 12, generator_cpu_s: 2.25, sampled_s: 40 });
  });

  it("gives an external job's process-group CPU per 1,000 readings of the run", () => {
    const c = computeCost({
      processes: { ingest: { cpuS: 6, peakRssMiB: 120 }, spark: { cpuS: 30, peakRssMiB: 700.5 } },
      sampledS: 40,
      writes: {},
      busyS: {},
      readings: { ingest: 15000 },
      modes: [],
      externals: ['spark', 'gone'],
    });
    // 30 CPU s over 15,000 readings = 2,000 CPU ms per 1,000; a job never sampled is left out.
    expect(c.external).toEqual({ spark: { cpu_s: 30, peak_rss_mib: 700.5, cpu_ms_per_1000_readings: 2000 } });
  });

  it('says null for servers it could not sample, and 0 per 1,000 when nothing was processed', () => {
    const c = computeCost({
      processes: { stream: { cpuS: 1, peakRssMiB: 10 } },
      sampledS: 1,
      writes: {},
      busyS: {},
      readings: {},
      modes: ['stream', 'batch'],
    });
    expect(c.broker_cpu_s).toBeNull();
    expect(c.database_cpu_s).toBeNull();
    expect(c.generator_cpu_s).toBeUndefined();
    expect(c.modes.stream!.cpu_ms_per_1000_readings).toBe(0);
    expect(c.modes.batch).toBeUndefined();
  });
});

describe('runLengthWarnings', () => {
  const rules = {
    name: 'r',
    rules: [
      {
        kind: 'window' as const,
        id: 'w',
        vital: 'heart_rate' as const,
        agg: 'avg' as const,
        window_s: 30,
        op: '>' as const,
        value: 1,
        severity: 'low' as const,
      },
    ],
  };
  it('warns when the measured phase holds fewer than 3 batch intervals, or is shorter than a window', () => {
    const w = runLengthWarnings({ modes: ['stream', 'batch'], batchIntervalSeconds: 30, ruleSet: rules }, 20);
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(/shorter than 3 batch intervals \(3 x 30 s\).*at least 90 s/);
    expect(w[1]).toMatch(/windows \(30 s\) are longer than the measured phase \(20 s\)/);
  });
  it('is silent for a long enough run, and ignores the batch interval without batch mode', () => {
    expect(runLengthWarnings({ modes: ['stream', 'batch'], batchIntervalSeconds: 10, ruleSet: rules }, 30)).toEqual([]);
    expect(runLengthWarnings({ modes: ['stream'], batchIntervalSeconds: 100, ruleSet: rules }, 30)).toEqual([]);
  });
});
