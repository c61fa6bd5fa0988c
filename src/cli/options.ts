/**
 * Every command-line option declared once (in the manner of Nexmark's option declarations):
 * its flag, type, default, bound and description. The `bench` command, the role commands
 * (ingest, stream, batch) and the generator commands (generate, produce, api) build their
 * yargs options from these declarations, each picking the subset it takes; where the harness
 * or the pipelines need one of these defaults, they take it from here.
 *
 * An option has one default and one bound everywhere; only its help text may be worded for
 * the command (a role says what it does with the option, bench that a comma list sweeps it).
 */
import type { Argv, Options } from 'yargs';
import { DEFAULT_MAX_FUTURE_MS } from '../domain/reading.js';
import { MAX_PATIENTS } from '../generators/dataset.js';
import { DEFAULT_PATIENTS, DEFAULT_SOURCES } from '../generators/defaults.js';
import { FAULT_SYNTAX } from '../harness/faults/spec.js';
import { DEFAULT_RESTART_POLICY } from '../harness/processes/supervisor.js';
import { DEFAULT_PROFILE } from '../pipelines/rules/profiles.js';
import { DEFAULT_FETCH_INTERVAL_MS } from '../pipelines/stream.js';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENTS } from '../infra/kafka-client/types.js';

/**
 * Upper bounds of the options, for one machine: beyond them a run would not measure the
 * pipelines but the machine's limits (or never end). The README's options table gives them.
 */
export const LIMITS = {
  rate: 200_000,
  sources: 64,
  partitions: 64,
  patients: MAX_PATIENTS,
  durationS: 86_400,
  injectDelayMs: 60_000,
  fetchIntervalMs: 1_000,
} as const;

/** How a numeric value is checked (option-list.ts): the message names the rule. */
export type Rule = 'positive' | 'positiveInt' | 'nonNegative' | 'nonNegativeInt' | 'integer' | 'fraction';

/** The commands that share options: `bench`, the pipeline roles, the generator's data set options, `produce`. */
export type Command = 'bench' | 'role' | 'dataset' | 'produce';

export interface OptionDecl {
  /** The command-line name without dashes: "lateness-ms" (the key is its camel case: latenessMs). */
  flag: string;
  type: 'number' | 'string' | 'boolean';
  /** Repeatable (--fault a --fault b). */
  array?: boolean;
  /** String options: the values allowed. */
  choices?: readonly string[];
  /** The default of every command that takes the option (bench shows numbers as text). */
  default?: number | string | boolean;
  /** Commands in which the option has no default (bench's --patients: one per reading/s). */
  noDefaultIn?: readonly Command[];
  /** Numeric options: the check of each value, its bound and what the bound is about. */
  rule?: Rule;
  max?: number;
  /** Said after the bound in the message ("readings/s (what one machine ... can take)"). */
  maxWhy?: string;
  /** bench: a comma list of it runs a sweep. */
  sweep?: boolean;
  /** Unit for axis titles and tables. */
  unit?: string;
  /** bench: example of a sweep's comma list, said after the sweep note ("2,10,30"). */
  example?: string;
  /** The help text in each command that takes the option. */
  describe: Partial<Record<Command, string>>;
}

/** "100,000": a bound as the help text writes it. */
const big = (n: number): string => n.toLocaleString('en-US');

export const OPTIONS = {
  config: {
    flag: 'config',
    type: 'string',
    describe: { bench: 'JSON file with any of these options (command-line values win)' },
  },
  runId: {
    flag: 'run-id',
    type: 'string',
    default: 'default',
    describe: { role: 'run the results belong to' },
  },
  requireRunId: {
    flag: 'require-run-id',
    type: 'boolean',
    default: false,
    describe: {
      role: 'reject a reading with no run id as foreign (the bench sets it: only its generator writes to its topics)',
    },
  },
  rate: {
    flag: 'rate',
    type: 'number',
    default: 500,
    rule: 'positive',
    max: LIMITS.rate,
    maxWhy: " readings/s (what one machine's broker and database can take)",
    sweep: true,
    unit: 'readings/s',
    example: '500,2000,10000',
    describe: { bench: 'offered readings/s' },
  },
  duration: {
    flag: 'duration',
    type: 'number',
    default: 30,
    rule: 'positive',
    max: LIMITS.durationS,
    sweep: true,
    unit: 's',
    describe: { bench: 'measured phase, seconds' },
  },
  warmup: {
    flag: 'warmup',
    type: 'number',
    default: 10,
    rule: 'nonNegative',
    max: LIMITS.durationS,
    sweep: true,
    unit: 's',
    describe: { bench: 'warm-up, seconds (sent, excluded from latency figures)' },
  },
  seed: {
    flag: 'seed',
    type: 'number',
    default: 1,
    rule: 'integer',
    sweep: true,
    describe: { bench: 'random seed of the generator', dataset: 'random seed: same seed, same readings' },
  },
  patients: {
    flag: 'patients',
    type: 'number',
    default: DEFAULT_PATIENTS,
    noDefaultIn: ['bench'],
    rule: 'positiveInt',
    max: LIMITS.patients,
    sweep: true,
    describe: {
      bench: `patients (default: one per reading per second, i.e. 1 Hz monitors; max ${big(LIMITS.patients)})`,
      dataset: `patients in total, split across sources (max ${big(LIMITS.patients)})`,
    },
  },
  sources: {
    flag: 'sources',
    type: 'number',
    default: DEFAULT_SOURCES,
    rule: 'positiveInt',
    max: LIMITS.sources,
    sweep: false,
    describe: {
      bench: 'device sources: topics health_data_source1..S',
      role: 'device sources: topics health_data_source1..S',
      dataset: 'device sources (Device_A.., topics health_data_source1..S)',
    },
  },
  partitions: {
    flag: 'partitions',
    type: 'number',
    default: 3,
    rule: 'positiveInt',
    max: LIMITS.partitions,
    sweep: true,
    describe: { bench: 'partitions per topic', role: 'partitions per topic when the topics must be created' },
  },
  topicPrefix: {
    flag: 'topic-prefix',
    type: 'string',
    default: '',
    describe: { bench: 'prefix for the topic names', role: 'prefix of the topic names (isolation for tests)' },
  },
  rules: {
    flag: 'rules',
    type: 'string',
    default: DEFAULT_PROFILE,
    describe: {
      bench: 'rule profile (clinical, seed) or a rules JSON file',
      role: 'rule profile (seed, clinical) or a rules JSON file',
    },
  },
  batchInterval: {
    flag: 'batch-interval',
    type: 'number',
    default: 10,
    rule: 'positive',
    sweep: true,
    unit: 's',
    example: '2,10,30',
    describe: { bench: 'seconds between batch passes (plus a final pass)' },
  },
  threads: {
    flag: 'threads',
    type: 'number',
    default: 2,
    rule: 'positiveInt',
    sweep: true,
    describe: { bench: 'batch worker threads (Piscina)', role: 'batch: Piscina worker threads' },
  },
  prevalence: {
    flag: 'prevalence',
    type: 'number',
    default: 0.05,
    rule: 'fraction',
    sweep: true,
    describe: {
      bench: 'fraction of readings inside injected anomaly episodes',
      dataset: 'expected fraction of readings inside an anomaly episode',
    },
  },
  repeat: {
    flag: 'repeat',
    type: 'number',
    default: 1,
    rule: 'positiveInt',
    sweep: false,
    describe: {
      bench: "runs per value of a sweep (or of a single run); the sweep report gives each figure's median and spread",
    },
  },
  modes: {
    flag: 'modes',
    type: 'string',
    default: 'stream,batch',
    describe: { bench: 'modes to run: stream, batch, and external modes (--external, --with-spark, --with-flink)' },
  },
  latenessMs: {
    flag: 'lateness-ms',
    type: 'number',
    default: 2000,
    rule: 'nonNegative',
    sweep: true,
    unit: 'ms',
    describe: {
      bench: 'allowed lateness of window rules (ms of event time)',
      role: 'allowed lateness of window rules, ms of event time',
    },
  },
  idleMs: {
    flag: 'idle-ms',
    type: 'number',
    default: 1000,
    rule: 'positive',
    sweep: true,
    unit: 'ms',
    describe: {
      bench: 'stream: idle partition timeout for the watermark',
      role: 'stream: a partition silent this long stops holding the watermark',
    },
  },
  every: {
    flag: 'every',
    type: 'number',
    default: 0,
    describe: { role: 'batch: run a pass every N seconds (0: one pass, then exit)' },
  },
  once: {
    flag: 'once',
    type: 'boolean',
    default: false,
    describe: { role: 'batch: one final pass over everything stored, then exit' },
  },
  maxFutureMs: {
    flag: 'max-future-ms',
    type: 'number',
    default: DEFAULT_MAX_FUTURE_MS,
    describe: { role: 'ingest, stream: refuse readings whose event_time is further ahead of the clock' },
  },
  waitForServicesS: {
    flag: 'wait-for-services-s',
    type: 'number',
    default: 0,
    describe: {
      role: 'at start, wait this long for Kafka and the database to answer (0: fail at once); the harness sets it for restarted roles',
    },
  },
  windowOriginMs: {
    flag: 'window-origin-ms',
    type: 'number',
    default: 0,
    describe: {
      role: 'stream, batch: align windows to this epoch ms (the harness uses its schedule start; 0: the epoch)',
    },
  },
  generators: {
    flag: 'generators',
    type: 'number',
    default: 1,
    rule: 'positiveInt',
    max: 8,
    maxWhy: '(each is a process of its own; this machine has few cores)',
    sweep: true,
    describe: {
      bench:
        "load-generator processes: the patients split across them, one global schedule (so --find-max measures the pipelines, not one producer's core)",
    },
  },
  fetchIntervalMs: {
    flag: 'fetch-interval-ms',
    type: 'number',
    default: DEFAULT_FETCH_INTERVAL_MS,
    rule: 'nonNegative',
    max: LIMITS.fetchIntervalMs,
    sweep: true,
    unit: 'ms',
    describe: {
      bench:
        'stream: least time between two fetches while readings keep arriving (each fetch takes what arrived meanwhile into one transaction; 0: a fetch per arrival)',
      role: 'stream: least time between two fetches while readings keep arriving (0: fetch on every arrival)',
    },
  },
  injectDelayMs: {
    flag: 'inject-delay-ms',
    type: 'number',
    default: 0,
    rule: 'nonNegative',
    max: LIMITS.injectDelayMs,
    sweep: true,
    unit: 'ms',
    describe: {
      bench: "calibration: each batch of the stream's results waits this long before its database commit",
      role: 'stream: results wait this long before their database commit (calibration)',
    },
  },
  kafkaClient: {
    flag: 'kafka-client',
    type: 'string',
    default: DEFAULT_KAFKA_CLIENT,
    choices: KAFKA_CLIENTS,
    describe: {
      bench: 'Kafka client of the producer, ingest and stream (recorded in the run)',
      role: 'ingest, stream: Kafka client of the consumer',
      produce: 'Kafka client of the producer',
    },
  },
  out: {
    flag: 'out',
    type: 'string',
    default: 'results/runs',
    describe: { bench: 'folder for the run folders' },
  },
  findMax: {
    flag: 'find-max',
    type: 'boolean',
    default: false,
    describe: { bench: 'search the sustainable throughput (METRICS.md), starting at --rate' },
  },
  profile: {
    flag: 'profile',
    type: 'string',
    describe: {
      bench:
        "'seed': the seed project's scenario (3 devices, 9 patients, ~1 reading/s, its rules); 'ci': the short fixed CI run (README: Tracking performance in CI), with tracker files in the run folder",
    },
  },
  history: {
    flag: 'history',
    type: 'string',
    describe: {
      bench:
        "append each run's line to this history file (default results/history.jsonl, or $VITALS_BENCH_HISTORY; --no-history: none)",
    },
  },
  fault: {
    flag: 'fault',
    type: 'string',
    array: true,
    describe: {
      bench: `inject a fault during each run, repeatable: ${FAULT_SYNTAX}; times from the start of the load`,
    },
  },
  external: {
    flag: 'external',
    type: 'string',
    array: true,
    describe: {
      bench:
        'declare an external mode NAME=COMMAND (repeatable; docs/EXTERNAL.md): the harness starts COMMAND for each run that has NAME in --modes',
    },
  },
  withSpark: {
    flag: 'with-spark',
    type: 'boolean',
    default: false,
    describe: {
      bench:
        'add the Spark Structured Streaming example (examples/spark) as the external mode "spark", set up by scripts/spark.sh',
    },
  },
  withFlink: {
    flag: 'with-flink',
    type: 'boolean',
    default: false,
    describe: {
      bench: 'add the Flink SQL example (examples/flink) as the external mode "flink", set up by scripts/flink.sh',
    },
  },
  externalReadyTimeoutS: {
    flag: 'external-ready-timeout-s',
    type: 'number',
    default: 300,
    rule: 'positive',
    sweep: false,
    describe: { bench: 'an external job not ready (VITALS_READY) within this many seconds fails the run' },
  },
  externalPollMs: {
    flag: 'external-poll-ms',
    type: 'number',
    default: 2,
    rule: 'positive',
    sweep: false,
    unit: 'ms',
    describe: {
      bench:
        "pause between the results observer's queries for every mode's new results (ms); the report states the resolution it reached",
    },
  },
  externalQuietS: {
    flag: 'external-quiet-s',
    type: 'number',
    default: 15,
    rule: 'positive',
    sweep: false,
    describe: {
      bench: 'after the built-in modes drained: seconds without a new result before an external job counts as drained',
    },
  },
  maxRestarts: {
    flag: 'max-restarts',
    type: 'number',
    default: DEFAULT_RESTART_POLICY.maxRestarts,
    rule: 'nonNegativeInt',
    sweep: false,
    describe: { bench: 'restarts of a pipeline role that ends unexpectedly, per role and run' },
  },
  services: {
    flag: 'services',
    type: 'boolean',
    default: true,
    describe: { bench: 'bring Kafka and MySQL up if needed (--no-services: use what is configured)' },
  },
  quiet: {
    flag: 'quiet',
    type: 'boolean',
    default: false,
    describe: { bench: 'plain progress lines only (no live bar), as when stderr is not a terminal' },
  },
} as const satisfies Record<string, OptionDecl>;

export type OptionKey = keyof typeof OPTIONS;

/** The declaration of an option by key (latenessMs), widened to OptionDecl. */
export function decl(key: OptionKey): OptionDecl {
  return OPTIONS[key];
}

/** Said in bench's help of each option that a comma list sweeps. */
const SWEEP_NOTE = '; a comma list runs a sweep';

/**
 * The yargs declaration of an option in a command. In `bench` a numeric option is read as
 * text (a comma list "2,10,30" would parse to NaN) and parsed by option-list.ts, so its
 * default is shown as text too; elsewhere it is a number.
 */
export function yargsOption(key: OptionKey, command: Command): Options {
  const d = decl(key);
  const text = d.describe[command];
  if (text === undefined) throw new Error(`option --${d.flag} is not declared for ${command}`);
  const numericText = command === 'bench' && d.type === 'number';
  let describe = text;
  if (command === 'bench' && d.sweep) describe += SWEEP_NOTE;
  if (command === 'bench' && d.example) describe += ` (${d.example})`;
  const o: Options = { type: numericText ? 'string' : d.type, describe };
  if (d.array) o.array = true;
  if (d.choices) o.choices = [...d.choices];
  if (d.default !== undefined && !d.noDefaultIn?.includes(command))
    o.default = numericText ? String(d.default) : d.default;
  return o;
}

/**
 * Declare the options `keys` (in this order, as the help lists them) of `command` on `y`.
 * The caller states the arguments' type; test/unit/cli/options.test.ts checks it against the declarations.
 */
export function declareOptions<Args, T>(y: Argv<T>, command: Command, keys: readonly OptionKey[]): Argv<T & Args> {
  let out: Argv<T> = y;
  for (const key of keys) out = out.option(decl(key).flag, yargsOption(key, command));
  return out as unknown as Argv<T & Args>;
}
