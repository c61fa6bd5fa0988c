import { describe, expect, it } from 'vitest';
import { computeCost, cpuPer1000AtRate } from '../../../../src/harness/measure/cost.js';
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
  it("counts every group from the run's first sample (a process started later from its start), sums a role's processes, keeps the peak memory", () => {
    const counters = new Map<number, ProcSample[]>([
      [
        10,
        [
          { cpuS: 0.5, rssBytes: 50 * 2 ** 20 }, // when tracked, before the run's first sample
          { cpuS: 2, rssBytes: 80 * 2 ** 20 }, // the first sample: the run counts from here
          { cpuS: 2.75, rssBytes: 60 * 2 ** 20 },
        ],
      ], // stream, killed after 3 readings
      [
        11,
        [
          { cpuS: 0.4, rssBytes: 40 * 2 ** 20 },
          { cpuS: 3, rssBytes: 70 * 2 ** 20 },
        ],
      ], // its successor, started after the first sample: from zero
      [
        99,
        [
          { cpuS: 1000, rssBytes: 900 * 2 ** 20 },
          { cpuS: 1004, rssBytes: 910 * 2 ** 20 },
          { cpuS: 1010, rssBytes: 905 * 2 ** 20 },
          { cpuS: 1013, rssBytes: 905 * 2 ** 20 },
        ],
      ], // the broker, running long before the run
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
    s.sample(); // stream 2, broker 1004: the run's first sample
    s.track('stream', 10, true); // idempotent
    s.track('stream', 11, true);
    s.sample(); // stream 2.75 (10), broker 1010
    s.sample(); // stream 10 gone, 11 at 3; broker 1013
    const totals = s.totals();
    // stream: 0.75 of the first process since the first sample + 3 of its successor since its start.
    // Peak memory: the largest sum at one sample, the two processes' 60 + 70 MiB at the second.
    expect(totals.groups.stream).toEqual({ cpuS: 0.75 + 3, peakRssMiB: 130, processes: 2 });
    expect(totals.groups.broker).toEqual({ cpuS: 9, peakRssMiB: 910, processes: 1 });
    expect(totals.sampledS).toBe(2);
    expect(totals.idle).toBeUndefined();
  });

  it("times a load-free interval: each group's CPU per second over it", () => {
    const cpu = new Map<number, number>([
      [1, 10],
      [2, 500],
    ]);
    let t = 0;
    const s = new CostSampler(
      (pid) => ({ cpuS: cpu.get(pid)!, rssBytes: 0 }),
      () => t,
      0.01,
    );
    s.track('stream', 1, false);
    s.track('broker', 2, false);
    s.beginIdle();
    t = 4000;
    cpu.set(1, 10.2); // 0.05 CPU s per second idle
    cpu.set(2, 500.4); // 0.1
    s.endIdle();
    s.sample(); // the run starts here
    t = 14000;
    cpu.set(1, 13.2);
    cpu.set(2, 502.4);
    s.sample();
    const totals = s.totals();
    expect(totals.idle!.seconds).toBe(4);
    expect(totals.idle!.cpuPerS.stream).toBeCloseTo(0.05, 10);
    expect(totals.idle!.cpuPerS.broker).toBeCloseTo(0.1, 10);
    expect(totals.groups.stream!.cpuS).toBeCloseTo(3, 10);
    expect(totals.groups.broker!.cpuS).toBeCloseTo(2, 10);
    expect(totals.sampledS).toBe(10);
    expect(totals.tickS).toBe(0.01);
  });
});

describe('computeCost: each mode with what only it needs, above its idle baseline', () => {
  // The run: per 1,000 readings above idle, batch's passes 35.5 and ingest 653.5 against
  // the stream's 700. 20,000 readings over 40 s; idle rates in CPU s per second.
  const x = {
    processes: {
      stream: { cpuS: 14 + 0.01 * 40, peakRssMiB: 110 },
      batch: { cpuS: 0.71 + 0.001 * 40, peakRssMiB: 150 },
      ingest: { cpuS: 13.07 + 0.005 * 40, peakRssMiB: 120 },
      broker: { cpuS: 9, peakRssMiB: 800 },
      database: { cpuS: 12, peakRssMiB: 1200 },
      spark: { cpuS: 2 + 0.5 * 40, peakRssMiB: 700 },
      generator: { cpuS: 2, peakRssMiB: 90 },
    },
    sampledS: 40,
    writes: {
      ingest: { transactions: 300, rows: 20000 },
      stream: { transactions: 290, rows: 1700 },
      batch: { transactions: 16, rows: 1700 },
    },
    busyS: { ingest: 3, stream: 2.5, batch: 1.2 },
    readings: { ingest: 20000, stream: 20000, batch: 20000 },
    modes: ['stream', 'batch'] as Array<'stream' | 'batch'>,
    externals: ['spark'],
    idle: {
      seconds: 4,
      cpuPerS: { stream: 0.01, batch: 0.001, ingest: 0.005, broker: 0.05, database: 0.02, spark: 0.5 },
    },
  };

  it('charges ingest to batch, an external job its process group, and keeps the broker and the database apart', () => {
    const c = computeCost(x);
    expect(c.idle).toEqual({
      seconds: 4,
      cpu_ms_per_s: { stream: 10, batch: 1, ingest: 5, broker: 50, database: 20, spark: 500 },
    });
    expect(c.attributed!.stream).toMatchObject({
      roles: ['stream'],
      readings: 20000,
      idle_cpu_ms_per_s: 10,
      cpu_ms_per_1000_above_idle: 700,
      cpu_ms_per_1000_readings: 720, // over the run: the idle 0.4 s included
      db_transactions: 290,
    });
    expect(c.attributed!.batch).toMatchObject({
      roles: ['batch', 'ingest'],
      idle_cpu_ms_per_s: 6,
      cpu_ms_per_1000_above_idle: 689, // 35.5 + 653.5
      db_transactions: 316,
      db_rows: 21700,
      peak_rss_mib: 270,
    });
    expect(c.attributed!.spark).toMatchObject({
      roles: ['spark'],
      idle_cpu_ms_per_s: 500,
      cpu_ms_per_1000_above_idle: 100,
    });
    expect(c.attributed!.spark!.db_transactions).toBeUndefined();
    // Shared, charged to no mode: the broker and the database (ingest is batch's here).
    expect(Object.keys(c.shared!)).toEqual(['broker', 'database']);
    expect(c.shared!.broker).toEqual({ cpu_s: 9, idle_cpu_ms_per_s: 50, cpu_ms_per_1000_above_idle: 350 });
  });

  it('without batch, ingest serves no mode (it records what was stored) and is shared; without a baseline, no figure above idle', () => {
    const c = computeCost({ ...x, modes: ['stream'], idle: undefined });
    expect(Object.keys(c.shared!)).toEqual(['broker', 'database', 'ingest']);
    expect(c.attributed!.batch).toBeUndefined();
    expect(c.attributed!.stream!.cpu_ms_per_1000_above_idle).toBeUndefined();
    expect(c.attributed!.stream!.idle_cpu_ms_per_s).toBeUndefined();
    expect(c.idle).toBeUndefined();
  });

  it("states how far the CPU counters' tick alone can move the figure above idle: large when few readings share it", () => {
    // 1 process, 10 ms ticks, 40 s run, 4 s idle: 2 x 0.01 x (1 + 40 / 4) = 0.22 CPU s; over 20,000 readings 11 ms per 1,000.
    const c = computeCost({ ...x, tickS: 0.01 });
    expect(c.attributed!.stream!.cpu_ms_per_1000_above_idle_resolution).toBeCloseTo(11, 6);
    // batch: its role and ingest, two processes.
    expect(c.attributed!.batch!.cpu_ms_per_1000_above_idle_resolution).toBeCloseTo(22, 6);
    // The seed profile's scale: 65 readings in the run: 0.22 CPU s is 3,385 ms per 1,000 readings.
    const seed = computeCost({ ...x, tickS: 0.01, readings: { ingest: 65, stream: 65, batch: 65 } });
    expect(seed.attributed!.stream!.cpu_ms_per_1000_above_idle_resolution).toBeCloseTo(3384.615, 2);
    expect(computeCost(x).attributed!.stream!.cpu_ms_per_1000_above_idle_resolution).toBeUndefined();
  });

  it('the cost at a rate: above idle plus the idle CPU spread over one second of readings', () => {
    const a = computeCost(x).attributed!;
    // stream: 700 + 10 ms/s * 1000 / 500 readings/s = 720; at 1 reading/s the idle dominates.
    expect(cpuPer1000AtRate(a.stream!, 500)).toBeCloseTo(720, 6);
    expect(cpuPer1000AtRate(a.stream!, 1)).toBeCloseTo(10700, 6);
    expect(cpuPer1000AtRate({ ...a.stream!, idle_cpu_ms_per_s: undefined }, 500)).toBeUndefined();
  });

  it('counts an external job like a built-in role, from the first sample, and its peak memory as the sum of its processes at a sample', () => {
    const MiB = 2 ** 20;
    // A Python launcher and its JVM (the job's process group), and a built-in role, each sampled 3 times.
    const counters = new Map<number, ProcSample[]>([
      [
        20,
        [
          { cpuS: 2, rssBytes: 166 * MiB },
          { cpuS: 2.1, rssBytes: 166 * MiB },
          { cpuS: 2.2, rssBytes: 150 * MiB },
        ],
      ],
      [
        21,
        [
          { cpuS: 20, rssBytes: 500 * MiB },
          { cpuS: 25, rssBytes: 520 * MiB },
          { cpuS: 31, rssBytes: 600 * MiB },
        ],
      ],
      [
        30,
        [
          { cpuS: 1, rssBytes: 90 * MiB },
          { cpuS: 3, rssBytes: 95 * MiB },
          { cpuS: 4, rssBytes: 99 * MiB },
        ],
      ],
    ]);
    const calls = new Map<number, number>();
    const read = (pid: number): ProcSample | null => {
      const i = calls.get(pid) ?? 0;
      calls.set(pid, i + 1);
      return counters.get(pid)![i] ?? null;
    };
    let t = 0;
    const s = new CostSampler(read, () => (t += 1000));
    // As the recorder does: track (the first read) just before the run's first sample.
    s.track('flink', 20, true);
    s.track('flink', 21, true);
    s.track('stream', 30, false);
    s.sample();
    s.sample();
    const totals = s.totals();
    // The 27.1 CPU s the job had used by the first sample (its start-up) are not the run's: 0.1 + 6 after it.
    expect(totals.groups.flink!.cpuS).toBeCloseTo(0.1 + 6, 9);
    expect(totals.groups.stream!.cpuS).toBe(1);
    // The largest sum at one sample (150 + 600), not the largest process (600).
    expect(totals.groups.flink!.peakRssMiB).toBe(750);
    expect(totals.groups.stream!.peakRssMiB).toBe(99);
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
    // Every process counted from the run's first sample, once every mode was ready: the result says so.
    expect(c.cpu_counted_from).toBe('ready');
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
