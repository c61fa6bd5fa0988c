import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOpenLoopProducer } from '../../src/generators/producer.js';
import { OpenLoopSchedule } from '../../src/generators/schedule.js';
import { datasetSource } from '../../src/generators/sources.js';
import type { Pool } from '../../src/infra/mysql.js';
import { BatchPipeline } from '../../src/pipelines/batch/batch.js';
import {
  alertDifferences,
  config,
  countVitals,
  countWindows,
  readAlertKeys,
  readVitals,
  readWindows,
  reference,
  sleep,
  TEST_RULES,
  waitUntil,
  windowDifferences,
} from './helpers.js';
import { InProcessPipelines } from './in-process.js';

const LATENESS_MS = 500;
const IDLE_MS = 500;

// Two streaming instances in one consumer group: the second joins mid-run, partitions move
// from the first to the second (a rebalance), and together they must still write exactly the
// reference's windows and alerts: the first drops the windows of partitions it lost, the
// second re-reads them from the first's committed (open-window-safe) offsets.
describe('two stream instances share the partitions of one group', () => {
  const params = { seed: 4242, patients: 30, sources: 3 };
  const total = 9000;
  const rate = 1500;
  const env = new InProcessPipelines({
    label: 'multi',
    sources: params.sources,
    partitions: 3,
    latenessMs: LATENESS_MS,
    idleMs: IDLE_MS,
  });
  const { runId, prefix, kafka } = env;
  const fatalErrors = env.fatal;
  let pool: Pool;
  const streams = env.streamInstances;

  beforeAll(async () => {
    await env.start();
    pool = env.pool;

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
    await (
      await env.startStream()
    ).joined;
    const produced = await producing;
    expect(produced.acknowledgedReadings).toBe(total);
    await waitUntil('ingest to store every reading', async () => (await countVitals(pool, runId)) >= total, 60_000);
  }, 180_000);

  afterAll(() => env.tearDown());

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
