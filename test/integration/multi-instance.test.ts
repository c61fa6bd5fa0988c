import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicsFor } from '../../src/domain/reading.js';
import { runOpenLoopProducer } from '../../src/generators/producer.js';
import { OpenLoopSchedule } from '../../src/generators/schedule.js';
import { datasetSource } from '../../src/generators/sources.js';
import type { Pool } from '../../src/infra/mysql.js';
import { BatchPipeline } from '../../src/pipelines/batch/batch.js';
import { startIngest } from '../../src/pipelines/ingest.js';
import { StreamPipeline } from '../../src/pipelines/stream.js';
import {
  alertDifferences,
  config,
  countVitals,
  countWindows,
  createTopics,
  deleteTopics,
  isolation,
  kafkaClient,
  openPool,
  readAlertKeys,
  readVitals,
  readWindows,
  reference,
  sleep,
  TEST_RULES,
  waitUntil,
  windowDifferences,
} from './helpers.js';

const LATENESS_MS = 500;
const IDLE_MS = 500;

// Two streaming instances in one consumer group: the second joins mid-run, partitions move
// from the first to the second (a rebalance), and together they must still write exactly the
// reference's windows and alerts: the first drops the windows of partitions it lost, the
// second re-reads them from the first's committed (open-window-safe) offsets.
describe('two stream instances share the partitions of one group', () => {
  const { runId, prefix, tag } = isolation('multi');
  const params = { seed: 4242, patients: 30, sources: 3 };
  const total = 9000;
  const rate = 1500;
  const topics = topicsFor(params.sources, prefix);
  const kafka = kafkaClient(`it-multi-${tag}`);
  const admin = kafka.admin();
  const fatalErrors: Error[] = [];
  let pool: Pool;
  let ingest: Awaited<ReturnType<typeof startIngest>> | undefined;
  const streams: StreamPipeline[] = [];

  beforeAll(async () => {
    pool = await openPool();
    await admin.connect();
    await createTopics(admin, topics, 3);
    const onFatal = (err: Error): void => void fatalErrors.push(err);
    const newStream = (): StreamPipeline =>
      new StreamPipeline({
        kafka,
        pool,
        runId,
        topics,
        ruleSet: TEST_RULES,
        allowedLatenessMs: LATENESS_MS,
        idleMs: IDLE_MS,
        onFatal,
      });
    ingest = await startIngest({ kafka, pool, runId, topics, onFatal });
    streams.push(newStream());
    await streams[0]!.start();
    await Promise.all([ingest.loop.joined, streams[0]!.joined]);

    const producing = runOpenLoopProducer({
      kafka,
      source: datasetSource(params, total),
      schedule: new OpenLoopSchedule({ start: Date.now() + 100, rate, total }),
      topicPrefix: prefix,
    });
    // The second instance joins once the first has written windows.
    await waitUntil(
      'the first instance to write windows',
      async () => (await countWindows(pool, runId, 'stream')) > 0,
      30_000,
    );
    streams.push(newStream());
    await streams[1]!.start();
    await streams[1]!.joined;
    const produced = await producing;
    expect(produced.acknowledgedReadings).toBe(total);
    await waitUntil('ingest to store every reading', async () => (await countVitals(pool, runId)) >= total, 60_000);
  }, 180_000);

  afterAll(async () => {
    for (const s of streams) await s.stop().catch(() => undefined);
    await ingest?.stop().catch(() => undefined);
    await deleteTopics(admin, topics);
    await admin.disconnect();
    await pool?.end();
  });

  it('both instances process readings, and their windows and alerts equal the reference and the batch', async () => {
    const ref = reference(params, total, await readVitals(pool, runId), TEST_RULES);
    expect(ref.mismatches).toEqual([]);
    await waitUntil(
      'the stream instances to write every window',
      async () => (await countWindows(pool, runId, 'stream')) >= ref.windows.length,
      60_000,
      async () => `windows ${await countWindows(pool, runId, 'stream')}/${ref.windows.length}`,
    );
    await sleep(IDLE_MS * 3);
    expect(fatalErrors.map((e) => e.message)).toEqual([]);
    expect(streams[0]!.stats.processed).toBeGreaterThan(0);
    expect(streams[1]!.stats.processed).toBeGreaterThan(0);
    // The partitions moved: together they processed every reading, some of them twice (re-read).
    expect(streams[0]!.stats.processed + streams[1]!.stats.processed).toBeGreaterThanOrEqual(total);

    const windows = await readWindows(pool, runId, 'stream');
    for (const size of [2, 5]) {
      expect(
        windows.filter((w) => w.window_s === size).reduce((n, w) => n + w.count, 0),
        `readings in ${size} s windows`,
      ).toBe(total);
    }
    expect(windowDifferences(windows, ref.windows)).toEqual([]);
    const alerts = await readAlertKeys(pool, runId, 'stream');
    expect(alertDifferences(alerts, ref.alerts)).toEqual([]);

    const batch = new BatchPipeline({
      pool,
      mysqlUrl: config.mysqlUrl,
      runId,
      ruleSet: TEST_RULES,
      allowedLatenessMs: LATENESS_MS,
      threads: 2,
    });
    await batch.runPass(true);
    await batch.close();
    expect(alertDifferences(await readAlertKeys(pool, runId, 'batch'), alerts)).toEqual([]);
  }, 120_000);
});
