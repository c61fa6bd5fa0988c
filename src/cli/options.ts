/**
 * Every command-line option declared once: the run's parameters and the roles' options
 * (src/harness/report/parameters.ts, where the harness reads them too), and here the options
 * that only a command has. Each command builds its yargs options from these declarations
 * (declareOptions) and gets its arguments' type from them (ArgsOf): the options a command takes
 * are those whose help has a text for it, in declaration order.
 *
 * An option has one meaning everywhere, and one default and one bound unless a command declares
 * its own (generate's --rate, history's --out); its help text may be worded for the command (a
 * role says what it does with the option, bench that a comma list sweeps it).
 */
import type { Argv, Options, PositionalOptions } from 'yargs';
import { FAULT_SYNTAX } from '../harness/faults/spec.js';
import {
  LIMITS,
  ROLE_OPTIONS,
  RUN_PARAMETERS,
  type Command,
  type Help,
  type HelpFacts,
  type OptionDecl,
  type ValueOf,
} from '../harness/report/parameters.js';
import { DEFAULT_MAIN_CHECK_OPTIONS } from '../harness/track/main-check.js';
import { UsageError } from './args.js';

export { LIMITS };
export type { Command, Rule } from '../harness/report/parameters.js';

const d = DEFAULT_MAIN_CHECK_OPTIONS;

/** The options of one command or two that are not run parameters. */
const COMMAND_OPTIONS = {
  repeat: {
    setting: true,
    flag: 'repeat',
    type: 'number',
    default: 1,
    rule: 'positiveInt',
    sweep: false,
    describe: {
      bench: "runs per value of a sweep (or of a single run); the sweep report gives each figure's median and spread",
    },
  },
  out: {
    setting: true,
    flag: 'out',
    type: 'string',
    default: 'results/runs',
    defaultIn: { history: 'results/history' },
    noDefaultIn: ['generate'],
    demandIn: ['generate'],
    describe: {
      bench: 'folder for the run folders',
      history: 'folder for history.md and the charts',
      generate: 'output file',
    },
  },
  engines: {
    setting: true,
    flag: 'engines',
    type: 'string',
    describe: {
      bench:
        'comma list of engines (stream, batch, spark, flink, or --external names): runs each alone, then all together (--repeat times each), and writes one engines table (engines.md, .csv, .json)',
    },
  },
  findMax: {
    setting: true,
    flag: 'find-max',
    type: 'boolean',
    default: false,
    describe: { bench: 'search the sustainable throughput (METRICS.md), starting at --rate' },
  },
  profile: {
    setting: true,
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
  count: {
    flag: 'count',
    type: 'number',
    demandIn: ['generate'],
    describe: { generate: 'readings to write', produce: 'readings to send' },
  },
  format: {
    flag: 'format',
    type: 'string',
    default: 'jsonl',
    describe: { generate: 'jsonl or csv' },
  },
  replay: {
    flag: 'replay',
    type: 'string',
    describe: { produce: 'a JSON-lines data set (from generate) to replay' },
  },
  fromApi: {
    flag: 'from-api',
    type: 'string',
    array: true,
    describe: { produce: "device API endpoint URLs to poll (the seed's producer)" },
  },
  pollMs: {
    flag: 'poll-ms',
    type: 'number',
    default: 2000,
    describe: { produce: 'with --from-api: poll interval' },
  },
  jitterMs: {
    flag: 'jitter-ms',
    type: 'number',
    default: 0,
    describe: { produce: 'fault: send 10% of readings up to this late (out of order)' },
  },
  lateByMs: {
    flag: 'late-by-ms',
    type: 'number',
    default: 0,
    describe: {
      produce:
        "fault: a late reading (--late-fraction) is sent more than this and up to twice this many ms after its time; give the pipelines' --lateness-ms to make them late there",
    },
  },
  lateFraction: {
    flag: 'late-fraction',
    type: 'number',
    default: 0,
    describe: { produce: 'fault: fraction of readings sent later than --late-by-ms' },
  },
  duplicateFraction: {
    flag: 'duplicate-fraction',
    type: 'number',
    default: 0,
    describe: { produce: 'fault: fraction of readings sent twice' },
  },
  malformedFraction: {
    flag: 'malformed-fraction',
    type: 'number',
    default: 0,
    describe: { produce: 'fault: malformed messages per reading' },
  },
  truthOut: {
    flag: 'truth-out',
    type: 'string',
    describe: { produce: 'write the ground truth (episodes, faults, timing) to this JSON file' },
  },
  port: {
    flag: 'port',
    type: 'number',
    default: 5000,
    describe: { api: 'port to listen on (0: any free port)' },
  },
  host: {
    flag: 'host',
    type: 'string',
    default: '127.0.0.1',
    describe: { api: 'address to listen on' },
  },
  file: {
    flag: 'file',
    type: 'string',
    default: 'results/history.jsonl',
    describe: { history: 'the history file (JSON lines)' },
  },
  check: {
    flag: 'check',
    type: 'boolean',
    default: false,
    describe: {
      history:
        'instead: judge the newest run against the earlier runs of its parameter set on its machine; Markdown on stdout (exit 0 pass, 1 regression, 3 inconclusive)',
    },
  },
  last: {
    flag: 'last',
    type: 'number',
    default: d.last,
    describe: { history: 'with --check: the PREVIOUS runs compared with (at most)' },
  },
  recent: {
    flag: 'recent',
    type: 'number',
    default: d.recent,
    describe: { history: 'with --check: the newest runs that are the NEW sample (the newest run among them)' },
  },
  threshold: {
    flag: 'threshold',
    type: 'number',
    default: d.threshold,
    describe: {
      history: 'with --check: a change must exceed this fraction, beyond the PREVIOUS range and of the medians',
    },
  },
  alpha: {
    flag: 'alpha',
    type: 'number',
    default: d.alpha,
    describe: { history: 'with --check: ...with a Mann-Whitney p below this' },
  },
  minRuns: {
    flag: 'min-runs',
    type: 'number',
    default: d.minPrevious,
    describe: { history: 'with --check: fewer PREVIOUS runs than this: inconclusive' },
  },
  markdown: {
    flag: 'markdown',
    type: 'string',
    describe: { history: 'with --check: also write the Markdown to this file' },
  },
  dir: {
    flag: 'dir',
    type: 'string',
    positional: true,
    demandIn: ['report'],
    describe: { report: 'a run folder (with its results.json) or a sweep folder (with its sweep.json)' },
  },
} as const satisfies Record<string, OptionDecl>;

export const OPTIONS = {
  config: {
    setting: true,
    flag: 'config',
    type: 'string',
    describe: { bench: 'JSON file with any of these options (command-line values win)' },
  },
  ...RUN_PARAMETERS,
  ...ROLE_OPTIONS,
  ...COMMAND_OPTIONS,
} as const satisfies Record<string, OptionDecl>;

type Decls = typeof OPTIONS;
export type OptionKey = keyof Decls;

/** The declaration of an option by key (latenessMs), widened to OptionDecl. */
export function decl(key: OptionKey): OptionDecl {
  return OPTIONS[key];
}

/** What the help texts need from the rooms above the declarations. */
const HELP_FACTS: HelpFacts = { faultSyntax: FAULT_SYNTAX };

/** A help text as the command shows it. */
function helpText(help: Help): string {
  return typeof help === 'function' ? help(HELP_FACTS) : help;
}

/** The options `command` takes, in declaration order (the order its help lists them). */
export function optionKeys(command: Command): OptionKey[] {
  return (Object.keys(OPTIONS) as OptionKey[]).filter((k) => decl(k).describe[command] !== undefined);
}

/** Said in bench's help of each option that a comma list sweeps. */
const SWEEP_NOTE = '; a comma list runs a sweep';

/** Whether `command` reads a numeric option as text: bench (a comma list "2,10,30" would parse to NaN) and `textIn`. */
function readsAsText(d: OptionDecl, command: Command): boolean {
  return d.type === 'number' && (command === 'bench' || (d.textIn?.includes(command) ?? false));
}

/** The default of an option in `command`, if it has one there. */
function defaultIn(d: OptionDecl, command: Command): OptionDecl['default'] {
  if (d.noDefaultIn?.includes(command)) return undefined;
  return d.defaultIn?.[command] ?? d.default;
}

/**
 * The yargs declaration of an option in a command. A numeric option that bench reads as text
 * (parsed by option-list.ts) shows its default as text too; elsewhere it is a number.
 */
function yargsOption(key: OptionKey, command: Command): Options {
  const d = decl(key);
  const help = d.describe[command];
  if (help === undefined) throw new Error(`option --${d.flag} is not declared for ${command}`);
  const text = readsAsText(d, command);
  let describe = helpText(help);
  if (command === 'bench' && d.sweep) describe += SWEEP_NOTE;
  if (command === 'bench' && d.example) describe += ` (${d.example})`;
  const o: Options = { type: text ? 'string' : d.type, describe };
  if (d.array) o.array = true;
  if (d.choices) o.choices = [...d.choices];
  if (d.demandIn?.includes(command)) o.demandOption = true;
  const value = defaultIn(d, command);
  if (value !== undefined) o.default = text ? String(value) : value;
  return o;
}

/**
 * Declare the options of `command` on `y`, and refuse (exit 2, with the declared message) a flag
 * that means something else in this command (`refusedIn`).
 */
export function declareOptions<C extends Command, T>(y: Argv<T>, command: C): Argv<T & ArgsOf<C>> {
  let out = y as unknown as Argv;
  for (const key of optionKeys(command)) {
    const d = decl(key);
    const o = yargsOption(key, command);
    out = d.positional ? out.positional(d.flag, o as PositionalOptions) : out.option(d.flag, o);
  }
  const refused = (Object.keys(OPTIONS) as OptionKey[]).filter((k) => decl(k).refusedIn?.[command] !== undefined);
  for (const key of refused) out = out.option(decl(key).flag, { type: decl(key).type, hidden: true });
  if (refused.length)
    out = out.check((argv) => {
      const given = refused.find((k) => argv[k] !== undefined);
      if (given) throw new UsageError(decl(given).refusedIn![command]);
      return true;
    });
  return out as unknown as Argv<T & ArgsOf<C>>;
}

// -------------------------------------------------------------------------------------------------
// The arguments' types, derived from the declarations: the compiler sees every option a command
// takes, with the type it parses to, required when it has a default there (or is demanded).

/** Whether `C` is in the declaration's list field F (noDefaultIn, demandIn, textIn). */
type In<D, F extends string, C> = D extends { [P in F]: readonly (infer X)[] } ? (C extends X ? true : false) : false;

type Takes<D, C extends Command> = D extends { describe: { [P in C]: Help } } ? true : false;

/** Present in the parsed arguments: demanded, or with a default in the command. */
type Present<D, C extends Command> =
  In<D, 'demandIn', C> extends true
    ? true
    : In<D, 'noDefaultIn', C> extends true
      ? false
      : D extends { default: unknown }
        ? true
        : D extends { defaultIn: { [P in C]: unknown } }
          ? true
          : false;

/** A number bench reads as text: "10", a comma list "2,10,30", or a number (from --config or --profile). */
type NumberText = string | number;

type ArgValue<D, C extends Command> = D extends { type: 'number' }
  ? C extends 'bench'
    ? NumberText
    : In<D, 'textIn', C> extends true
      ? string
      : number
  : ValueOf<D>;

/** bench's numeric options that have a default there, parsed (option-list.ts). */
export type BenchDefaults = {
  [
    K in OptionKey as Numeric<Decls[K]> extends true ? (Present<Decls[K], 'bench'> extends true ? K : never) : never
  ]: number;
};

/** bench's numeric options as option-list.ts parses them: each a number, absent where bench has no default (--patients). */
export type BenchNumbers = BenchDefaults & {
  [
    K in OptionKey as Numeric<Decls[K]> extends true ? (Present<Decls[K], 'bench'> extends true ? never : K) : never
  ]?: number;
};

type Numeric<D> = D extends { rule: string; describe: { bench: Help } } ? true : false;

/** The arguments of `command` as yargs parses them, keyed by option (camel case of the flag). */
export type ArgsOf<C extends Command> = {
  [
    K in OptionKey as Takes<Decls[K], C> extends true ? (Present<Decls[K], C> extends true ? K : never) : never
  ]: ArgValue<Decls[K], C>;
} & {
  [
    K in OptionKey as Takes<Decls[K], C> extends true ? (Present<Decls[K], C> extends true ? never : K) : never
  ]?: ArgValue<Decls[K], C>;
};
