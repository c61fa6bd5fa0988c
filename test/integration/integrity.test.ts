/**
 * Integrity on the real broker and database: a later copy of a stored reading with other
 * content is caught whether it arrives alone (a single-row INSERT, for which MariaDB sends no
 * "Duplicates: N" text) or beside its first copy, by ingest and by the stream alike; a reading
 * without a run id is foreign where the run requires one; and no statement the writers send can
 * exceed the server's max_allowed_packet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reading } from '../../src/domain/reading.js';
import { consumerLag } from '../../src/infra/kafka.js';
import { bulkInsert, inTransaction, type Pool } from '../../src/infra/mysql.js';
import { withRetry } from '../../src/infra/retry.js';
import { chunkRows, readMaxAllowedPacket, statementBudget } from '../../src/infra/statement-size.js';
import { isDataError, writeIsolating } from '../../src/pipelines/isolate.js';
import { REJECT_COLUMNS, rejectedRow, REJECTED_PAYLOAD_MAX_BYTES } from '../../src/pipelines/rows.js';
import type { StreamPipeline } from '../../src/pipelines/stream.js';
import { countVitals, isolation, normalReading, openPool, readAlertKeys, waitUntil } from './helpers.js';
import { InProcessPipelines } from './in-process.js';

interface RejectedRow {
  kafka_offset: number;
  role: string;
  reason: string;
}

describe('conflicting copies in single-row and multi-row writes, readings without a run id', () => {
  const env = new InProcessPipelines({ label: 'integ', sources: 1, partitions: 1, requireRunId: true });
  const { runId, topics, kafka, admin } = env;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const fatal = env.fatal;
  let pool: Pool;
  let ingest: InProcessPipelines['ingest'] | undefined;
  let stream: StreamPipeline | undefined;
  const now = Date.now();
  const reading = (patient: number, seq: number, hr: number, run: string | null = runId): Reading =>
    normalReading(now, patient, seq, hr, run ?? undefined);
  /** Offsets of the messages sent, by name. */
  const at: Record<string, number> = {};

  /** One message per produce request, on partition 0; waits until both roles have taken it. */
  const sendAlone = async (name: string, value: Reading | Reading[]): Promise<void> => {
    const values = Array.isArray(value) ? value : [value];
    const [meta] = await producer.send({
      topic: topics[0]!,
      acks: -1,
      messages: values.map((v) => ({ partition: 0, value: JSON.stringify(v) })),
    });
    const first = Number(meta!.baseOffset);
    values.forEach((_, i) => (at[values.length > 1 ? `${name}#${i}` : name] = first + i));
    const end = first + values.length;
    await waitUntil(
      `ingest and stream to take ${name}`,
      async () =>
        (await committedOffset(env.ingestGroup)) >= end && (stream!.stats.positions[`${topics[0]}:0`] ?? 0) >= end,
      20_000,
    );
  };
  const committedOffset = async (groupId: string): Promise<number> => {
    const [t] = await admin.fetchOffsets({ groupId, topics });
    return Number(t!.partitions.find((p) => p.partition === 0)!.offset);
  };
  const readRejected = async (): Promise<RejectedRow[]> => {
    const [rows] = await pool.query('SELECT kafka_offset, role, reason FROM rejected_readings WHERE run_id = ?', [
      runId,
    ]);
    return (rows as RejectedRow[]).map((r) => ({ ...r, kafka_offset: Number(r.kafka_offset) }));
  };

  beforeAll(async () => {
    await env.start();
    ({ pool, ingest, stream } = env);
    await producer.connect();
    // Each alone, in its own statement: the first copy, a conflicting copy (140 bpm would fire
    // hr_over_85), an identical copy.
    await sendAlone('first', reading(5001, 1, 75));
    await sendAlone('conflicting alone', reading(5001, 1, 140));
    await sendAlone('identical alone', reading(5001, 1, 75));
    // Beside each other in one statement.
    await sendAlone('pair', [reading(5002, 1, 76), reading(5002, 1, 141), reading(5002, 1, 76)]);
    // No run id, and another run's id.
    await sendAlone('no run id', reading(5003, 1, 77, null));
    await sendAlone('other run', reading(5004, 1, 77, 'another-run'));
    // Every write done: both groups commit to the log end (the stream once idle time closed its windows).
    await waitUntil(
      'both groups at the log end',
      async () =>
        (await consumerLag(admin, env.ingestGroup, topics)) === 0 &&
        (await consumerLag(admin, env.streamGroup, topics)) === 0,
      30_000,
    );
  }, 180_000);

  afterAll(async () => {
    await producer.disconnect();
    await env.tearDown();
  });

  it('no role stopped', () => {
    expect(fatal).toEqual([]);
  });

  it('ingest keeps the first copy and rejects a conflicting copy sent alone, as one sent beside it', async () => {
    const [rows] = await pool.query(
      'SELECT patient_id, heart_rate, kafka_offset, copies FROM patient_vitals WHERE run_id = ? ORDER BY patient_id',
      [runId],
    );
    expect(
      (rows as Array<Record<string, unknown>>).map((r) => ({ ...r, kafka_offset: Number(r.kafka_offset) })),
    ).toEqual([
      { patient_id: 5001, heart_rate: 75, kafka_offset: at.first, copies: 3 },
      { patient_id: 5002, heart_rate: 76, kafka_offset: at['pair#0'], copies: 3 },
    ]);
    const ingestRejected = (await readRejected()).filter((r) => r.role === 'ingest');
    expect(ingestRejected.map((r) => r.kafka_offset).sort((a, b) => a - b)).toEqual([
      at['conflicting alone'],
      at['pair#1'],
      at['no run id'],
      at['other run'],
    ]);
    const reasonAt = (offset: number | undefined): string =>
      ingestRejected.find((r) => r.kafka_offset === offset)!.reason;
    expect(reasonAt(at['conflicting alone'])).toBe(
      `duplicate with different content: (patient_id 5001, seq 1) first stored from ${topics[0]}:0@${at.first}`,
    );
    expect(reasonAt(at['pair#1'])).toBe(
      `duplicate with different content: (patient_id 5002, seq 1) first stored from ${topics[0]}:0@${at['pair#0']}`,
    );
    // Identical copies count as stored (their row is there); conflicting ones as rejected.
    expect(ingest!.stats).toMatchObject({ stored: 4, conflicts: 2, rejected: 4, refused: 0 });
  });

  it('the stream processes the first copy only and rejects the conflicting ones, counted', async () => {
    const streamRejected = (await readRejected()).filter((r) => r.role === 'stream');
    const conflicts = streamRejected.filter((r) => r.reason.startsWith('duplicate with different content'));
    expect(conflicts.map((r) => r.kafka_offset).sort((a, b) => a - b)).toEqual([at['conflicting alone'], at['pair#1']]);
    expect(stream!.stats).toMatchObject({ processed: 2, conflicts: 2, duplicatesSkipped: 4, rejected: 4 });
    // Neither 140 bpm copy raised an alert.
    expect((await readAlertKeys(pool, runId, 'stream')).filter((k) => k.startsWith('hr_over_85|'))).toEqual([]);
  });

  it('a reading without a run id is foreign in both roles, as one of another run', async () => {
    const rejected = await readRejected();
    for (const role of ['ingest', 'stream']) {
      const mine = rejected.filter((r) => r.role === role);
      expect(mine.find((r) => r.kafka_offset === at['no run id'])!.reason).toBe(
        `foreign run: no run_id (this run is ${runId})`,
      );
      expect(mine.find((r) => r.kafka_offset === at['other run'])!.reason).toBe(
        `foreign run "another-run" (this run is ${runId})`,
      );
    }
    expect(await countVitals(pool, runId)).toBe(2);
  });
});

describe("no statement exceeds the server's max_allowed_packet (real MariaDB)", () => {
  const { runId } = isolation('packet');
  const insert = `INSERT INTO rejected_readings ${REJECT_COLUMNS} VALUES ?`;
  let pool: Pool;
  let maxAllowedPacket: number;
  beforeAll(async () => {
    pool = await openPool();
    maxAllowedPacket = await readMaxAllowedPacket(pool);
  });
  afterAll(async () => {
    await pool.query('DELETE FROM rejected_readings WHERE run_id = ?', [runId]);
    await pool.end();
  });

  it('rows of whole 1 MB payloads in one statement: refused with errno 1153, a data refusal that isolation splits', async () => {
    // As the writers did before payloads were truncated: each 1 MB value written as 2 MB of hex.
    const rows = Array.from({ length: Math.ceil(maxAllowedPacket / 1_000_000) }, (_, i) => [
      runId,
      't',
      0,
      i,
      'ingest',
      'invalid JSON: x',
      Buffer.alloc(1_000_000, 0x7b),
      1_000_000,
      null,
    ]);
    const write = (part: unknown[][]): Promise<void> =>
      // The server closes the connection after refusing the packet: the writers' retry policy takes a new one.
      withRetry('test write', () =>
        inTransaction(pool, async (conn) => {
          await conn.query(`${insert} ON DUPLICATE KEY UPDATE reason = reason`, [part]);
        }),
      );
    const err = await write(rows).catch((e: Error) => e);
    expect((err as { errno?: number }).errno).toBe(1153);
    expect(isDataError(err)).toBe(true);
    expect(await writeIsolating(rows, write)).toEqual([]);
    await pool.query('DELETE FROM rejected_readings WHERE run_id = ?', [runId]);
  });

  it('truncated rows beyond max_allowed_packet together: bulkInsert cuts them by bytes, one transaction', async () => {
    const payload = Buffer.alloc(5000, 0x7b);
    const count = Math.ceil((1.5 * maxAllowedPacket) / (2 * REJECTED_PAYLOAD_MAX_BYTES));
    const rows = Array.from({ length: count }, (_, i) =>
      rejectedRow(runId, { topic: 't', partition: 0, offset: i, payload }, 'ingest', 'invalid JSON: x'),
    );
    // No row limit: only the byte budget splits them.
    const budget = statementBudget(maxAllowedPacket);
    expect(chunkRows(rows, Number.MAX_SAFE_INTEGER, budget).length).toBeGreaterThan(1);
    const written = await inTransaction(pool, (conn) =>
      bulkInsert(conn, `INSERT INTO rejected_readings ${REJECT_COLUMNS}`, rows, '', Number.MAX_SAFE_INTEGER, budget),
    );
    expect(written).toBe(rows.length);
    const [stored] = await pool.query(
      'SELECT COUNT(*) AS n, MAX(LENGTH(payload)) AS kept, MIN(payload_bytes) AS size FROM rejected_readings WHERE run_id = ?',
      [runId],
    );
    expect(stored).toEqual([{ n: count, kept: REJECTED_PAYLOAD_MAX_BYTES, size: 5000 }]);
  });
});
