/**
 * report.md of a sweep (one option as a list, or two as a grid): its settings, each value's
 * figures with an interval of their median, which differences between neighbouring values are
 * trends and which are noise (measure/trend.ts), each run's warnings and validity carried into
 * the table of its value, the trade-off map's crossover in words, and every run.
 */
import type { LatencySummary, SweepResult } from '../../results/schema.js';
import { limitSentence } from '../measure/sustainable.js';
import { medianInterval, runsNeeded, stepTest, TREND_ALPHA, type StepTest } from '../measure/trend.js';
import { fmtCount, fmtMs, fmtNum, fmtP, fmtPercent, fmtValue, plural } from './format.js';
import { METRICS, type ChartRef } from './markdown.js';
import { chartsSection } from './sections/charts.js';
import { table } from './md-table.js';
import {
  cellsOf,
  commitsOf,
  costAboveIdle,
  hasCost,
  modesOf,
  sweepLatencyKind,
  sweptOf,
  sweptTitle,
  sweptValueOf,
  gridValueOf,
  type Cell,
  type Figure,
  type ModeFigures,
  type SweptInfo,
} from './sweep-data.js';
import { crossoverSentence, TRADEOFF_FILE } from './tradeoff.js';
import { verdictWords } from './verdict.js';

type SweepRun = SweepResult['runs'][number];

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  return JSON.stringify(v) ?? '';
}

/** A setting's value in the sweep report's Settings table. */
function settingText(key: string, v: unknown, swept: SweptInfo, grid: SweptInfo | undefined): string {
  if (key === 'patients' && v === null) return 'one per reading/s (default)';
  for (const o of [swept, grid]) if (o && key === o.key) return `${o.values.map(fmtValue).join(', ')} (swept)`;
  if (Array.isArray(v))
    return v.length ? v.map((x) => (typeof x === 'number' ? fmtValue(x) : valueText(x))).join(', ') : 'none';
  if (typeof v === 'number') return fmtValue(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (v === '') return '(none)';
  return valueText(v);
}

/** "median (lo..hi, 95% CI, n=8)", "median (n=1)", "n/a". */
function fmtInterval(f: Figure | undefined, fmt: (v: number) => string, unit = '', of?: number): string {
  if (!f) return 'n/a';
  const i = medianInterval(f.values)!;
  const count = `n=${i.n}${of !== undefined && of > i.n ? ` of ${of}` : ''}`;
  if (i.n === 1) return `${fmt(f.spread.median)}${unit} (${count})`;
  return `${fmt(f.spread.median)}${unit} (${fmt(i.lo)}..${fmt(i.hi)}, ${fmtPercent(Math.floor(i.level * 1000) / 10)} CI, ${count})`;
}

/** The figures a sweep tests between neighbouring values. */
interface TestedFigure {
  name: string;
  of: (f: ModeFigures) => Figure | undefined;
  fmt: (v: number) => string;
  unit: string;
}

function testedFigures(sweep: SweepResult): TestedFigure[] {
  const lat = sweepLatencyKind(sweep) === 'result' ? 'to first alert' : 'event-time';
  return [
    { name: `p50 ${lat}`, of: (f) => f.p50, fmt: fmtMs, unit: ' ms' },
    { name: `p99 ${lat}`, of: (f) => f.p99, fmt: fmtMs, unit: ' ms' },
    ...(hasCost(sweep)
      ? [
          {
            name: costAboveIdle(sweep) ? 'CPU per 1,000 readings above idle' : 'CPU per 1,000 readings over the run',
            of: (f: ModeFigures) => f.cost,
            fmt: (v: number) => fmtNum(v),
            unit: ' ms',
          },
        ]
      : []),
  ];
}

/** Two cells that differ in one option by one step of its values. */
interface Step {
  from: Cell;
  to: Cell;
  /** "--batch-interval 2 → 10 s", with " (at --rate 500)" in a grid. */
  label: string;
}

function stepsOf(sweep: SweepResult, cells: Cell[]): Step[] {
  const swept = sweptOf(sweep);
  const grid = sweep.grid;
  const unit = (o: SweptInfo): string => (o.unit ? ` ${o.unit}` : '');
  const out: Step[] = [];
  const gridValues = [...new Set(cells.map((c) => c.gridValue))];
  for (const g of gridValues) {
    const row = cells.filter((c) => Object.is(c.gridValue, g) || c.gridValue === g).sort((a, b) => a.value - b.value);
    for (let i = 1; i < row.length; i++)
      out.push({
        from: row[i - 1]!,
        to: row[i]!,
        label: `--${swept.option} ${fmtValue(row[i - 1]!.value)} → ${fmtValue(row[i]!.value)}${unit(swept)}${grid ? ` (at --${grid.option} ${fmtValue(g)})` : ''}`,
      });
  }
  if (grid) {
    for (const v of [...new Set(cells.map((c) => c.value))]) {
      const col = cells.filter((c) => c.value === v).sort((a, b) => a.gridValue - b.gridValue);
      for (let i = 1; i < col.length; i++)
        out.push({
          from: col[i - 1]!,
          to: col[i]!,
          label: `--${grid.option} ${fmtValue(col[i - 1]!.gridValue)} → ${fmtValue(col[i]!.gridValue)}${unit(grid)} (at --${swept.option} ${fmtValue(v)})`,
        });
    }
  }
  return out;
}

interface StepResult {
  mode: string;
  figure: TestedFigure;
  step: Step;
  test: StepTest;
}

function stepResults(sweep: SweepResult, cells: Cell[]): StepResult[] {
  const out: StepResult[] = [];
  const figures = testedFigures(sweep);
  for (const step of stepsOf(sweep, cells))
    for (const mode of modesOf(sweep))
      for (const figure of figures) {
        const a = figure.of(step.from.modes.find((m) => m.mode === mode)!);
        const b = figure.of(step.to.modes.find((m) => m.mode === mode)!);
        if (!a || !b) continue;
        const test = stepTest(a.values, b.values);
        if (test) out.push({ mode, figure, step, test });
      }
  return out;
}

function moved(x: StepResult): string {
  const { test, figure } = x;
  const dir = test.to > test.from ? 'rose' : 'fell';
  return `${x.mode} ${figure.name} ${dir} from ${figure.fmt(test.from)} to ${figure.fmt(test.to)}${figure.unit} (${x.step.label}, p ${fmtP(test.p)})`;
}

/**
 * The sweep in plain words: only the differences between neighbouring values that a two-sided
 * Mann-Whitney test over the runs tells from noise (p < 0.05); the rest is "no measurable
 * change", or untested when the runs are too few for any test to reach that.
 */
export function sweepSummary(sweep: SweepResult): string | null {
  const cells = cellsOf(sweep);
  if (cells.length < 2) return null;
  const results = stepResults(sweep, cells);
  if (results.length === 0) return null;
  const perCell = [...new Set(cells.map((c) => c.runs.length))];
  const tested = results.filter((x) => x.test.verdict !== 'untested').length;
  const out: string[] = [
    `${plural(cells.length, 'setting')}, ${perCell.length === 1 ? plural(perCell[0]!, 'run') : `${Math.min(...perCell)} to ${Math.max(...perCell)} runs`} each. ` +
      `A difference between neighbouring values is stated only where a two-sided Mann-Whitney test over their runs gives p < ${TREND_ALPHA}` +
      (tested
        ? ` (${plural(tested, 'comparison')} tested: about ${fmtNum(tested * TREND_ALPHA)} could pass by chance).`
        : '.'),
  ];
  const changed = results.filter((x) => x.test.verdict === 'changed');
  const unchanged = results.filter((x) => x.test.verdict === 'unchanged');
  const untested = results.filter((x) => x.test.verdict === 'untested');
  if (changed.length) out.push(`Changed: ${changed.map(moved).join('; ')}.`);
  if (unchanged.length) {
    const name = (x: StepResult): string => `${x.mode} ${x.figure.name}`;
    const changedNames = new Set(changed.map(name));
    const names = [...new Set(unchanged.map(name))].map((n) => (changedNames.has(n) ? `${n} (at the other steps)` : n));
    out.push(`No measurable change: ${names.join(', ')}.`);
  }
  if (untested.length) {
    const need = runsNeeded();
    const hints = untested.filter((x) => x.test.separated);
    out.push(
      `Not tested, too few runs (with ${untested[0]!.test.n1} and ${untested[0]!.test.n2} runs no outcome reaches p < ${TREND_ALPHA}; ${need} runs per value can, --repeat ${need}): ` +
        `no measurable change can be claimed for ${[...new Set(untested.map((x) => `${x.mode} ${x.figure.name}`))].join(', ')}.` +
        (hints.length
          ? ` Their runs did not overlap at all, a hint to test, not a result, for: ${hints.map((x) => `${x.mode} ${x.figure.name} (${x.step.label}: ${x.figure.fmt(x.test.from)} to ${x.figure.fmt(x.test.to)}${x.figure.unit})`).join('; ')}.`
          : ''),
    );
  }
  const behind = sweep.runs.filter((r) => r.result.input.generator_fell_behind).length;
  const failed = sweep.runs.filter((r) => !r.result.verdict.passed).length;
  out.push(
    behind
      ? `In ${behind} of ${plural(sweep.runs.length, 'run')} the load generator fell behind its schedule: those runs measured the machine, not the pipelines (their values are marked below).`
      : 'The load generator kept to its schedule in every run.',
  );
  out.push(
    failed
      ? `${failed} of ${plural(sweep.runs.length, 'run')} FAILED (see their reports).`
      : 'Every run passed (no loss, no duplicates, the modes agreed).',
  );
  return out.join(' ');
}

export function renderSweepMarkdown(sweep: SweepResult, charts: ChartRef[]): string {
  const swept = sweptOf(sweep);
  const runs = [...sweep.runs].sort(
    (x, y) =>
      sweptValueOf(x, swept) - sweptValueOf(y, swept) ||
      (gridValueOf(x, sweep) || 0) - (gridValueOf(y, sweep) || 0) ||
      x.result.input.offered_rate - y.result.input.offered_rate ||
      x.result.started_at.localeCompare(y.result.started_at),
  );
  const summary = sweepSummary(sweep);
  const cells = cellsOf(sweep);
  const crossover = crossoverSentence(sweep);
  const parts = [
    ...sweepHeaderSection(sweep, swept, runs),
    ...(summary ? ['## Summary', summary] : []),
    ...(crossover || charts.some((c) => c.file === TRADEOFF_FILE) ? tradeoffSection(crossover) : []),
    ...sweepSettingsSection(sweep, swept),
    ...perValueSection(sweep, swept, cells),
    ...acrossValuesSection(sweep, cells),
    ...runsSection(sweep, swept, runs),
    ...(sweep.find_max ? [sustainableSection(sweep.find_max, runs)] : []),
    ...chartsSection(charts),
    '## Definitions',
    `As in ${METRICS}: event-time latency = t_committed − t_intended (no coordinated-omission correction on top); latency to a first alert = the first record-rule result's commit (an external job's: first seen by polling) − t_intended; output rate = readings whose results committed per second; ` +
      'CPU per 1,000 readings: each mode with what only it needs (batch: its passes and ingest), above its idle CPU when the runs timed an idle baseline; at the offered rate: above idle plus the idle CPU spread over the rate. ' +
      `Interval of a median: distribution-free, from the runs' order statistics, with the share of such intervals that hold the true median (95% or more from 6 runs up; min..max of 2 runs is a 50% interval). ` +
      `Sustainable throughput = the highest offered rate at which, over the measured phase, consumer backlog and event-time latency do not keep growing and send delay stays small. "n/a" means no samples.`,
  ];
  return parts.join('\n\n') + '\n';
}

function tradeoffSection(crossover: string | null): string[] {
  return [
    '## Trade-off',
    [
      crossover ?? 'The sweep does not vary the offered rate: no crossover by rate to state.',
      `The map (${TRADEOFF_FILE}) draws every mode at every setting as latency p99 against CPU per 1,000 readings at the offered rate, a panel per rate, with the Pareto front ringed: the settings nothing else beats on both.`,
    ].join(' '),
  ];
}

/** The title, the line naming the swept values and the commits the runs were made at. */
function sweepHeaderSection(sweep: SweepResult, swept: SweptInfo, runs: SweepRun[]): string[] {
  const grid = sweep.grid;
  const title = grid
    ? `# vitals-bench grid over --${swept.option} and --${grid.option}`
    : swept.key === 'rate'
      ? '# vitals-bench rate sweep'
      : `# vitals-bench sweep over --${swept.option}`;
  const values = (o: SweptInfo, of: (r: SweepRun) => number): string => {
    const vs = o.values.length ? o.values : [...new Set(runs.map(of))];
    return `--${o.option} ${vs.map(fmtValue).join(', ')}${o.unit ? ` ${o.unit}` : ''}`;
  };
  const commits = commitsOf(sweep);
  const started = runs.map((r) => r.result.started_at).sort();
  return [
    title,
    `${plural(runs.length, 'run')}: ${values(swept, (r) => sweptValueOf(r, swept))}${grid ? ` × ${values(grid, (r) => gridValueOf(r, sweep))}` : ''}` +
      `${(sweep.repeat ?? 1) > 1 ? `, ${sweep.repeat} runs per ${grid ? 'setting' : 'value'} (--repeat)` : ''}.`,
    (commits.length === 1
      ? `Every run at commit ${commits[0]!.commit}.`
      : `**Runs made at ${commits.length} commits**: ${commits.map((c) => `${c.commit} (${plural(c.runs, 'run')})`).join(', ')}; a difference between values may be the code's.`) +
      (started.length ? ` Runs started from ${started[0]} to ${started[started.length - 1]}.` : ''),
  ];
}

function sweepSettingsSection(sweep: SweepResult, swept: SweptInfo): string[] {
  if (!sweep.options) return [];
  const rows = Object.entries(sweep.options)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, settingText(k, v, swept, sweep.grid)]);
  if (!('patients' in sweep.options) || sweep.options.patients === undefined)
    rows.push(['--patients', 'one per reading/s (default)']);
  if (sweep.repeat !== undefined && !('repeat' in sweep.options)) rows.push(['--repeat', String(sweep.repeat)]);
  return [
    '## Settings',
    `Every run of the sweep had these settings; only the swept option${sweep.grid ? 's differ' : ' differs'} between runs.`,
    table(['setting', 'value'], rows),
  ];
}

/** Per value (and grid value) and mode: the median of each figure with its interval, the runs' validity, their warnings. */
function perValueSection(sweep: SweepResult, swept: SweptInfo, cells: Cell[]): string[] {
  const cost = hasCost(sweep);
  const aboveIdle = costAboveIdle(sweep);
  const lat = sweepLatencyKind(sweep) === 'result' ? 'to first alert' : 'event-time';
  const header = [
    sweptTitle(swept),
    ...(sweep.grid ? [sweptTitle(sweep.grid)] : []),
    'mode',
    'runs',
    `p50 ${lat}`,
    `p99 ${lat}`,
    'output (readings/s)',
  ];
  if (cost)
    header.push(
      aboveIdle ? 'CPU ms per 1,000 readings above idle' : 'CPU ms per 1,000 readings over the run',
      'idle CPU (ms/s)',
    );
  const rows: string[][] = [];
  for (const c of cells) {
    const machine = c.runs.length - c.validRuns;
    for (const f of c.modes) {
      const row = [
        fmtValue(c.value),
        ...(sweep.grid ? [fmtValue(c.gridValue)] : []),
        f.mode,
        `${f.runs}${machine ? ` (${machine} measured the machine)` : ''}`,
        fmtInterval(f.p50, fmtMs, ' ms', f.runs),
        fmtInterval(f.p99, fmtMs, ' ms', f.runs),
        fmtInterval(f.outputRate, (v) => fmtNum(v), '', f.runs),
      ];
      if (cost)
        row.push(
          fmtInterval(f.cost, (v) => fmtNum(v), '', f.runs),
          fmtInterval(f.idleMsPerS, (v) => fmtNum(v), '', f.runs),
        );
      rows.push(row);
    }
  }
  const cellName = (c: Cell): string =>
    `--${swept.option} ${fmtValue(c.value)}${sweep.grid ? `, --${sweep.grid.option} ${fmtValue(c.gridValue)}` : ''}`;
  const warnings = cells.flatMap((c) =>
    c.warnings.map((w) => `- ${cellName(c)} (${w.runs} of ${plural(c.runs.length, 'run')}): ${w.text}`),
  );
  return [
    `## Per value of --${swept.option}${sweep.grid ? ` and --${sweep.grid.option}` : ''}`,
    "Each figure is the median over the runs at that setting, with an interval of that median from the runs' order statistics and the share of such intervals that hold the true median (the CI), and n = runs that had the figure. " +
      `"Measured the machine": an incomplete run, or one whose load generator fell behind its schedule; its figures are counted but are the machine's, not the pipelines'. "n/a": no run had the figure${cost ? '' : '; no run recorded its cost'}.`,
    table(header, rows),
    ...(warnings.length
      ? [`**Warnings of the runs**, by setting:\n\n${warnings.join('\n')}`]
      : ['No run had a warning.']),
  ];
}

/** Every step between neighbouring values: each figure's medians, the test's p and what it says. */
function acrossValuesSection(sweep: SweepResult, cells: Cell[]): string[] {
  const results = stepResults(sweep, cells);
  if (results.length === 0) return [];
  const verdict = (t: StepTest): string =>
    t.verdict === 'changed'
      ? `**changed** (p ${fmtP(t.p)})`
      : t.verdict === 'unchanged'
        ? `no measurable change (p ${fmtP(t.p)})`
        : `not tested: ${t.n1} and ${t.n2} runs${t.separated ? ' (runs do not overlap)' : ''}`;
  return [
    '## Across values',
    `Each figure at one value against the next, a two-sided Mann-Whitney test over the runs (exact, ties included); a change needs p < ${TREND_ALPHA}. ` +
      `With fewer than ${runsNeeded()} runs a side no outcome reaches that: such a step is not tested, which is not "unchanged".`,
    table(
      ['step', 'mode', 'figure', 'from', 'to', 'verdict'],
      results.map((x) => [
        x.step.label,
        x.mode,
        x.figure.name,
        `${x.figure.fmt(x.test.from)}${x.figure.unit}`,
        `${x.figure.fmt(x.test.to)}${x.figure.unit}`,
        verdict(x.test),
      ]),
    ),
  ];
}

/** "pass", "PASSED, but measured the machine", "FAILED": the runs table's verdict cell. */
function verdictCell(r: SweepRun['result']): string {
  const w = verdictWords(r);
  return r.complete ? w : `${w} (incomplete)`;
}

/** One row per run, the verdict second (it must never hide behind a scroll); failures listed below. */
function runsSection(sweep: SweepResult, swept: SweptInfo, runs: SweepRun[]): string[] {
  const byRate = swept.key === 'rate' && !sweep.grid;
  const modes = modesOf(sweep);
  const lat = sweepLatencyKind(sweep) === 'result' ? 'to first alert' : 'event-time';
  const header = byRate ? [] : [sweptTitle(swept)];
  if (sweep.grid) header.push(sweptTitle(sweep.grid));
  header.push('verdict', 'offered (readings/s)', 'achieved', 'send delay p99');
  for (const m of modes) header.push(`${m} p50 ${lat}`, `${m} p99`);
  header.push('run');
  const rows = runs.map((run) => {
    const r = run.result;
    const row = byRate ? [] : [fmtValue(sweptValueOf(run, swept))];
    if (sweep.grid) row.push(fmtValue(gridValueOf(run, sweep)));
    row.push(
      verdictCell(r),
      fmtNum(r.input.offered_rate),
      fmtNum(r.input.achieved_rate),
      r.input.send_delay.count ? `${fmtMs(r.input.send_delay.p99)} ms` : 'n/a',
    );
    for (const name of modes) {
      const s =
        lat === 'event-time'
          ? r.modes.find((x) => x.mode === name)?.event_time_latency
          : r.external?.result_latency[name];
      row.push(s && s.count ? `${fmtMs(s.p50)} ms` : 'n/a', s && s.count ? `${fmtMs(s.p99)} ms` : 'n/a');
    }
    row.push(`[${r.run_id}](${run.dir}/report.md)`);
    return row;
  });
  const failures = runs
    .filter((run) => !run.result.verdict.passed)
    .map((run) => `- ${run.result.run_id}: ${run.result.verdict.failures.join('; ') || 'no reason recorded'}`);
  return ['## Runs', table(header, rows), ...(failures.length ? [`Failures:\n\n${failures.join('\n')}`] : [])];
}

/** --find-max: the rate found, the runs either side of it, and what limited the first unsustainable one. */
function sustainableSection(fm: NonNullable<SweepResult['find_max']>, runs: SweepRun[]): string {
  const lines = [
    '## Sustainable throughput',
    `Criteria: ${fm.criteria}`,
    '',
    fm.sustainable_rate === null
      ? '**No tested rate was sustainable.**'
      : `**Sustainable throughput: ${fmtCount(fm.sustainable_rate)} readings/s.**`,
  ];
  const either = (label: string, rate: number | undefined): void => {
    if (rate === undefined) return;
    const run = runs.find((x) => x.result.input.offered_rate === rate);
    if (!run) {
      lines.push(`- ${label}: ${fmtCount(rate)} readings/s (run not in this sweep)`);
      return;
    }
    const p99 = (s: LatencySummary): string => (s.count ? `${fmtMs(s.p99)} ms` : 'n/a');
    // Every mode, external ones too; a run with only an external mode has no empty part.
    const parts = [
      `achieved ${fmtNum(run.result.input.achieved_rate)}/s, send delay p99 ${p99(run.result.input.send_delay)}`,
      ...run.result.modes.map((m) => `${m.mode} p99 ${p99(m.event_time_latency)}, output ${fmtNum(m.output_rate)}/s`),
      ...(run.result.external?.jobs ?? []).map(
        (j) => `${j.name} (external) result p99 ${p99(j.result_latency)}, ${fmtNum(j.output_rate)} results/s`,
      ),
      verdictWords(run.result).toLowerCase(),
    ];
    lines.push(
      `- ${label}: ${fmtCount(rate)} readings/s — [${run.result.run_id}](${run.dir}/report.md); ${parts.join('; ')}`,
    );
  };
  either('Run below (sustained)', fm.below);
  either('Run above (not sustained)', fm.above);
  if (fm.above_reasons?.length) {
    lines.push(`- Why ${fmtCount(fm.above!)} readings/s was not sustainable: ${fm.above_reasons.join('; ')}.`);
    lines.push('', limitSentence(fm.above!, fm.above_reasons));
  }
  return lines.join('\n');
}
