import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../src/pipelines/group-commit.js';

/** A write whose completion the test decides: each call is recorded with its items and its fate. */
function controlledWrite<T>() {
  const calls: Array<{ items: T[]; succeed: () => void; fail: (err: Error) => void }> = [];
  const write = (items: T[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      calls.push({ items: [...items], succeed: resolve, fail: reject });
    });
  return { calls, write };
}

/** Let every pending promise callback run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Track a promise's outcome without awaiting it. */
function track(p: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error?: Error } {
  const t: { state: 'pending' | 'resolved' | 'rejected'; error?: Error } = { state: 'pending' };
  p.then(
    () => {
      t.state = 'resolved';
    },
    (err: Error) => {
      t.state = 'rejected';
      t.error = err;
    },
  );
  return t;
}

describe('GroupCommit', () => {
  it('starts a write on the next turn of the event loop, with everything submitted in this one', async () => {
    const w = controlledWrite<string>();
    const gc = new GroupCommit(w.write);
    const a = track(gc.submit('a'));
    const b = track(gc.submit('b'));
    // No write yet: what the same fetch hands over later in this turn joins it.
    expect(w.calls).toHaveLength(0);
    await settle();
    expect(w.calls.map((c) => c.items)).toEqual([['a', 'b']]);
    w.calls[0]!.succeed();
    await settle();
    expect([a.state, b.state]).toEqual(['resolved', 'resolved']);
  });

  it('items submitted during a write go together into the next write, in submission order', async () => {
    const w = controlledWrite<string>();
    const gc = new GroupCommit(w.write);
    // Not awaited yet: b and c must be submitted while a's write is pending. Awaited at the end.
    const submitted = [gc.submit('a')];
    await settle();
    submitted.push(gc.submit('b'), gc.submit('c'));
    await settle();
    expect(w.calls.map((c) => c.items)).toEqual([['a']]);
    w.calls[0]!.succeed();
    await settle();
    expect(w.calls.map((c) => c.items)).toEqual([['a'], ['b', 'c']]);
    submitted.push(gc.submit('d'));
    w.calls[1]!.succeed();
    await settle();
    expect(w.calls.map((c) => c.items)).toEqual([['a'], ['b', 'c'], ['d']]);
    w.calls[2]!.succeed();
    await gc.idle();
    expect(w.calls).toHaveLength(3);
    await Promise.all(submitted);
  });

  it('each submitter resolves only after its own write, not after an earlier one', async () => {
    const w = controlledWrite<string>();
    const gc = new GroupCommit(w.write);
    const a = track(gc.submit('a'));
    await settle();
    const b = track(gc.submit('b'));
    const c = track(gc.submit('c'));
    await settle();
    expect([a.state, b.state, c.state]).toEqual(['pending', 'pending', 'pending']);
    w.calls[0]!.succeed();
    await settle();
    // a's write committed; b and c are in the second write, still in flight.
    expect([a.state, b.state, c.state]).toEqual(['resolved', 'pending', 'pending']);
    w.calls[1]!.succeed();
    await settle();
    expect([a.state, b.state, c.state]).toEqual(['resolved', 'resolved', 'resolved']);
  });

  it('a failed write rejects exactly its own submitters with its error, and the next write still happens', async () => {
    const w = controlledWrite<string>();
    const gc = new GroupCommit(w.write);
    const a = track(gc.submit('a'));
    await settle();
    const b = track(gc.submit('b'));
    const c = track(gc.submit('c'));
    w.calls[0]!.succeed();
    await settle();
    const d = track(gc.submit('d'));
    const boom = new Error('deadlock');
    w.calls[1]!.fail(boom);
    await settle();
    expect(b.state).toBe('rejected');
    expect(c.state).toBe('rejected');
    expect(b.error).toBe(boom);
    expect(c.error).toBe(boom);
    expect(a.state).toBe('resolved');
    // d was submitted during the failed write: it goes into the next one, which still runs.
    expect(d.state).toBe('pending');
    expect(w.calls.map((x) => x.items)).toEqual([['a'], ['b', 'c'], ['d']]);
    w.calls[2]!.succeed();
    await settle();
    expect(d.state).toBe('resolved');
  });

  it('after a failure with nothing pending, the next submission starts a new write', async () => {
    const w = controlledWrite<string>();
    const gc = new GroupCommit(w.write);
    const a = track(gc.submit('a'));
    await settle();
    w.calls[0]!.fail(new Error('lost'));
    await gc.idle();
    expect(a.state).toBe('rejected');
    const b = track(gc.submit('b'));
    await settle();
    expect(w.calls.map((x) => x.items)).toEqual([['a'], ['b']]);
    w.calls[1]!.succeed();
    await settle();
    expect(b.state).toBe('resolved');
  });

  it('idle() resolves at once when nothing was submitted', async () => {
    const gc = new GroupCommit<number>(async () => {});
    await expect(gc.idle()).resolves.toBeUndefined();
  });

  it('idle() waits for the write in flight and for every write queued behind it, failed ones included', async () => {
    const w = controlledWrite<string>();
    const gc = new GroupCommit(w.write);
    gc.submit('a').catch(() => {});
    await settle();
    gc.submit('b').catch(() => {});
    let idle = false;
    void gc.idle().then(() => {
      idle = true;
    });
    await settle();
    expect(idle).toBe(false);
    w.calls[0]!.fail(new Error('x'));
    await settle();
    expect(idle).toBe(false); // 'b' is being written
    w.calls[1]!.succeed();
    await settle();
    expect(idle).toBe(true);
  });
});

describe('GroupCommit with a write that throws instead of rejecting', () => {
  it('rejects that submitter and still writes the next submission', async () => {
    let calls = 0;
    const written: number[][] = [];
    const gc = new GroupCommit<number>((items) => {
      calls++;
      if (calls === 1) throw new Error('thrown at once');
      written.push(items);
      return Promise.resolve();
    });
    await expect(gc.submit(1)).rejects.toThrow('thrown at once');
    await gc.submit(2);
    expect(written).toEqual([[2]]);
  });
});
