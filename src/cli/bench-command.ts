import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { PROJECT_ROOT } from '../config.js';
import {
  fmtCount,
  fmtMs,
  fmtNum,
  fmtRatio,
  fmtSeconds,
  fmtValue,
  partyName,
  plural,
} from '../harness/report/format.js';
import { agreementApplies, costBasis, modeViews, whyNotApplies } from '../harness/report/modes-view.js';
import { validityProblems, verdictWords } from '../harness/report/verdict.js';
import { rerenderReport, writeSweepReport } from '../harness/report/write.js';
import type { RunResult, SweepResult } from '../results/schema.js';
import { createProgress, type Progress } from '../harness/run/progress.js';
import {
  ensureFlink,
  ensureServices,
  ensureSpark,
  runOnce,
  RunNotWrittenError,
  type RunOptions,
  type RunOutcome,
} from '../harness/run/run.js';
import { parseExternalSpecs, type ExternalSpec } from '../harness/processes/external-spec.js';
import { isMode } from '../domain/modes.js';
import { isSustainable, limitSentence, onlyFellBehind } from '../harness/measure/sustainable.js';
import { searchMax, type FindMaxResult, type RateVerdict } from '../harness/run/find-max.js';
import type { Mode } from '../domain/modes.js';
import { loadRuleSet } from '../pipelines/rules/parse.js';
import type { RuleSet } from '../pipelines/rules/types.js';
import { loadServiceConfig } from '../config.js';
import { checkFaultsRunnable, checkFaultTargets, parseFaultSpec, type FaultSpec } from '../harness/faults/spec.js';
import { checkDatabase, checkKafka, checkServices } from '../infra/preflight.js';
import { kafkaClientArg, UsageError } from './args.js';
import { BENCH_DEFAULTS, LIMITS, numericOption, parseBenchNumbers, type NumericOption } from './option-list.js';
import {
  decl,
  declareOptions,
  OPTIONS,
  optionKeys,
  type ArgsOf,
  type BenchNumbers,
  type OptionKey,
} from './options.js';
import { recordRun } from './history-command.js';
import { engineRunOptions, engineSettings, ENGINE_EXAMPLES, parseEngines, type EngineSetting } from './engines-plan.js';
import { writeEnginesReport } from '../harness/report/engines-bench.js';
import type { EnginesRuns } from '../results/schema.js';
import { PARAMETER_KEYS, paramName, parameterDecl } from '../harness/report/parameters.js';

/** Defaults of the numeric options (declared in options.ts; planBench falls back on them). */
const DEFAULTS = BENCH_DEFAULTS;

/**
 * The options of `bench`. Numeric options are read as text and parsed by option-list.ts: yargs
 * would turn a comma list ("2,10,30") into NaN. One option at a time may be a list.
 */
export function benchOptions<T>(y: Argv<T>): Argv<T & BenchArgs> {
  return declareOptions(y, 'bench');
}

/**
 * The command line: a run's options as typed on it, plus what spans runs (declared in
 * options.ts); --history is false for --no-history.
 */
export type BenchArgs = Omit<ArgsOf<'bench'>, 'history'> & { history?: string | false };

/**
 * The seed project's scenario: 3 devices with 3 patients each, about one reading a second, its
 * rules, and its architecture: the built-in stream and batch beside the Spark example.
 */
const SEED_PROFILE: Partial<BenchArgs> = {
  withSpark: true,
  rate: '1',
  patients: 9,
  sources: 3,
  rules: 'seed',
  warmup: 5,
  duration: 60,
  batchInterval: 10,
};

/**
 * The CI profile: short (about 90 s a run on 2 cores), fixed seed, both modes, every
 * option that shapes the load pinned so that a change of a default never moves CI's baseline.
 */
const CI_PROFILE: Partial<BenchArgs> = {
  rate: 500,
  duration: 60,
  warmup: 10,
  patients: 500,
  sources: 3,
  partitions: 3,
  rules: 'clinical',
  batchInterval: 10,
  threads: 2,
  seed: 42,
  prevalence: 0.05,
  modes: 'stream,batch',
  latenessMs: 2000,
  idleMs: 1000,
  fetchIntervalMs: 5,
  batchNice: 10,
};

const PROFILES: Record<string, Partial<BenchArgs>> = { seed: SEED_PROFILE, ci: CI_PROFILE };

export interface Plan {
  /**
   * The option the runs differ in, with its values in the order typed: the option given as a
   * comma list, else the rate (one value, or --find-max's start).
   */
  swept: { option: NumericOption; values: number[] };
  /** A grid's second option (two options given as lists): every value of `swept` runs with every value of this one. */
  grid?: { option: NumericOption; values: number[] };
  /** What the user should know before the runs start (a measured phase shorter than the rules' windows). */
  notices: string[];
  /** Every run's options but the swept one's value (patients absent: one per reading/s). */
  base: Omit<RunOptions, 'patients'> & { patients?: number };
  repeat: number;
  findMax: boolean;
  /** --engines: each alone, then all together (engines-plan.ts). */
  engines?: string[];
  /** The settings as the sweep records them (sweep.json options, the report's Settings section). */
  settings: Record<string, unknown>;
}

/** The options typed on a command line, as keys ("--batch-interval=2" and "--no-services": batchInterval, services). */
export function explicitOptions(tokens: readonly string[]): Set<string> {
  return new Set(
    tokens
      .filter((t) => t.startsWith('--'))
      .map((t) =>
        t
          .slice(2)
          .split('=')[0]!
          .replace(/^no-/, '')
          .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
      ),
  );
}

/** Validate everything before anything starts: bad arguments exit 2 with the problem named. */
export async function planBench(argv: BenchArgs, explicit: Set<string>): Promise<Plan> {
  const chosen = new Set(explicit);
  const a = withProfile(withConfigFile({ ...argv }, explicit, chosen), explicit, chosen);
  const warmupNotice = externalWarmup(a, chosen);
  const niceNotice = findMaxNice(a, chosen);
  // Every numeric option parsed from its text, each value checked and quoted as typed when
  // refused; at most one of them a list.
  const parsed = parseBenchNumbers(a);
  const n = { ...DEFAULTS, ...parsed.values } as PlanNumbers;
  const swept = parsed.list ?? { option: numericOption('rate')!, values: [n.rate] };
  const grid = parsed.grid;
  const valuesOf = (key: string): number[] =>
    swept.option.key === key
      ? swept.values
      : grid?.option.key === key
        ? grid.values
        : [(n as Record<string, number>)[key]!];
  checkPatients(n, valuesOf);
  const engines = a.engines === undefined ? undefined : enginesOf(a, explicit, parsed.list !== undefined);
  const externals = externalSpecs(a);
  const { modes, external } = parseModes(a.modes, externals, explicit.has('modes'));
  checkFindMax(a.findMax, parsed.list);
  checkSendsReadings(valuesOf);
  const shortestLoadS = Math.min(...valuesOf('warmup')) + Math.min(...valuesOf('duration'));
  const faults = parseFaults(a.fault ?? [], shortestLoadS, ['ingest', ...modes, ...external.map((e) => e.name)]);
  const ruleSet = await loadRuleSet(a.rules).catch((err: Error) => {
    throw new UsageError(err.message);
  });
  checkHoldsBatchPass(modes, valuesOf);
  checkOutDir(a.out);
  const base = baseOptions(a, n, modes, faults);
  return {
    swept,
    ...(grid ? { grid } : {}),
    notices: [...warmupNotice, ...niceNotice, ...windowNotices(ruleSet, valuesOf)],
    repeat: n.repeat,
    findMax: a.findMax,
    ...(engines ? { engines } : {}),
    base: { ...base, ...externalOptions(n, external) },
    settings: {
      ...settingsOf(base, a, n, [...modes, ...external.map((e) => e.name)], swept),
      ...(grid ? { [grid.option.key]: grid.values } : {}),
      ...externalSettings(external),
    },
  };
}

/**
 * --engines checked (engines-plan.ts), and the modes it runs set: its examples' --with-* flags and
 * --modes naming every engine (each setting then runs its own subset).
 */
function enginesOf(a: BenchArgs, explicit: Set<string>, sweep: boolean): string[] {
  const declared = (a.external ?? []).map((t) => t.split('=')[0]!.trim());
  const conflicts = [
    ...(explicit.has('modes') ? ['--modes'] : []),
    ...(a.findMax ? ['--find-max'] : []),
    ...(sweep ? ['a comma list of another option'] : []),
    ...(a.fault?.length ? ['--fault'] : []),
  ];
  const engines = parseEngines(a.engines!, declared, conflicts);
  for (const e of engines)
    if (Object.hasOwn(ENGINE_EXAMPLES, e) && !declared.includes(e)) a[ENGINE_EXAMPLES[e]!] = true;
  a.modes = engines.join(',');
  explicit.add('modes');
  return engines;
}

/**
 * Validity before verdict: a batch measured over a phase shorter than its interval has no pass
 * inside it, and its latency would be the drain's final pass; such a run is refused before
 * anything starts, naming the duration it needs.
 */
function checkHoldsBatchPass(modes: readonly string[], valuesOf: (key: string) => number[]): void {
  if (!modes.includes('batch')) return;
  const interval = Math.max(...valuesOf('batchInterval'));
  const duration = Math.min(...valuesOf('duration'));
  if (duration < interval)
    throw new UsageError(
      `--duration ${fmtValue(duration)} s cannot hold one batch pass every ${fmtValue(interval)} s: the batch latency would measure only the final pass after the load. ` +
        `The measured phase needs at least --duration ${fmtValue(interval)} (${fmtValue(3 * interval)} s, three passes, to measure the batch latency well), or a shorter --batch-interval, or --modes without batch`,
    );
}

/** A measured phase shorter than the rules' longest window: said before the runs start (the run goes on; window results will be few). */
function windowNotices(ruleSet: RuleSet, valuesOf: (key: string) => number[]): string[] {
  const windowS = Math.max(0, ...ruleSet.rules.map((r) => (r.kind === 'window' ? r.window_s : 0)));
  const duration = Math.min(...valuesOf('duration'));
  if (windowS === 0 || duration >= windowS) return [];
  return [
    `--duration ${fmtValue(duration)} s is shorter than the rules' ${windowS} s windows: window results will be few and mostly half-filled (every reading's latency is still measured); for window figures measure at least ${windowS * 3} s`,
  ];
}

/** The numeric options: as parsed, else their defaults (patients absent: one per reading/s). */
type PlanNumbers = BenchNumbers;

/** The options of a --config file under those not given on the command line. */
function withConfigFile(a: BenchArgs, explicit: Set<string>, chosen: Set<string>): BenchArgs {
  if (!a.config) return a;
  if (!existsSync(a.config)) throw new UsageError(`--config: no such file ${a.config}`);
  let fromFile: Record<string, unknown>;
  try {
    fromFile = JSON.parse(readFileSync(a.config, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--config ${a.config}: invalid JSON: ${(err as Error).message}`);
  }
  const known = new Set<string>(optionKeys('bench'));
  for (const [k, v] of Object.entries(fromFile)) {
    const key = k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!known.has(key) || key === 'config') throw new UsageError(`--config ${a.config}: unknown option "${k}"`);
    checkConfigValue(a.config, k, key, v);
    // A list in the file ("batchInterval": [2, 10, 30]) reads as the command line's comma list.
    if (!explicit.has(key))
      (a as unknown as Record<string, unknown>)[key] = Array.isArray(v) && key !== 'fault' ? v.join(',') : v;
    chosen.add(key);
  }
  return a;
}

/**
 * A value of a --config file of the type its option takes: a string option a string, a boolean one
 * true or false, a numeric one a number, a numeric text or (a list) an array of numbers, a
 * repeatable one a string or an array of strings.
 */
function checkConfigValue(file: string, name: string, key: string, v: unknown): void {
  const d = Object.hasOwn(OPTIONS, key) ? decl(key as OptionKey) : undefined;
  if (!d) return;
  const isNum = (x: unknown): boolean => typeof x === 'number' || typeof x === 'string';
  const ok =
    d.array === true
      ? typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))
      : d.rule !== undefined
        ? isNum(v) || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number'))
        : d.type === 'boolean'
          ? typeof v === 'boolean'
          : typeof v === 'string';
  if (!ok) {
    const want =
      d.array === true
        ? 'a string or a list of strings'
        : d.rule !== undefined
          ? 'a number or a list of numbers'
          : d.type === 'boolean'
            ? 'true or false'
            : 'a string';
    throw new UsageError(`--config ${file}: "${name}" must be ${want}, got ${JSON.stringify(v)}`);
  }
}

/**
 * The output folder can take a run's folder: made if missing, and written to (a file created and
 * removed), so that a read-only or unreachable folder is refused before anything starts.
 */
function checkOutDir(out: string): void {
  const dir = resolve(out);
  try {
    mkdirSync(dir, { recursive: true });
    const probe = join(dir, `.vitals-bench-write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`--out ${out}: cannot write run folders there (${e.code ?? 'error'}: ${e.message})`);
  }
}

/** The options of --profile under those not given on the command line. */
function withProfile(a: BenchArgs, explicit: Set<string>, chosen: Set<string>): BenchArgs {
  if (a.profile === undefined) return a;
  const profile = Object.hasOwn(PROFILES, a.profile) ? PROFILES[a.profile] : undefined;
  if (!profile)
    throw new UsageError(
      `--profile must be ${Object.keys(PROFILES)
        .map((p) => `"${p}"`)
        .join(' or ')}, got ${a.profile}`,
    );
  for (const [k, v] of Object.entries(profile)) {
    if (!explicit.has(k)) (a as unknown as Record<string, unknown>)[k] = v;
    chosen.add(k);
  }
  return a;
}

/**
 * The warm-up when an external job runs and no warm-up was chosen (command line, --config or
 * --profile): an engine on a JVM (the Flink and Spark examples) compiles its hot code and sizes
 * its heap in its first tens of seconds of load, so a 10 s warm-up measures that, not the engine
 * (docs/RESULTS.md). Said before the runs start.
 */
const EXTERNAL_WARMUP_S = 30;

function externalWarmup(a: BenchArgs, chosen: Set<string>): string[] {
  const examples = (a.engines ?? '').split(',').some((e) => Object.hasOwn(ENGINE_EXAMPLES, e.trim()));
  const external = a.withSpark || a.withFlink || (a.external?.length ?? 0) > 0 || examples;
  if (!external || chosen.has('warmup')) return [];
  const before = a.warmup;
  a.warmup = EXTERNAL_WARMUP_S;
  return [
    `warm-up ${EXTERNAL_WARMUP_S} s, not ${before}: an external job runs, and an engine on a JVM compiles its hot code in its first tens of seconds of load; --warmup sets it`,
  ];
}

/**
 * --find-max runs ingest and batch at the stream's priority unless --batch-nice was chosen: at
 * nice 10, a machine busy for a moment gives its cores to everything else first, so ingest's
 * backlog at the end of the load (a sustainability criterion) grows while the machine as a whole
 * could still keep up, and the search finds a lower rate than the pipelines sustain (RESULTS.md).
 * The niceness exists for the stream's tail at a fixed rate, which find-max does not judge by.
 */
function findMaxNice(a: BenchArgs, chosen: Set<string>): string[] {
  if (!a.findMax || chosen.has('batchNice') || a.batchNice === 0) return [];
  const before = a.batchNice;
  a.batchNice = 0;
  return [
    `ingest and batch at nice 0, not ${before}: --find-max judges whether every pipeline keeps up, and a lower priority makes ingest fall behind first on a busy machine; --batch-nice sets it`,
  ];
}

function checkPatients(n: PlanNumbers, valuesOf: (key: string) => number[]): void {
  if (n.patients === undefined) return;
  const generators = Math.max(...valuesOf('generators'));
  for (const p of valuesOf('patients')) {
    if (p < n.sources) throw new UsageError(`--patients (${p}) must be at least --sources (${n.sources})`);
    if (p < generators)
      throw new UsageError(
        `--generators ${generators} splits the patients across processes: it needs at least as many patients, got --patients ${p}`,
      );
  }
}

/** The command of --with-spark (docs/EXTERNAL.md; set up by scripts/spark.sh). */
const SPARK_EXAMPLE: ExternalSpec = { name: 'spark', command: 'bash examples/spark/run.sh' };

/** The command of --with-flink (docs/EXTERNAL.md; set up by scripts/flink.sh). */
const FLINK_EXAMPLE: ExternalSpec = { name: 'flink', command: 'bash examples/flink/run.sh' };

/** The project's examples, each added as an external mode by its --with-NAME flag. */
const EXAMPLES: readonly { flag: 'withSpark' | 'withFlink'; spec: ExternalSpec }[] = [
  { flag: 'withSpark', spec: SPARK_EXAMPLE },
  { flag: 'withFlink', spec: FLINK_EXAMPLE },
];

/** --external specs, and the examples' with --with-spark and --with-flink. */
function externalSpecs(a: BenchArgs): ExternalSpec[] {
  let specs: ExternalSpec[];
  try {
    specs = parseExternalSpecs(a.external ?? []);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  for (const { flag, spec } of EXAMPLES) {
    if (!a[flag]) continue;
    if (specs.some((s) => s.name === spec.name))
      throw new UsageError(
        `--with-${spec.name} declares the external mode "${spec.name}": drop one of --with-${spec.name} and --external ${spec.name}=...`,
      );
    specs.push(spec);
  }
  return specs;
}

/**
 * --modes split into the built-in modes and the external ones it names. --with-spark and
 * --with-flink add their mode to the default modes; an external mode --modes does not name does
 * not run (and is said so).
 */
function parseModes(
  text: string,
  externals: ExternalSpec[],
  modesExplicit: boolean,
): { modes: Mode[]; external: ExternalSpec[] } {
  const names = text
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  if (!modesExplicit)
    for (const { spec } of EXAMPLES) if (externals.some((e) => e.name === spec.name)) names.push(spec.name);
  const modes: Mode[] = [];
  const external: ExternalSpec[] = [];
  for (const m of new Set(names)) {
    if (isMode(m)) modes.push(m);
    else {
      const spec = externals.find((e) => e.name === m);
      if (!spec)
        throw new UsageError(
          `--modes: "${m}" is neither stream nor batch nor an external mode declared with --external ${m}=COMMAND${externals.length ? ` (declared: ${externals.map((e) => e.name).join(', ')})` : ''}`,
        );
      external.push(spec);
    }
  }
  if (modes.length === 0 && external.length === 0) throw new UsageError('--modes names no mode');
  for (const e of externals)
    if (!external.includes(e)) throw new UsageError(`--external ${e.name} is declared but --modes does not include it`);
  return { modes, external };
}

function externalOptions(n: PlanNumbers, external: ExternalSpec[]): Partial<RunOptions> {
  if (!external.length) return {};
  return {
    externals: external,
    externalOptions: {
      readyTimeoutMs: n.externalReadyTimeoutS * 1000,
      pollIntervalMs: n.externalPollMs,
      quietMs: n.externalQuietS * 1000,
    },
  };
}

function externalSettings(external: ExternalSpec[]): Record<string, unknown> {
  return external.length ? { external: external.map((e) => `${e.name}=${e.command}`) } : {};
}

function checkFindMax(findMax: boolean, list: { option: NumericOption } | undefined): void {
  if (!findMax || !list) return;
  // A grid has a list too: --find-max is refused with either.
  throw new UsageError(
    list.option.key === 'rate'
      ? '--find-max takes one starting --rate, not a list'
      : `--find-max searches over --rate; it cannot be combined with a list for --${list.option.flag}`,
  );
}

/** A run must send something to measure: refuse rather than pass on zero readings. */
function checkSendsReadings(valuesOf: (key: string) => number[]): void {
  for (const r of valuesOf('rate')) {
    for (const d of valuesOf('duration')) {
      if (Math.round(r * d) < 1) {
        throw new UsageError(
          `--rate ${fmtValue(r)} for --duration ${fmtValue(d)} s would send no reading in the measured phase; raise the rate or the duration`,
        );
      }
    }
  }
}

/** The --fault specs, each due before the shortest load ends and hitting a role or external job that runs. */
function parseFaults(texts: string[], loadS: number, targets: string[]): FaultSpec[] {
  const faults: FaultSpec[] = [];
  for (const text of texts) {
    let f: FaultSpec;
    try {
      f = parseFaultSpec(text);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (f.atS >= loadS)
      throw new UsageError(`--fault ${text}: at ${f.atS} s is after the load ends (${fmtValue(loadS)} s)`);
    faults.push(f);
  }
  try {
    checkFaultTargets(faults, targets);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return faults;
}

/** Every run parameter's value as planned, keyed as a run records it (the swept ones: their first value). */
function baseOptions(a: BenchArgs, n: PlanNumbers, modes: Mode[], faults: FaultSpec[]): Plan['base'] {
  const args = a as unknown as Record<string, unknown>;
  const numbers = n as Record<string, number | undefined>;
  const values: Record<string, unknown> = {};
  for (const key of PARAMETER_KEYS)
    values[paramName(key)] = parameterDecl(key).rule !== undefined ? numbers[key] : args[key];
  return {
    ...(values as unknown as Omit<Plan['base'], 'modes' | 'faults' | 'kafkaClient' | 'outDir'>),
    modes,
    faults,
    kafkaClient: kafkaClientArg(a.kafkaClient),
    outDir: resolve(a.out),
    ...(a.profile ? { label: `profile-${a.profile}` } : {}),
  };
}

/**
 * The settings as the sweep records them (sweep.json `options`, the report's Settings table),
 * keyed by option: every run parameter as the command line writes it (--patients null: one per
 * reading/s of each run's rate; the modes with the external ones), and the options that say what
 * the sweep was (`setting`), the swept option with its list of values.
 */
function settingsOf(
  base: Plan['base'],
  a: BenchArgs,
  n: PlanNumbers,
  modes: string[],
  swept: Plan['swept'],
): Record<string, unknown> {
  const args = a as unknown as Record<string, unknown>;
  const numbers = n as Record<string, number | undefined>;
  const out: Record<string, unknown> = {};
  for (const key of PARAMETER_KEYS) out[key] = (base as unknown as Record<string, unknown>)[paramName(key)];
  Object.assign(out, { patients: n.patients ?? null, modes, fault: base.faults.map((f) => f.text) });
  for (const key of optionKeys('bench')) {
    if (!decl(key).setting) continue;
    const v = decl(key).rule !== undefined ? numbers[key] : args[key];
    if (v !== undefined && v !== false) out[key] = v;
  }
  return { ...out, [swept.option.key]: swept.values };
}

/**
 * A run's options: the base with the swept option at `value` (and in a grid the second option at
 * `gridValue`); in a sweep, labelled and recording the value.
 */
export function optionsFor(
  plan: Plan,
  value: number,
  outDir: string,
  inSweep: boolean,
  gridValue?: number,
): RunOptions {
  const { flag, key } = plan.swept.option;
  const grid =
    plan.grid && gridValue !== undefined ? { flag: plan.grid.option.flag, key: plan.grid.option.key } : undefined;
  const o = { ...plan.base, [key]: value, ...(grid ? { [grid.key]: gridValue } : {}) } as Plan['base'];
  const patients = o.patients ?? Math.min(LIMITS.patients, Math.max(o.sources, Math.round(o.rate)));
  const label = inSweep
    ? [plan.base.label, `${flag}-${fmtValue(value)}`, ...(grid ? [`${grid.flag}-${fmtValue(gridValue!)}`] : [])]
        .filter(Boolean)
        .join('_')
    : plan.base.label;
  return {
    ...o,
    patients,
    outDir,
    ...(label ? { label } : {}),
    ...(inSweep ? { swept: { option: flag, value } } : {}),
  };
}

export async function benchCommand(argv: BenchArgs, explicit: Set<string>): Promise<number> {
  const plan = await planBench(argv, explicit);
  const progress = createProgress({ tty: Boolean(process.stderr.isTTY), quiet: argv.quiet });
  const abort = new AbortController();
  // Ctrl-C, and what CI cancellation and `timeout` send: both stop the run and report what was measured.
  for (const [sig, reason] of [
    ['SIGINT', 'Ctrl-C'],
    ['SIGTERM', 'SIGTERM'],
  ] as const)
    process.once(sig, () => {
      progress.log(`[bench] interrupted (${reason}): stopping the load and the pipelines, writing what was measured`);
      abort.abort(reason);
    });
  for (const notice of plan.notices) progress.log(`[bench] note: ${notice}`);
  await preflight(argv, plan, progress);

  if (plan.engines) return benchEngines(plan, argv, progress, abort.signal);
  const single = plan.swept.values.length === 1 && !plan.grid && plan.repeat === 1 && !plan.findMax;
  const sweepDir = single ? plan.base.outDir : sweepDirIn(plan.base.outDir);
  const runs = new BenchRuns(plan, { argv, progress, signal: abort.signal, sweepDir, single });
  let findMax: SweepResult['find_max'];
  if (plan.findMax)
    findMax = await findMaxRate(plan.swept.values[0]!, (rate) => runs.run(rate), abort.signal, progress);
  else await runEachValue(plan, runs, abort.signal);
  progress.stop();
  if (!single) await writeSweep(plan, sweepDir, runs, findMax);
  if (abort.signal.aborted) return abort.signal.reason === 'SIGTERM' ? 143 : 130;
  return runs.failedRuns > 0 || runs.outcomes.some(({ outcome }) => !cleanRun(outcome)) ? 1 : 0;
}

/**
 * Nothing answering is one line in seconds, before any run starts: servers named in the
 * environment are checked before services:up waits for them.
 */
async function preflight(argv: BenchArgs, plan: Plan, progress: Progress): Promise<void> {
  if (process.env.KAFKA_BROKERS)
    await checkKafka(
      process.env.KAFKA_BROKERS.split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    );
  if (process.env.MYSQL_URL) await checkDatabase(process.env.MYSQL_URL);
  if (argv.services) ensureServices(progress);
  await checkServices(loadServiceConfig());
  if (plan.base.externals?.some((e) => e === SPARK_EXAMPLE)) ensureSpark(progress);
  if (plan.base.externals?.some((e) => e === FLINK_EXAMPLE)) ensureFlink(progress);
  try {
    checkFaultsRunnable(plan.base.faults ?? []);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A sweep's folder under the output folder, named after the time it starts. */
function sweepDirIn(outDir: string): string {
  return join(outDir, `sweep_${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
}

/** What every run of one bench invocation shares. */
interface RunContext {
  argv: BenchArgs;
  progress: Progress;
  signal: AbortSignal;
  sweepDir: string;
  single: boolean;
}

/**
 * The runs of one bench invocation and what they gave. A run that could not finish (a pipeline
 * died before the load ended) is reported and counted as failed; a sweep or search goes on with
 * the next value. Each run of a sweep starts with its "run i/n: --option value" line (--find-max
 * does not know n in advance).
 */
class BenchRuns {
  readonly outcomes: Array<{ outcome: RunOutcome; value: number; gridValue?: number; engines?: EngineSetting }> = [];
  /** --engines: the settings whose run wrote no results, and why. */
  readonly failedSettings: EnginesRuns['failed'] = [];
  /** The values run, each once, in the order first run. */
  readonly tried: number[] = [];
  failedRuns = 0;
  private index = 0;
  private readonly planned: number | undefined;

  constructor(
    private readonly plan: Plan,
    private readonly ctx: RunContext,
  ) {
    this.planned = plan.findMax
      ? undefined
      : plan.engines
        ? engineSettings(plan.engines).length * plan.repeat
        : plan.swept.values.length * (plan.grid?.values.length ?? 1) * plan.repeat;
  }

  async run(
    value: number,
    repeat?: { i: number; of: number },
    gridValue?: number,
    engines?: EngineSetting,
  ): Promise<RunOutcome | Error> {
    const { argv, progress, signal, sweepDir, single } = this.ctx;
    const planned = this.planned;
    const index = ++this.index;
    if (!this.tried.includes(value)) this.tried.push(value);
    const gridText =
      this.plan.grid && gridValue !== undefined ? ` --${this.plan.grid.option.flag} ${fmtValue(gridValue)}` : '';
    const label = {
      index,
      ...(planned !== undefined ? { of: planned } : {}),
      what: `${engines ? `${engines.setting}: ${engines.engines.join(', ')}` : `--${this.plan.swept.option.flag} ${fmtValue(value)}${gridText}`}${repeat && repeat.of > 1 ? ` (repeat ${repeat.i}/${repeat.of})` : ''}`,
    };
    if (!single) progress.startRun(label);
    try {
      const options = optionsFor(this.plan, value, sweepDir, !single && !engines, gridValue);
      const o = await runOnce(engines ? engineRunOptions(options, engines) : options, progress, signal);
      this.outcomes.push({
        outcome: o,
        value,
        ...(gridValue !== undefined ? { gridValue } : {}),
        ...(engines ? { engines } : {}),
      });
      printSummary(o, progress);
      recordRun(o, { history: argv.history, trackers: argv.profile === 'ci' }, (line) => progress.log(line));
      return o;
    } catch (err) {
      this.failedRuns++;
      if (engines) this.failedSettings.push({ ...engines, error: (err as Error).message });
      const which = single ? 'the run' : `run ${this.index}${planned !== undefined ? `/${planned}` : ''}`;
      progress.log(
        err instanceof RunNotWrittenError
          ? `[bench] ${which} (${label.what}): ${err.message}`
          : `[bench] ${which} (${label.what}) failed before it could be measured: ${(err as Error).message}`,
      );
      return err as Error;
    }
  }
}

/**
 * --engines: each engine alone, then all together, --repeat times each, in folders under one
 * engines folder; then its engines.md, engines.csv and engines.json.
 */
async function benchEngines(plan: Plan, argv: BenchArgs, progress: Progress, signal: AbortSignal): Promise<number> {
  const dir = join(plan.base.outDir, `engines_${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  const runs = new BenchRuns(plan, { argv, progress, signal, sweepDir: dir, single: false });
  const value = plan.swept.values[0]!;
  for (const setting of engineSettings(plan.engines!))
    for (let i = 0; i < plan.repeat && !signal.aborted; i++)
      await runs.run(value, { i: i + 1, of: plan.repeat }, undefined, setting);
  progress.stop();
  const e: EnginesRuns = {
    engines: plan.engines!,
    repeat: plan.repeat,
    options: plan.settings,
    runs: runs.outcomes.map(({ outcome, engines }) => ({ dir: relative(dir, outcome.dir), ...engines! })),
    failed: runs.failedSettings,
  };
  await writeEnginesReport(dir, e);
  process.stdout.write(`\nengines table: ${relative(PROJECT_ROOT, join(dir, 'engines.md'))}\n`);
  if (signal.aborted) return signal.reason === 'SIGTERM' ? 143 : 130;
  return runs.failedRuns > 0 || runs.outcomes.some(({ outcome }) => !cleanRun(outcome)) ? 1 : 0;
}

/** Every swept value (in a grid: with every value of the second option), each `repeat` times, until interrupted. */
async function runEachValue(plan: Plan, runs: BenchRuns, signal: AbortSignal): Promise<void> {
  for (const value of plan.swept.values) {
    for (const gridValue of plan.grid?.values ?? [undefined]) {
      for (let i = 0; i < plan.repeat && !signal.aborted; i++)
        await runs.run(value, { i: i + 1, of: plan.repeat }, gridValue);
    }
  }
}

/** The sweep's sweep.json and report, and (--find-max) the throughput found. */
async function writeSweep(
  plan: Plan,
  sweepDir: string,
  runs: BenchRuns,
  findMax: SweepResult['find_max'],
): Promise<void> {
  const { option } = plan.swept;
  const values = plan.findMax ? runs.tried : plan.swept.values;
  const grid = plan.grid?.option;
  const sweep: SweepResult = {
    swept: { option: option.flag, key: option.key, values, ...(option.unit ? { unit: option.unit } : {}) },
    ...(grid
      ? {
          grid: {
            option: grid.flag,
            key: grid.key,
            values: plan.grid!.values,
            ...(grid.unit ? { unit: grid.unit } : {}),
          },
        }
      : {}),
    options: { ...plan.settings, [option.key]: values },
    repeat: plan.repeat,
    runs: runs.outcomes.map(({ outcome: o, value, gridValue }) => ({
      dir: relative(sweepDir, o.dir),
      result: o.result,
      swept_value: value,
      ...(gridValue !== undefined ? { grid_value: gridValue } : {}),
    })),
    ...(findMax ? { find_max: findMax } : {}),
  };
  await writeSweepReport(sweepDir, sweep);
  process.stdout.write(`\nsweep report: ${relative(PROJECT_ROOT, join(sweepDir, 'report.md'))}\n`);
  if (findMax) printFindMax(findMax);
}

function printFindMax(findMax: NonNullable<SweepResult['find_max']>): void {
  const bracket = [
    ...(findMax.below !== undefined ? [`last sustainable run ${findMax.below}/s`] : []),
    ...(findMax.above !== undefined ? [`first unsustainable ${findMax.above}/s`] : []),
  ];
  process.stdout.write(
    `sustainable throughput: ${findMax.sustainable_rate === null ? 'no rate tried was sustainable' : `${findMax.sustainable_rate} readings/s`}` +
      `${bracket.length ? ` (${bracket.join(', ')})` : ''}\n`,
  );
  if (findMax.above !== undefined && findMax.above_reasons?.length)
    process.stdout.write(`${limitSentence(findMax.above, findMax.above_reasons)}\n`);
}

/** A run without loss or duplicates whose verdict passed. */
function cleanRun(o: RunOutcome): boolean {
  return !(o.result.storage.loss > 0 || o.result.storage.duplicates > 0 || !o.result.verdict.passed);
}

/** --find-max: the search from `start`, each rate's verdict logged as it comes. */
function findMaxRate(
  start: number,
  run: (rate: number) => Promise<RunOutcome | Error>,
  signal: AbortSignal,
  progress: Progress,
): Promise<FindMaxResult> {
  const benchAt = async (rate: number): Promise<RateVerdict> => {
    const verdict = sustainability(await run(rate));
    progress.log(
      `[bench] ${rate}/s: ${verdict.ok ? 'sustainable' : `not sustainable (${verdict.reasons.join('; ')})`}`,
    );
    return verdict;
  };
  return searchMax(benchAt, { start, maxRate: LIMITS.rate, signal });
}

function sustainability(o: RunOutcome | Error): RateVerdict {
  if (o instanceof Error) return { ok: false, reasons: [`the run failed: ${o.message}`], fellBehind: false };
  const verdict = isSustainable(o.result);
  return { ...verdict, fellBehind: onlyFellBehind(verdict.reasons) };
}

/** Each external job in one line: latency to a reading's result, start-up, loss and duplicates (docs/EXTERNAL.md). */
function externalSummaryLines(r: RunResult): string[] {
  const e = r.external;
  if (!e) return [];
  const lat = (name: string): string => {
    const s = e.result_latency[name];
    return s && s.count > 0 ? `p50 ${fmtMs(s.p50)} p99 ${fmtMs(s.p99)} ms (n=${fmtCount(s.count)})` : 'n/a';
  };
  return [
    "latency to a reading's first alert (t_intended to its first alert in the database; external jobs observed by polling):",
    ...Object.keys(e.result_latency).map((name) => {
      const j = e.jobs.find((x) => x.name === name);
      return j
        ? `  ${name}: ${lat(name)}, resolution ${fmtMs(j.visibility_resolution_ms)} ms; start-up ${j.startup_s !== undefined ? fmtSeconds(j.startup_s) : 'n/a'}${j.startup_cpu_s !== undefined ? ` (${fmtNum(j.startup_cpu_s)} CPU s, not in its cost)` : ''}; ${plural(j.results, 'result')}, loss ${fmtCount(j.loss)}, duplicates ${fmtCount(j.duplicates)}, ${fmtNum(j.output_rate)} results/s`
        : `  ${name}: ${lat(name)}`;
    }),
  ];
}

/** The rule scopes the run has no rule of (from its resolved rules; none known: none). */
function scopesWithoutRules(r: RunResult): Set<string> {
  const rs = r.parameters.rules_resolved as { rules?: Array<{ kind?: unknown }> } | undefined;
  if (!Array.isArray(rs?.rules)) return new Set();
  const kinds = new Set<string>(rs.rules.map((x) => (x.kind === 'window' ? 'window' : 'record')));
  return new Set(['record', 'window'].filter((k) => !kinds.has(k)));
}

/**
 * One line per compared pair and rule scope. A scope that nothing evaluated is n/a, never
 * "Jaccard 1.0000 ... TP 0 FP 0 FN 0" (0 against 0): one the run has no rule of, and one an
 * external job declared no rule of (its comparisons there are not computed; a run recorded
 * before that has them, and agreementApplies says they do not apply).
 */
export function agreementLines(r: RunResult): string[] {
  const noRules = scopesWithoutRules(r);
  const pair = (a: string, b: string, scope: string): string =>
    `agreement ${partyName(a)} vs ${partyName(b)} (${scope})`;
  const lines = r.agreement
    .filter((x) => x.scope !== 'all')
    .map((a) =>
      !agreementApplies(r, a)
        ? `${pair(a.a, a.b, a.scope)}: n/a (${whyNotApplies(r, a)})`
        : noRules.has(a.scope) && a.tp + a.fp + a.fn === 0
          ? `${pair(a.a, a.b, a.scope)}: n/a (the run has no ${a.scope} rule)`
          : `${pair(a.a, a.b, a.scope)}: Jaccard ${fmtRatio(a.jaccard)}, F1 ${fmtRatio(a.f1)}, TP ${fmtCount(a.tp)} FP ${fmtCount(a.fp)} FN ${fmtCount(a.fn)}`,
    );
  for (const j of r.external?.jobs ?? [])
    for (const scope of j.scopes_not_evaluated ?? [])
      for (const other of ['ground_truth', ...r.modes.map((m) => m.mode)])
        lines.push(
          `${pair(j.name, other, scope)}: n/a (${j.name} evaluates no ${scope} rule; it declared ${(j.rules_evaluated ?? []).join(', ') || 'none'})`,
        );
  return lines;
}

/** Each mode's cost in one line: CPU with what only it needs (above idle when timed), idle CPU, database transactions. */
function costSummaryLines(r: RunResult): string[] {
  const basis = costBasis(r);
  return modeViews(r)
    .filter((v) => v.cost)
    .map((v) => {
      const c = v.cost!;
      const value = basis.value(c);
      return (
        `${v.name} (${c.roles.join(' + ')}): ${value !== undefined ? `${fmtNum(value)} ${basis.title}` : 'n/a'}` +
        `${c.idle_cpu_ms_per_s !== undefined ? `, idle ${fmtNum(c.idle_cpu_ms_per_s)} CPU ms/s` : ''}` +
        `${c.db_transactions !== undefined ? `, ${plural(c.db_transactions, 'database transaction')}` : ''}`
      );
    });
}

function printSummary({ dir, result: r }: RunOutcome, progress: Progress): void {
  progress.stop();
  const lines: string[] = [];
  lines.push(
    '',
    `run ${r.run_id}: ${verdictWords(r)}${r.complete ? '' : ' (incomplete)'}${r.vacuous?.length ? ' - WARNING: agreement on nothing' : ''}`,
  );
  for (const p of validityProblems(r)) lines.push(`  - ${p}`);
  lines.push(
    `input: offered ${fmtNum(r.input.offered_rate)}/s, achieved ${fmtNum(r.input.achieved_rate)}/s, send delay p99 ${fmtMs(r.input.send_delay.p99)} ms (n=${fmtCount(r.input.send_delay.count)})${r.input.generator_fell_behind ? ' - GENERATOR FELL BEHIND' : ''}`,
  );
  lines.push(
    `storage: ${fmtCount(r.storage.stored)} stored, loss ${fmtCount(r.storage.loss)}, duplicates ${fmtCount(r.storage.duplicates)}, rejected ${fmtCount(r.storage.rejected)}` +
      `${r.storage.substituted ? `, SUBSTITUTED ${fmtCount(r.storage.substituted)}` : ''}${r.storage.foreign ? ` (foreign ${fmtCount(r.storage.foreign)})` : ''}`,
  );
  const header = [
    'mode',
    'n',
    'event-time p50',
    'p99',
    'p99.9',
    'max',
    'processing p50',
    'detection p50 (episodes)',
    'output/s',
    'alerts',
  ];
  const ms = (s: RunResult['input']['send_delay'], v: number): string => (s.count === 0 ? 'n/a' : fmtMs(v));
  const rows = r.modes.map((m) => [
    m.mode,
    fmtCount(m.event_time_latency.count),
    ms(m.event_time_latency, m.event_time_latency.p50),
    ms(m.event_time_latency, m.event_time_latency.p99),
    ms(m.event_time_latency, m.event_time_latency.p999),
    ms(m.event_time_latency, m.event_time_latency.max),
    ms(m.processing_time_latency, m.processing_time_latency.p50),
    `${ms(m.detection_latency, m.detection_latency.p50)} (${m.episodes_detected ?? 0}/${m.episodes_injected ?? 0})`,
    fmtNum(m.output_rate),
    fmtCount(m.alerts),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]): string => row.map((c, i) => c.padStart(widths[i]!)).join('  ');
  lines.push(
    'latency in ms (METRICS.md: event-time = t_committed - t_intended; warm-up excluded):',
    fmt(header),
    ...rows.map(fmt),
  );
  lines.push(...externalSummaryLines(r));
  lines.push(...agreementLines(r));
  lines.push(...costSummaryLines(r));
  const batch = r.modes.find((m) => m.mode === 'batch');
  if (batch?.processing_rate_while_busy !== undefined)
    lines.push(`batch pass rate: ${fmtNum(batch.processing_rate_while_busy)} readings per second of pass time`);
  for (const w of r.warnings ?? []) lines.push(`WARNING: ${w}`);
  for (const w of r.vacuous ?? []) lines.push(`WARNING: ${w}`);
  if (r.late_readings.length)
    lines.push(`late readings (excluded from stream windows): ${fmtCount(r.late_readings.length)}`);
  for (const f of r.verdict.failures) lines.push(`FAILURE: ${f}`);
  lines.push(`report: ${relative(PROJECT_ROOT, join(dir, 'report.md'))}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export async function reportCommand(dir: string): Promise<void> {
  if (existsSync(join(dir, 'engines.json'))) {
    const files = await writeEnginesReport(
      dir,
      JSON.parse(readFileSync(join(dir, 'engines.json'), 'utf8')) as EnginesRuns,
    );
    process.stdout.write(`rendered ${files.join(', ')} in ${dir}\n`);
    return;
  }
  if (existsSync(join(dir, 'sweep.json'))) {
    const files = await writeSweepReport(dir, JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as SweepResult);
    process.stdout.write(`rendered ${files.join(', ')} in ${dir}\n`);
    return;
  }
  if (!existsSync(join(dir, 'results.json')))
    throw new UsageError(`${dir} has no results.json (a run folder) or sweep.json (a sweep folder)`);
  const files = await rerenderReport(dir);
  process.stdout.write(`rendered ${files.join(', ')} in ${dir}\n`);
}
