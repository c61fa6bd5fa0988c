import type { Kafka } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import type { Argv } from 'yargs';
import { loadServiceConfig, redactUrl, type ServiceConfig } from '../config.js';
import { topicsFor } from '../domain/reading.js';
import { checkServices } from '../infra/preflight.js';
import { withRetry } from '../infra/retry.js';
import { createKafka, ensureTopics } from '../infra/kafka.js';
import { createKafkaClient, type KafkaClientDriver } from '../infra/kafka-client/index.js';
import { createPool } from '../infra/mysql.js';
import { BatchPipeline } from '../pipelines/batch/batch.js';
import { startIngest } from '../pipelines/ingest.js';
import { sendToParent, type ParentMessage, type RoleName } from '../pipelines/ipc.js';
import { loadRuleSet } from '../pipelines/rules/parse.js';
import type { RuleSet } from '../pipelines/rules/types.js';
import { migrate } from '../pipelines/store/schema.js';
import { StreamPipeline } from '../pipelines/stream.js';
import { kafkaClientArg, positiveInt, UsageError } from './args.js';
import { declareOptions, type ArgsOf } from './options.js';

/** The options of the role commands (ingest, stream, batch), declared in options.ts and parameters.ts. */
export type RoleArgs = ArgsOf<'role'>;

export function roleOptions<T>(y: Argv<T>): Argv<T & RoleArgs> {
  return declareOptions(y, 'role');
}

function log(role: RoleName, line: string): void {
  process.stderr.write(`[${role}] ${line}\n`);
}

/** What every role has once the services answer: the database (migrated), Kafka, the topics. */
interface RoleContext {
  role: RoleName;
  config: ServiceConfig;
  pool: Pool;
  /** kafkajs: topic creation. */
  kafka: Kafka;
  /** The client that consumes (--kafka-client). */
  client: KafkaClientDriver;
  topics: string[];
  /** Report a fatal error to the harness, then exit. */
  fatal: (err: Error) => void;
}

/** A started role: how to stop it, and the timer reporting its stats (if any). */
interface RunningRole {
  stop?: () => Promise<void>;
  statsTimer?: NodeJS.Timeout;
}

/** Start one pipeline role and keep it running until SIGINT/SIGTERM or the parent says stop. */
export async function runRole(role: RoleName, a: RoleArgs): Promise<void> {
  checkRoleArgs(a);
  const ruleSet = await loadRuleSet(a.rules).catch((err: Error) => {
    throw new UsageError(err.message);
  });
  const ctx = await connectRole(role, a);
  if (role === 'ingest' || role === 'stream') {
    const admin = ctx.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, { topics: ctx.topics, partitions: a.partitions });
    await admin.disconnect();
  }
  let running: RunningRole;
  if (role === 'ingest') running = await startIngestRole(ctx, a);
  else if (role === 'stream') running = await startStreamRole(ctx, a, ruleSet);
  else running = await startBatchRole(ctx, a, ruleSet);
  await serveUntilStopped(ctx, a, running);
}

export function checkRoleArgs(a: RoleArgs): void {
  positiveInt('sources', a.sources);
  positiveInt('partitions', a.partitions);
  positiveInt('threads', a.threads);
  if (!(a.latenessMs >= 0)) throw new UsageError(`--lateness-ms must be >= 0, got ${a.latenessMs}`);
  if (!(a.idleMs > 0)) throw new UsageError(`--idle-ms must be > 0, got ${a.idleMs}`);
  if (!(a.every >= 0)) throw new UsageError(`--every must be >= 0, got ${a.every}`);
  if (!(a.maxFutureMs >= 0)) throw new UsageError(`--max-future-ms must be >= 0, got ${a.maxFutureMs}`);
  if (!(a.waitForServicesS >= 0)) throw new UsageError(`--wait-for-services-s must be >= 0, got ${a.waitForServicesS}`);
  if (!(a.injectDelayMs >= 0)) throw new UsageError(`--inject-delay-ms must be >= 0, got ${a.injectDelayMs}`);
  if (!(a.fetchIntervalMs >= 0)) throw new UsageError(`--fetch-interval-ms must be >= 0, got ${a.fetchIntervalMs}`);
  kafkaClientArg(a.kafkaClient);
}

/** Wait for the services (if told to), migrate the schema, create the clients. */
async function connectRole(role: RoleName, a: RoleArgs): Promise<RoleContext> {
  const config = loadServiceConfig();
  // Nothing answering at start is a one-line error in seconds, not minutes of client retries,
  // unless told to wait (a role the harness restarts while a server restarts too).
  const waitUntil = Date.now() + a.waitForServicesS * 1000;
  for (;;) {
    try {
      await checkServices(config);
      break;
    } catch (err) {
      if (Date.now() >= waitUntil) throw err;
      log(role, `waiting for the services: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const pool = createPool(config.mysqlUrl, { connectionLimit: 4 });
  await withRetry('schema migration', () => migrate(pool), { budgetMs: 30_000, log: (l) => log(role, l) }).catch(
    (err: Error) => {
      throw new Error(`database ${redactUrl(config.mysqlUrl)}: ${err.message}`);
    },
  );
  const topics = topicsFor(a.sources, a.topicPrefix);
  const kafka = createKafka(config.kafkaBrokers, `vitals-${role}`);
  const client = createKafkaClient(kafkaClientArg(a.kafkaClient), config.kafkaBrokers, `vitals-${role}`);
  const fatal = (err: Error): void => {
    log(role, `fatal: ${err.stack ?? err.message}`);
    // Exit once the message is out, so the harness can name the cause.
    if (process.send && process.connected)
      process.send({ type: 'fatal', role, message: err.message }, () => process.exit(1));
    else process.exit(1);
  };
  return { role, config, pool, kafka, client, topics, fatal };
}

async function startIngestRole(ctx: RoleContext, a: RoleArgs): Promise<RunningRole> {
  const { kafka, client, pool, topics, fatal, role } = ctx;
  const { loop, stats, stop } = await startIngest({
    kafka,
    client,
    pool,
    runId: a.runId,
    requireRunId: a.requireRunId,
    topics,
    maxFutureMs: a.maxFutureMs,
    onFatal: fatal,
    log: (l) => log(role, l),
  });
  await loop.joined;
  const statsTimer = setInterval(() => sendToParent({ type: 'stats', role: 'ingest', stats }), 500);
  return { stop, statsTimer };
}

async function startStreamRole(ctx: RoleContext, a: RoleArgs, ruleSet: RuleSet): Promise<RunningRole> {
  const { kafka, client, pool, topics, fatal, role } = ctx;
  const stream = new StreamPipeline({
    kafka,
    client,
    pool,
    runId: a.runId,
    topics,
    ruleSet,
    allowedLatenessMs: a.latenessMs,
    idleMs: a.idleMs,
    maxFutureMs: a.maxFutureMs,
    requireRunId: a.requireRunId,
    injectDelayMs: a.injectDelayMs,
    fetchIntervalMs: a.fetchIntervalMs,
    windowOriginMs: a.windowOriginMs,
    onFatal: fatal,
    log: (l) => log(role, l),
  });
  await stream.start();
  await stream.joined;
  const statsTimer = setInterval(() => {
    const { late, ...rest } = stream.stats;
    sendToParent({ type: 'stats', role: 'stream', stats: { ...rest, lateCount: late.length } });
  }, 500);
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'report-late') sendToParent({ type: 'late', role: 'stream', late: stream.stats.late });
    if (m.type === 'window-origin') {
      try {
        stream.setWindowOrigin(m.originMs);
        sendToParent({ type: 'window-origin-set', role: 'stream', originMs: m.originMs });
      } catch (err) {
        fatal(err as Error);
      }
    }
  });
  return { stop: () => stream.stop(), statsTimer };
}

async function startBatchRole(ctx: RoleContext, a: RoleArgs, ruleSet: RuleSet): Promise<RunningRole> {
  const { config, pool, fatal, role } = ctx;
  const batch = new BatchPipeline({
    pool,
    mysqlUrl: config.mysqlUrl,
    runId: a.runId,
    ruleSet,
    allowedLatenessMs: a.latenessMs,
    threads: a.threads,
    // A periodic batch role continues after its last pass when restarted; --once starts over.
    resume: !a.once && a.every > 0,
    windowOriginMs: a.windowOriginMs,
    log: (l) => log(role, l),
  });
  process.on('message', (m: ParentMessage) => {
    if (m.type !== 'window-origin') return;
    try {
      batch.setWindowOrigin(m.originMs);
      sendToParent({ type: 'window-origin-set', role: 'batch', originMs: m.originMs });
    } catch (err) {
      fatal(err as Error);
    }
  });
  const report = (p: Awaited<ReturnType<BatchPipeline['runPass']>>): void => {
    if (!p) return;
    log(
      role,
      `pass ${p.pass}${p.final ? ' (final)' : ''}: ${p.readings} readings, ${p.alerts} alerts, ${p.windows} windows in ${p.endedAt - p.startedAt} ms`,
    );
    sendToParent({ type: 'pass', role: 'batch', pass: p });
  };
  if (a.once || a.every === 0) {
    report(await batch.runPass(true));
    await batch.close();
    await pool.end();
    process.exit(0);
  }
  const timer = setInterval(() => {
    batch.runPass(false).then(report, fatal);
  }, a.every * 1000);
  process.on('message', (m: ParentMessage) => {
    if (m.type !== 'final-pass') return;
    clearInterval(timer);
    batch.runPass(true).then((p) => {
      report(p);
      sendToParent({ type: 'final-done', role: 'batch' });
    }, fatal);
  });
  return {
    stop: async () => {
      clearInterval(timer);
      await batch.close();
    },
  };
}

/** Tell the harness the role is ready, wait to be told to stop, stop, exit. */
async function serveUntilStopped(ctx: RoleContext, a: RoleArgs, running: RunningRole): Promise<void> {
  const { role } = ctx;
  sendToParent({ type: 'ready', role });
  log(role, `running (run ${a.runId}, topics ${ctx.topics.join(', ')})`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    // A role forked by the harness is stopped by the harness (which sees Ctrl-C first and still
    // needs the role to drain and report); alone, Ctrl-C stops it.
    if (!process.send) process.once('SIGINT', stop);
    else process.on('SIGINT', () => log(role, 'SIGINT: waiting for the harness to stop this role'));
    process.once('SIGTERM', stop);
    process.on('message', (m: ParentMessage) => {
      if (m.type === 'stop') stop();
    });
    process.on('disconnect', () => {
      // The harness is gone (however it ended): stop, and do not outlive it even if stopping hangs.
      log(role, 'harness disconnected: stopping');
      setTimeout(() => process.exit(1), 20_000).unref();
      stop();
    });
  });
  if (running.statsTimer) clearInterval(running.statsTimer);
  if (running.stop) await running.stop();
  await ctx.pool.end();
  log(role, 'stopped');
  // The IPC channel of a forked role (and kafkajs' timers) would keep the process alive.
  process.exit(0);
}
