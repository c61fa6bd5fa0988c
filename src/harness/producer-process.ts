import { fork } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../config.js';
import type { ProducerProgress, ProducerResult } from '../generators/producer.js';
import { LatencyHistogram } from './histogram.js';

/** What the harness asks the load-generator process to send. */
export interface LoadSpec {
  brokers: string[];
  seed: number;
  patients: number;
  sources: number;
  prevalence: number;
  rate: number;
  total: number;
  startMs: number;
  warmupCount: number;
  topicPrefix: string;
  /** Stamped into every reading (the pipelines count another run's readings as foreign). */
  runId: string;
}

export type LoadMessage =
  | { type: 'progress'; progress: ProducerProgress }
  | { type: 'result'; result: Omit<ProducerResult, 'sendDelay'> & { sendDelay: string } }
  | { type: 'error'; message: string };

const ENTRY = join(PROJECT_ROOT, 'dist/src/harness/producer-child.js');

/**
 * Runs the open-loop producer in its own process, so that its schedule does not share an
 * event loop with the harness's sampling and bookkeeping (as OpenMessaging Benchmark keeps
 * its workers apart from the coordinator).
 */
export function runLoadProcess(
  spec: LoadSpec,
  signal: AbortSignal,
  onProgress: (p: ProducerProgress) => void,
  onStarted?: (pid: number) => void,
): Promise<ProducerResult> {
  return new Promise((resolve, reject) => {
    // The run id on its command line names the process in `ps` for whoever looks for leftovers.
    const child = fork(ENTRY, ['--run-id', spec.runId], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    if (child.pid !== undefined) onStarted?.(child.pid);
    let settled = false;
    const abort = (): void => {
      if (child.connected) child.send({ type: 'abort' });
    };
    signal.addEventListener('abort', abort, { once: true });
    child.on('message', (m: LoadMessage) => {
      if (m.type === 'progress') onProgress(m.progress);
      else if (m.type === 'result') {
        settled = true;
        resolve({ ...m.result, sendDelay: LatencyHistogram.decode(m.result.sendDelay) });
      } else {
        settled = true;
        reject(new Error(`load generator: ${m.message}`));
      }
    });
    child.once('exit', (code, sig) => {
      signal.removeEventListener('abort', abort);
      if (!settled)
        reject(new Error(`load generator ${sig ? `killed by ${sig}` : `exited with code ${code}`} before reporting`));
    });
    child.send({ type: 'start', spec });
  });
}
