/** The load-generator process forked by the harness (see producer-process.ts). */
import { runOpenLoopProducer } from '../../generators/producer.js';
import { OpenLoopSchedule } from '../../generators/schedule.js';
import { loadShareOf } from '../../generators/share.js';
import { datasetSource } from '../../generators/sources.js';
import { createKafkaClient, DEFAULT_KAFKA_CLIENT } from '../../infra/kafka-client/index.js';
import type { LoadMessage, LoadRequest, LoadSpec } from './producer-process.js';

const abort = new AbortController();
const send = (m: LoadMessage): Promise<void> =>
  new Promise((resolve) => (process.connected ? process.send!(m, () => resolve()) : resolve()));

// Ctrl-C reaches the whole process group; the harness decides and sends 'abort'.
process.on('SIGINT', () => undefined);
// The harness is gone (however it ended, SIGKILL included): stop sending at once, so no
// reading of this run lands in the next run's topics.
process.on('disconnect', () => {
  abort.abort();
  setTimeout(() => process.exit(1), 2000).unref();
});
process.on('message', (m: LoadRequest) => {
  if (m.type === 'abort') abort.abort();
  else void run(m.spec);
});

async function run(spec: LoadSpec): Promise<void> {
  try {
    const share = loadShareOf(spec);
    const tag = share.count > 1 ? `[load ${share.index + 1}/${share.count}]` : '[load]';
    const result = await runOpenLoopProducer({
      client: createKafkaClient(spec.kafkaClient ?? DEFAULT_KAFKA_CLIENT, spec.brokers, 'vitals-load'),
      source: datasetSource(
        { seed: spec.seed, patients: spec.patients, sources: spec.sources, prevalence: spec.prevalence },
        spec.total,
      ),
      schedule: new OpenLoopSchedule({ start: spec.startMs, rate: spec.rate, total: spec.total }),
      topicPrefix: spec.topicPrefix,
      warmupCount: spec.warmupCount,
      share,
      runId: spec.runId,
      log: (line) => process.stderr.write(`${tag} ${line}\n`),
      signal: abort.signal,
      onProgress: (progress) => void send({ type: 'progress', progress }),
    });
    await send({ type: 'result', result: { ...result, sendDelay: result.sendDelay.encode() } });
  } catch (err) {
    await send({ type: 'error', message: (err as Error).stack ?? String(err) });
  }
  process.exit(0);
}
