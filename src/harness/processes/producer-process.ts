import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config.js';
import type { KafkaClientName } from '../../infra/kafka-client/types.js';
import type { ProducerProgress, ProducerResult } from '../../generators/producer.js';
import { describeShare, loadShareOf, type LoadShare } from '../../generators/share.js';
import { LatencyHistogram } from '../../results/histogram.js';
import { finalProgress, LoadProgressMerger, mergeLoadResults } from '../measure/merge-load-results.js';
import { ForkedChild } from './forked-child.js';

/** What the harness asks the load-generator process to send. */
export interface LoadSpec {
  brokers: string[];
  seed: number;
  patients: number;
  sources: number;
  prevalence: number;
  rate: number;
  /** Readings of the whole run (every generator's together). */
  total: number;
  startMs: number;
  /** Warm-up readings of the whole run: reading i is warm-up when i < warmupCount, whichever generator sends it. */
  warmupCount: number;
  topicPrefix: string;
  /** Stamped into every reading (the pipelines count another run's readings as foreign). */
  runId: string;
  /** Default kafkajs. */
  kafkaClient?: KafkaClientName;
  /** N: generators sending the run together (default 1). Set by runLoadProcesses. */
  generators?: number;
  /** k: this generator's share, 0..N-1 (share.ts). Set by runLoadProcesses. */
  generatorIndex?: number;
}

/** What the harness tells the load-generator process. */
export type LoadRequest = { type: 'start'; spec: LoadSpec } | { type: 'abort' };

export type LoadMessage =
  | { type: 'progress'; progress: ProducerProgress }
  | { type: 'result'; result: Omit<ProducerResult, 'sendDelay'> & { sendDelay: string } }
  | { type: 'error'; message: string };

const ENTRY = join(PROJECT_ROOT, 'dist/src/harness/processes/producer-child.js');

/**
 * Runs the open-loop producer in its own process, so that its schedule does not share an
 * event loop with the harness's sampling and bookkeeping (as OpenMessaging Benchmark keeps
 * its workers apart from the coordinator).
 */
async function runLoadProcess(
  spec: LoadSpec,
  signal: AbortSignal,
  onProgress: (p: ProducerProgress) => void,
  onStarted?: (pid: number) => void,
  log?: (line: string) => void,
): Promise<ProducerResult> {
  const share = loadShareOf(spec);
  const name = share.count === 1 ? 'load generator' : describeShare(share);
  // The run id on its command line names the process in `ps` for whoever looks for leftovers.
  const args = [
    '--run-id',
    spec.runId,
    ...(share.count > 1 ? ['--generator', `${share.index + 1}/${share.count}`] : []),
  ];
  const child = new ForkedChild<LoadMessage, LoadRequest>(name, ENTRY, args, log ? { log } : {});
  if (child.pid !== undefined) onStarted?.(child.pid);
  const abort = (): void => child.send({ type: 'abort' });
  signal.addEventListener('abort', abort, { once: true });
  const off = child.on((m) => {
    if (m.type === 'progress') onProgress(m.progress);
  });
  try {
    const answer = child.waitFor(
      (m): m is Exclude<LoadMessage, { type: 'progress' }> => m.type !== 'progress',
      // The load's own length bounds it; the process's end (or the run's abort) ends the wait.
      2 ** 31 - 1,
      'reporting',
    );
    child.send({ type: 'start', spec });
    // Aborted before it started (addEventListener does not fire for a signal already aborted).
    if (signal.aborted) abort();
    const m = await answer;
    if (m.type === 'error') throw new Error(`${name}: ${m.message}`);
    return { ...m.result, sendDelay: LatencyHistogram.decode(m.result.sendDelay) };
  } finally {
    off();
    signal.removeEventListener('abort', abort);
  }
}

/** Runs one generator's share of the load (runLoadProcess for one share of the spec). */
export type ShareRunner = (
  share: LoadShare,
  signal: AbortSignal,
  onProgress: (p: ProducerProgress) => void,
) => Promise<ProducerResult>;

/**
 * The load sent by `generators` processes, each its share of the patients (share.ts), for a
 * generator process that would run out of a core at high rates. Resolves with the result one
 * process would have given (mergeLoadResults); progress comes about once a second, merged.
 * One generator is runLoadProcess itself. When a generator fails, the others are aborted (they
 * stop sending at once) and the promise rejects, naming the generator that failed.
 */
export function runLoadProcesses(
  spec: LoadSpec,
  generators: number,
  signal: AbortSignal,
  onProgress: (p: ProducerProgress) => void,
  onStarted?: (pid: number) => void,
  /** Where the generators' output lines go (the run's log); without it, the harness's stderr. */
  log?: (line: string) => void,
): Promise<ProducerResult> {
  if (!Number.isInteger(generators) || generators < 1)
    return Promise.reject(new RangeError(`generators must be a positive integer, got ${generators}`));
  if (generators === 1) return runLoadProcess(spec, signal, onProgress, onStarted, log);
  return runShares(generators, signal, onProgress, (share, shareSignal, onShareProgress) =>
    runLoadProcess(
      { ...spec, generators: share.count, generatorIndex: share.index },
      shareSignal,
      onShareProgress,
      onStarted,
      log,
    ),
  );
}

/** The orchestration of runLoadProcesses, with the process of each share given by runShare. */
export async function runShares(
  generators: number,
  signal: AbortSignal,
  onProgress: (p: ProducerProgress) => void,
  runShare: ShareRunner,
): Promise<ProducerResult> {
  const stopAll = new AbortController();
  const stop = (): void => stopAll.abort();
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  const progress = new LoadProgressMerger(generators);
  const runOne = async (index: number): Promise<ProducerResult> => {
    const share = { index, count: generators };
    const reportProgress = (p: ProducerProgress): void => {
      const merged = progress.report(index, p);
      // Once stopping, as one generator does, it reports no more (and not a failed one's stale figures).
      if (merged && !stopAll.signal.aborted) onProgress(merged);
    };
    try {
      const result = await runShare(share, stopAll.signal, reportProgress);
      progress.finish(index, finalProgress(result));
      return result;
    } catch (err) {
      stop();
      throw nameFailure(share, err);
    }
  };
  try {
    return mergeLoadResults(await Promise.all(Array.from({ length: generators }, (_, k) => runOne(k))));
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/** The error of a failed share, its message starting with the generator's name (once). */
function nameFailure(share: LoadShare, err: unknown): Error {
  const name = describeShare(share);
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(name) ? (err as Error) : new Error(`${name}: ${message}`, { cause: err });
}
