import type { LatencySummary, RunResult } from '../../results/schema.js';
import { fmtCount, fmtMs, fmtNum } from './format.js';

/**
 * The seed project's own figures, quoted from its report (not measured here): a batch of
 * 100 rows processed in 0.41 s, and a Spark Structured Streaming micro-batch of 2 rows that
 * took 3.2 s. They are durations of one processing run, not event-time latencies, and the
 * seed's batch read the same 100 rows every time (LIMIT 100 without order or offset).
 */
const SEED_FIGURES = {
  batchRows: 100,
  batchSeconds: 0.41,
  streamMicroBatchRows: 2,
  streamMicroBatchSeconds: 3.2,
} as const;

/** Seconds, as the seed's report wrote its durations. */
const sec = (ms: number): string => `${fmtNum(ms / 1000)} s`;
const fmt = (ms: number, count: number): string => (count === 0 ? 'n/a' : sec(ms));
const lat = (l: LatencySummary): string =>
  `p50 ${fmt(l.p50, l.count)}, p99 ${fmt(l.p99, l.count)}, max ${fmt(l.max, l.count)} (n=${fmtCount(l.count)})`;

/** A side-by-side section for runs of `--profile seed`; null for other runs. */
export function seedComparisonSection(r: RunResult): string | null {
  if (r.parameters.label !== 'profile-seed') return null;
  const stream = r.modes.find((m) => m.mode === 'stream');
  const batch = r.modes.find((m) => m.mode === 'batch');
  const rows = [
    [
      'seed: batch script (its report)',
      `${SEED_FIGURES.batchRows} rows processed in ${SEED_FIGURES.batchSeconds} s`,
      'duration of one run over the same 100 rows; not a latency',
    ],
    [
      'seed: Spark streaming (its report)',
      `micro-batch of ${SEED_FIGURES.streamMicroBatchRows} rows in ${SEED_FIGURES.streamMicroBatchSeconds} s`,
      'duration of one micro-batch; not a latency',
    ],
  ];
  if (stream) {
    const l = stream.event_time_latency;
    rows.push([
      'vitals-bench: stream (measured)',
      `event-time latency ${lat(l)}`,
      't_committed - t_intended per reading',
    ]);
  }
  const passes = (r.batch_passes ?? []).filter((p) => p.readings > 0);
  if (passes.length > 0) {
    const durations = passes.map((p) => p.duration_ms).sort((a, b) => a - b);
    const readings = passes.map((p) => p.readings).sort((a, b) => a - b);
    const median = (xs: number[]): number => xs[Math.floor((xs.length - 1) / 2)]!;
    rows.push([
      'vitals-bench: batch pass (measured)',
      `median ${fmtCount(median(readings))} readings in ${sec(median(durations))} (${passes.length} passes, ${fmtNum(durations[0]! / 1000)}..${sec(durations[durations.length - 1]!)})`,
      "duration of one pass, like the seed's batch figure",
    ]);
  }
  if (batch) {
    const l = batch.event_time_latency;
    rows.push([
      'vitals-bench: batch (measured)',
      `event-time latency ${lat(l)}, a pass every ${batch.batch_interval_s !== undefined ? fmtNum(batch.batch_interval_s) : '?'} s`,
      'includes the wait for the next batch pass',
    ]);
  }
  // The seed's headline figure is its Spark micro-batch: every external job (the Spark example with --profile seed) has its row.
  for (const j of r.external?.jobs ?? []) {
    const l = r.external!.result_latency[j.name] ?? j.result_latency;
    rows.push([
      `vitals-bench: ${j.name}${j.name === 'spark' ? ' (Spark Structured Streaming example)' : ''} (measured, external)`,
      `latency to a reading's first alert ${lat(l)}, resolution ${fmtMs(j.visibility_resolution_ms)} ms; start-up ${j.startup_s !== undefined ? `${fmtNum(j.startup_s)} s` : 'n/a'}`,
      "t_visible - t_intended per reading that fired a rule, as the harness's polls saw it: includes the wait for the next micro-batch, unlike the seed's duration of one micro-batch",
    ]);
  }
  return [
    '## The seed project, side by side',
    "Same scenario as the seed (3 devices, 9 patients, about one reading per second, its rule heart_rate > 80 or spo2_level < 90). The seed's figures are quoted from its report, not measured here, and measure something else: how long one processing run took. Ours are per-reading event-time latencies (METRICS.md).",
    '',
    '| what | figure | what it measures |',
    '| --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}
