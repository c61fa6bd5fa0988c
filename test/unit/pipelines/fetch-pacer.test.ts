import { describe, expect, it } from 'vitest';
import { FetchPacer } from '../../../src/pipelines/fetch-pacer.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether the promise has resolved by the time the microtasks queued now have run. */
async function resolvedAtOnce(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

describe('FetchPacer', () => {
  it('lets the first fetch go at once: no timer at a low rate', async () => {
    const pacer = new FetchPacer(50);
    expect(await resolvedAtOnce(pacer.nextFetch())).toBe(true);
  });

  it('a fetch whose data came after the interval had passed is not held back', async () => {
    const pacer = new FetchPacer(20);
    await pacer.nextFetch();
    await sleep(40);
    expect(await resolvedAtOnce(pacer.nextFetch())).toBe(true);
  });

  it('holds the next fetch until the interval since the last one has passed, while data keeps coming', async () => {
    const pacer = new FetchPacer(50);
    await pacer.nextFetch();
    const released = performance.now();
    await nextTurn();
    await sleep(5);
    const next = pacer.nextFetch();
    expect(await resolvedAtOnce(next)).toBe(false);
    await next;
    // Timers may fire up to a millisecond early (whole-millisecond clock).
    expect(performance.now() - released).toBeGreaterThanOrEqual(48);
  });

  it('the batches of one fetch (one turn of the event loop) wait for the same moment', async () => {
    const pacer = new FetchPacer(40);
    await pacer.nextFetch();
    await nextTurn();
    const first = pacer.nextFetch();
    const second = pacer.nextFetch();
    expect(second).toBe(first);
    await first;
    await nextTurn();
    // The next turn's batches belong to the next fetch: they wait a whole interval again.
    const third = pacer.nextFetch();
    expect(third).not.toBe(first);
    expect(await resolvedAtOnce(third)).toBe(false);
    await third;
  });

  it('an interval of 0 never waits', async () => {
    const pacer = new FetchPacer(0);
    for (let i = 0; i < 3; i++) {
      expect(await resolvedAtOnce(pacer.nextFetch())).toBe(true);
      await nextTurn();
    }
  });
});
