import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicsFor } from '../../src/domain/reading.js';
import { runOpenLoopProducer, type ProducerResult } from '../../src/generators/producer.js';
import { OpenLoopSchedule } from '../../src/generators/schedule.js';
import { datasetSource } from '../../src/generators/sources.js';
import type { Pool } from '../../src/infra/mysql.js';
import { BatchPipeline } from '../../src/pipelines/batch/batch.js';
import {
  alertDifferences,
  clientDriver,
  config,
  count,
  countVitals,
  countWindows,
  createTopics,
  deleteTopics,
  isolation,
  KAFKA_CLIENTS,
  kafkaClient,
  openPool,
  readAlertKeys,
  readVitals,
  readWindows,
  reference,
  spawnCli,
  stopChild,
  TEST_RULES,
  waitUntil,
  windowDifferences,
  windowShape,
  writeRulesFile,
  type CliChild,
} from './helpers.js';

const LATENESS_MS = 500;
const IDLE_MS = 500;

// The stream process is SIGKILLed mid-run and restarted with the same arguments: the
// restarted instance resumes from the committed offsets, skips the windows already written
// and rewrites nothing, so its results equal the batch's and the reference's.
describe.each(KAFKA_CLIENTS)('stream crash recovery (SIGKILL, restart) (%s)', (clientName) => {
  const { runId, prefix, tag } = isolation('crash');
  const params = { seed: 9001, patients: 30, sources: 3 };
  // 16 s of load: the kill (once the first instance has committed windows) falls mid-run even
  // when a loaded machine makes the first windows late (seen 9.4 s after the load's start at a
  // load average of 21 on 2 cores).
  const total = 24_000;
  const rate = 1500;
  const topics = topicsFor(params.sources, prefix);
  const kafka = kafkaClient(`it-crash-${tag}`);
  // Named now, so @platformatic/kafka loads while the roles start, not after reading 0 is due:
  // readings that reach the broker later than lateness + idle time after their event time are
  // rightly late for a stream whose partitions were idle, and their windows are never written.
  const client = clientDriver(clientName, `it-crash-${tag}`);
  const admin = kafka.admin();
  const rulesFile = writeRulesFile(TEST_RULES);
  const roleArgs = [
    '--run-id',
    runId,
    '--topic-prefix',
    prefix,
    '--sources',
    '3',
    '--partitions',
    '3',
    '--rules',
    rulesFile,
    '--lateness-ms',
    String(LATENESS_MS),
    '--idle-ms',
    String(IDLE_MS),
    '--kafka-client',
    clientName,
  ];
  let pool: Pool;
  let ingest: CliChild | undefined;
  let stream1: CliChild | undefined;
  let stream2: CliChild | undefined;
  let produced: ProducerResult;
  let producerDone = false;
  let atKill: { windows: number; alerts: number; batches: number; producerDone: boolean };

  const startRole = async (role: 'ingest' | 'stream'): Promise<CliChild> => {
    const child = spawnCli([role, ...roleArgs]);
    // Ready once it has joined its consumer group; a restarted stream waits for the killed
    // member's session (30 s) to expire before the group rebalances.
    await waitUntil(
      `${role} to start`,
      () => child.output().includes(`[${role}] running`),
      60_000,
      () => child.output(),
    );
    return child;
  };
  const streamWindows = (): Promise<number> => countWindows(pool, runId, 'stream');

  beforeAll(async () => {
    pool = await openPool();
    await admin.connect();
    await createTopics(admin, topics, 3);
    [ingest, stream1] = await Promise.all([startRole('ingest'), startRole('stream')]);

    const producing = runOpenLoopProducer({
      client,
      source: datasetSource(params, total),
      schedule: new OpenLoopSchedule({ start: Date.now() + 100, rate, total }),
      topicPrefix: prefix,
    }).finally(() => (producerDone = true));

    // Kill once the first instance has committed results, windows among them.
    await waitUntil(
      'the first stream instance to write windows',
      async () =>
        (await streamWindows()) > 0 &&
        (await count(pool, `SELECT COUNT(*) AS n FROM write_batches WHERE run_id = ? AND role = 'stream'`, [runId])) >=
          5,
      60_000,
      () => stream1!.output(),
      50,
    );
    stream1.proc.kill('SIGKILL');
    const killed = await stream1.exited;
    expect(killed.signal).toBe('SIGKILL');
    atKill = {
      windows: await streamWindows(),
      alerts: await count(pool, `SELECT COUNT(*) AS n FROM alerts WHERE run_id = ? AND mode = 'stream'`, [runId]),
      batches: await count(pool, `SELECT COUNT(*) AS n FROM write_batches WHERE run_id = ? AND role = 'stream'`, [
        runId,
      ]),
      producerDone,
    };

    stream2 = await startRole('stream');
    produced = await producing;
    await waitUntil(
      'ingest to store every reading',
      async () => (await countVitals(pool, runId)) >= total,
      30_000,
      async () => `stored ${await countVitals(pool, runId)}/${total}\n${ingest!.output()}`,
    );
  }, 240_000);

  afterAll(async () => {
    await stopChild(stream1);
    await stopChild(stream2);
    await stopChild(ingest);
    await deleteTopics(admin, topics);
    await admin.disconnect();
    await pool?.end();
  });

  it('was killed mid-run, after committing some but not all of its results', () => {
    expect(atKill.producerDone).toBe(false);
    expect(atKill.windows).toBeGreaterThan(0);
    expect(atKill.batches).toBeGreaterThanOrEqual(5);
    expect(produced.complete).toBe(true);
    expect(produced.acknowledgedReadings).toBe(total);
  });

  it('after the restart: no reading lost or duplicated, stream equals batch equals reference', async () => {
    const stored = await readVitals(pool, runId);
    expect(stored).toHaveLength(total);
    expect(new Set(stored.map((r) => `${r.patient_id}:${r.seq}`)).size).toBe(total);
    const ref = reference(params, total, stored, TEST_RULES);
    expect(ref.mismatches).toEqual([]);

    await waitUntil(
      'the restarted stream to close every window',
      async () => (await streamWindows()) >= ref.windows.length,
      30_000,
      async () => `stream windows ${await streamWindows()}/${ref.windows.length}\n${stream2!.output()}`,
    );
    // One more idle period: nothing else may arrive.
    await new Promise((r) => setTimeout(r, 2 * IDLE_MS));
    expect(stream2!.proc.exitCode).toBeNull();

    const batch = new BatchPipeline({
      pool,
      mysqlUrl: config.mysqlUrl,
      runId,
      ruleSet: TEST_RULES,
      allowedLatenessMs: LATENESS_MS,
      threads: 2,
    });
    const pass = await batch.runPass(true);
    await batch.close();
    expect(pass!.readings).toBe(total);

    const streamW = await readWindows(pool, runId, 'stream');
    const batchW = await readWindows(pool, runId, 'batch');
    expect(windowShape(streamW)).toEqual(windowShape(ref.windows));
    expect(windowDifferences(streamW, ref.windows)).toEqual([]);
    expect(streamW).toEqual(batchW);

    const streamA = await readAlertKeys(pool, runId, 'stream');
    const batchA = await readAlertKeys(pool, runId, 'batch');
    expect(alertDifferences(streamA, ref.alerts)).toEqual([]);
    expect(streamA).toEqual(ref.alerts);
    expect(batchA).toEqual(ref.alerts);
    expect(streamA.some((k) => k.includes('|window|'))).toBe(true);
    expect(streamA.some((k) => k.includes('|reading|'))).toBe(true);
  });

  it('both instances wrote results: the window rows carry write batches of two processes', async () => {
    const [rows] = await pool.query(
      `SELECT DISTINCT write_batch >> 22 AS instance FROM window_stats WHERE run_id = ? AND mode = 'stream'`,
      [runId],
    );
    expect((rows as unknown[]).length).toBe(2);
    // Every stream write transaction is recorded once, with the offsets it covered.
    const batches = await count(pool, `SELECT COUNT(*) AS n FROM write_batches WHERE run_id = ? AND role = 'stream'`, [
      runId,
    ]);
    expect(batches).toBeGreaterThan(atKill.batches);
  });
});
