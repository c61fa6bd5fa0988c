import type { RunResult } from '../../results/schema.js';

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

const fmt = (ms: number, count: number): string => (count === 0 ? 'n/a' : `${(ms / 1000).toFixed(3)} s`);

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
      `event-time latency p50 ${fmt(l.p50, l.count)}, p99 ${fmt(l.p99, l.count)}, max ${fmt(l.max, l.count)} (n=${l.count})`,
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
      `median ${median(readings)} readings in ${(median(durations) / 1000).toFixed(3)} s (${passes.length} passes, ${(durations[0]! / 1000).toFixed(3)}..${(durations[durations.length - 1]! / 1000).toFixed(3)} s)`,
      "duration of one pass, like the seed's batch figure",
    ]);
  }
  if (batch) {
    const l = batch.event_time_latency;
    rows.push([
      'vitals-bench: batch (measured)',
      `event-time latency p50 ${fmt(l.p50, l.count)}, p99 ${fmt(l.p99, l.count)}, max ${fmt(l.max, l.count)} (n=${l.count}), a pass every ${batch.batch_interval_s ?? '?'} s`,
      'includes the wait for the next batch pass',
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
