import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicsFor, type Reading } from '../../src/domain/reading.js';
import { Dataset } from '../../src/generators/dataset.js';
import { runOpenLoopProducer, type ProducerResult } from '../../src/generators/producer.js';
import { OpenLoopSchedule } from '../../src/generators/schedule.js';
import { datasetSource } from '../../src/generators/sources.js';
import {
  clientDriver,
  createTopics,
  deleteTopics,
  isolation,
  KAFKA_CLIENTS,
  kafkaClient,
  waitUntil,
} from './helpers.js';

// The open-loop producer against the real broker: everything acknowledged is in the log,
// each patient's readings on one partition of its source's topic, in seq order. With each
// Kafka client sending (kafkajs reads the logs back).
describe.each(KAFKA_CLIENTS)('generator -> Kafka (%s)', (clientName) => {
  const { prefix, tag } = isolation('gen');
  const params = { seed: 4242, patients: 27, sources: 3 };
  const total = 3000;
  const topics = topicsFor(params.sources, prefix);
  const kafka = kafkaClient(`it-gen-${tag}`);
  const admin = kafka.admin();
  let result: ProducerResult;

  beforeAll(async () => {
    await admin.connect();
    await createTopics(admin, topics, 3);
    result = await runOpenLoopProducer({
      client: clientDriver(clientName, `it-gen-${tag}`),
      source: datasetSource(params, total),
      schedule: new OpenLoopSchedule({ start: Date.now() + 100, rate: 1000, total }),
      topicPrefix: prefix,
    });
  });
  afterAll(async () => {
    await deleteTopics(admin, topics);
    await admin.disconnect();
  });

  it('acknowledges every planned reading, and the logs hold exactly what was acknowledged', async () => {
    expect(result.complete).toBe(true);
    expect(result.planned).toBe(total);
    expect(result.sentReadings).toBe(total);
    expect(result.acknowledged).toBe(total);
    expect(result.acknowledgedReadings).toBe(total);

    // Expected per topic: the data set's readings of each source.
    const ds = new Dataset(params);
    const expectedPerTopic = new Map<string, number>(topics.map((t) => [t, 0]));
    for (let i = 0; i < total; i++) {
      const t = topics[ds.next().sourceIndex]!;
      expectedPerTopic.set(t, expectedPerTopic.get(t)! + 1);
    }
    let sum = 0;
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets).toHaveLength(3);
      const inTopic = offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
      expect(inTopic, topic).toBe(expectedPerTopic.get(topic));
      sum += inTopic;
    }
    expect(sum).toBe(result.acknowledged);
  });

  it('puts each patient on exactly one partition, keyed by patient id, in seq order without gaps', async () => {
    const consumer = kafka.consumer({ groupId: `it-gen-check-${tag}`, maxWaitTimeInMs: 100 });
    const received: Array<{ topic: string; partition: number; offset: number; key: string; reading: Reading }> = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            received.push({
              topic: batch.topic,
              partition: batch.partition,
              offset: Number(m.offset),
              key: m.key!.toString(),
              reading: JSON.parse(m.value!.toString()) as Reading,
            });
          }
        },
      });
      await waitUntil(
        'all readings consumed',
        () => received.length >= total,
        60_000,
        () => `received ${received.length}/${total}`,
      );
      // Nothing beyond what was produced.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await consumer.disconnect();
    }
    expect(received).toHaveLength(total);

    const partitionsOf = new Map<number, Set<string>>();
    const byPartition = new Map<string, typeof received>();
    for (const m of received) {
      expect(m.key).toBe(String(m.reading.patient_id));
      // Source i's readings go to topic health_data_source(i+1).
      expect(m.topic).toBe(`${prefix}health_data_source${Math.floor(m.reading.patient_id / 1000)}`);
      const where = `${m.topic}:${m.partition}`;
      partitionsOf.set(m.reading.patient_id, (partitionsOf.get(m.reading.patient_id) ?? new Set()).add(where));
      const list = byPartition.get(where) ?? [];
      list.push(m);
      byPartition.set(where, list);
    }
    expect(partitionsOf.size).toBe(params.patients);
    for (const [patient, where] of partitionsOf) expect([...where], `patient ${patient}`).toHaveLength(1);
    // More than one partition is in use (27 patients over 9 partitions).
    expect(byPartition.size).toBeGreaterThan(3);

    const ds = new Dataset(params);
    const expectedByKey = new Map<string, ReturnType<Dataset['next']>>();
    for (let i = 0; i < total; i++) {
      const p = ds.next();
      expectedByKey.set(`${p.patient_id}:${p.seq}`, p);
    }
    for (const list of byPartition.values()) {
      list.sort((a, b) => a.offset - b.offset);
      const lastSeq = new Map<number, number>();
      const lastTime = new Map<number, number>();
      for (const m of list) {
        const r = m.reading;
        // In offset order, each patient's seqs are 0, 1, 2, ... and event times non-decreasing.
        expect(r.seq, `patient ${r.patient_id}`).toBe((lastSeq.get(r.patient_id) ?? -1) + 1);
        expect(r.event_time).toBeGreaterThanOrEqual(lastTime.get(r.patient_id) ?? 0);
        lastSeq.set(r.patient_id, r.seq);
        lastTime.set(r.patient_id, r.event_time);
        // The values are the data set's.
        const g = expectedByKey.get(`${r.patient_id}:${r.seq}`)!;
        expect(g).toBeDefined();
        expect([
          r.source,
          r.heart_rate,
          r.body_temperature,
          r.blood_pressure_systolic,
          r.blood_pressure_diastolic,
          r.spo2_level,
        ]).toEqual([
          g.source,
          g.heart_rate,
          g.body_temperature,
          g.blood_pressure_systolic,
          g.blood_pressure_diastolic,
          g.spo2_level,
        ]);
        expect(r.timestamp).toBe(new Date(r.event_time).toISOString());
      }
    }
    // Event times span the schedule: 3000 readings at 1000/s cover ~3 s.
    const times = received.map((m) => m.reading.event_time);
    expect(Math.max(...times) - Math.min(...times)).toBe(Math.floor(((total - 1) * 1000) / 1000));
  });
});
