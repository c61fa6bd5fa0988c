/**
 * The old fault-report latencies (run/result.ts latencyPoints, faults/analysis.ts p99Split): a
 * point per measured reading and mode, split by each interval asked for. The oracle of
 * measure/latency-split.ts.
 */
import { readingKey } from '../../src/domain/keys.js';
import type { Mode } from '../../src/domain/modes.js';
import type { LatencySplits } from '../../src/harness/faults/analysis.js';
import { LatencyHistogram } from '../../src/results/histogram.js';
import type { RunData } from './collect.js';
import type { GroundTruth } from './ground-truth.js';

interface LatencyPoint {
  intended: number;
  committed: number;
}

function latencyPoints(data: RunData, truth: GroundTruth, mode: Mode, warmupEndMs: number): LatencyPoint[] {
  const out: LatencyPoint[] = [];
  const committed = data.committedAt[mode];
  data.readings.forEach((r, i) => {
    const intended = truth.intended.get(readingKey(r.patient_id, r.seq));
    const t = committed[i]!;
    if (intended !== undefined && intended >= warmupEndMs && !Number.isNaN(t)) out.push({ intended, committed: t });
  });
  return out;
}

export function oracleLatencySplits(
  data: RunData,
  truth: GroundTruth,
  modes: readonly Mode[],
  warmupEndMs: number,
): LatencySplits {
  const latencies = Object.fromEntries(modes.map((m) => [m, latencyPoints(data, truth, m, warmupEndMs)]));
  return {
    split(from, to) {
      const during: Record<string, number | null> = {};
      const outside: Record<string, number | null> = {};
      const counts: Record<string, number> = {};
      for (const [mode, points] of Object.entries(latencies)) {
        const inH = new LatencyHistogram();
        const outH = new LatencyHistogram();
        for (const p of points) (p.intended >= from && p.intended <= to ? inH : outH).record(p.committed - p.intended);
        during[mode] = inH.count > 0 ? inH.summary().p99 : null;
        outside[mode] = outH.count > 0 ? outH.summary().p99 : null;
        counts[mode] = inH.count;
      }
      return { p99_during_ms: during, p99_outside_ms: outside, readings_during: counts };
    },
  };
}
