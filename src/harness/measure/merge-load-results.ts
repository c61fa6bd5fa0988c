/**
 * Merging what N load generators (share.ts) report into what one generator sending the whole
 * run would have reported: their progress into one progress stream, their results into one
 * ProducerResult. Pure: no processes here (producer-process.ts forks them).
 */
import type { FaultGroundTruth } from '../../generators/faults.js';
import type { ProducerProgress, ProducerResult } from '../../generators/producer.js';
import { LatencyHistogram } from '../../results/histogram.js';

/** One result of the whole run from the results of its N shares. */
export function mergeLoadResults(results: readonly ProducerResult[]): ProducerResult {
  const first = results[0];
  if (!first) throw new Error('no load generator results to merge');
  const starts = new Set(results.map((r) => r.startMs));
  if (starts.size > 1) throw new Error(`load generators disagree on the schedule start: ${[...starts].join(', ')}`);
  const sum = (f: (r: ProducerResult) => number): number => results.reduce((acc, r) => acc + f(r), 0);
  return {
    complete: results.every((r) => r.complete),
    startMs: first.startMs,
    endMs: Math.max(...results.map((r) => r.endMs)),
    lastAckMs: Math.max(...results.map((r) => r.lastAckMs)),
    planned: sum((r) => r.planned),
    sentReadings: sum((r) => r.sentReadings),
    sentDuplicates: sum((r) => r.sentDuplicates),
    sentMalformed: sum((r) => r.sentMalformed),
    acknowledged: sum((r) => r.acknowledged),
    acknowledgedReadings: sum((r) => r.acknowledgedReadings),
    sendDelay: mergeHistograms(results.map((r) => r.sendDelay)),
    offeredPerSecond: sumPerSecond(results.map((r) => r.offeredPerSecond)),
    acknowledgedPerSecond: sumPerSecond(results.map((r) => r.acknowledgedPerSecond)),
    faults: mergeFaultTruths(results.map((r) => r.faults)),
  };
}

/** Element-wise sum; a shorter array counts as zeros beyond its end. */
export function sumPerSecond(arrays: readonly (readonly number[])[]): number[] {
  const out = new Array<number>(Math.max(0, ...arrays.map((a) => a.length))).fill(0);
  for (const a of arrays) a.forEach((v, s) => (out[s]! += v));
  return out;
}

/** A new histogram holding every count of the given ones. */
function mergeHistograms(histograms: readonly LatencyHistogram[]): LatencyHistogram {
  const merged = new LatencyHistogram();
  for (const h of histograms) {
    merged.add(h);
    merged.negativeClamped += h.negativeClamped;
  }
  return merged;
}

/**
 * The shares' fault ground truths as one: counts summed, lists concatenated share after share
 * (the same entries as one generator's, each share's in stream order). Null when faults were off.
 */
export function mergeFaultTruths(truths: readonly (FaultGroundTruth | null)[]): FaultGroundTruth | null {
  const present = truths.filter((t): t is FaultGroundTruth => t !== null);
  if (present.length === 0) return null;
  if (present.length < truths.length) throw new Error('load generators disagree on fault injection (some have none)');
  const options = JSON.stringify(present[0]!.options);
  if (present.some((t) => JSON.stringify(t.options) !== options))
    throw new Error('load generators disagree on the fault options');
  return {
    options: present[0]!.options,
    counts: sumFaultCounts(present.map((t) => t.counts)),
    jittered: present.flatMap((t) => t.jittered),
    late: present.flatMap((t) => t.late),
    duplicates: present.flatMap((t) => t.duplicates),
  };
}

function sumFaultCounts(counts: readonly FaultGroundTruth['counts'][]): FaultGroundTruth['counts'] {
  const sum = (f: (c: FaultGroundTruth['counts']) => number): number => counts.reduce((acc, c) => acc + f(c), 0);
  const kinds = Object.keys(counts[0]!.malformedByKind) as (keyof FaultGroundTruth['counts']['malformedByKind'])[];
  return {
    readings: sum((c) => c.readings),
    jittered: sum((c) => c.jittered),
    late: sum((c) => c.late),
    duplicates: sum((c) => c.duplicates),
    malformed: sum((c) => c.malformed),
    malformedByKind: Object.fromEntries(
      kinds.map((k) => [k, sum((c) => c.malformedByKind[k])]),
    ) as FaultGroundTruth['counts']['malformedByKind'],
  };
}

/**
 * Counts summed over the generators' latest reports; elapsedMs is the latest of theirs (the
 * max). Every report was taken at or before that time and counts only grow, so the sums are
 * what had at least happened by then: the merged line never shows the load further along than
 * it was. The min would pair counts taken up to a report interval later with an earlier time,
 * overstating the rates and hiding a generator that falls behind.
 */
export function mergeProgress(reports: readonly ProducerProgress[]): ProducerProgress {
  return {
    planned: reports.reduce((acc, p) => acc + p.planned, 0),
    sent: reports.reduce((acc, p) => acc + p.sent, 0),
    acknowledged: reports.reduce((acc, p) => acc + p.acknowledged, 0),
    elapsedMs: Math.max(...reports.map((p) => p.elapsedMs)),
  };
}

/** A generator's final figures as a progress report (it reports no more once it has finished). */
export function finalProgress(r: ProducerResult): ProducerProgress {
  return {
    planned: r.planned,
    sent: r.sentReadings,
    acknowledged: r.acknowledgedReadings,
    elapsedMs: r.endMs - r.startMs,
  };
}

/**
 * N generators' progress reports (each about once a second) as one stream, about once a second
 * like a single generator's: a merged report once every generator still sending has reported
 * since the previous one. (One merged report per child report would put reports milliseconds
 * apart, too close to measure a rate between.)
 */
export class LoadProgressMerger {
  private readonly latest: (ProducerProgress | undefined)[];
  /** Reported since the last merged report, or finished. */
  private readonly fresh: boolean[];
  private readonly finished: boolean[];

  constructor(generators: number) {
    this.latest = new Array<ProducerProgress | undefined>(generators).fill(undefined);
    this.fresh = new Array<boolean>(generators).fill(false);
    this.finished = new Array<boolean>(generators).fill(false);
  }

  /** Generator k's report; the merged report when this completes a round, else undefined. */
  report(k: number, p: ProducerProgress): ProducerProgress | undefined {
    if (this.finished[k]) return undefined;
    this.latest[k] = p;
    this.fresh[k] = true;
    if (!this.fresh.every(Boolean)) return undefined;
    this.fresh.fill(false);
    this.finished.forEach((done, j) => (this.fresh[j] = done));
    return mergeProgress(this.latest as ProducerProgress[]);
  }

  /** Generator k has finished with these figures: they stand, and rounds no longer wait for it. */
  finish(k: number, final: ProducerProgress): void {
    this.latest[k] = final;
    this.finished[k] = true;
    this.fresh[k] = true;
  }
}
