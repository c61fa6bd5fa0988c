import { describe, expect, it } from 'vitest';
import { outages, type AvailabilitySample } from '../../../../src/harness/faults/analysis.js';
import {
  analyseFaults,
  faultIntervals,
  type FaultRecord as FaultAnalysisInput,
} from '../../../../src/harness/faults/report.js';
import { checkFaultTargets, faultTarget, parseFaultSpec } from '../../../../src/harness/faults/spec.js';
import { IntervalLatencies } from '../../../../src/harness/measure/latency-split.js';
import type { BacklogSample } from '../../../../src/harness/measure/metrics.js';

/** The run's record with the latencies of the intervals its reports ask for, as collection keeps them. */
function withLatencies(
  record: Omit<FaultAnalysisInput, 'latencies'>,
  points: Record<string, Array<{ intended: number; committed: number }>>,
): FaultAnalysisInput {
  const latencies = new IntervalLatencies(faultIntervals(record), Object.keys(points));
  for (const [mode, ps] of Object.entries(points)) for (const p of ps) latencies.add(mode, p.intended, p.committed);
  return { ...record, latencies };
}

describe('parseFaultSpec', () => {
  it('reads every kind, with times in s or ms', () => {
    expect(parseFaultSpec('kafka-restart@20s:30s')).toEqual({
      text: 'kafka-restart@20s:30s',
      kind: 'kafka-restart',
      atS: 20,
      durationS: 30,
    });
    expect(parseFaultSpec('db-restart@20:15s')).toEqual({
      text: 'db-restart@20:15s',
      kind: 'db-restart',
      atS: 20,
      durationS: 15,
    });
    expect(parseFaultSpec('kill:stream@15s')).toEqual({
      text: 'kill:stream@15s',
      kind: 'kill',
      target: 'stream',
      atS: 15,
    });
    expect(parseFaultSpec('kill:ingest@1500ms')).toMatchObject({ kind: 'kill', target: 'ingest', atS: 1.5 });
    expect(parseFaultSpec('pause:flink@20s:3s')).toMatchObject({ kind: 'pause', target: 'flink', durationS: 3 });
    expect(parseFaultSpec('pause:batch@15s:5s')).toEqual({
      text: 'pause:batch@15s:5s',
      kind: 'pause',
      target: 'batch',
      atS: 15,
      durationS: 5,
    });
  });

  it('names what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['kafka-restart', /no @time/],
      ['kafka-restart@20s', /needs a duration/],
      ['kill:stream@15s:5s', /kill takes no duration/],
      ['kill@15s', /kill needs a target: a role \(ingest, stream, batch\) or an external mode's name/],
      ['kill:Spark Job@15s', /kill needs a target/],
      ['pause:stream@15s', /pause needs a duration/],
      ['explode@1s', /unknown fault kind "explode"/],
      ['kill:stream@soon', /"soon" is not a time/],
      ['db-restart@1s:0s', /not a positive duration/],
      ['db-restart:x@1s:2s', /takes no target/],
    ];
    for (const [text, why] of cases) expect(() => parseFaultSpec(text), text).toThrow(why);
  });

  it('refuses a kill or pause of something the run does not start', () => {
    const faults = ['kill:spark@15s', 'pause:stream@3s:1s'].map(parseFaultSpec);
    expect(() => checkFaultTargets(faults, ['ingest', 'stream', 'batch'])).toThrow(
      '--fault kill:spark@15s: nothing called spark runs (this run has ingest, stream, batch)',
    );
    expect(() => checkFaultTargets(faults, ['ingest', 'stream', 'spark'])).not.toThrow();
  });

  it('reports what each kind acts on', () => {
    expect(
      ['kill:stream@1s', 'pause:flink@1s:2s', 'kafka-restart@1s:2s', 'db-restart@1s:2s'].map((t) =>
        faultTarget(parseFaultSpec(t)),
      ),
    ).toEqual(['stream role', 'external job flink', 'Kafka broker', 'database server']);
  });
});

describe('outages', () => {
  const at = (i: number): number => 1_000_000 + i * 1000;
  it('needs two failed probes in a row, and ends at the first answer', () => {
    const samples: AvailabilitySample[] = [true, false, true, false, false, false, true, true, false, false].map(
      (ok, i) => ({ at: at(i), kafka: ok, db: true }),
    );
    expect(outages(samples, 'kafka')).toEqual([
      { from: at(3), to: at(6) },
      { from: at(8), to: at(9) },
    ]);
    expect(outages(samples, 'db')).toEqual([]);
  });
});

describe('analyseFaults on a hand-made run', () => {
  // Load starts at T; one sample a second for 40 s; rate 100/s.
  const T = 1_700_000_000_000;
  const sec = (s: number): number => T + s * 1000;
  const backlogAt = (s: number): Record<string, number> => {
    // Steady ingest/stream backlog of 5; the stream is killed at 10 s and is back at 16 s, its
    // backlog peaking at 600 and draining by 19 s. An unannounced database outage 25..28 s.
    const stream = s >= 10 && s < 19 ? (s < 16 ? (s - 9) * 100 : 600 - (s - 15) * 200) : 5;
    return { ingest: s >= 25 && s < 29 ? 300 : 5, stream: Math.max(5, stream) };
  };
  const backlog: BacklogSample[] = Array.from({ length: 40 }, (_, s) => ({ at: sec(s), backlog: backlogAt(s) }));
  const availability: AvailabilitySample[] = Array.from({ length: 40 }, (_, s) => ({
    at: sec(s),
    kafka: true,
    db: !(s >= 25 && s < 28),
  }));
  // Readings every 100 ms from 5 s; latency 20 ms, except those intended 10..18 s (stream) at 5000 ms.
  const points = Array.from({ length: 350 }, (_, i) => T + 5000 + i * 100);
  const record: Omit<FaultAnalysisInput, 'latencies'> = {
    startMs: T,
    warmupEndMs: T + 5000,
    rate: 100,
    batchIntervalS: 2,
    injected: [{ spec: parseFaultSpec('kill:stream@10s'), injected_at_s: 10, ended_at_s: 10 }],
    incidents: [{ role: 'stream', how: 'killed by SIGKILL', at_s: 10, restarted_in_s: 6 }],
    availability,
    backlog,
  };
  const input = withLatencies(record, {
    stream: points.map((p) => ({ intended: p, committed: p + (p >= sec(10) && p < sec(18) ? 5000 : 20) })),
  });
  const reports = analyseFaults(input);

  it('reports the injected kill: detected by the role exit, restarted, recovered when the backlog is back', () => {
    const kill = reports.find((r) => r.fault === 'kill:stream@10s')!;
    expect(kill).toMatchObject({
      injected: true,
      target: 'stream role',
      injected_at_s: 10,
      detected_at_s: 10,
      detected_by: 'role exit',
    });
    expect(kill.restarts).toEqual(['stream killed by SIGKILL at 10 s, restarted in 6 s']);
    // Pre-fault level 5 plus a fifth of a second of input (20): the first sample at or under 25 is at 18 s (stream 5).
    expect(kill.recovered_at_s).toBe(18);
    expect(kill.recovery_s).toBe(8);
    expect(kill.p99_during_ms.stream).toBeCloseTo(5000, -1);
    expect(kill.p99_outside_ms.stream).toBeCloseTo(20, 0);
  });

  it('reports the outage nobody injected, with its own recovery', () => {
    const db = reports.find((r) => !r.injected)!;
    expect(db).toMatchObject({
      fault: 'database unreachable (not injected)',
      injected_at_s: 25,
      ended_at_s: 28,
      detected_by: 'database unreachable',
    });
    expect(db.recovered_at_s).toBe(29);
    expect(reports).toHaveLength(2);
  });

  it('an unexplained role exit is reported as not injected', () => {
    const r = analyseFaults(withLatencies({ ...record, injected: [] }, {}));
    const exit = r.find((x) => x.fault.startsWith('stream killed by SIGKILL'))!;
    expect(exit).toMatchObject({ injected: false, detected_by: 'role exit', injected_at_s: 10, ended_at_s: 16 });
  });
});

describe('a fault of the batch role', () => {
  it('is recovered when a batch pass ends after it (the batch backlog is a saw-tooth, not a signal)', () => {
    const T = 1_700_000_000_000;
    const r = analyseFaults(
      withLatencies(
        {
          startMs: T,
          warmupEndMs: T,
          rate: 100,
          batchIntervalS: 3,
          injected: [{ spec: parseFaultSpec('kill:batch@8s'), injected_at_s: 8, ended_at_s: 8 }],
          incidents: [{ role: 'batch', how: 'killed by SIGKILL', at_s: 8, restarted_in_s: 1.3 }],
          availability: [],
          backlog: Array.from({ length: 20 }, (_, s) => ({
            at: T + s * 1000,
            backlog: { ingest: 5, stream: 5, batch: 900 },
          })),
          batchPassEndsMs: [T + 6000, T + 11_400, T + 14_500],
        },
        {},
      ),
    );
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({
      fault: 'kill:batch@8s',
      detected_by: 'role exit',
      recovered_at_s: 11.4,
      recovery_s: 3.4,
    });
  });
});
