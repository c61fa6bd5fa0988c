import { describe, expect, it } from 'vitest';
import { parameterHash, shortHash } from '../../../../src/harness/track/history.js';
import {
  bencherMetricFormat,
  benchmarkActionBigger,
  benchmarkActionSmaller,
  trackerFiles,
  trackerPrefix,
  TRACKER_FILES,
} from '../../../../src/harness/track/trackers.js';
import { makeRunResult, withStreamCost } from '../fixture.js';

function run() {
  const r = makeRunResult({ runId: 'FAKE-run' });
  r.parameters = { ...r.parameters, label: 'profile-ci' };
  r.environment = { ...r.environment, git_commit: 'f'.repeat(40) };
  return withStreamCost(r);
}

describe('tracker formats', () => {
  it('names carry the label and the short parameter hash', () => {
    const r = run();
    expect(trackerPrefix(r)).toBe(`profile-ci ${shortHash(parameterHash(r.parameters))}`);
  });

  it('github-action-benchmark customSmallerIsBetter: [{name, unit, value, extra}] for latencies, CPU, loss', () => {
    const r = run();
    const p = trackerPrefix(r);
    const smaller = benchmarkActionSmaller(r);
    for (const e of smaller) {
      expect(Object.keys(e).sort()).toEqual(['extra', 'name', 'unit', 'value']);
      expect(typeof e.value).toBe('number');
      expect(e.extra).toContain('FAKE-run');
    }
    const names = smaller.map((e) => e.name);
    expect(names).toContain(`${p} stream event-time latency p99`);
    expect(names).toContain(`${p} batch event-time latency p99.9`);
    expect(names).toContain(`${p} stream processing-time latency p99`);
    expect(names).toContain(`${p} stream CPU per 1000 readings`);
    expect(names).toContain(`${p} input send delay p99`);
    expect(names).toContain(`${p} storage loss`);
    // No CPU figure for a mode without cost; no rate among the smaller-is-better figures.
    expect(names).not.toContain(`${p} batch CPU per 1000 readings`);
    expect(smaller.every((e) => e.unit !== 'readings/s')).toBe(true);
    expect(smaller.find((e) => e.name === `${p} stream event-time latency p99`)).toMatchObject({
      unit: 'ms',
      value: r.modes[0]!.event_time_latency.p99,
    });
    expect(new Set(names).size).toBe(names.length);
  });

  it('customBiggerIsBetter: the rates', () => {
    const r = run();
    const p = trackerPrefix(r);
    const bigger = benchmarkActionBigger(r);
    expect(bigger.map((e) => e.name)).toEqual([
      `${p} stream output rate`,
      `${p} batch output rate`,
      `${p} batch processing rate while busy`,
      `${p} input achieved rate`,
    ]);
    expect(bigger.every((e) => e.unit === 'readings/s')).toBe(true);
    expect(bigger[2]!.value).toBe(25000);
  });

  it('Bencher Metric Format: {benchmark: {measure: {value}}}', () => {
    const r = run();
    const p = trackerPrefix(r);
    const bmf = bencherMetricFormat(r);
    expect(Object.keys(bmf)).toEqual([`${p} stream`, `${p} batch`, `${p} input`, `${p} storage`]);
    expect(bmf[`${p} stream`]!['event-time-p99-ms']).toEqual({ value: r.modes[0]!.event_time_latency.p99 });
    expect(bmf[`${p} batch`]!['processing-rate-while-busy']).toEqual({ value: 25000 });
    expect(bmf[`${p} storage`]).toEqual({ loss: { value: 0 }, duplicates: { value: 0 } });
    for (const measures of Object.values(bmf)) {
      for (const [slug, m] of Object.entries(measures)) {
        expect(slug).toMatch(/^[a-z0-9-]{1,64}$/);
        expect(Number.isFinite(m.value)).toBe(true);
      }
    }
  });

  it('a mode without samples leaves its latencies out rather than publishing 0', () => {
    const r = makeRunResult({ emptyBatch: true });
    const names = benchmarkActionSmaller(r).map((e) => e.name);
    expect(names.some((n) => n.includes('batch event-time'))).toBe(false);
    expect(names.some((n) => n.includes('stream event-time'))).toBe(true);
    const files = trackerFiles(r);
    expect(Object.keys(files).sort()).toEqual(Object.values(TRACKER_FILES).sort());
    for (const text of Object.values(files)) expect(() => JSON.parse(text) as unknown).not.toThrow();
  });
});
