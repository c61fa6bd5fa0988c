import { describe, expect, it } from 'vitest';
import { searchMax, type RateVerdict } from '../../../../src/harness/run/find-max.js';
import { SUSTAINABLE_CRITERIA } from '../../../../src/harness/measure/sustainable.js';

/** A fake bench: sustainable up to `limit` readings/s; records every rate it was asked to run. */
function benchUpTo(
  limit: number,
  onRun?: (rate: number) => void,
): { tried: number[]; benchAt: (rate: number) => Promise<RateVerdict> } {
  const tried: number[] = [];
  const benchAt = (rate: number): Promise<RateVerdict> => {
    tried.push(rate);
    onRun?.(rate);
    return Promise.resolve(
      rate <= limit
        ? { ok: true, reasons: [], fellBehind: false }
        : { ok: false, reasons: [`too fast: ${rate}`], fellBehind: true },
    );
  };
  return { tried, benchAt };
}

describe('searchMax: the sustainable-rate search', () => {
  it('doubles until a rate is not sustainable, then bisects (sustainable up to 1300/s, from 500/s)', async () => {
    const { tried, benchAt } = benchUpTo(1300);
    const result = await searchMax(benchAt, { start: 500, maxRate: 200_000 });
    // 500 ok, 1000 ok, 2000 not; then (1000+2000)/2 = 1500 not, (1000+1500)/2 = 1250 ok,
    // (1250+1500)/2 = 1375 not: three bisection runs, the bracket is 1250..1375.
    expect(tried).toEqual([500, 1000, 2000, 1500, 1250, 1375]);
    expect(result).toEqual({
      sustainable_rate: 1250,
      below: 1250,
      above: 1375,
      above_reasons: ['too fast: 1375'],
      criteria: SUSTAINABLE_CRITERIA,
    });
  });

  it('rounds the midpoint to a whole rate', async () => {
    const { tried, benchAt } = benchUpTo(110);
    const result = await searchMax(benchAt, { start: 25, maxRate: 200_000 });
    // 25, 50, 100 ok, 200 not; 150 not, 125 not, round(112.5) = 113 not.
    expect(tried).toEqual([25, 50, 100, 200, 150, 125, 113]);
    expect(result).toMatchObject({ sustainable_rate: 100, below: 100, above: 113 });
  });

  it('stops bisecting when the midpoint is one of the bracket', async () => {
    const { tried, benchAt } = benchUpTo(1);
    // 1 ok, 2 not; round(1.5) = 2 is the unsustainable rate itself.
    expect(await searchMax(benchAt, { start: 1, maxRate: 200_000 })).toEqual({
      sustainable_rate: 1,
      below: 1,
      above: 2,
      above_reasons: ['too fast: 2'],
      criteria: SUSTAINABLE_CRITERIA,
    });
    expect(tried).toEqual([1, 2]);
  });

  it('halves an unsustainable start rate until a rate is sustainable, then bisects', async () => {
    const { tried, benchAt } = benchUpTo(100);
    // 400 not, 200 not, 100 ok: the bracket is 100..200; then 150 not, 125 not, round(112.5) = 113 not.
    expect(await searchMax(benchAt, { start: 400, maxRate: 200_000 })).toEqual({
      sustainable_rate: 100,
      below: 100,
      above: 113,
      above_reasons: ['too fast: 113'],
      criteria: SUSTAINABLE_CRITERIA,
    });
    expect(tried).toEqual([400, 200, 100, 150, 125, 113]);
  });

  it('halves down to 1/s and reports no sustainable rate when none is', async () => {
    const { tried, benchAt } = benchUpTo(0);
    // 5 not, 2 not, 1 not; 0 is below the lowest rate and not tried.
    expect(await searchMax(benchAt, { start: 5, maxRate: 200_000 })).toEqual({
      sustainable_rate: null,
      above: 1,
      above_reasons: ['too fast: 1'],
      criteria: SUSTAINABLE_CRITERIA,
    });
    expect(tried).toEqual([5, 2, 1]);
  });

  it('does not halve after a failure other than falling behind (a crash, loss, disagreement)', async () => {
    const tried: number[] = [];
    const crashing = (rate: number): Promise<RateVerdict> => {
      tried.push(rate);
      return Promise.resolve({ ok: false, reasons: ['the run failed: broker down'], fellBehind: false });
    };
    expect(await searchMax(crashing, { start: 16_000, maxRate: 200_000 })).toEqual({
      sustainable_rate: null,
      above: 16_000,
      above_reasons: ['the run failed: broker down'],
      criteria: SUSTAINABLE_CRITERIA,
    });
    expect(tried).toEqual([16_000]);
  });

  it('tries no further rate once aborted while halving', async () => {
    const abort = new AbortController();
    const { tried, benchAt } = benchUpTo(100, (rate) => rate === 200 && abort.abort());
    expect(await searchMax(benchAt, { start: 400, maxRate: 200_000, signal: abort.signal })).toEqual({
      sustainable_rate: null,
      above: 200,
      above_reasons: ['too fast: 200'],
      criteria: SUSTAINABLE_CRITERIA,
    });
    expect(tried).toEqual([400, 200]);
  });

  it('stops doubling above the highest rate allowed, with no unsustainable rate found', async () => {
    const { tried, benchAt } = benchUpTo(Infinity);
    // 40,000 -> 80,000 -> 160,000; 320,000 is above 200,000 and not tried.
    expect(await searchMax(benchAt, { start: 40_000, maxRate: 200_000 })).toEqual({
      sustainable_rate: 160_000,
      below: 160_000,
      criteria: SUSTAINABLE_CRITERIA,
    });
    expect(tried).toEqual([40_000, 80_000, 160_000]);
  });

  it('tries no further rate once aborted', async () => {
    const abort = new AbortController();
    const { tried, benchAt } = benchUpTo(1300, (rate) => rate === 1500 && abort.abort());
    // Aborted during the run at 1500 (not sustainable): its verdict counts, nothing follows.
    expect(await searchMax(benchAt, { start: 500, maxRate: 200_000, signal: abort.signal })).toEqual({
      sustainable_rate: 1000,
      below: 1000,
      above: 1500,
      above_reasons: ['too fast: 1500'],
      criteria: SUSTAINABLE_CRITERIA,
    });
    expect(tried).toEqual([500, 1000, 2000, 1500]);
  });

  it('a signal aborted before the search runs nothing', async () => {
    const abort = new AbortController();
    abort.abort();
    const { tried, benchAt } = benchUpTo(1300);
    expect(await searchMax(benchAt, { start: 500, maxRate: 200_000, signal: abort.signal })).toEqual({
      sustainable_rate: null,
      criteria: SUSTAINABLE_CRITERIA,
    });
    expect(tried).toEqual([]);
  });
});
