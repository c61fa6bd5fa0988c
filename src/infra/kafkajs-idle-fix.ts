/**
 * kafkajs 2.2.4, its last release, spins a timer on every broker connection once the connection
 * has answered a request: RequestQueue.checkPendingRequests ends by scheduling itself again, and
 * when nothing is throttled (throttledUntil is -1) and nothing pending, the delay is negative, so
 * it runs again on the next millisecond, for as long as the connection lives (kafkajs issues
 * #1556 "CPU hike on v2.2.4", #1604, #1704; the fix of pull request #1667 was never released).
 * Every kafkajs process of a run (the generator, ingest, stream, the harness's admin) woke about
 * a thousand times a second per connection: an idle kafkajs consumer used 45-60 ms of CPU a
 * second on this machine kind, against 17 for @platformatic/kafka's, and its wake-ups compete
 * with every other process for the two cores.
 *
 * The check is needed only while requests wait (throttled, or over the in-flight limit): push()
 * schedules it when it queues one, and each fulfilled response runs it. So it is scheduled only
 * then, as #1667 does; everything else in the queue is kafkajs's own.
 *
 * Imported for its effect by ./kafka.ts, which every kafkajs client of the project comes from.
 */
import { createRequire } from 'node:module';

interface RequestQueueInternals {
  pending: unknown[];
  scheduleCheckPendingRequests: (this: RequestQueueInternals) => void;
}

const requireCjs = createRequire(import.meta.url);

/** kafkajs's RequestQueue class (internal: not in its typings). */
export const RequestQueue = requireCjs('kafkajs/src/network/requestQueue/index.js') as {
  prototype: RequestQueueInternals;
};

const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
if (typeof schedule !== 'function') {
  throw new Error(
    'kafkajs changed: RequestQueue.scheduleCheckPendingRequests is gone; review src/infra/kafkajs-idle-fix.ts',
  );
}

RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(
  this: RequestQueueInternals,
): void {
  if (this.pending.length === 0) return;
  schedule.call(this);
};
