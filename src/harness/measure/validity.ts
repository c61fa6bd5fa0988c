/**
 * Whether a run measured what it set out to measure: the pipelines, over the whole planned load.
 * A run can pass its verdict (no loss, full agreement) and still have measured the machine: a
 * load generator that fell behind its schedule makes every latency the generator's. Figures of
 * such a run are shown, never judged as the pipelines' (compare calls them inconclusive, the
 * verdict line says so).
 */
import type { RunResult } from '../../results/schema.js';
import { ACHIEVED_RATE_MIN_RATIO, SEND_DELAY_P99_LIMIT_MS } from './metrics.js';

export interface MeasurementValidity {
  /** True when nothing below was found. */
  valid: boolean;
  /** Each reason in words, for a report line or a compare table ("the load generator fell behind: ..."). */
  problems: string[];
}

export function measurementValidity(r: RunResult): MeasurementValidity {
  const problems: string[] = [];
  if (!r.complete) problems.push(`the run is incomplete${r.incomplete_reason ? `: ${r.incomplete_reason}` : ''}`);
  if (r.input.generator_fell_behind) {
    // Whole milliseconds: the instants are (the report's numbers follow report/format.ts, which measure/ cannot import).
    const p99 =
      r.input.send_delay.count > 0
        ? `send delay p99 ${Math.round(r.input.send_delay.p99)} ms`
        : 'no send delay recorded';
    const rate = r.input.offered_rate > 0 ? (r.input.achieved_rate / r.input.offered_rate) * 100 : 0;
    problems.push(
      `the load generator fell behind its schedule (${p99}, limit ${SEND_DELAY_P99_LIMIT_MS} ms; achieved ${rate.toFixed(1)}% of the offered rate, at least ${ACHIEVED_RATE_MIN_RATIO * 100}% needed): it measured the machine, not the pipelines`,
    );
  }
  return { valid: problems.length === 0, problems };
}
