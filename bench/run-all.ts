/**
 * All benches in sequence (generator micro-bench, Kafka's own perf tools, the Kafka client's raw
 * rates, stream throughput, batch throughput), one header with the machine facts, one combined
 * table at the end. The kafka-client and stream rows come per Kafka client (--clients, both by
 * default). The kafka-client rows' "of ceiling" is their mean over the kafka-tools row of the same
 * operation and unit, when both ran.
 *
 * Run: npm run build && node dist/bench/run-all.js [--stream-readings 300000] [--batch-readings 1000000]
 *      [--kafka-messages 200000] [--tools-messages 1000000] [--reps 3] [--patients 3000] [--event-rate 3000] [--seed 42]
 *      [--only generator,kafka-tools,kafka-client,stream,batch] [--clients kafkajs,platformatic]
 * (--readings N sets both stream and batch sizes; env BENCH_STREAM_READINGS, BENCH_BATCH_READINGS,
 * BENCH_KAFKA_MESSAGES, BENCH_KAFKA_TOOLS_MESSAGES, BENCH_REPS, BENCH_CLIENTS.)
 */
import os from 'node:os';
import { loadServiceConfig } from '../src/config.js';
import { createPool } from '../src/infra/mysql.js';
import { batchOptionsFromArgs, runBatchBench } from './batch-throughput.bench.js';
import { argValue, intArg, machineFacts, printHeader, printRows, type BenchRow } from './common.js';
import { runGeneratorBench } from './generator.bench.js';
import { kafkaOptionsFromArgs, runKafkaClientBench } from './kafka-client.bench.js';
import { relateToCeiling, runKafkaToolsBench } from './kafka-tools.bench.js';
import { runStreamBench, streamOptionsFromArgs } from './stream-throughput.bench.js';

const argv = process.argv.slice(2);
const only = new Set(
  (argValue('only', 'BENCH_ONLY', argv) ?? 'generator,kafka-tools,kafka-client,stream,batch')
    .split(',')
    .map((s) => s.trim()),
);
const streamBase = streamOptionsFromArgs(argv);
const batchBase = batchOptionsFromArgs(argv);
const kafkaOpts = kafkaOptionsFromArgs(argv);
const streamOpts = {
  ...streamBase,
  readings: intArg('stream-readings', 'BENCH_STREAM_READINGS', streamBase.readings, argv),
};
const batchOpts = {
  ...batchBase,
  readings: intArg('batch-readings', 'BENCH_BATCH_READINGS', batchBase.readings, argv),
};

const config = loadServiceConfig();
const pool = createPool(config.mysqlUrl, { connectionLimit: 1 });
try {
  printHeader('vitals-bench: all benches', await machineFacts(pool), {
    only: [...only],
    clients: kafkaOpts.clients,
    kafka: kafkaOpts,
    stream: streamOpts,
    batch: batchOpts,
  });
} finally {
  await pool.end();
}

const rows: BenchRow[] = [];
const failures: string[] = [];
const started = Date.now();
if (only.has('generator')) {
  console.log('\n--- generator ---');
  await runGeneratorBench().catch((e: Error) => failures.push(`generator: ${e.message}`));
}
const kafkaCeiling: BenchRow[] = [];
if (only.has('kafka-tools')) {
  console.log('\n--- kafka-tools ---');
  await runKafkaToolsBench(kafkaOpts).then(
    (r) => {
      kafkaCeiling.push(...r);
      rows.push(...r);
    },
    (e: Error) => failures.push(`kafka-tools: ${e.stack ?? e.message}`),
  );
}
if (only.has('kafka-client')) {
  console.log('\n--- kafka-client ---');
  await runKafkaClientBench(kafkaOpts, false).then(
    (r) => {
      relateToCeiling(r, kafkaCeiling);
      rows.push(...r);
    },
    (e: Error) => failures.push(`kafka-client: ${e.stack ?? e.message}`),
  );
}
if (only.has('stream')) {
  console.log('\n--- stream ---');
  await runStreamBench(streamOpts, false).then(
    (r) => rows.push(...r),
    (e: Error) => failures.push(`stream: ${e.stack ?? e.message}`),
  );
}
if (only.has('batch')) {
  console.log('\n--- batch ---');
  await runBatchBench(batchOpts, false).then(
    (r) => rows.push(...r),
    (e: Error) => failures.push(`batch: ${e.stack ?? e.message}`),
  );
}

printRows(
  `combined (generator figures are printed in its own table above; kafka client N = ${kafkaOpts.messages}, kafka tools N = ${kafkaOpts.toolsMessages}, stream N = ${streamOpts.readings}, batch N = ${batchOpts.readings}; ` +
    `load average at the end ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}; ${Math.round((Date.now() - started) / 1000)} s in all)`,
  rows,
);
if (failures.length) {
  console.log(`\nFAILED:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
