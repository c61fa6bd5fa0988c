/**
 * One set-up for the integration tests that run the pipelines in-process over the real broker
 * and database: a unique run id, topic prefix and consumer groups; the topics created; the
 * database migrated; ingest and the stream started and joined; and one teardown that stops them,
 * deletes the topics and closes the clients, however far the set-up got.
 */
import type { Admin, Kafka } from 'kafkajs';
import { topicsFor } from '../../src/domain/reading.js';
import type { KafkaClientDriver, KafkaClientName } from '../../src/infra/kafka-client/index.js';
import type { Pool } from '../../src/infra/mysql.js';
import { startIngest } from '../../src/pipelines/ingest.js';
import type { RuleSet } from '../../src/pipelines/rules/types.js';
import { StreamPipeline } from '../../src/pipelines/stream.js';
import { clientDriver, createTopics, deleteTopics, isolation, kafkaClient, openPool, TEST_RULES } from './helpers.js';

export interface InProcessOptions {
  /** Names the run id, the topic prefix, the Kafka client ids and the consumer groups. */
  label: string;
  /** Topics health_data_source1..S under the test's prefix. */
  sources: number;
  partitions: number;
  /** The consuming (and producing) client; kafkajs when not named. */
  clientName?: KafkaClientName;
  /** Both roles reject a reading without a run id (as in a bench). */
  requireRunId?: boolean;
  ruleSet?: RuleSet;
  latenessMs?: number;
  idleMs?: number;
}

type Ingest = Awaited<ReturnType<typeof startIngest>>;

/** In-process ingest and stream of one test, and the clients they share. */
export class InProcessPipelines {
  readonly runId: string;
  readonly prefix: string;
  readonly tag: string;
  readonly topics: string[];
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** The named client (undefined: the pipelines consume with kafkajs over `kafka`). */
  readonly client: KafkaClientDriver | undefined;
  readonly ingestGroup: string;
  readonly streamGroup: string;
  /** Every error that would have ended a role, in the order they came. */
  readonly fatal: Error[] = [];
  readonly onFatal = (err: Error): void => void this.fatal.push(err);
  private readonly o: InProcessOptions;
  private poolOrUndefined: Pool | undefined;
  private ingestOrUndefined: Ingest | undefined;
  private readonly streams: StreamPipeline[] = [];

  constructor(o: InProcessOptions) {
    this.o = o;
    const { runId, prefix, tag } = isolation(o.label);
    this.runId = runId;
    this.prefix = prefix;
    this.tag = tag;
    this.topics = topicsFor(o.sources, prefix);
    this.kafka = kafkaClient(`it-${o.label}-${tag}`);
    this.admin = this.kafka.admin();
    this.client = o.clientName ? clientDriver(o.clientName, `it-${o.label}-${tag}`) : undefined;
    this.ingestGroup = `it-${o.label}-ingest-${tag}`;
    this.streamGroup = `it-${o.label}-stream-${tag}`;
  }

  get pool(): Pool {
    if (!this.poolOrUndefined) throw new Error('the pipelines are not started: call start() in beforeAll');
    return this.poolOrUndefined;
  }

  get ingest(): Ingest {
    if (!this.ingestOrUndefined) throw new Error('ingest is not started: call start() in beforeAll');
    return this.ingestOrUndefined;
  }

  /** The first stream instance. */
  get stream(): StreamPipeline {
    const s = this.streams[0];
    if (!s) throw new Error('the stream is not started: call start() in beforeAll');
    return s;
  }

  /** Migrate the database, create the topics, start ingest and one stream, and wait until both joined their groups. */
  async start(): Promise<void> {
    this.poolOrUndefined = await openPool();
    await this.admin.connect();
    await createTopics(this.admin, this.topics, this.o.partitions);
    this.ingestOrUndefined = await startIngest({
      kafka: this.kafka,
      ...(this.client ? { client: this.client } : {}),
      pool: this.pool,
      runId: this.runId,
      topics: this.topics,
      groupId: this.ingestGroup,
      ...(this.o.requireRunId ? { requireRunId: true } : {}),
      onFatal: this.onFatal,
    });
    const stream = await this.startStream();
    await Promise.all([this.ingest.loop.joined, stream.joined]);
  }

  /** Start another stream instance in the same group (it shares the partitions with the others); resolves once started. */
  async startStream(): Promise<StreamPipeline> {
    const stream = new StreamPipeline({
      kafka: this.kafka,
      ...(this.client ? { client: this.client } : {}),
      pool: this.pool,
      runId: this.runId,
      topics: this.topics,
      ruleSet: this.o.ruleSet ?? TEST_RULES,
      allowedLatenessMs: this.o.latenessMs ?? 500,
      idleMs: this.o.idleMs ?? 500,
      groupId: this.streamGroup,
      ...(this.o.requireRunId ? { requireRunId: true } : {}),
      onFatal: this.onFatal,
    });
    this.streams.push(stream);
    await stream.start();
    return stream;
  }

  /** Every stream instance started, in order. */
  get streamInstances(): readonly StreamPipeline[] {
    return this.streams;
  }

  /** Stop the roles (whatever state they are in), delete the topics, close the clients. */
  async tearDown(): Promise<void> {
    for (const s of this.streams) await s.stop().catch(() => undefined);
    await this.ingestOrUndefined?.stop().catch(() => undefined);
    await deleteTopics(this.admin, this.topics);
    await this.admin.disconnect();
    await this.poolOrUndefined?.end();
  }
}
