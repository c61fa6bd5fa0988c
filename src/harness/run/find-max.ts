/**
 * The sustainable-rate search of --find-max: from the start rate, doubling while runs are
 * sustainable (or halving while they are not) until the bracket holds a sustainable rate and an
 * unsustainable one, then bisecting between them. Running a bench is injected, so the search
 * itself does no I/O.
 */
import type { SweepResult } from '../../results/schema.js';
import { SUSTAINABLE_CRITERIA } from '../measure/sustainable.js';

/**
 * Each sustainable rate is followed by this multiple of it until a rate is not sustainable; an
 * unsustainable start rate is divided by it until a rate is.
 */
const RATE_GROWTH_FACTOR = 2;
/** The halving stops here: a machine that sustains not even this has no rate to report. */
const LOWEST_RATE = 1;
/** Runs at most spent bisecting between the last sustainable and the first unsustainable rate. */
const BISECTION_RUNS = 3;

/** Whether a run at one rate was sustainable, and if not why (sustainable.ts). */
export interface RateVerdict {
  ok: boolean;
  reasons: string[];
  /** Not sustainable only because the run fell behind its load (sustainable.ts onlyFellBehind). */
  fellBehind: boolean;
}

/** Run one bench at `rate` readings/s and say whether it was sustainable. */
export type BenchAtRate = (rate: number) => Promise<RateVerdict>;

export type FindMaxResult = NonNullable<SweepResult['find_max']>;

export interface SearchOptions {
  /** The first rate tried. */
  start: number;
  /** The doubling stops before a rate above this. */
  maxRate: number;
  /** Once aborted, no further rate is tried. */
  signal?: AbortSignal;
}

/** The bracket the search has found so far: the highest sustainable rate and the lowest unsustainable one. */
interface Bracket {
  good?: number;
  bad?: number;
  badReasons: string[];
}

export async function searchMax(benchAt: BenchAtRate, opts: SearchOptions): Promise<FindMaxResult> {
  const aborted = (): boolean => opts.signal?.aborted ?? false;
  const bracket = await bracketFromStart(benchAt, opts, aborted);
  await bisect(benchAt, bracket, aborted);
  return resultOf(bracket);
}

/**
 * Doubles from a sustainable start rate until a rate is not sustainable, or halves from one that
 * fell behind until a rate is: either way the bracket ends with both ends, unless a bound, the
 * signal or a failure other than falling behind stops it first.
 */
async function bracketFromStart(benchAt: BenchAtRate, opts: SearchOptions, aborted: () => boolean): Promise<Bracket> {
  const bracket: Bracket = { badReasons: [] };
  let rate = opts.start;
  while (!aborted() && rate <= opts.maxRate && rate >= LOWEST_RATE) {
    const verdict = await benchAt(rate);
    if (verdict.ok) bracket.good = rate;
    else {
      bracket.bad = rate;
      bracket.badReasons = verdict.reasons;
    }
    if (bracket.good !== undefined && bracket.bad !== undefined) break;
    // A failure that is not falling behind (a crash, loss, disagreement) would fail at every
    // lower rate too: halving would only repeat it.
    if (!verdict.ok && !verdict.fellBehind) break;
    rate = verdict.ok ? rate * RATE_GROWTH_FACTOR : Math.floor(rate / RATE_GROWTH_FACTOR);
  }
  return bracket;
}

async function bisect(benchAt: BenchAtRate, bracket: Bracket, aborted: () => boolean): Promise<void> {
  for (let i = 0; i < BISECTION_RUNS && !aborted() && bracket.bad !== undefined && bracket.good !== undefined; i++) {
    const mid = Math.round((bracket.good + bracket.bad) / 2);
    if (mid === bracket.good || mid === bracket.bad) break;
    const verdict = await benchAt(mid);
    if (verdict.ok) bracket.good = mid;
    else {
      bracket.bad = mid;
      bracket.badReasons = verdict.reasons;
    }
  }
}

function resultOf({ good, bad, badReasons }: Bracket): FindMaxResult {
  return {
    sustainable_rate: good ?? null,
    ...(good !== undefined ? { below: good } : {}),
    ...(bad !== undefined ? { above: bad, above_reasons: badReasons } : {}),
    criteria: SUSTAINABLE_CRITERIA,
  };
}
