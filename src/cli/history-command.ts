/**
 * The run history on the command line: recordRun (called by bench after each finished run)
 * appends the run's line to the history file and, for --profile ci, writes the tracker files in
 * the run folder; `vitals-bench history` renders the history as Markdown and trend charts.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { PROJECT_ROOT } from '../config.js';
import {
  appendHistory,
  groupByParameters,
  historyEntry,
  readHistory,
  renderHistoryMarkdown,
  TREND_METRICS,
  trendPoints,
} from '../harness/track/history.js';
import { historyTrendChart } from '../harness/track/history-charts.js';
import { trackerFiles } from '../harness/track/trackers.js';
import type { RunOutcome } from '../harness/run/run.js';
import { UsageError } from './args.js';

export const DEFAULT_HISTORY_FILE = 'results/history.jsonl';
export const DEFAULT_HISTORY_OUT = 'results/history';
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

/** `vitals-bench history`: history.md and a trend chart (SVG and PNG) per figure into `out`. */
export async function historyCommand(a: { file?: string; out?: string }): Promise<void> {
  const file = resolve(a.file ?? DEFAULT_HISTORY_FILE);
  const out = resolve(a.out ?? DEFAULT_HISTORY_OUT);
  if (!existsSync(file))
    throw new UsageError(`no history file ${shown(file)}: each bench run appends a line to it (see --history)`);
  const { entries, invalid } = readHistory(file);
  if (invalid.length)
    process.stderr.write(
      `vitals-bench history: skipped ${invalid.length} line(s) of ${shown(file)} that are not history entries (line ${invalid.slice(0, 5).join(', ')}${invalid.length > 5 ? ', ...' : ''})\n`,
    );
  mkdirSync(out, { recursive: true });
  const groups = groupByParameters(entries);
  const charts: string[] = [];
  for (const metric of TREND_METRICS) {
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
