import { describe, expect, it } from 'vitest';
import type { OffsetCommit } from '../../../src/infra/kafka-client/index.js';
import { OffsetCommits } from '../../../src/pipelines/offset-commits.js';

/** Let every pending promise callback run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A batch write whose completion the test decides. */
function pendingWrite(): { promise: Promise<OffsetCommit[] | null>; done: (c: OffsetCommit[] | null) => void } {
  let done: (c: OffsetCommit[] | null) => void = () => undefined;
  const promise = new Promise<OffsetCommit[] | null>((r) => (done = r));
  return { promise, done };
}

const at = (partition: number, offset: number): OffsetCommit => ({ topic: 't', partition, offset });

/** What happened, in order: 'before' (the commit records flushed) and the offsets of each commit. */
function recorder(opts: { failCommit?: number } = {}) {
  const events: Array<string | OffsetCommit[]> = [];
  const times: number[] = [];
  let calls = 0;
  return {
    events,
    times,
    beforeCommit: async (): Promise<void> => {
      events.push('before');
    },
    commit: async (offsets: OffsetCommit[]): Promise<void> => {
      calls++;
      times.push(performance.now());
      events.push([...offsets].sort((a, b) => a.partition - b.partition));
      if (calls === opts.failCommit) throw new Error('rebalancing');
    },
  };
}

describe('OffsetCommits', () => {
  it("commits a batch's offsets only once its write has resolved, after the commit records", async () => {
    const r = recorder();
    const oc = new OffsetCommits(r.commit, r.beforeCommit, 50);
    const w = pendingWrite();
    oc.add(w.promise);
    expect(oc.size).toBe(1);
    await settle();
    expect(r.events).toEqual([]);
    w.done([at(0, 11)]);
    await settle();
    expect(oc.size).toBe(0);
    expect(r.events).toEqual(['before', [at(0, 11)]]);
  });

  it('follows the handover order, whatever order the writes resolve in, and commits the latest offset per partition', async () => {
    const r = recorder();
    const oc = new OffsetCommits(r.commit, r.beforeCommit, 0);
    const [a, b, c] = [pendingWrite(), pendingWrite(), pendingWrite()];
    oc.add(a.promise);
    oc.add(b.promise);
    oc.add(c.promise);
    c.done([at(0, 30)]);
    b.done([at(0, 20), at(1, 5)]);
    await settle();
    expect(r.events).toEqual([]); // a, handed over first, is not written yet
    a.done([at(0, 10)]);
    await oc.drain();
    // Each commit after its records; partition 0 committed in handover order (a's 10 first, c's
    // 30 last, b's 20 between unless it went together with c's), partition 1 once.
    const commits = r.events.filter((e): e is OffsetCommit[] => Array.isArray(e));
    expect(r.events).toEqual(commits.flatMap((c) => ['before', c]));
    const p0 = commits.flatMap((c) => c.filter((o) => o.partition === 0).map((o) => o.offset));
    expect([
      [10, 20, 30],
      [10, 30],
    ]).toContainEqual(p0);
    expect(commits.flat().filter((o) => o.partition === 1)).toEqual([at(1, 5)]);
  });

  it('commits at most once per interval: what is written meanwhile goes together into the next commit', async () => {
    const r = recorder();
    const oc = new OffsetCommits(r.commit, r.beforeCommit, 60);
    oc.add(Promise.resolve([at(0, 1)]));
    await settle();
    expect(r.times).toHaveLength(1);
    oc.add(Promise.resolve([at(0, 2)]));
    oc.add(Promise.resolve([at(1, 7)]));
    await settle();
    expect(r.times).toHaveLength(1);
    await sleep(90);
    expect(r.events).toEqual(['before', [at(0, 1)], 'before', [at(0, 2), at(1, 7)]]);
    // Timers may fire up to a millisecond early (whole-millisecond clock).
    expect(r.times[1]! - r.times[0]!).toBeGreaterThanOrEqual(58);
  });

  it('drain() waits for the writes and commits what is due at once, without waiting for the interval', async () => {
    const r = recorder();
    const oc = new OffsetCommits(r.commit, r.beforeCommit, 60_000);
    oc.add(Promise.resolve([at(0, 1)]));
    await settle();
    const w = pendingWrite();
    oc.add(w.promise);
    let drained = false;
    const draining = oc.drain().then(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    w.done([at(0, 2)]);
    await draining;
    expect(r.events).toEqual(['before', [at(0, 1)], 'before', [at(0, 2)]]);
  });

  it('a failed commit is logged, and the offsets written after it are committed by the next one', async () => {
    const r = recorder({ failCommit: 1 });
    const lines: string[] = [];
    const oc = new OffsetCommits(r.commit, r.beforeCommit, 0, (l) => lines.push(l));
    oc.add(Promise.resolve([at(0, 1)]));
    await settle();
    expect(lines).toEqual([expect.stringContaining('rebalancing')]);
    oc.add(Promise.resolve([at(0, 2)]));
    await oc.drain();
    expect(r.events.at(-1)).toEqual([at(0, 2)]);
  });

  it('offsets written outside the batches resolve once a commit has carried them', async () => {
    const r = recorder();
    const oc = new OffsetCommits(r.commit, r.beforeCommit, 40);
    oc.add(Promise.resolve([at(0, 1)]));
    await settle();
    let done = false;
    const soon = oc.commitSoon([at(2, 9)]).then(() => (done = true));
    await settle();
    expect(done).toBe(false); // the interval has not passed since the first commit
    await soon;
    expect(r.events.at(-1)).toEqual([at(2, 9)]);
    await expect(oc.commitSoon([])).resolves.toBeUndefined();
  });

  it('no offset is committed when the commit records could not be made durable', async () => {
    const committed: OffsetCommit[][] = [];
    const lines: string[] = [];
    const oc = new OffsetCommits(
      async (o) => void committed.push(o),
      () => Promise.reject(new Error('database gone')),
      0,
      (l) => lines.push(l),
    );
    oc.add(Promise.resolve([at(0, 1)]));
    await oc.drain();
    expect(committed).toEqual([]);
    expect(lines).toEqual([expect.stringContaining('database gone')]);
  });
});
