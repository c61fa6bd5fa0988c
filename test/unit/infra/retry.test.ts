import { describe, expect, it } from 'vitest';
import { describeError, isRetriable, RETRIABLE_MARK, withRetry } from '../../../src/infra/retry.js';
import { isDataError, writeIsolating, writeRejectedIsolating } from '../../../src/pipelines/isolate.js';

const mysqlError = (code: string, errno: number): Error => Object.assign(new Error(code), { code, errno });

describe('isRetriable: what a restart or contention explains', () => {
  it('retries connection loss, a server going away, deadlocks, lock waits and read-only restarts', () => {
    for (const e of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('Connection lost: The server closed the connection.'), {
        code: 'PROTOCOL_CONNECTION_LOST',
        fatal: true,
      }),
      mysqlError('ER_LOCK_DEADLOCK', 1213),
      mysqlError('ER_LOCK_WAIT_TIMEOUT', 1205),
      mysqlError('ER_SERVER_SHUTDOWN', 1053),
      mysqlError('ER_OPTION_PREVENTS_STATEMENT', 1290),
      Object.assign(new Error('gone'), { errno: 2006 }),
      new Error("Can't add new command when connection is in closed state"),
      Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), {
        name: 'KafkaJSConnectionError',
      }),
      Object.assign(new Error('retries'), { name: 'KafkaJSNumberOfRetriesExceeded' }),
      Object.assign(new Error('wrapped'), {
        name: 'KafkaJSNonRetriableError',
        originalError: Object.assign(new Error('x'), { code: 'ECONNRESET' }),
      }),
      new Error(`${RETRIABLE_MARK}ECONNREFUSED from a worker thread`),
    ])
      expect(isRetriable(e), e.message).toBe(true);
  });

  it('fails at once on data and programming errors', () => {
    for (const e of [
      mysqlError('ER_WARN_DATA_OUT_OF_RANGE', 1264),
      mysqlError('ER_PARSE_ERROR', 1064),
      mysqlError('ER_DUP_ENTRY', 1062),
      mysqlError('ER_DATA_TOO_LONG', 1406),
      new TypeError('Cannot read properties of undefined'),
      new Error('Pool is closed.'),
      Object.assign(new Error('The coordinator is not aware of this member'), {
        name: 'KafkaJSProtocolError',
        retriable: false,
      }),
      null,
      'a string',
    ])
      expect(isRetriable(e), String(e)).toBe(false);
  });
});

describe('withRetry with an injected clock', () => {
  const fakeClock = () => {
    let t = 0;
    const sleeps: number[] = [];
    return {
      sleeps,
      now: () => t,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        t += ms;
      },
    };
  };

  it('retries a retriable error with growing, jittered waits and returns the eventual result', async () => {
    const c = fakeClock();
    let calls = 0;
    const result = await withRetry(
      'op',
      async () => {
        calls++;
        if (calls < 4) throw mysqlError('ER_LOCK_DEADLOCK', 1213);
        return 'done';
      },
      { now: c.now, sleep: c.sleep, random: () => 1, initialDelayMs: 100, maxDelayMs: 1000 },
    );
    expect(result).toBe('done');
    expect(calls).toBe(4);
    // random() = 1 takes the full cap: 100, 200, 400.
    expect(c.sleeps).toEqual([100, 200, 400]);
  });

  it('jitter draws each wait from the upper half of its cap, and the cap stops growing at maxDelayMs', async () => {
    const c = fakeClock();
    let calls = 0;
    await withRetry(
      'op',
      async () => {
        if (++calls < 7) throw mysqlError('ER_LOCK_DEADLOCK', 1213);
      },
      { now: c.now, sleep: c.sleep, random: () => 0, initialDelayMs: 100, maxDelayMs: 1000 },
    );
    expect(c.sleeps).toEqual([50, 100, 200, 400, 500, 500]);
  });

  it('gives up when the budget is spent, naming the operation, the time and the last error', async () => {
    const c = fakeClock();
    const err = await withRetry(
      'ingest write',
      async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      { now: c.now, sleep: c.sleep, random: () => 1, initialDelayMs: 1000, maxDelayMs: 5000, budgetMs: 20_000 },
    ).catch((e: Error) => e);
    expect(err.message).toBe('ingest write: still failing after 20 s of retries: connect ECONNREFUSED');
    expect(c.sleeps.reduce((a, b) => a + b, 0)).toBe(20_000);
  });

  it('does not retry a data error: it propagates on the first failure', async () => {
    const c = fakeClock();
    let calls = 0;
    const err = await withRetry(
      'op',
      async () => {
        calls++;
        throw mysqlError('ER_WARN_DATA_OUT_OF_RANGE', 1264);
      },
      { now: c.now, sleep: c.sleep },
    ).catch((e: Error) => e);
    expect(calls).toBe(1);
    expect(c.sleeps).toEqual([]);
    expect(isDataError(err)).toBe(true);
  });
});

describe('isRetriable: the rules at the edges', () => {
  it('a fatal connection error is retried only when its code is not a server error (ER_*)', () => {
    expect(isRetriable(Object.assign(new Error('x'), { code: 'SOME_CLIENT_CODE', fatal: true }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('x'), { code: 'ER_ACCESS_DENIED_ERROR', fatal: true }))).toBe(false);
    expect(isRetriable(Object.assign(new Error('x'), { code: 'SOME_CLIENT_CODE' }))).toBe(false);
  });

  it('a server error number alone (no symbolic code) is enough', () => {
    for (const errno of [1213, 1205, 1053, 1040, 1290, 1927, 1317, 1792, 1836, 2006, 2013, 4031]) {
      expect(isRetriable(Object.assign(new Error('x'), { errno })), String(errno)).toBe(true);
    }
    expect(isRetriable(Object.assign(new Error('x'), { errno: 1062 }))).toBe(false);
  });

  it("a kafkajs error is retried when it says it is retriable, another library's retriable flag is not trusted", () => {
    expect(isRetriable(Object.assign(new Error('x'), { name: 'KafkaJSProtocolError', retriable: true }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('x'), { name: 'OtherError', retriable: true }))).toBe(false);
  });

  it('a @platformatic/kafka network error or retriable protocol error is retried; a MultipleErrors when all its parts are', () => {
    const network = Object.assign(new Error('Connection closed'), { code: 'PLT_KFK_NETWORK', canRetry: true });
    const notLeader = Object.assign(new Error('not leader'), { code: 'PLT_KFK_PROTOCOL', canRetry: true });
    const invalid = Object.assign(new Error('invalid record'), { code: 'PLT_KFK_PROTOCOL', canRetry: false });
    const multiple = (errors: Error[]) =>
      Object.assign(new AggregateError(errors, 'Producing messages failed.'), { code: 'PLT_KFK_MULTIPLE' });
    expect([network, notLeader, invalid].map((e) => isRetriable(e))).toEqual([true, true, false]);
    expect(isRetriable(multiple([network, notLeader]))).toBe(true);
    expect(isRetriable(multiple([network, invalid]))).toBe(false);
    expect(isRetriable(Object.assign(new Error('x'), { code: 'OTHER', canRetry: true }))).toBe(false);
  });

  it('follows cause and originalError down to four levels of wrapping, not beyond', () => {
    const wrap = (inner: unknown, levels: number): unknown => {
      let e = inner;
      for (let i = 0; i < levels; i++) e = new Error(`wrapper ${i}`, { cause: e });
      return e;
    };
    const root = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    expect(isRetriable(wrap(root, 4))).toBe(true);
    expect(isRetriable(wrap(root, 5))).toBe(false);
  });
});

describe('describeError', () => {
  it('prefixes the code unless the message already names it; a non-Error is rendered as a string', () => {
    expect(describeError(Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' }))).toBe(
      'ECONNREFUSED: connect failed',
    );
    expect(describeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1'), { code: 'ECONNREFUSED' }))).toBe(
      'connect ECONNREFUSED 127.0.0.1',
    );
    expect(describeError(new Error('plain'))).toBe('plain');
    expect(describeError('text')).toBe('text');
    expect(describeError(42)).toBe('42');
  });
});

describe('withRetry: backoff bounds and budget, with an injected clock and sleep', () => {
  const fakeClock = () => {
    let t = 0;
    const sleeps: number[] = [];
    return {
      sleeps,
      now: () => t,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        t += ms;
      },
    };
  };
  const deadlock = () => mysqlError('ER_LOCK_DEADLOCK', 1213);

  it('returns the first result without waiting when nothing fails', async () => {
    const c = fakeClock();
    expect(await withRetry('op', async () => 7, { now: c.now, sleep: c.sleep })).toBe(7);
    expect(c.sleeps).toEqual([]);
  });

  it('each wait is cap/2 + random * cap/2, rounded: random 0.5 gives three quarters of the cap', async () => {
    const c = fakeClock();
    let calls = 0;
    await withRetry(
      'op',
      async () => {
        if (++calls < 7) throw deadlock();
      },
      { now: c.now, sleep: c.sleep, random: () => 0.5, initialDelayMs: 100, maxDelayMs: 1000 },
    );
    // caps 100, 200, 400, 800, 1000, 1000 -> 75, 150, 300, 600, 750, 750.
    expect(c.sleeps).toEqual([75, 150, 300, 600, 750, 750]);
  });

  it('uses 200 ms doubling up to 5 s by default', async () => {
    const c = fakeClock();
    let calls = 0;
    await withRetry(
      'op',
      async () => {
        if (++calls < 8) throw deadlock();
      },
      { now: c.now, sleep: c.sleep, random: () => 1 },
    );
    expect(c.sleeps).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('the last wait is cut to what remains of the budget, then the next failure gives up', async () => {
    const c = fakeClock();
    let calls = 0;
    const err = await withRetry(
      'op',
      async () => {
        calls++;
        throw deadlock();
      },
      { now: c.now, sleep: c.sleep, random: () => 1, initialDelayMs: 400, maxDelayMs: 5000, budgetMs: 1000 },
    ).catch((e: Error) => e);
    // t=0 fails: wait 400; t=400 fails: cap 800, 600 left: wait 600; t=1000 fails: budget spent.
    expect(c.sleeps).toEqual([400, 600]);
    expect(calls).toBe(3);
    expect(err.message).toBe('op: still failing after 1 s of retries: ER_LOCK_DEADLOCK');
  });

  it('the give-up error carries the last failure as its cause; a zero budget gives up on the first failure', async () => {
    const c = fakeClock();
    const last = deadlock();
    const err = await withRetry(
      'op',
      async () => {
        throw last;
      },
      { now: c.now, sleep: c.sleep, budgetMs: 0 },
    ).catch((e: Error) => e);
    expect(err.message).toBe('op: still failing after 0 s of retries: ER_LOCK_DEADLOCK');
    expect(err.cause).toBe(last);
    expect(c.sleeps).toEqual([]);
  });

  it('a data error after retriable ones propagates unwrapped, at once', async () => {
    const c = fakeClock();
    let calls = 0;
    const dataError = mysqlError('ER_DUP_ENTRY', 1062);
    const err = await withRetry(
      'op',
      async () => {
        if (++calls < 3) throw deadlock();
        throw dataError;
      },
      { now: c.now, sleep: c.sleep, random: () => 1, initialDelayMs: 10 },
    ).catch((e: Error) => e);
    expect(err).toBe(dataError);
    expect(calls).toBe(3);
    expect(c.sleeps).toEqual([10, 20]);
  });

  it('the retriable option replaces isRetriable: both ways', async () => {
    const c = fakeClock();
    let calls = 0;
    const result = await withRetry(
      'op',
      async () => {
        if (++calls < 2) throw new TypeError('not retriable by default');
        return 'ok';
      },
      { now: c.now, sleep: c.sleep, random: () => 1, initialDelayMs: 10, retriable: () => true },
    );
    expect(result).toBe('ok');
    expect(c.sleeps).toEqual([10]);
    const refused = await withRetry(
      'op',
      async () => {
        throw deadlock();
      },
      { now: c.now, sleep: c.sleep, retriable: () => false },
    ).catch((e: Error) => e);
    expect(refused.message).toBe('ER_LOCK_DEADLOCK');
  });

  it('logs each retry with the operation, the error, the retry number and the wait', async () => {
    const c = fakeClock();
    const lines: string[] = [];
    let calls = 0;
    await withRetry(
      'batch write',
      async () => {
        if (++calls < 3) throw Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' });
      },
      { now: c.now, sleep: c.sleep, random: () => 1, initialDelayMs: 100, log: (l) => lines.push(l) },
    );
    expect(lines).toEqual([
      'batch write failed (ECONNREFUSED: connect failed); retry 1 in 100 ms',
      'batch write failed (ECONNREFUSED: connect failed); retry 2 in 200 ms',
    ]);
  });
});

describe('writeIsolating: bisects a refused batch down to the refused items', () => {
  const refusing = (poison: Set<number>) => {
    const written: number[] = [];
    const attempts: number[][] = [];
    const write = async (items: number[]): Promise<void> => {
      attempts.push(items);
      const bad = items.find((i) => poison.has(i));
      if (bad !== undefined)
        throw Object.assign(new Error(`Out of range value for column 'patient_id' at row ${items.indexOf(bad) + 1}`), {
          errno: 1264,
        });
      written.push(...items);
    };
    return { written, attempts, write };
  };

  it('writes everything in one attempt when nothing is refused', async () => {
    const w = refusing(new Set());
    expect(await writeIsolating([1, 2, 3], w.write)).toEqual([]);
    expect(w.attempts).toEqual([[1, 2, 3]]);
  });

  it('returns each refused item with the database message and writes all others, in order', async () => {
    const items = Array.from({ length: 16 }, (_, i) => i);
    const w = refusing(new Set([3, 11, 12]));
    const refused = await writeIsolating(items, w.write);
    expect(refused.map((r) => r.item)).toEqual([3, 11, 12]);
    expect(refused[0]!.message).toMatch(/^Out of range value for column 'patient_id'/);
    expect(w.written).toEqual(items.filter((i) => ![3, 11, 12].includes(i)));
    // Bisection, not one write per item: far fewer attempts than items times log2.
    expect(w.attempts.length).toBeLessThan(20);
  });

  it('propagates an error that is not a data error (the retry policy owns those)', async () => {
    const err = await writeIsolating([1, 2], async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    }).catch((e: Error) => e);
    expect((err as Error).message).toBe('connect ECONNREFUSED');
  });
});

describe('a statement refused for its size is a data refusal, isolated like any other', () => {
  it("errno 1153 (a packet larger than max_allowed_packet) is neither retried nor fatal: it is the data's", () => {
    const err = Object.assign(new Error("Got a packet bigger than 'max_allowed_packet' bytes"), {
      code: 'ER_NET_PACKET_TOO_LARGE',
      errno: 1153,
      sqlState: '08S01',
    });
    expect(isDataError(err)).toBe(true);
    expect(isRetriable(err)).toBe(false);
    for (const errno of [1118, 1162, 1301]) expect(isDataError({ errno }), String(errno)).toBe(true);
  });

  it('writeRejectedIsolating writes a refused rejected_readings row again without its payload', async () => {
    const written: unknown[][] = [];
    const write = async (rows: unknown[][]): Promise<void> => {
      if (rows.some((r) => Buffer.isBuffer(r[6]) && r[6].length > 3))
        throw Object.assign(new Error("Data too long for column 'payload' at row 1"), { errno: 1406 });
      written.push(...rows);
    };
    const row = (offset: number, payload: Buffer): unknown[] => [
      'run',
      'topic',
      0,
      offset,
      'ingest',
      'invalid JSON: x',
      payload,
      payload.length,
      'ab'.repeat(32),
    ];
    const refused = await writeRejectedIsolating([row(1, Buffer.from('ok')), row(2, Buffer.from('too long'))], write);
    expect(refused.map((r) => r.item[3])).toEqual([2]);
    expect(written).toEqual([
      row(1, Buffer.from('ok')),
      [
        'run',
        'topic',
        0,
        2,
        'ingest',
        "database refused its rejected_readings row: Data too long for column 'payload' at row 1",
        null,
        8,
        'ab'.repeat(32),
      ],
    ]);
  });
});
