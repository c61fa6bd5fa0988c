/**
 * The run history on the command line: recordRun (called by bench after each finished run)
 * appends the run's line to the history file and, for --profile ci, writes the tracker files in
 * the run folder; `vitals-bench history` renders the history as Markdown and trend charts, and
 * `vitals-bench history --check` judges the newest run against the runs before it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { PROJECT_ROOT } from '../config.js';
import {
  appendHistory,
  groupByParameters,
  historyEntry,
  readHistory,
  renderHistoryMarkdown,
  trendMetrics,
  trendPoints,
} from '../harness/track/history.js';
import { historyTrendChart } from '../harness/track/history-charts.js';
import { trackerFiles } from '../harness/track/trackers.js';
import type { RunOutcome } from '../harness/run/run.js';
import {
  checkExitCode,
  checkNewestRun,
  renderMainCheckMarkdown,
  type MainCheckOptions,
} from '../harness/track/main-check.js';
import { UsageError } from './args.js';
import { decl, type ArgsOf } from './options.js';

/** The history file when none is named (declared as `history --file`'s default). */
const DEFAULT_HISTORY_FILE = String(decl('file').default);
/** Environment: the history file when --history is not given ("off": none). The test suite sets it to "off". */
const HISTORY_ENV = 'VITALS_BENCH_HISTORY';

/** The file a run's line goes to: --history FILE, none for --no-history, else $VITALS_BENCH_HISTORY or the default. */
export function historyFile(
  arg: string | boolean | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (arg === false) return undefined;
  if (typeof arg === 'string' && arg !== '') return resolve(arg);
  const fromEnv = env[HISTORY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv === 'off' ? undefined : resolve(fromEnv);
  return resolve(DEFAULT_HISTORY_FILE);
}

const shown = (file: string): string => (file.startsWith(PROJECT_ROOT) ? relative(PROJECT_ROOT, file) : file);

/**
 * After a finished run: its history line and, when asked, the tracker files. Neither can fail the
 * run: a file that cannot be written is a warning line (through `warn`), never silence.
 */
export function recordRun(
  { dir, result }: RunOutcome,
  opts: { history?: string | boolean; trackers?: boolean },
  warn: (line: string) => void,
): void {
  const file = historyFile(opts.history);
  if (file) {
    try {
      appendHistory(file, historyEntry(result));
    } catch (err) {
      warn(
        `WARNING: could not append run ${result.run_id} to the history ${shown(file)}: ${(err as Error).message} (the run itself is not affected)`,
      );
    }
  }
  if (opts.trackers) {
    for (const [name, text] of Object.entries(trackerFiles(result))) {
      try {
        writeFileSync(join(dir, name), text);
      } catch (err) {
        warn(`WARNING: could not write ${name} in ${shown(dir)}: ${(err as Error).message}`);
      }
    }
  }
}

/** The entries of a history file that must exist; lines that are not entries are skipped with a warning. */
function readHistoryFile(fileArg: string | undefined): ReturnType<typeof readHistory> {
  const file = resolve(fileArg ?? DEFAULT_HISTORY_FILE);
  if (!existsSync(file))
    throw new UsageError(`no history file ${shown(file)}: each bench run appends a line to it (see --history)`);
  const history = readHistory(file);
  const { invalid } = history;
  if (invalid.length)
    process.stderr.write(
      `vitals-bench history: skipped ${invalid.length} line(s) of ${shown(file)} that are not history entries (line ${invalid.slice(0, 5).join(', ')}${invalid.length > 5 ? ', ...' : ''})\n`,
    );
  return history;
}

/** `vitals-bench history`: history.md and a trend chart (SVG and PNG) per figure into `out`. */
export async function historyCommand(a: Pick<ArgsOf<'history'>, 'file' | 'out'>): Promise<void> {
  const file = resolve(a.file);
  const out = resolve(a.out);
  const { entries } = readHistoryFile(file);
  mkdirSync(out, { recursive: true });
  const groups = groupByParameters(entries);
  const charts: string[] = [];
  for (const metric of trendMetrics(entries)) {
    if (trendPoints(groups, metric).length === 0) continue;
    const { svg, png } = await historyTrendChart(groups, metric, { png: true });
    const name = `history_${metric.slug}`;
    writeFileSync(join(out, `${name}.svg`), svg);
    if (png) writeFileSync(join(out, `${name}.png`), png);
    charts.push(`${name}.svg`);
  }
  writeFileSync(join(out, 'history.md'), renderHistoryMarkdown(groups, { source: shown(file), charts }));
  process.stdout.write(
    `${entries.length} run(s) in ${groups.length} parameter set(s): ${shown(join(out, 'history.md'))} and ${charts.length} chart(s) (SVG and PNG) in ${shown(out)}\n`,
  );
}

export interface HistoryCheckArgs extends MainCheckOptions {
  file?: string;
  /** Also write the Markdown to this file. */
  markdown?: string;
}

/**
 * `vitals-bench history --check`: the newest run against the runs before it (src/harness/track/
 * main-check.ts), as Markdown on stdout. Exit 0 pass, 1 regression, 3 inconclusive; a usage
 * problem throws UsageError (exit 2).
 */
export function historyCheckCommand(a: HistoryCheckArgs): number {
  const int = (name: string, v: number, min: number): void => {
    if (!(Number.isInteger(v) && v >= min)) throw new UsageError(`--${name} must be an integer >= ${min}, got ${v}`);
  };
  int('last', a.last, 1);
  int('recent', a.recent, 1);
  int('min-runs', a.minPrevious, 1);
  if (a.minPrevious > a.last)
    throw new UsageError(`--min-runs (${a.minPrevious}) must not exceed --last (${a.last}): no check could ever judge`);
  if (!(Number.isFinite(a.threshold) && a.threshold >= 0))
    throw new UsageError(`--threshold must be a fraction >= 0 (0.10 for 10%), got ${a.threshold}`);
  if (!(a.alpha > 0 && a.alpha <= 1)) throw new UsageError(`--alpha must be in (0, 1], got ${a.alpha}`);
  const { entries } = readHistoryFile(a.file);
  const check = checkNewestRun(entries, {
    last: a.last,
    recent: a.recent,
    threshold: a.threshold,
    alpha: a.alpha,
    minPrevious: a.minPrevious,
  });
  const markdown = renderMainCheckMarkdown(check);
  process.stdout.write(markdown);
  if (a.markdown) {
    mkdirSync(dirname(resolve(a.markdown)), { recursive: true });
    writeFileSync(a.markdown, markdown);
  }
  return checkExitCode(check);
}
