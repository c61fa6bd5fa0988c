/**
 * The run history: one JSON line per finished run (results/history.jsonl by default), so that
 * the figures of many runs, commits and machines can be followed over time.
 *
 * Runs are comparable only when the parameters that shape the load and the pipelines are the
 * same: COMPARABLE_PARAMETER_KEYS names them, and parameterHash() is the sha256 of a canonical
 * JSON of those keys of RunResult.parameters (a compare command shares both). Everything here
 * but appendHistory and readHistory is pure.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isMode, MODES } from '../../domain/modes.js';
import type { RunResult } from '../../results/schema.js';
import { FIGURES, figureOfMode, modesOfRun, type FigureDef } from '../measure/figures.js';
import { comparableKeys, type ComparableKey } from '../report/parameters.js';

/**
 * The RunResult.parameters keys two runs must share to be compared (the rules as resolved, not
 * their file name): the run parameters declared comparable (src/harness/report/parameters.ts).
 */
export const COMPARABLE_PARAMETER_KEYS: readonly ComparableKey[] = comparableKeys();

/** Version of a history line's format. */
const HISTORY_SCHEMA = 1;

/** JSON with object keys sorted at every level and undefined values left out: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The comparable parameters of a run; a key the run does not record is null. */
function comparableParameters(parameters: Record<string, unknown>): Record<ComparableKey, unknown> {
  const out = {} as Record<ComparableKey, unknown>;
  for (const k of COMPARABLE_PARAMETER_KEYS) out[k] = parameters[k] ?? null;
  return out;
}

/** sha256 (hex) of the canonical JSON of the comparable parameters. */
export function parameterHash(parameters: Record<string, unknown>): string {
  return createHash('sha256')
    .update(canonicalJson(comparableParameters(parameters)))
    .digest('hex');
}

/** An external mode as part of a run's workload: its name and the rules its job declared (null: every rule). */
export interface ExternalWorkload {
  name: string;
  rules: string[] | null;
}

/**
 * The external modes of a run (docs/EXTERNAL.md) as part of its workload, by name: a job beside
 * the built-in modes shares their machine, and one that declared fewer rules is judged on other
 * results, so runs are comparable only with the same jobs declaring the same rules. Undefined
 * for a run without external modes.
 */
export function externalWorkload(r: Pick<RunResult, 'parameters' | 'external'>): ExternalWorkload[] | undefined {
  const declared: unknown = r.parameters.externals;
  const names = Array.isArray(declared)
    ? (declared as unknown[]).map((e) => String(e && typeof e === 'object' ? (e as { name?: unknown }).name : e))
    : (r.external?.jobs ?? []).map((j) => j.name);
  if (!names.length) return undefined;
  return [...new Set(names)].sort().map((name) => {
    const rules = r.external?.jobs.find((j) => j.name === name)?.rules_evaluated;
    return { name, rules: rules ? [...rules].sort() : null };
  });
}

/**
 * The hash of a run's workload: its comparable parameters and, when it had any, its external
 * modes (a run without them keeps its parameter hash, and with it its history and tracker series).
 */
export function workloadHash(r: Pick<RunResult, 'parameters' | 'external'>): string {
  const externals = externalWorkload(r);
  if (!externals) return parameterHash(r.parameters);
  return createHash('sha256')
    .update(canonicalJson({ ...comparableParameters(r.parameters), externals }))
    .digest('hex');
}

/** The first 8 hex digits: enough to tell parameter sets apart in a table or a legend. */
export function shortHash(hash: string): string {
  return hash.slice(0, 8);
}

/** A mode's or a run's figures by their history key (FIGURES' `history`); null: not recorded. */
type FigureValues = Record<string, number | null>;

/**
 * The figures a history line keeps and the trackers publish (every figure of FIGURES, by its
 * history key): per mode under `modes` (an external mode under its name, with its own figures),
 * the run's own beside it (send_delay_p99_ms, loss...).
 */
interface Headline {
  modes: Record<string, FigureValues>;
  [runFigure: string]: number | null | Record<string, FigureValues>;
}

export interface HistoryEntry {
  schema: typeof HISTORY_SCHEMA;
  run_id: string;
  /** When the run started (ISO 8601). */
  time: string;
  git: { commit: string | null; dirty: boolean };
  /** The workload's hash (workloadHash): the comparable parameters, and the external modes when the run had any. */
  params_hash: string;
  /**
   * The comparable parameters themselves, except rules_resolved (its name is in `rules`); with
   * `externals` (ExternalWorkload[]) when the run had external modes.
   */
  params: Record<string, unknown>;
  /** The rule set's name (rules_resolved.name), or the --rules value. */
  rules: string | null;
  /** The run's label (a profile, a swept value), when it had one. */
  label?: string;
  machine: { cpu_model: string | null; cores: number | null; memory_bytes: number | null };
  passed: boolean;
  complete: boolean;
  metrics: Headline;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const MODE_FIGURES = FIGURES.filter((f) => f.scope === 'mode');
const RUN_FIGURES = FIGURES.filter((f) => f.scope !== 'mode');

/** The headline figures of a run: every figure of FIGURES, null where the run did not record it. */
function headlineMetrics(r: RunResult): Headline {
  const modes: Headline['modes'] = {};
  for (const m of modesOfRun(r)) {
    const values: FigureValues = {};
    for (const f of MODE_FIGURES.filter((x) => figureOfMode(x, m.name))) values[f.history] = num(f.value(r, m));
    modes[m.name] = values;
  }
  const out: Headline = { modes };
  for (const f of RUN_FIGURES) out[f.history] = num(f.value(r, undefined));
  return out;
}

/** A figure's value in a history line (of `mode` for a mode figure); null when not recorded. */
function headlineValue(h: Headline, figure: FigureDef, mode?: string): number | null {
  const v = figure.scope === 'mode' ? (mode ? h.modes[mode]?.[figure.history] : undefined) : h[figure.history];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const DIRTY = '+uncommitted-changes';

/** environment.git_commit ("<sha>" or "<sha>+uncommitted-changes"; anything else: unknown). */
export function parseGitCommit(value: unknown): HistoryEntry['git'] {
  if (typeof value !== 'string') return { commit: null, dirty: false };
  const dirty = value.endsWith(DIRTY);
  const sha = dirty ? value.slice(0, -DIRTY.length) : value;
  return /^[0-9a-f]{7,64}$/i.test(sha) ? { commit: sha, dirty } : { commit: null, dirty: false };
}

/** A run's history line (as an object). */
export function historyEntry(r: RunResult): HistoryEntry {
  const p = r.parameters;
  const env = r.environment;
  const { rules_resolved: resolved, ...params } = comparableParameters(p);
  const resolvedName = resolved && typeof resolved === 'object' ? (resolved as { name?: unknown }).name : undefined;
  const externals = externalWorkload(r);
  return {
    schema: HISTORY_SCHEMA,
    run_id: r.run_id,
    time: r.started_at,
    git: parseGitCommit(env.git_commit),
    params_hash: workloadHash(r),
    params: externals ? { ...params, externals } : params,
    rules: typeof resolvedName === 'string' ? resolvedName : typeof p.rules === 'string' ? p.rules : null,
    ...(typeof p.label === 'string' ? { label: p.label } : {}),
    machine: {
      cpu_model: typeof env.cpu_model === 'string' ? env.cpu_model : null,
      cores: num(env.cores),
      memory_bytes: num(env.memory_bytes),
    },
    passed: r.verdict.passed,
    complete: r.complete,
    metrics: headlineMetrics(r),
  };
}

/** Append a run's line to the history file (its folder created if needed). Throws what the file system throws. */
export function appendHistory(file: string, entry: HistoryEntry): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

/** The lines of a history file: entries, and the numbers of the lines that are not entries. */
export function parseHistory(text: string): { entries: HistoryEntry[]; invalid: number[] } {
  const entries: HistoryEntry[] = [];
  const invalid: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const e = JSON.parse(line) as HistoryEntry;
      if (typeof e.run_id === 'string' && typeof e.params_hash === 'string' && e.metrics && typeof e.time === 'string')
        entries.push(e);
      else invalid.push(i + 1);
    } catch {
      invalid.push(i + 1);
    }
  });
  return { entries, invalid };
}

export function readHistory(file: string): { entries: HistoryEntry[]; invalid: number[] } {
  if (!existsSync(file)) return { entries: [], invalid: [] };
  return parseHistory(readFileSync(file, 'utf8'));
}

export interface HistoryGroup {
  hash: string;
  params: Record<string, unknown>;
  rules: string | null;
  /** The group's runs, oldest first. */
  entries: HistoryEntry[];
}

const byTime = (a: HistoryEntry, b: HistoryEntry): number => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0);

/** All entries, oldest first (the run order of the charts). */
export function runOrder(entries: HistoryEntry[]): HistoryEntry[] {
  return [...entries].sort(byTime);
}

/** Entries grouped by parameter hash: each group's runs oldest first, groups by their first run. */
export function groupByParameters(entries: HistoryEntry[]): HistoryGroup[] {
  const groups = new Map<string, HistoryGroup>();
  for (const e of runOrder(entries)) {
    let g = groups.get(e.params_hash);
    if (!g) groups.set(e.params_hash, (g = { hash: e.params_hash, params: e.params, rules: e.rules, entries: [] }));
    g.entries.push(e);
  }
  return [...groups.values()];
}

const fmtNum = (v: unknown): string =>
  typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 3 }) : String(v);

/** One line saying what a parameter set is: "500 readings/s, 60 s (+10 s warm-up), ...". */
export function describeParameters(params: Record<string, unknown>, rules: string | null): string {
  const parts: string[] = [];
  const p = params;
  if (p.rate != null) parts.push(`${fmtNum(p.rate)} readings/s`);
  if (p.duration != null)
    parts.push(`${fmtNum(p.duration)} s${p.warmup != null ? ` (+${fmtNum(p.warmup)} s warm-up)` : ''}`);
  if (p.patients != null) parts.push(`${fmtNum(p.patients)} patients`);
  if (p.sources != null || p.partitions != null)
    parts.push(`${fmtNum(p.sources ?? '?')} sources x ${fmtNum(p.partitions ?? '?')} partitions`);
  if (rules) parts.push(`rules ${rules}`);
  const externals = Array.isArray(p.externals) ? (p.externals as ExternalWorkload[]) : [];
  const modeNames = [
    ...(Array.isArray(p.modes) ? p.modes.map(String) : []),
    ...externals.map((e) => `${e.name} (external${e.rules ? `, rules ${e.rules.join(', ')}` : ''})`),
  ];
  if (modeNames.length) parts.push(modeNames.join('+'));
  if (p.batchInterval != null) parts.push(`batch every ${fmtNum(p.batchInterval)} s`);
  if (p.threads != null) parts.push(`${fmtNum(p.threads)} threads`);
  if (p.seed != null) parts.push(`seed ${fmtNum(p.seed)}`);
  if (p.prevalence != null) parts.push(`prevalence ${fmtNum(p.prevalence)}`);
  if (p.latenessMs != null) parts.push(`lateness ${fmtNum(p.latenessMs)} ms`);
  if (p.idleMs != null) parts.push(`idle ${fmtNum(p.idleMs)} ms`);
  if (Array.isArray(p.faults) && p.faults.length) parts.push(`faults ${p.faults.join(', ')}`);
  return parts.join(', ');
}

/** A short legend name of a parameter set: its hash and rate, duration and seed. */
function seriesName(g: Pick<HistoryGroup, 'hash' | 'params'>): string {
  const p = g.params;
  const bits = [
    p.rate != null ? `${fmtNum(p.rate)}/s` : '',
    p.duration != null ? `${fmtNum(p.duration)} s` : '',
    p.seed != null ? `seed ${fmtNum(p.seed)}` : '',
  ].filter(Boolean);
  return `${shortHash(g.hash)}${bits.length ? ` (${bits.join(', ')})` : ''}`;
}

/** A commit as a table or an axis shows it: 7 hex digits, "*" when the tree had uncommitted changes. */
export function shortCommit(git: HistoryEntry['git']): string {
  return git.commit ? `${git.commit.slice(0, 7)}${git.dirty ? '*' : ''}` : 'unknown';
}

function machineText(m: HistoryEntry['machine']): string {
  const mem = m.memory_bytes != null ? `, ${(m.memory_bytes / 2 ** 30).toFixed(0)} GiB` : '';
  return `${m.cores ?? '?'} x ${m.cpu_model ?? 'unknown CPU'}${mem}`;
}

const ms = (v: number | null | undefined): string =>
  v == null ? 'n/a' : v.toLocaleString('en-US', { maximumFractionDigits: v < 10 ? 2 : v < 100 ? 1 : 0 });
const rate = (v: number | null | undefined): string =>
  v == null ? 'n/a' : v.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** "2026-11-28 08:37 UTC" from an ISO time. */
function fmtTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/**
 * The history as Markdown: a section per comparable parameter set (its hash and what it is), a
 * row per run and mode (time, commit, the headline figures; send delay, loss and duplicates on
 * the run's first row). Runs of one set on different machines get a machine column.
 */
export function renderHistoryMarkdown(
  groups: HistoryGroup[],
  opts: { source?: string; charts?: string[] } = {},
): string {
  const out: string[] = ['# Benchmark history', ''];
  const runs = groups.reduce((n, g) => n + g.entries.length, 0);
  out.push(historyIntro(runs, groups.length, opts.source), '');
  if (runs === 0) {
    out.push('No runs recorded yet: `npm run bench` appends a line per run.', '');
    return out.join('\n');
  }
  for (const g of groups) out.push(...groupSection(g));
  if (opts.charts?.length) out.push(...trendsSection(opts.charts));
  return out.join('\n');
}

/** The paragraph under the title: how many runs and sets, what makes runs comparable, the units. */
function historyIntro(runs: number, sets: number, source: string | undefined): string {
  return (
    `${runs} run${runs === 1 ? '' : 's'} in ${sets} comparable parameter set${sets === 1 ? '' : 's'}` +
    `${source ? ` (from \`${source}\`)` : ''}. Only runs of one set are comparable: a set is the sha256 of the run's ` +
    'comparable parameters (rate, duration, warm-up, patients, sources, partitions, the rules as resolved, batch interval, ' +
    'threads, seed, prevalence, modes, lateness, idle timeout, faults; and the external modes with the rules each declared). ' +
    'Latencies in ms (event-time: committed minus intended send time; processing-time: committed minus Kafka append; an ' +
    "external mode's result latency: first seen by the results observer minus intended send time), rates in readings/s " +
    '(an external mode: results/s), CPU in ms per 1,000 readings; ' +
    '"*" after a commit: the tree had uncommitted changes.'
  );
}

/** A parameter set's section: its hash and parameters, its machine (or a machine column), a table of its runs. */
function groupSection(g: HistoryGroup): string[] {
  const out: string[] = [
    `## Parameters ${shortHash(g.hash)}`,
    '',
    describeParameters(g.params, g.rules),
    '',
    `Hash: \`${g.hash}\``,
    '',
  ];
  const machines = new Set(g.entries.map((e) => machineText(e.machine)));
  const perMachine = machines.size > 1;
  if (!perMachine) out.push(`Machine: ${[...machines][0]}`, '');
  const columns = modeColumns(g.entries);
  const header = historyTableHeader(perMachine, columns);
  const firstFigure = header.indexOf('mode') + 1;
  out.push(`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i >= firstFigure ? '---:' : '---')).join(' | ')} |`);
  for (const e of g.entries) out.push(...entryRows(e, perMachine, columns));
  out.push('');
  return out;
}

/** The mode figures a set's table shows: those of a mode some run of the set had (every built-in one without external modes). */
function modeColumns(entries: readonly HistoryEntry[]): FigureDef[] {
  const modes = new Set(entries.flatMap((e) => Object.keys(e.metrics.modes)));
  const external = [...modes].some((m) => !isMode(m));
  return MODE_FIGURES.filter((f) => (f.of ?? 'built-in') !== 'external' || external);
}

function historyTableHeader(perMachine: boolean, columns: readonly FigureDef[]): string[] {
  return [
    'time',
    'commit',
    'run',
    ...(perMachine ? ['machine'] : []),
    'verdict',
    'mode',
    ...columns.map((f) => f.column),
    ...RUN_FIGURES.map((f) => f.column),
  ];
}

/** A figure's value as the history table writes it: by its unit. */
function cellText(f: FigureDef, v: number | null): string {
  if (f.unit === 'ms') return ms(v);
  if (f.unit === 'readings/s' || f.unit === 'results/s') return rate(v);
  if (f.unit === 'CPU ms') return v == null ? 'n/a' : v.toFixed(1);
  return v == null ? 'n/a' : String(v);
}

/** A run's modes in the order tables list them: the built-in ones, then the external ones by name. */
function entryModes(e: HistoryEntry): string[] {
  const names = Object.keys(e.metrics.modes ?? {});
  return [...MODES.filter((m) => names.includes(m)), ...names.filter((m) => !isMode(m)).sort()];
}

/**
 * A run's table rows, one per mode (a single "none" row without modes); the run's own cells on
 * its first row; a figure that is not one of the row's mode (an external job's on a built-in
 * mode's row, and the other way round) is left empty.
 */
function entryRows(e: HistoryEntry, perMachine: boolean, columns: readonly FigureDef[]): string[] {
  const modes = entryModes(e);
  const rows = modes.length ? modes : [undefined];
  return rows.map((mode, i) => {
    const first = i === 0;
    const verdict = !e.complete ? 'incomplete' : e.passed ? 'passed' : 'FAILED';
    return `| ${[
      first ? fmtTime(e.time) : '',
      first ? shortCommit(e.git) : '',
      first ? `\`${e.run_id}\`` : '',
      ...(perMachine ? [first ? machineText(e.machine) : ''] : []),
      first ? verdict : '',
      mode ?? 'none',
      ...columns.map((f) =>
        mode && !figureOfMode(f, mode) ? '' : cellText(f, mode ? headlineValue(e.metrics, f, mode) : null),
      ),
      ...RUN_FIGURES.map((f) => (first ? cellText(f, headlineValue(e.metrics, f)) : '')),
    ].join(' | ')} |`;
  });
}

function trendsSection(charts: string[]): string[] {
  const out: string[] = [
    '## Trends',
    '',
    'One chart per figure, one series per parameter set, runs in the order they ran (x labels: run number and commit).',
    '',
  ];
  for (const c of charts) out.push(`![${c}](${c})`, '');
  return out;
}

/** A figure the trend charts follow: which mode, and how to read it from an entry. */
export interface TrendMetric {
  /** File-name slug: "stream_event_time_p99". */
  slug: string;
  title: string;
  unit: string;
  /** Latencies: a log scale. */
  log: boolean;
  value: (e: HistoryEntry) => number | null | undefined;
  /** The figure it plots (measure/figures.ts): which way is better, whether a gate judges it. */
  figure: FigureDef;
}

/** A mode's trend metrics: its figures but the invariants. */
function modeTrends(mode: string): TrendMetric[] {
  return MODE_FIGURES.filter((f) => !f.invariant && figureOfMode(f, mode)).map((f) => ({
    slug: `${mode}_${f.id}`,
    title: `${mode}: ${f.title}`,
    unit: f.unit,
    log: f.unit === 'ms',
    value: (e) => headlineValue(e.metrics, f, mode),
    figure: f,
  }));
}

const RUN_TRENDS: TrendMetric[] = RUN_FIGURES.filter((f) => !f.invariant).map((f): TrendMetric => ({
  slug: f.id,
  title: f.title,
  unit: f.unit,
  log: f.unit === 'ms',
  value: (e) => headlineValue(e.metrics, f),
  figure: f,
}));

/** The built-in modes' figures but the invariants (loss, duplicates: 0 in every good run), per mode and then the run's. */
export const TREND_METRICS: TrendMetric[] = [...MODES.flatMap(modeTrends), ...RUN_TRENDS];

/**
 * The figures followed across these runs: the built-in modes' (TREND_METRICS), each external
 * mode's that some run had (by name: "spark_result_latency_p99"), then the run's.
 */
export function trendMetrics(entries: readonly HistoryEntry[]): TrendMetric[] {
  const external = [...new Set(entries.flatMap((e) => Object.keys(e.metrics.modes ?? {})))].filter((m) => !isMode(m));
  return [...MODES.flatMap(modeTrends), ...external.sort().flatMap(modeTrends), ...RUN_TRENDS];
}

export interface TrendPoint {
  /** 1-based position in the run order over all entries. */
  order: number;
  /** Axis label: "3 abc1234*" (unique per run). */
  run: string;
  time: string;
  run_id: string;
  commit: string;
  /** The series: the parameter set's legend name. */
  series: string;
  value: number;
}

/** A metric's points: every run with a value, its series its parameter set (never two sets in one series). */
export function trendPoints(groups: HistoryGroup[], metric: TrendMetric): TrendPoint[] {
  const all = runOrder(groups.flatMap((g) => g.entries));
  const orderOf = new Map(all.map((e, i) => [e, i + 1]));
  const points: TrendPoint[] = [];
  for (const g of groups) {
    const series = seriesName(g);
    for (const e of g.entries) {
      const v = metric.value(e);
      if (v == null || !Number.isFinite(v)) continue;
      const order = orderOf.get(e)!;
      points.push({
        order,
        run: `${order} ${shortCommit(e.git)}`,
        time: e.time,
        run_id: e.run_id,
        commit: shortCommit(e.git),
        series,
        value: v,
      });
    }
  }
  return points.sort((a, b) => a.order - b.order);
}
