/**
 * The run's parameters, each declared once (in the manner of Nexmark's option declarations): its
 * flag, type, default, bound and help, whether two runs that differ in it measured different
 * workloads (then it is in params_hash, and compare keeps such runs apart), and how the harness
 * tells the pipeline roles (the role command's flag, or not passed). Everything else is derived
 * from here: the run's options type (RunOptions), the commands' options and argument types
 * (src/cli/options.ts adds the options that only a command has), a sweep's settings, the
 * comparable keys (src/harness/track/history.ts) and the roles' argv (src/harness/run/pipelines.ts).
 *
 * It lives on the report's floor, the lowest from which every reader can import it (track's
 * params_hash, the orchestrator's role argv, the commands) and which sees the defaults of the
 * generator, the rules and the Kafka clients.
 */
import { DEFAULT_MAX_FUTURE_MS } from '../../domain/reading.js';
import type { Role } from '../../domain/modes.js';
import { MAX_PATIENTS } from '../../generators/dataset.js';
import { DEFAULT_PATIENTS, DEFAULT_SOURCES } from '../../generators/defaults.js';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENTS } from '../../infra/kafka-client/types.js';
import { DEFAULT_PROFILE } from '../../pipelines/rules/profiles.js';
import { DEFAULT_FETCH_INTERVAL_MS } from '../../pipelines/stream.js';
import { fmtCount } from './format.js';

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

/** How a numeric value is checked (src/cli/option-list.ts): the message names the rule. */
export type Rule = 'positive' | 'positiveInt' | 'nonNegative' | 'nonNegativeInt' | 'integer' | 'fraction';

/**
 * The commands that take options: `bench`, the pipeline roles (ingest, stream, batch), the
 * generator's data set options (generate, produce, api), and each command's own.
 */
export type Command = 'bench' | 'role' | 'dataset' | 'generate' | 'produce' | 'api' | 'history' | 'report';

/** What a help text may need from rooms above this one (the command line fills it in). */
export interface HelpFacts {
  /** --fault's syntax, from the fault kinds (src/harness/faults/spec.ts). */
  faultSyntax: string;
}

/** A help text, or one that needs facts from above (HelpFacts). */
export type Help = string | ((facts: HelpFacts) => string);

type Scalar = number | string | boolean;

export interface OptionDecl {
  /** The command-line name without dashes: "lateness-ms" (the key is its camel case: latenessMs). */
  flag: string;
  type: 'number' | 'string' | 'boolean';
  /** Repeatable (--fault a --fault b). */
  array?: boolean;
  /** A positional argument (`report <dir>`), not an option. */
  positional?: boolean;
  /** String options: the values allowed. */
  choices?: readonly string[];
  /** The default of every command that takes the option (bench shows numbers as text). */
  default?: Scalar;
  /** Commands whose default differs (generate's --rate: 100), as the command's own default. */
  defaultIn?: Partial<Record<Command, Scalar>>;
  /** Commands in which the option has no default (bench's --patients: one per reading/s). */
  noDefaultIn?: readonly Command[];
  /** Commands that require the option (generate's --count). */
  demandIn?: readonly Command[];
  /** Commands besides bench that read a numeric option as text (produce's --rate: a number or "max"). */
  textIn?: readonly Command[];
  /**
   * Commands in which the flag is refused with this message: a name that means something else
   * there (produce's --lateness-ms, now --late-by-ms).
   */
  refusedIn?: Partial<Record<Command, string>>;
  /** Numeric options: the check of each value, its bound and what the bound is about. */
  rule?: Rule;
  max?: number;
  /** Said after the bound in the message ("readings/s (what one machine ... can take)"). */
  maxWhy?: string;
  /** bench: a comma list of it runs a sweep. */
  sweep?: boolean;
  /** bench: recorded in a sweep's settings though not a run parameter (--repeat, --out). */
  setting?: boolean;
  /** Unit for axis titles and tables. */
  unit?: string;
  /** bench: example of a sweep's comma list, said after the sweep note ("2,10,30"). */
  example?: string;
  /** The help text in each command that takes the option. */
  describe: Partial<Record<Command, Help>>;
}

/** How the harness tells the pipeline roles a parameter: the roles given it, under the role command's flag (default its own). */
type RolePassing = { to: readonly Role[]; flag?: string } | 'not passed';

/** A run parameter: an option of `bench` that every run records in results.json `parameters`. */
export interface ParameterDecl extends OptionDecl {
  /**
   * Whether runs that differ in it measured different workloads: then it is in params_hash (the
   * history's series) and compare refuses to mix such runs. `true` compares its value; `{ by }`
   * another key of the run's parameters (the rules: the rule set they resolved to).
   */
  comparable: boolean | { by: string };
  /** How the run passes it to its pipeline roles (role argv), or not at all. */
  roles: RolePassing;
  /** Its key in RunOptions and results.json `parameters` when not the option's own (--fault: faults). */
  param?: string;
}

/** The roles that run a pipeline over the readings: each gets the topics, rules and windows. */
const ALL_ROLES = ['ingest', 'stream', 'batch'] as const satisfies readonly Role[];

/**
 * Every run parameter, in the order a run records them (results.json `parameters`, the report's
 * Set-up table) and `bench --help` lists them.
 */
export const RUN_PARAMETERS = {
  rate: {
    flag: 'rate',
    type: 'number',
    default: 500,
    defaultIn: { generate: 100 },
    noDefaultIn: ['produce'],
    textIn: ['produce'],
    rule: 'positive',
    max: LIMITS.rate,
    maxWhy: " readings/s (what one machine's broker and database can take)",
    sweep: true,
    unit: 'readings/s',
    example: '500,2000,10000',
    comparable: true,
    roles: 'not passed',
    describe: {
      bench: 'offered readings/s',
      generate: 'readings per second of the stamped event times',
      produce: 'readings per second in total, or "max"; with --replay also "recorded" (the default)',
    },
  },
  duration: {
    flag: 'duration',
    type: 'number',
    default: 30,
    noDefaultIn: ['produce'],
    rule: 'positive',
    max: LIMITS.durationS,
    sweep: true,
    unit: 's',
    comparable: true,
    roles: 'not passed',
    describe: { bench: 'measured phase, seconds', produce: 'seconds to send for' },
  },
  warmup: {
    flag: 'warmup',
    type: 'number',
    default: 10,
    rule: 'nonNegative',
    max: LIMITS.durationS,
    sweep: true,
    unit: 's',
    comparable: true,
    roles: 'not passed',
    describe: {
      bench: 'warm-up, seconds (sent, not measured; 30 with an external job)',
    },
  },
  patients: {
    flag: 'patients',
    type: 'number',
    default: DEFAULT_PATIENTS,
    noDefaultIn: ['bench'],
    rule: 'positiveInt',
    max: LIMITS.patients,
    sweep: true,
    comparable: true,
    roles: 'not passed',
    describe: {
      bench: `patients (default: one per reading per second, i.e. 1 Hz monitors; max ${fmtCount(LIMITS.patients)})`,
      dataset: `patients in total, split across sources (max ${fmtCount(LIMITS.patients)})`,
    },
  },
  sources: {
    flag: 'sources',
    type: 'number',
    default: DEFAULT_SOURCES,
    rule: 'positiveInt',
    max: LIMITS.sources,
    sweep: false,
    comparable: true,
    roles: { to: ALL_ROLES },
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
    comparable: true,
    roles: { to: ALL_ROLES },
    describe: {
      bench: 'partitions per topic',
      role: 'partitions per topic when the topics must be created',
      produce: 'partitions per topic when creating the topics',
    },
  },
  rules: {
    flag: 'rules',
    type: 'string',
    default: DEFAULT_PROFILE,
    comparable: { by: 'rules_resolved' },
    roles: { to: ALL_ROLES },
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
    comparable: true,
    roles: { to: ['batch'], flag: 'every' },
    describe: { bench: 'seconds between batch passes (plus a final pass)' },
  },
  threads: {
    flag: 'threads',
    type: 'number',
    default: 2,
    rule: 'positiveInt',
    sweep: true,
    comparable: true,
    roles: { to: ['batch'] },
    describe: { bench: 'batch worker threads (Piscina)', role: 'batch: Piscina worker threads' },
  },
  seed: {
    flag: 'seed',
    type: 'number',
    default: 1,
    rule: 'integer',
    sweep: true,
    comparable: true,
    roles: 'not passed',
    describe: { bench: 'random seed of the generator', dataset: 'random seed: same seed, same readings' },
  },
  prevalence: {
    flag: 'prevalence',
    type: 'number',
    default: 0.05,
    rule: 'fraction',
    sweep: true,
    comparable: true,
    roles: 'not passed',
    describe: {
      bench: 'fraction of readings inside injected anomaly episodes',
      dataset: 'expected fraction of readings inside an anomaly episode',
    },
  },
  modes: {
    flag: 'modes',
    type: 'string',
    default: 'stream,batch',
    comparable: true,
    roles: 'not passed',
    describe: { bench: 'modes to run: stream, batch, and external modes (--external, --with-spark, --with-flink)' },
  },
  latenessMs: {
    flag: 'lateness-ms',
    type: 'number',
    default: 2000,
    rule: 'nonNegative',
    sweep: true,
    unit: 'ms',
    comparable: true,
    roles: { to: ALL_ROLES },
    refusedIn: {
      produce:
        "--lateness-ms is the pipelines' allowed lateness (bench, ingest, stream, batch); produce's is now --late-by-ms: how late the --late-fraction readings are sent",
    },
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
    comparable: true,
    roles: { to: ALL_ROLES },
    describe: {
      bench: 'stream: idle partition timeout for the watermark',
      role: 'stream: a partition silent this long stops holding the watermark',
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
    comparable: false,
    roles: { to: ['stream'] },
    describe: {
      bench:
        'stream: least time between two fetches while readings keep arriving (each fetch takes what arrived meanwhile into one transaction; 0: a fetch per arrival)',
      role: 'stream: least time between two fetches while readings keep arriving (0: fetch on every arrival)',
    },
  },
  batchNice: {
    flag: 'batch-nice',
    type: 'number',
    // Two shared cores: a batch pass (a pool of worker threads at full speed for a second or two)
    // otherwise takes the cores the stream's next fetch and commit need, and shows up in the
    // stream's tail (the per-second p99 peaked at each pass: 39, 47, 62 ms against 10-35 between).
    default: 10,
    rule: 'nonNegativeInt',
    max: 19,
    comparable: false,
    roles: 'not passed',
    describe: {
      bench:
        "niceness of the ingest and batch roles (batch's path, whose results wait for the next pass anyway): on shared cores a batch pass would otherwise show in the stream's tail; 0 runs them at the stream's priority (--find-max's default, which judges whether ingest keeps up). CPU time is counted the same either way",
    },
  },
  topicPrefix: {
    flag: 'topic-prefix',
    type: 'string',
    default: '',
    comparable: false,
    roles: { to: ALL_ROLES },
    describe: {
      bench: 'prefix for the topic names',
      role: 'prefix of the topic names (isolation for tests)',
      produce: 'prefix of the topic names',
    },
  },
  fault: {
    flag: 'fault',
    param: 'faults',
    type: 'string',
    array: true,
    comparable: true,
    roles: 'not passed',
    describe: {
      bench: (f) => `inject a fault during each run, repeatable: ${f.faultSyntax}; times from the start of the load`,
    },
  },
  maxRestarts: {
    flag: 'max-restarts',
    type: 'number',
    // The supervisor's own default (DEFAULT_RESTART_POLICY, src/harness/processes/supervisor.ts) is the same: a unit test checks.
    default: 3,
    rule: 'nonNegativeInt',
    sweep: false,
    comparable: false,
    roles: 'not passed',
    describe: { bench: 'restarts of a pipeline role that ends unexpectedly, per role and run' },
  },
  injectDelayMs: {
    flag: 'inject-delay-ms',
    type: 'number',
    default: 0,
    rule: 'nonNegative',
    max: LIMITS.injectDelayMs,
    sweep: true,
    unit: 'ms',
    comparable: false,
    roles: { to: ['stream'] },
    describe: {
      bench: "calibration: each batch of the stream's results waits this long before its database commit",
      role: 'stream: results wait this long before their database commit (calibration)',
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
    comparable: false,
    roles: 'not passed',
    describe: {
      bench:
        "load-generator processes: the patients split across them, one global schedule (so --find-max measures the pipelines, not one producer's core)",
    },
  },
  kafkaClient: {
    flag: 'kafka-client',
    type: 'string',
    default: DEFAULT_KAFKA_CLIENT,
    choices: KAFKA_CLIENTS,
    comparable: false,
    roles: { to: ['ingest', 'stream'] },
    describe: {
      bench: 'Kafka client of the producer, ingest and stream (recorded in the run)',
      role: 'ingest, stream: Kafka client of the consumer',
      produce: 'Kafka client of the producer',
    },
  },
} as const satisfies Record<string, ParameterDecl>;

/**
 * The options of the pipeline roles that are not run parameters: what the harness tells every
 * role of a run (src/harness/run/pipelines.ts) and what a role started by hand may set.
 */
export const ROLE_OPTIONS = {
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
} as const satisfies Record<string, OptionDecl>;

type Params = typeof RUN_PARAMETERS;
export type ParameterKey = keyof Params;

/** The key of a parameter in RunOptions and results.json `parameters`: `param`, else the option's key. */
type ParamName<K extends ParameterKey> = Params[K] extends { param: infer P extends string } ? P : K;

/** The value an option of type D holds once parsed (a comma list as text is bench's business: option-list.ts). */
export type ValueOf<D> = D extends { array: true }
  ? string[]
  : D extends { type: 'number' }
    ? number
    : D extends { type: 'boolean' }
      ? boolean
      : D extends { choices: readonly (infer C)[] }
        ? C
        : string;

/** Every run parameter's value, keyed as a run records it (RunOptions builds on this). */
export type ParameterValues = { [K in ParameterKey as ParamName<K>]: ValueOf<Params[K]> };

type ComparableName<K extends ParameterKey> = Params[K] extends { comparable: { by: infer B extends string } }
  ? B
  : Params[K] extends { comparable: true }
    ? ParamName<K>
    : never;

/** A key of results.json `parameters` that two comparable runs share. */
export type ComparableKey = { [K in ParameterKey]: ComparableName<K> }[ParameterKey];

/** The run parameters' keys, in declaration order. */
export const PARAMETER_KEYS = Object.keys(RUN_PARAMETERS) as ParameterKey[];

/** The declaration of a run parameter, widened. */
export function parameterDecl(key: ParameterKey): ParameterDecl {
  return RUN_PARAMETERS[key];
}

/** The key a run records a parameter under (RunOptions, results.json `parameters`). */
export function paramName(key: ParameterKey): string {
  return parameterDecl(key).param ?? key;
}

/** The parameters declared comparable, as the keys of results.json `parameters` they compare, in declaration order. */
export function comparableKeys(): ComparableKey[] {
  return PARAMETER_KEYS.flatMap((k): ComparableKey[] => {
    const c = parameterDecl(k).comparable;
    if (c === false) return [];
    return [(typeof c === 'object' ? c.by : paramName(k)) as ComparableKey];
  });
}

/** The parameters the harness passes to `role`, each with the role command's flag. */
export function roleParameters(role: Role): Array<{ key: ParameterKey; name: string; flag: string }> {
  return PARAMETER_KEYS.flatMap((key) => {
    const d = parameterDecl(key);
    if (d.roles === 'not passed' || !d.roles.to.includes(role)) return [];
    return [{ key, name: paramName(key), flag: d.roles.flag ?? d.flag }];
  });
}
