import { describe, expect, it } from 'vitest';
import { RequestQueue } from '../../../src/infra/kafkajs-idle-fix.js';

/** kafkajs's own RequestQueue (patched by the module under test), as a connection builds it. */
interface Queue {
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  push(request: { entry: Entry; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer | null; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}

/** What a connection hands the queue with a request: its id and the callbacks of its promise. */
interface Entry {
  correlationId: number;
  resolve: () => void;
  reject: () => void;
}

const entry = (correlationId: number): Entry => ({ correlationId, resolve: () => undefined, reject: () => undefined });

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function queue(maxInFlightRequests: number | null = null): Queue {
  const Ctor = RequestQueue as unknown as new (options: Record<string, unknown>) => Queue;
  return new Ctor({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: quiet,
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('kafkajs RequestQueue with the idle fix', () => {
  it('schedules no timer once a response is in and nothing waits (kafkajs 2.2.4 spun one every millisecond)', () => {
    const q = queue();
    let sent = 0;
    q.push({ entry: entry(1), expectResponse: true, sendRequest: () => sent++ });
    expect(sent).toBe(1);
    q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.destroy();
  });

  it('still sends a request held back by throttling once the throttle ends', async () => {
    const q = queue();
    q.maybeThrottle(30);
    let sentAt = 0;
    const pushedAt = performance.now();
    q.push({ entry: entry(1), expectResponse: true, sendRequest: () => (sentAt = performance.now()) });
    expect(sentAt).toBe(0);
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await sleep(150);
    expect(sentAt).toBeGreaterThan(0);
    // Timers may fire up to a millisecond early (whole-millisecond clock).
    expect(sentAt - pushedAt).toBeGreaterThanOrEqual(28);
    q.destroy();
  });

  it('still sends a request held back by the in-flight limit when an earlier one is answered', async () => {
    const q = queue(1);
    const sent: number[] = [];
    q.push({ entry: entry(1), expectResponse: true, sendRequest: () => sent.push(1) });
    q.push({ entry: entry(2), expectResponse: true, sendRequest: () => sent.push(2) });
    expect(sent).toEqual([1]);
    expect(q.pending).toHaveLength(1);
    q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    expect(sent).toEqual([1, 2]);
    q.fulfillRequest({ correlationId: 2, payload: null, size: 0 });
    // The check scheduled while request 2 waited runs once more, finds nothing and stops there.
    await sleep(50);
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.destroy();
  });
});
