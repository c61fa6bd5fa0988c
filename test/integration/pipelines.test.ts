import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOpenLoopProducer, type ProducerResult } from '../../src/generators/producer.js';
import { OpenLoopSchedule } from '../../src/generators/schedule.js';
import { datasetSource } from '../../src/generators/sources.js';
import { queryRows, type Pool } from '../../src/infra/mysql.js';
import { BatchPipeline, type PassResult } from '../../src/pipelines/batch/batch.js';
import type { StreamPipeline } from '../../src/pipelines/stream.js';
import {
  alertDifferences,
  config,
  countVitals,
  countWindows,
  KAFKA_CLIENTS,
  readAlertKeys,
  readVitals,
  readWindows,
  reference,
  sleep,
  TEST_RULES,
  waitUntil,
  windowDifferences,
  windowShape,
  type AlertKey,
  type StoredWindow,
} from './helpers.js';
import { InProcessPipelines } from './in-process.js';

const LATENESS_MS = 500;
const IDLE_MS = 500;

// Ingest, stream and batch in-process over the real broker and database: the same generated
// readings must give the same alerts and windows in both modes, equal to the reference. With
// each Kafka client, for the producer, ingest and stream alike.
describe.each(KAFKA_CLIENTS)('stream and batch pipelines agree over real Kafka and MariaDB (%s)', (clientName) => {
  const params = { seed: 777, patients: 30, sources: 3 };
  const total = 6000;
  const rate = 1500;
  const env = new InProcessPipelines({
    label: 'pipe',
    sources: params.sources,
    partitions: 3,
    clientName,
    latenessMs: LATENESS_MS,
    idleMs: IDLE_MS,
  });
  const { runId } = env;
  const client = env.client!;
  const fatalErrors = env.fatal;
  let pool: Pool;
  let ingest: InProcessPipelines['ingest'] | undefined;
  let stream: StreamPipeline | undefined;
  let produced: ProducerResult;
  let incrementalPasses: Array<PassResult | null> = [];
  let ref: ReturnType<typeof reference>;
  let streamAlerts: AlertKey[];
  let streamWindows: StoredWindow[];
  let incrementalAlerts: AlertKey[];
  let incrementalWindows: StoredWindow[];

  const batchOf = (): BatchPipeline =>
    new BatchPipeline({
      pool,
      mysqlUrl: config.mysqlUrl,
      runId,
      ruleSet: TEST_RULES,
      allowedLatenessMs: LATENESS_MS,
      threads: 2,
    });

  beforeAll(async () => {
    await env.start();
    ({ pool, ingest, stream } = env);

    // Batch passes every ~700 ms while the readings arrive (the CLI's --every), then a final one.
    const incremental = batchOf();
    let producing = true;
    const passes = (async () => {
      while (producing) {
        incrementalPasses.push(await incremental.runPass(false));
        await sleep(700);
      }
    })();
    try {
      produced = await runOpenLoopProducer({
        client,
        source: datasetSource(params, total),
        schedule: new OpenLoopSchedule({ start: Date.now() + 100, rate, total }),
        topicPrefix: env.prefix,
      });
    } finally {
      producing = false;
      await passes;
    }
    await waitUntil(
      'ingest to store every reading',
      async () => (await countVitals(pool, runId)) >= total,
      30_000,
      async () => `stored ${await countVitals(pool, runId)}/${total}, ingest ${JSON.stringify(ingest?.stats)}`,
    );
    incrementalPasses.push(await incremental.runPass(false));
    incrementalPasses.push(await incremental.runPass(true));
    await incremental.close();
    incrementalPasses = incrementalPasses.filter((p) => p !== null);

    ref = reference(params, total, await readVitals(pool, runId), TEST_RULES);
    // The stream has written everything once it processed every reading and its window count
    // reached the reference's (idle partitions let the watermark pass the last windows).
    await waitUntil(
      'the stream to process every reading and close every window',
      async () => stream!.stats.processed >= total && (await countWindows(pool, runId, 'stream')) >= ref.windows.length,
      30_000,
      async () =>
        `stream stats ${JSON.stringify({ ...stream!.stats, late: stream!.stats.late.length })}, windows ${await countWindows(pool, runId, 'stream')}/${ref.windows.length}`,
    );
    // Let one more idle tick pass: nothing more may arrive.
    await sleep(IDLE_MS * 2);
    streamAlerts = await readAlertKeys(pool, runId, 'stream');
    streamWindows = await readWindows(pool, runId, 'stream');
    incrementalAlerts = await readAlertKeys(pool, runId, 'batch');
    incrementalWindows = await readWindows(pool, runId, 'batch');
  }, 150_000);

  afterAll(() => env.tearDown());

  it('produces every reading, and stores each in patient_vitals exactly once with the generated values', async () => {
    expect(fatalErrors).toEqual([]);
    expect(produced.complete).toBe(true);
    expect(produced.acknowledgedReadings).toBe(total);
    const stored = await readVitals(pool, runId);
    expect(stored).toHaveLength(total);
    expect(new Set(stored.map((r) => `${r.patient_id}:${r.seq}`)).size).toBe(total);
    expect(new Set(stored.map((r) => `${r.kafka_topic}:${r.kafka_partition}:${r.kafka_offset}`)).size).toBe(total);
    expect(ref.mismatches).toEqual([]);
    expect(ref.readings).toHaveLength(total);
    expect(ingest!.stats.stored).toBe(total);
    expect(ingest!.stats.rejected).toBe(0);
  });

  it('the rules fire often: record and window rules of both sizes', () => {
    for (const rule of TEST_RULES.rules) {
      const n = ref.alerts.filter((k) => k.startsWith(`${rule.id}|`)).length;
      expect(n, `alerts of ${rule.id}`).toBeGreaterThan(5);
    }
    expect(ref.windows.filter((w) => w.window_s === 2).length).toBeGreaterThan(30);
    expect(ref.windows.filter((w) => w.window_s === 5).length).toBeGreaterThanOrEqual(params.patients);
  });

  it('stream: every reading processed, none late, windows equal to the reference', () => {
    expect(stream!.stats.processed).toBe(total);
    expect(stream!.stats.rejected).toBe(0);
    expect(stream!.stats.late).toEqual([]);
    // Every reading counted in exactly one window of each size (a reading the stream dropped
    // as late shows here even when it was not reported in stats.late).
    for (const size of [2, 5]) {
      const counted = streamWindows.filter((w) => w.window_s === size).reduce((n, w) => n + w.count, 0);
      expect(counted, `readings in ${size} s windows`).toBe(total);
    }
    expect(windowShape(streamWindows)).toEqual(windowShape(ref.windows));
    expect(windowDifferences(streamWindows, ref.windows)).toEqual([]);
  });

  it('stream: its commit records count the database transactions its writes made, none for a write with no row', async () => {
    const records = async () =>
      queryRows(
        pool,
        `SELECT COUNT(*) AS writes, COALESCE(SUM(db_transactions), 0) AS transactions,
                COALESCE(SUM(db_transactions = 0 AND row_count > 0), 0) AS rows_without_transaction,
                COALESCE(SUM(db_transactions NOT IN (0, 1)), 0) AS odd
           FROM write_batches WHERE run_id = ? AND role = 'stream'`,
        [runId],
        (r) => ({
          writes: Number(r.writes),
          transactions: Number(r.transactions),
          rowsWithoutTransaction: Number(r.rows_without_transaction),
          odd: Number(r.odd),
        }),
      ).then((rows) => rows[0]!);
    // Commit records are flushed with the offset commits: wait for the last ones.
    await waitUntil(
      'the stream to record every write',
      async () => (await records()).writes === stream!.stats.writes,
      10_000,
      async () => `records ${JSON.stringify(await records())}, stats writes ${stream!.stats.writes}`,
    );
    const recorded = await records();
    expect(recorded.transactions).toBe(stream!.stats.dbTransactions);
    expect(recorded.rowsWithoutTransaction).toBe(0);
    expect(recorded.odd).toBe(0);
    expect(stream!.stats.dbTransactions).toBeGreaterThan(0);
    expect(stream!.stats.dbStatements).toBeGreaterThanOrEqual(stream!.stats.dbTransactions);
    // The stream wrote its alert and window rows in those transactions, at least one row each.
    expect(streamAlerts.length + streamWindows.length).toBeGreaterThanOrEqual(stream!.stats.dbTransactions);
  });

  it('stream alerts equal the reference, for record rules and window rules', () => {
    expect(alertDifferences(streamAlerts, ref.alerts)).toEqual([]);
    expect(streamAlerts).toEqual(ref.alerts);
  });

  it('incremental batch passes while data arrived, then a final pass, equal the reference and the stream', () => {
    // It really was incremental: several passes that each took new readings.
    const withReadings = incrementalPasses.filter((p) => p!.readings > 0);
    expect(withReadings.length).toBeGreaterThanOrEqual(3);
    expect(incrementalPasses.reduce((s, p) => s + p!.readings, 0)).toBe(total);
    expect(alertDifferences(incrementalAlerts, ref.alerts)).toEqual([]);
    expect(incrementalAlerts).toEqual(streamAlerts);
    expect(windowDifferences(incrementalWindows, ref.windows)).toEqual([]);
    // Both modes store the same doubles: identical rows, not merely close.
    expect(incrementalWindows).toEqual(streamWindows);
  });

  it('one final batch pass gives the same result as the incremental passes', async () => {
    await pool.query(`DELETE FROM alerts WHERE run_id = ? AND mode = 'batch'`, [runId]);
    await pool.query(`DELETE FROM window_stats WHERE run_id = ? AND mode = 'batch'`, [runId]);
    const batch = batchOf();
    const pass = await batch.runPass(true);
    await batch.close();
    expect(pass!.readings).toBe(total);
    expect(pass!.windows).toBe(ref.windows.length);
    expect(pass!.windowsRecomputed).toBe(0);
    expect(await readAlertKeys(pool, runId, 'batch')).toEqual(incrementalAlerts);
    expect(await readWindows(pool, runId, 'batch')).toEqual(incrementalWindows);
  });

  it('re-running the batch over the same run writes no duplicates and the same alerts', async () => {
    const before = {
      alerts: await readAlertKeys(pool, runId, 'batch'),
      windows: await readWindows(pool, runId, 'batch'),
    };
    const batch = batchOf();
    const pass = await batch.runPass(true);
    await batch.close();
    expect(pass!.readings).toBe(total);
    const after = {
      alerts: await readAlertKeys(pool, runId, 'batch'),
      windows: await readWindows(pool, runId, 'batch'),
    };
    expect(after.alerts).toHaveLength(ref.alerts.length);
    expect(after.windows).toHaveLength(ref.windows.length);
    expect(after).toEqual(before);
    // And the stream's rows are untouched by the batch.
    expect(await readAlertKeys(pool, runId, 'stream')).toEqual(streamAlerts);
  });
});
