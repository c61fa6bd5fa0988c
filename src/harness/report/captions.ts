/**
 * The lines under a chart's title that let its PNG stand alone, pasted into a document far from
 * its report: the workload (rate, measured phase, warm-up), the sample counts, the run or
 * sweep and the commit it was measured at.
 */
import type { RunResult, SweepResult } from '../../results/schema.js';
import { fmtCount, fmtNum, fmtSeconds, fmtValue, plural } from './format.js';
import { headlineLatency } from './modes-view.js';
import { commitOf, commitsOf, sweptOf } from './sweep-data.js';
import { verdictWords } from './verdict.js';

export function runCaption(r: RunResult): string[] {
  const h = headlineLatency(r);
  const counts =
    h.key === 'result'
      ? Object.entries(r.external?.result_latency ?? {}).map(([m, s]) => `${m} ${fmtCount(s.count)}`)
      : r.modes.map((m) => `${m.mode} ${fmtCount(m.event_time_latency.count)}`);
  const verdict = verdictWords(r);
  return [
    `${fmtNum(r.input.offered_rate)} readings/s offered, ${fmtSeconds(r.input.measured_seconds)} measured after a ${fmtSeconds(r.warmup.seconds)} warm-up; ` +
      `n = ${counts.join(', ')} ${h.key === 'result' ? 'readings with an alert' : 'readings'}`,
    `run ${r.run_id}, commit ${commitOf(r)}; ${verdict}`,
  ];
}

/** The value of a setting every run of the sweep shares, or undefined when they differ. */
function common<T>(sweep: SweepResult, of: (r: RunResult) => T): T | undefined {
  const vs = [...new Set(sweep.runs.map((x) => of(x.result)))];
  return vs.length === 1 ? vs[0] : undefined;
}

export function sweepCaption(sweep: SweepResult): string[] {
  const swept = sweptOf(sweep);
  const list = (o: { option: string; values: number[]; unit?: string }): string =>
    `--${o.option} ${o.values.map(fmtValue).join(', ')}${o.unit ? ` ${o.unit}` : ''}`;
  const rate = common(sweep, (r) => r.input.offered_rate);
  const duration = common(sweep, (r) => r.parameters.duration);
  const warmup = common(sweep, (r) => r.warmup.seconds);
  const phase = [
    ...(typeof duration === 'number' ? [`${fmtSeconds(duration)} measured`] : []),
    ...(warmup !== undefined ? [`after a ${fmtSeconds(warmup)} warm-up`] : []),
  ].join(' ');
  const workload = [
    ...(rate !== undefined && swept.key !== 'rate' && sweep.grid?.key !== 'rate' ? [`${fmtNum(rate)} readings/s`] : []),
    ...(phase ? [phase] : []),
  ];
  const commits = commitsOf(sweep);
  const dates = sweep.runs.map((r) => r.result.started_at.slice(0, 10)).sort();
  return [
    `${plural(sweep.runs.length, 'run')}: ${list(swept)}${sweep.grid ? ` × ${list(sweep.grid)}` : ''}` +
      `${(sweep.repeat ?? 1) > 1 ? `, ${sweep.repeat} runs each` : ''}${workload.length ? `; ${workload.join(', ')}` : ''}`,
    `${commits.length === 1 ? `commit ${commits[0]!.commit}` : `commits ${commits.map((c) => c.commit).join(', ')} (mixed)`}` +
      `${dates.length ? `, ${dates[0] === dates[dates.length - 1] ? dates[0] : `${dates[0]} to ${dates[dates.length - 1]}`}` : ''}`,
  ];
}
