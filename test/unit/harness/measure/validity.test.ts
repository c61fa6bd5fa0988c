import { describe, expect, it } from 'vitest';
import { measurementValidity } from '../../../../src/harness/measure/validity.js';
import { makeRunResult } from '../fixture.js';

describe('measurementValidity', () => {
  it('a complete run whose generator kept its schedule is valid', () => {
    expect(measurementValidity(makeRunResult())).toEqual({ valid: true, problems: [] });
  });

  it('a run whose generator fell behind measured the machine, not the pipelines', () => {
    const r = makeRunResult();
    r.input.generator_fell_behind = true;
    r.input.send_delay = { ...r.input.send_delay, count: 100, p99: 554 };
    const v = measurementValidity(r);
    expect(v.valid).toBe(false);
    expect(v.problems).toHaveLength(1);
    expect(v.problems[0]).toContain('send delay p99 554 ms');
    expect(v.problems[0]).toContain('not the pipelines');
  });

  it('an incomplete run is not valid, with its reason', () => {
    const r = makeRunResult();
    r.complete = false;
    r.incomplete_reason = 'interrupted (Ctrl-C) during the load';
    expect(measurementValidity(r).problems).toEqual(['the run is incomplete: interrupted (Ctrl-C) during the load']);
  });
});
