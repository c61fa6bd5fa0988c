/**
 * kafkajs 2.2.4 sends a full Fetch (no fetch sessions): the broker answers for every assigned
 * partition, and kafkajs hands every one of them, empty or not, through its fetcher, worker
 * queue and runner. The stream fetches every few milliseconds over 9 partitions and finds
 * readings in two or three, so most of that per-partition machinery (a worker turn, a batch
 * payload with offset-lag arithmetic, a heartbeat call) was spent on partitions that brought
 * nothing (profile: docs/BENCHMARK.md, profiling a role).
 *
 * For a partition the broker returned no record for, the runner only heartbeats
 * (Runner.handleBatch: `if (batch.isEmpty()) { await this.heartbeat(); return }`), and
 * Runner.fetch heartbeats itself when a fetch yields no batch. So dropping those batches
 * right after ConsumerGroup.fetch changes nothing kafkajs does but the number of times it
 * does it: a heartbeat is sent at most once per heartbeat interval either way. A batch with
 * records that kafkajs filters out (control records, aborted transactions, offsets before
 * the fetch offset) is kept: the runner resolves its offset.
 *
 * Imported for its effect by ./kafka.ts, which every kafkajs client of the project comes from.
 */
import { createRequire } from 'node:module';

/** What the patch reads of kafkajs's Batch (src/consumer/batch.js). */
interface FetchedBatch {
  rawMessages: unknown[];
}

interface ConsumerGroupInternals {
  fetch: (this: ConsumerGroupInternals, nodeId: number) => Promise<FetchedBatch[]>;
}

const requireCjs = createRequire(import.meta.url);

/** kafkajs's ConsumerGroup class (internal: not in its typings). */
export const ConsumerGroup = requireCjs('kafkajs/src/consumer/consumerGroup.js') as {
  prototype: ConsumerGroupInternals;
};

const fetch = ConsumerGroup.prototype.fetch;
if (typeof fetch !== 'function') {
  throw new Error('kafkajs changed: ConsumerGroup.fetch is gone; review src/infra/kafkajs-empty-batches.ts');
}

ConsumerGroup.prototype.fetch = async function fetchWithRecords(
  this: ConsumerGroupInternals,
  nodeId: number,
): Promise<FetchedBatch[]> {
  const batches = await fetch.call(this, nodeId);
  return withRecords(batches);
};

/** The batches the broker returned records for (kept even if kafkajs filters all of them out). */
export function withRecords<B extends FetchedBatch>(batches: B[]): B[] {
  return batches.filter((b) => b.rawMessages.length > 0);
}
