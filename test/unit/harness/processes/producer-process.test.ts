import { describe, expect, it } from 'vitest';
import type { ProducerProgress, ProducerResult } from '../../../../src/generators/producer.js';
import type { LoadShare } from '../../../../src/generators/share.js';
import { LatencyHistogram } from '../../../../src/results/histogram.js';
import { runLoadProcesses, runShares, type ShareRunner } from '../../../../src/harness/processes/producer-process.js';

function result(planned: number, complete = true): ProducerResult {
  return {
    complete,
    startMs: 1000,
    endMs: 2000 + planned,
    lastAckMs: 1900,
    planned,
    sentReadings: planned,
    sentDuplicates: 0,
    sentMalformed: 0,
    acknowledged: planned,
    acknowledgedReadings: planned,
    sendDelay: new LatencyHistogram(),
    offeredPerSecond: [planned],
    acknowledgedPerSecond: [planned],
    faults: null,
  };
}

const progress = (n: number, elapsedMs: number): ProducerProgress => ({
  planned: n,
  sent: n,
  acknowledged: n,
  elapsedMs,
});

/** Resolves, incomplete, once the signal is aborted. */
const untilAborted = (signal: AbortSignal, planned: number): Promise<ProducerResult> =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(result(planned, false)), { once: true }));

describe('runShares: N load generators as one', () => {
  it('runs every share of N, merges their progress and results', async () => {
    const shares: LoadShare[] = [];
    const reports: ProducerProgress[] = [];
    let reported = 0;
    let allReported!: () => void;
    const everyReport = new Promise<void>((resolve) => (allReported = resolve));
    const runShare: ShareRunner = async (share, _signal, onProgress) => {
      shares.push(share);
      await new Promise((r) => setImmediate(r));
      onProgress(progress(share.index + 1, 1000 + share.index));
      if (++reported === 3) allReported();
      await everyReport;
      return result(10 * (share.index + 1));
    };
    const r = await runShares(3, new AbortController().signal, (p) => reports.push(p), runShare);
    expect(shares).toEqual([
      { index: 0, count: 3 },
      { index: 1, count: 3 },
      { index: 2, count: 3 },
    ]);
    expect(reports).toEqual([progress(6, 1002)]);
    expect(r).toMatchObject({ complete: true, planned: 60, endMs: 2030, offeredPerSecond: [60] });
  });

  it('when one generator fails, aborts the others and rejects naming it', async () => {
    const aborted: number[] = [];
    const runShare: ShareRunner = async (share, signal) => {
      if (share.index === 1) {
        await new Promise((r) => setImmediate(r));
        throw new Error('load generator 2 of 3: KafkaJSError: boom');
      }
      const r = await untilAborted(signal, 1);
      aborted.push(share.index);
      return r;
    };
    await expect(runShares(3, new AbortController().signal, () => undefined, runShare)).rejects.toThrow(
      /^load generator 2 of 3: KafkaJSError: boom$/,
    );
    await new Promise((r) => setImmediate(r));
    expect(aborted.sort()).toEqual([0, 2]);
  });

  it('names the generator in an error that does not, keeping the original as the cause', async () => {
    const boom = new Error('boom');
    const runShare: ShareRunner = (share, signal) =>
      share.index === 0 ? Promise.reject(boom) : untilAborted(signal, 0);
    const err = await runShares(2, new AbortController().signal, () => undefined, runShare).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('load generator 1 of 2: boom');
    expect((err as Error).cause).toBe(boom);
  });

  it('passes the harness abort on to every generator; the merged result is incomplete', async () => {
    const abort = new AbortController();
    const runShare: ShareRunner = (share, signal) => untilAborted(signal, share.index + 1);
    const run = runShares(2, abort.signal, () => undefined, runShare);
    abort.abort();
    await expect(run).resolves.toMatchObject({ complete: false, planned: 3 });
  });

  it('an abort before the start reaches the generators too', async () => {
    const abort = new AbortController();
    abort.abort();
    const seen: boolean[] = [];
    const runShare: ShareRunner = async (_share, signal) => {
      seen.push(signal.aborted);
      return result(1, false);
    };
    await runShares(2, abort.signal, () => undefined, runShare);
    expect(seen).toEqual([true, true]);
  });

  it('refuses a generator count that is not a positive integer', async () => {
    const spec = {
      brokers: [],
      seed: 1,
      patients: 9,
      sources: 3,
      prevalence: 0.05,
      rate: 10,
      total: 10,
      startMs: 0,
      warmupCount: 0,
      topicPrefix: '',
      runId: 'r',
    };
    for (const n of [0, 1.5, -1])
      await expect(runLoadProcesses(spec, n, new AbortController().signal, () => undefined)).rejects.toThrow(
        RangeError,
      );
  });
});
