/**
 * Is the newest run of the history worse than the runs before it? (`vitals-bench history --check`,
 * run by CI after each benchmark on main.)
 *
 * The newest run fixes what is comparable: runs of its parameter set (params_hash) on its machine
 * (CPU model, cores, memory in whole GiB) that completed and passed their own verdict. Of those,
 * the `recent` newest runs (the newest run among them) are the NEW sample and the `last` runs
 * before them the PREVIOUS sample. A figure is a regression when both hold:
 *  - the newest run's value lies beyond the previous runs' range (min..max) on the worse side by
 *    more than `threshold` of that bound (and by more than the figure's resolution), and
 *  - judge() of compare calls PREVIOUS vs NEW a regression: a median change for the worse beyond
 *    `threshold` with a two-sided Mann-Whitney p below `alpha`.
 * One slow run therefore never fails main (the rank test needs the recent runs to agree), and a
 * lasting change is reported once the recent runs confirm it; a few runs later its first run is
 * among the previous ones, the range includes it and the change is accepted as the new normal.
 * Improvements are judged the same way on the better side. The newest run failing its own verdict
 * (loss, duplicates, disagreeing alerts, a pipeline failure) is a failure whatever the figures say.
 * Too few comparable runs, or samples too small for any p below alpha, are inconclusive.
 */
import { GATE_DEFAULTS, type Better as Direction } from '../measure/figures.js';
import { judge, type Verdict } from './compare/compare.js';
import { fmtChange, fmtNumber, fmtP } from './compare/render.js';
import {
  describeParameters,
  runOrder,
  shortCommit,
  shortHash,
  trendMetrics,
  type HistoryEntry,
  type TrendMetric,
} from './history.js';
import { spread, type Spread } from '../measure/spread.js';
import { fmtSpread } from '../report/format.js';
import { EXIT_CODES } from './compare/outcome.js';

/** An exit code of the tracking commands (compare/outcome.ts). */
type TrackExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export interface MainCheckOptions {
  /** How many runs before the recent ones are the PREVIOUS sample (at most). */
  last: number;
  /** How many of the newest runs are the NEW sample (the newest run among them). */
  recent: number;
  /** A change must exceed this fraction (0.10: 10%), both beyond the previous range and of the medians. */
  threshold: number;
  /** ...with a Mann-Whitney p below this. */
  alpha: number;
  /** Fewer previous runs than this: inconclusive. */
  minPrevious: number;
}

export const DEFAULT_MAIN_CHECK_OPTIONS: Readonly<MainCheckOptions> = {
  last: 10,
  recent: 3,
  threshold: GATE_DEFAULTS.threshold,
  alpha: GATE_DEFAULTS.alpha,
  // With 3 recent runs, the fewest previous runs for which the exact test can reach p < 0.01 (2/C(12,3) = 0.009).
  minPrevious: 9,
};

type CheckStatus = 'pass' | 'regression' | 'inconclusive';

interface CheckedFigure {
  /** Trend metric slug: "stream_event_time_p99", "spark_result_latency_p99". */
  slug: string;
  label: string;
  unit: string;
  better: Direction;
  previous: Spread | null;
  recent: Spread | null;
  /** The newest run's value. */
  newest: number | null;
  /**
   * How far the newest value lies beyond the previous runs' range, as a fraction of the bound it
   * passed: positive on the worse side, negative on the better side, 0 inside the range or within
   * the figure's resolution of it; null when a side has no value.
   */
  beyond: number | null;
  /** Change of the medians, PREVIOUS to NEW (judge()). */
  change: number | null;
  p: number | null;
  verdict: Verdict;
}

export interface MainCheck {
  status: CheckStatus;
  /** Why, one sentence each; the first is the headline. */
  reasons: string[];
  options: MainCheckOptions;
  newest?: HistoryEntry;
  /** The newest run's machine as the check matched it. */
  machine?: string;
  /** Oldest first. */
  previous: HistoryEntry[];
  /** Oldest first; the newest run last. */
  recent: HistoryEntry[];
  figures: CheckedFigure[];
  /** Runs of the newest run's parameter set left out: on another machine, or incomplete or failed. */
  excluded: { otherMachine: number; notPassed: number };
}

/** Runs are on the same machine when this text is equal: cores, CPU model, memory in whole GiB. */
export function machineKey(m: HistoryEntry['machine']): string {
  const gib = m.memory_bytes != null ? `${Math.round(m.memory_bytes / 2 ** 30)} GiB` : 'memory unknown';
  return `${m.cores ?? '?'} x ${m.cpu_model ?? 'unknown CPU'}, ${gib}`;
}

/**
 * The smallest two-sided p the exact Mann-Whitney test can give for samples of n1 and n2 runs
 * (every run of one side beyond every run of the other, no ties): 2 / C(n1 + n2, n1).
 */
export function smallestP(n1: number, n2: number): number {
  if (n1 < 1 || n2 < 1) return 1;
  let c = 1;
  for (let i = 1; i <= n1; i++) c = (c * (n2 + i)) / i;
  return Math.min(1, 2 / c);
}

/** Signed distance of `value` beyond `range` (see CheckedFigure.beyond). */
export function beyondRange(value: number, range: Spread, better: Direction, resolution: number): number {
  const rel = (diff: number, bound: number): number =>
    Math.abs(diff) <= resolution ? 0 : bound === 0 ? Infinity : diff / Math.abs(bound);
  const above = value > range.max ? rel(value - range.max, range.max) : 0;
  const below = value < range.min ? rel(range.min - value, range.min) : 0;
  const [worse, better_] = better === 'smaller' ? [above, below] : [below, above];
  return worse > 0 ? worse : better_ > 0 ? -better_ : 0;
}

function checkFigure(
  metric: TrendMetric,
  previous: readonly HistoryEntry[],
  recent: readonly HistoryEntry[],
  newest: HistoryEntry,
  o: MainCheckOptions,
): CheckedFigure | undefined {
  const values = (runs: readonly HistoryEntry[]): number[] =>
    runs.map((e) => metric.value(e)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const prev = values(previous);
  const next = values(recent);
  // Only figures a gate may judge (measure/figures.ts); context figures are the history's to show.
  if (!metric.figure.gate.gates || (prev.length === 0 && next.length === 0)) return undefined;
  const better = metric.figure.better;
  const resolution = metric.figure.gate.resolution;
  const nv = metric.value(newest);
  const newestValue = typeof nv === 'number' && Number.isFinite(nv) ? nv : null;
  // The counts are checked here; judge() only tests and measures.
  const j = judge(prev, next, better, { threshold: o.threshold, alpha: o.alpha, minRuns: 1 }, resolution);
  const prevSpread = spread(prev) ?? null;
  const beyond = newestValue !== null && prevSpread ? beyondRange(newestValue, prevSpread, better, resolution) : null;
  let verdict: Verdict;
  if (prev.length < o.minPrevious || next.length < o.recent || beyond === null) verdict = 'too few samples';
  else if (j.verdict === 'regression' && beyond > o.threshold) verdict = 'regression';
  else if (j.verdict === 'improvement' && beyond < -o.threshold) verdict = 'improvement';
  else verdict = 'unchanged';
  return {
    slug: metric.slug,
    label: metric.title,
    unit: metric.unit,
    better,
    previous: prevSpread,
    recent: j.new,
    newest: newestValue,
    beyond,
    change: j.change,
    p: j.p,
    verdict,
  };
}

const count = (v: unknown): string => (typeof v === 'number' ? String(v) : 'n/a');

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Check the newest run of `entries` against the runs before it (see the file comment). */
export function checkNewestRun(entries: readonly HistoryEntry[], options: Partial<MainCheckOptions> = {}): MainCheck {
  const o: MainCheckOptions = { ...DEFAULT_MAIN_CHECK_OPTIONS, ...options };
  const empty = { previous: [], recent: [], figures: [], excluded: { otherMachine: 0, notPassed: 0 } };
  const ordered = runOrder([...entries]);
  const newest = ordered.at(-1);
  if (!newest) return { status: 'inconclusive', reasons: ['the history holds no run'], options: o, ...empty };
  const machine = machineKey(newest.machine);
  const base = { options: o, newest, machine };
  if (!newest.complete)
    return {
      status: 'inconclusive',
      reasons: [`the newest run ${newest.run_id} is incomplete: its figures are not judged`],
      ...base,
      ...empty,
    };
  if (!newest.passed)
    return {
      status: 'regression',
      reasons: [
        `the newest run ${newest.run_id} failed its own verdict (loss ${count(newest.metrics.loss)}, duplicates ${count(newest.metrics.duplicates)}; ` +
          'its report names every failure)',
      ],
      ...base,
      ...empty,
    };

  const sameSet = ordered.filter((e) => e.params_hash === newest.params_hash);
  const sameMachine = sameSet.filter((e) => machineKey(e.machine) === machine);
  const usable = sameMachine.filter((e) => e.complete && e.passed);
  const recent = usable.slice(-o.recent);
  const previous = usable.slice(0, -o.recent).slice(-o.last);
  const figures = trendMetrics(usable)
    .map((m) => checkFigure(m, previous, recent, newest, o))
    .filter((f): f is CheckedFigure => f !== undefined);
  const result = {
    ...base,
    previous,
    recent,
    figures,
    excluded: { otherMachine: sameSet.length - sameMachine.length, notPassed: sameMachine.length - usable.length },
  };

  const have = `${plural(usable.length, 'comparable run')} (this parameter set, this machine, complete and passed)`;
  if (recent.length < o.recent || previous.length < o.minPrevious)
    return {
      ...result,
      status: 'inconclusive',
      reasons: [
        `too few runs to judge: ${have}; the check needs ${o.recent} recent and at least ${o.minPrevious} previous ones`,
      ],
    };
  const floor = smallestP(previous.length, recent.length);
  if (floor >= o.alpha)
    return {
      ...result,
      status: 'inconclusive',
      reasons: [
        `with ${previous.length} previous and ${recent.length} recent runs the smallest p the test can give is ` +
          `${fmtP(floor)}, not below alpha ${o.alpha}: no change could be called significant (raise --recent or --last)`,
      ],
    };
  const regressions = figures.filter((f) => f.verdict === 'regression');
  const improvements = figures.filter((f) => f.verdict === 'improvement');
  const judged = figures.filter((f) => f.verdict !== 'too few samples');
  if (regressions.length)
    return {
      ...result,
      status: 'regression',
      reasons: [`${plural(regressions.length, 'figure')} regressed: ${regressions.map((f) => f.label).join(', ')}`],
    };
  if (judged.length === 0)
    return { ...result, status: 'inconclusive', reasons: ['no figure has enough values in both samples to judge'] };
  const reasons = [
    `no regression in ${plural(judged.length, 'figure')}` +
      (improvements.length ? `; improved: ${improvements.map((f) => f.label).join(', ')}` : ''),
  ];
  if (judged.length < figures.length)
    reasons.push(`${plural(figures.length - judged.length, 'figure')} had too few values to judge`);
  return { ...result, status: 'pass', reasons };
}

export function checkExitCode(c: Pick<MainCheck, 'status'>): TrackExitCode {
  return c.status === 'pass' ? EXIT_CODES.pass : c.status === 'regression' ? EXIT_CODES.fail : EXIT_CODES.inconclusive;
}

const HEADLINE: Record<CheckStatus, string> = {
  pass: 'PASS',
  regression: 'REGRESSION',
  inconclusive: 'INCONCLUSIVE',
};

function fmtBeyond(f: CheckedFigure): string {
  if (f.beyond === null) return 'n/a';
  if (f.beyond === 0) return 'inside';
  const side = f.beyond > 0 ? 'worse' : 'better';
  return Number.isFinite(f.beyond) ? `${fmtChange(Math.abs(f.beyond)).replace('+', '')} ${side}` : `${side} (from 0)`;
}

function verdictCell(f: CheckedFigure): string {
  return f.verdict === 'regression' ? '**regression**' : f.verdict === 'improvement' ? '_improvement_' : f.verdict;
}

function commitsOf(runs: readonly HistoryEntry[]): string {
  if (runs.length === 0) return 'none';
  const first = runs[0]!;
  const last = runs.at(-1)!;
  const span = runs.length === 1 ? shortCommit(first.git) : `${shortCommit(first.git)} .. ${shortCommit(last.git)}`;
  return `${plural(runs.length, 'run')} (${span}; ${first.time.slice(0, 10)} .. ${last.time.slice(0, 10)})`;
}

/** The check as Markdown for $GITHUB_STEP_SUMMARY: the verdict first, then what was compared and the table. */
export function renderMainCheckMarkdown(c: MainCheck): string {
  const o = c.options;
  const lines = ['## vitals-bench history --check', '', `**${HEADLINE[c.status]}**: ${c.reasons[0] ?? ''}.`, ''];
  for (const r of c.reasons.slice(1)) lines.push(`- ${r}.`);
  if (c.reasons.length > 1) lines.push('');
  const n = c.newest;
  if (n) {
    lines.push(
      `- Newest run: \`${n.run_id}\`, commit ${shortCommit(n.git)}, ${n.time}`,
      `- Parameter set ${shortHash(n.params_hash)}: ${describeParameters(n.params, n.rules)}`,
      `- Machine: ${c.machine ?? 'unknown'}`,
      `- PREVIOUS: ${commitsOf(c.previous)}; NEW (the newest runs): ${commitsOf(c.recent)}`,
    );
    const ex = c.excluded;
    if (ex.otherMachine || ex.notPassed)
      lines.push(
        `- Left out: ${plural(ex.otherMachine, 'run')} of this parameter set on other machines, ` +
          `${plural(ex.notPassed, 'run')} incomplete or failed`,
      );
    lines.push(
      `- Rule: a figure regresses when the newest run lies beyond the PREVIOUS runs' range (min..max) on the worse side by more than ` +
        `${fmtChange(o.threshold).replace('+', '')} of it, and the median of the ${o.recent} newest runs is worse than the PREVIOUS median ` +
        `by more than ${fmtChange(o.threshold).replace('+', '')} with p < ${o.alpha} (two-sided Mann-Whitney U), for the figures a gate judges; each figure's ` +
        `resolution (1 ms for latencies) is no change. PREVIOUS: up to ${o.last} runs, at least ${o.minPrevious}.`,
      '',
    );
  }
  if (c.figures.length) {
    lines.push(
      `| figure | PREVIOUS median (min..max, n) | NEW median (min..max, n) | newest run | newest vs PREVIOUS range | change % | p | verdict |`,
      '|---|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const f of c.figures)
      lines.push(
        `| ${f.label} (${f.unit}, ${f.better} is better) | ${fmtSpread(f.previous ?? undefined, fmtNumber)} | ` +
          `${fmtSpread(f.recent ?? undefined, fmtNumber)} | ${f.newest === null ? 'n/a' : fmtNumber(f.newest)} | ${fmtBeyond(f)} | ` +
          `${fmtChange(f.change)} | ${fmtP(f.p)} | ${verdictCell(f)} |`,
      );
    lines.push('');
  }
  return lines.join('\n');
}
