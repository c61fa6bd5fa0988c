import type { Mode } from '../../domain/modes.js';
import type { KafkaClientName } from '../../infra/kafka-client/types.js';
import type { FaultSpec } from '../faults/spec.js';
import type { ExternalSpec } from '../processes/external-spec.js';
import type { ExternalModeOptions } from './external-modes.js';

/** Everything one run is told: the workload, the pipelines' settings, the run's extras. */
export interface RunOptions {
  rate: number;
  /** Measured phase, seconds (after the warm-up). */
  duration: number;
  warmup: number;
  patients: number;
  sources: number;
  partitions: number;
  rules: string;
  batchInterval: number;
  threads: number;
  seed: number;
  prevalence: number;
  modes: Mode[];
  latenessMs: number;
  idleMs: number;
  topicPrefix: string;
  /** Folder the run's folder is created in. */
  outDir: string;
  label?: string;
  /** In a sweep: the option the sweep varies (as on the command line, e.g. "batch-interval") and this run's value of it. */
  swept?: { option: string; value: number };
  /** Faults to inject during the run (--fault). */
  faults?: FaultSpec[];
  /** Restarts of a role that ended unexpectedly, per role and run (default 3). */
  maxRestarts?: number;
  /** Calibration (METRICS.md, measurement integrity): the stream waits this long before each database commit. */
  injectDelayMs?: number;
  /** The stream's least time between two fetches that bring data (--fetch-interval-ms; absent: the stream's default). */
  fetchIntervalMs?: number;
  /** Load-generator processes, the patients split across them (default 1). */
  generators?: number;
  /** External modes to run beside the built-in ones (docs/EXTERNAL.md). */
  externals?: ExternalSpec[];
  externalOptions?: Partial<ExternalModeOptions>;
  /** Kafka client of the producer, ingest and stream (default kafkajs). */
  kafkaClient?: KafkaClientName;
}
