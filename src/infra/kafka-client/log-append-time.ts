/**
 * @platformatic/kafka 1.x reports a record's timestamp as the batch's firstTimestamp plus the
 * record's delta (messages-stream.js #pushRecords) whatever the batch's timestamp type: on a
 * LogAppendTime topic that is the producer's create time, not the broker's append time (Kafka's
 * DefaultRecordBatch: with LOG_APPEND_TIME every record's timestamp is the batch's maxTimestamp;
 * kafkajs does so). The project reads the timestamp as t_appended, so each fetch response of
 * the consumers registered here is corrected before the stream turns it into messages: the
 * library's diagnostics channel for fetches publishes the response (asyncStart) just before
 * the stream's callback runs.
 */
import { consumerFetchesChannel } from '@platformatic/kafka';

/** Record batch attribute bit 3: the timestamp type (1: LogAppendTime). */
const LOG_APPEND_TIME = 0x08;

interface FetchResponse {
  responses?: Array<{
    partitions?: Array<{
      records?: Array<{
        attributes: number;
        firstTimestamp: bigint;
        maxTimestamp: bigint;
        records: Array<{ timestampDelta: bigint }>;
      }> | null;
    }>;
  }>;
}

const clients = new WeakSet<object>();
let subscribed = false;

/** Correct the record timestamps of this client's fetches from now on. */
export function useLogAppendTime(client: object): void {
  clients.add(client);
  if (subscribed) return;
  subscribed = true;
  consumerFetchesChannel.asyncStart.subscribe((message) => {
    const ctx = message as { client?: object; result?: FetchResponse };
    if (ctx.client && clients.has(ctx.client) && ctx.result) applyLogAppendTime(ctx.result);
  });
}

/** Each LogAppendTime batch: every record stamped with the batch's maxTimestamp. */
export function applyLogAppendTime(response: FetchResponse): void {
  for (const topic of response.responses ?? []) {
    for (const partition of topic.partitions ?? []) {
      for (const batch of partition.records ?? []) {
        if ((batch.attributes & LOG_APPEND_TIME) === 0) continue;
        batch.firstTimestamp = batch.maxTimestamp;
        for (const record of batch.records) record.timestampDelta = 0n;
      }
    }
  }
}
