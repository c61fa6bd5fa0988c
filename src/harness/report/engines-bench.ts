/**
 * The combined engines table of `bench --engines` (docs/REPORT.md "Engines"): a row per engine
 * and setting (alone, together), each figure the median over the repeats with the min..max
 * spread, taken from the runs' own engines rows (engines-table.ts); the run folders linked and
 * each run's warnings kept. engines.md, engines.csv and engines.json in the bench's folder.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { EnginesRuns, RunResult } from '../../results/schema.js';
import { spread, type Spread } from '../measure/spread.js';
import { cpuTitle, ENGINE_NOTES, engineRows, type EngineRow } from './engines-table.js';
import { fmtCount, fmtMs, fmtNum, fmtRatio, fmtSpread } from './format.js';
import { table } from './md-table.js';
import { verdictWords } from './verdict.js';

type Setting = 'alone' | 'together';

/** One figure of the table: its column, its value in a run's row, how it is written. */
interface Figure {
  key: string;
  title: string;
  of: (e: EngineRow) => number | undefined;
  fmt: (v: number) => string;
}

const FIGURES: readonly Figure[] = [
  { key: 'visible_p50_ms', title: 'visible p50 (ms)', of: (e) => e.visible?.p50, fmt: fmtMs },
  { key: 'visible_p95_ms', title: 'p95', of: (e) => e.visible?.p95, fmt: fmtMs },
  { key: 'visible_p99_ms', title: 'p99', of: (e) => e.visible?.p99, fmt: fmtMs },
  { key: 'visible_max_ms', title: 'max', of: (e) => e.visible?.max, fmt: fmtMs },
  { key: 'visible_count', title: 'visible n', of: (e) => e.visible?.count, fmt: fmtCount },
  { key: 'resolution_ms', title: 'resolution (ms)', of: (e) => e.resolution_ms, fmt: fmtMs },
  { key: 'committed_p50_ms', title: 'committed p50 (ms)', of: (e) => e.committed?.p50, fmt: fmtMs },
  { key: 'committed_p99_ms', title: 'committed p99', of: (e) => e.committed?.p99, fmt: fmtMs },
  { key: 'committed_count', title: 'committed n', of: (e) => e.committed?.count, fmt: fmtCount },
  { key: 'cpu_ms_per_1000_readings', title: 'CPU ms / 1,000 readings', of: (e) => e.cpu_ms_per_1000, fmt: fmtNum },
  { key: 'peak_rss_mib', title: 'peak memory (MiB)', of: (e) => e.peak_rss_mib, fmt: (v) => fmtNum(v, 0) },
  { key: 'startup_s', title: 'start-up (s)', of: (e) => e.startup_s, fmt: fmtNum },
  { key: 'jaccard_record', title: 'Jaccard record', of: (e) => e.jaccard_record, fmt: fmtRatio },
  { key: 'jaccard_window', title: 'Jaccard window', of: (e) => e.jaccard_window, fmt: fmtRatio },
  { key: 'agreement_count', title: 'agreement n', of: (e) => e.agreement_alerts, fmt: fmtCount },
];

/** One run of the bench with its results (read back from its folder). */
export interface EnginesRun {
  dir: string;
  setting: Setting;
  engines: string[];
  result: RunResult;
}

/** A row of the combined table: an engine in a setting, each figure's spread over its runs. */
interface EnginesTableRow {
  engine: string;
  setting: Setting;
  runs: number;
  /** The runs' CPU bases (above idle when every run timed an idle baseline). */
  cpu_basis: EngineRow['cpu_basis'][];
  cost_processes: string[];
  figures: Record<string, Spread | undefined>;
}

function runsOf(runs: readonly EnginesRun[], engine: string, setting: Setting): EnginesRun[] {
  return runs.filter((r) => r.setting === setting && r.engines.includes(engine));
}

/** The rows: each engine alone, then together (a setting with no run of it is left out). */
export function enginesTable(engines: readonly string[], runs: readonly EnginesRun[]): EnginesTableRow[] {
  const out: EnginesTableRow[] = [];
  for (const setting of ['alone', 'together'] as const)
    for (const engine of engines) {
      const own = runsOf(runs, engine, setting);
      if (own.length === 0) continue;
      const rows = own.flatMap((r) => engineRows(r.result).filter((e) => e.mode === engine));
      out.push({
        engine,
        setting,
        runs: own.length,
        cpu_basis: [...new Set(rows.map((e) => e.cpu_basis))],
        cost_processes: [...new Set(rows.flatMap((e) => (e.cost_roles ? [e.cost_roles] : [])))],
        figures: Object.fromEntries(FIGURES.map((f) => [f.key, spread(rows.map(f.of))])),
      });
    }
  return out;
}

function cpuHeader(rows: readonly EnginesTableRow[]): string {
  const bases = new Set(rows.flatMap((r) => r.cpu_basis));
  return bases.size === 1 ? cpuTitle([...bases][0]!) : 'CPU ms / 1,000 readings (bases differ: see engines.csv)';
}

/** engines.md. */
export function enginesMarkdown(e: EnginesRuns, runs: readonly EnginesRun[]): string {
  const rows = enginesTable(e.engines, runs);
  const header = [
    'engine',
    'setting',
    'runs',
    ...FIGURES.map((f) => (f.key.startsWith('cpu') ? cpuHeader(rows) : f.title)),
  ];
  const body = rows.map((r) => [
    r.cost_processes.some((c) => c !== r.engine) ? `${r.engine} (CPU of ${r.cost_processes.join(', ')})` : r.engine,
    r.setting,
    fmtCount(r.runs),
    ...FIGURES.map((f) => fmtSpread(r.figures[f.key], f.fmt, '', r.runs)),
  ]);
  const parts = [
    '# Engines: each alone and all together',
    `Engines ${e.engines.join(', ')}; ${e.repeat} run${e.repeat === 1 ? '' : 's'} per setting. Each cell is the median over the runs with the min..max spread and the number of runs that had the figure ("n=1 of 2": one run had none); n/a where the figure does not apply.`,
    table(header, body),
    ENGINE_NOTES.map((n) => `- ${n}`).join('\n'),
    '## Runs',
    runs.map(runLine).join('\n') || 'No run was written.',
  ];
  if (e.failed.length)
    parts.push(
      '## Runs that wrote no results',
      e.failed.map((f) => `- ${f.setting} (${f.engines.join(', ')}): ${f.error}`).join('\n'),
    );
  return parts.join('\n\n') + '\n';
}

function runLine(r: EnginesRun): string {
  const notes = [...(r.result.warnings ?? []), ...r.result.verdict.failures];
  return [
    `- ${r.setting} (${r.engines.join(', ')}): [${r.dir}](${r.dir}/report.md), ${verdictWords(r.result)}${r.result.complete ? '' : ' (incomplete)'}`,
    ...notes.map((w) => `  - ${w}`),
  ].join('\n');
}

/** engines.csv: a row per engine and setting, each figure's median, min, max and count. */
export function enginesBenchCsv(e: EnginesRuns, runs: readonly EnginesRun[]): string {
  const columns = [
    'engine',
    'setting',
    'runs',
    'cpu_basis',
    'cost_processes',
    ...FIGURES.flatMap((f) => ['median', 'min', 'max', 'n'].map((s) => `${f.key}_${s}`)),
  ];
  const rows = enginesTable(e.engines, runs).map((r) => [
    r.engine,
    r.setting,
    r.runs,
    r.cpu_basis.join('+'),
    r.cost_processes.join(' '),
    ...FIGURES.flatMap((f) => {
      const s = r.figures[f.key];
      return s ? [s.median, s.min, s.max, s.n] : ['', '', '', 0];
    }),
  ]);
  return stringify(rows, { header: true, columns });
}

/** The runs of engines.json with their results, read from their folders. */
async function readEnginesRuns(dir: string, e: EnginesRuns): Promise<EnginesRun[]> {
  return Promise.all(
    e.runs.map(async (r) => ({
      ...r,
      result: JSON.parse(await readFile(join(dir, r.dir, 'results.json'), 'utf8')) as RunResult,
    })),
  );
}

/** engines.json, engines.md and engines.csv in `dir`; returns the file names. */
export async function writeEnginesReport(dir: string, e: EnginesRuns): Promise<string[]> {
  const runs = await readEnginesRuns(dir, e);
  const table = enginesTable(e.engines, runs);
  await writeFile(join(dir, 'engines.json'), JSON.stringify({ ...e, table }, null, 2) + '\n');
  await writeFile(join(dir, 'engines.md'), enginesMarkdown(e, runs));
  await writeFile(join(dir, 'engines.csv'), enginesBenchCsv(e, runs));
  return ['engines.json', 'engines.md', 'engines.csv'];
}
