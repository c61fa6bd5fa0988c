import { ACHIEVED_RATE_MIN_RATIO, SEND_DELAY_P99_LIMIT_MS } from './metrics.js';
import type { RunResult } from '../../results/schema.js';

/** The stream and ingest backlogs at the end of the load may hold at most this many seconds of input. */
const BACKLOG_LIMIT_S = 2;
/** Stream p99 "keeps growing" when its mean over the last third of the measured seconds exceeds this multiple of that over the first third... */
const P99_GROWTH_FACTOR = 2;
/** ...plus this margin (ms), so that noise on a small p99 is not taken for growth. */
const P99_GROWTH_MARGIN_MS = 500;

const GENERATOR_FELL_BEHIND = 'generator fell behind';

export const SUSTAINABLE_CRITERIA =
  `over the measured phase: the generator kept its schedule (send delay p99 <= ${SEND_DELAY_P99_LIMIT_MS} ms and achieved >= ${ACHIEVED_RATE_MIN_RATIO * 100}% of offered); ` +
  `the stream and ingest backlogs at the end of the load are at most ${BACKLOG_LIMIT_S} s of input; the mean of the per-second stream ` +
  `p99 event-time latencies over the last third of the measured seconds is at most ${timesInWords(P99_GROWTH_FACTOR)} that over the first third ` +
  `plus ${P99_GROWTH_MARGIN_MS} ms (not growing); the run completed; ` +
  'no loss, no duplicates, record-rule agreement 100%; an external job: the same agreement, and its result-latency p99 over the ' +
  'readings of the last third of the measured phase at most twice that of the first third plus the same margin.';

function timesInWords(factor: number): string {
  return factor === 2 ? 'twice' : `${factor} times`;
}

/** METRICS.md "Sustainable throughput", made concrete as SUSTAINABLE_CRITERIA says. */
export function isSustainable(r: RunResult): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (!r.complete) reasons.push(`run incomplete: ${r.incomplete_reason ?? 'no reason recorded'}`);
  if (r.input.generator_fell_behind) reasons.push(GENERATOR_FELL_BEHIND);
  if (r.storage.loss > 0 || r.storage.duplicates > 0) reasons.push('loss or duplicates');
  if (r.agreement.some((a) => a.scope === 'record' && a.jaccard < 1)) reasons.push('record-rule alerts disagree');
  const warmup = r.warmup.seconds;
  const loadEnd = Math.ceil(warmup + r.input.measured_seconds);
  const atLoadEnd = r.timeseries.filter((p) => p.second <= loadEnd && p.second >= loadEnd - 2);
  const limit = BACKLOG_LIMIT_S * r.input.offered_rate;
  for (const name of ['ingest', 'stream']) {
    const values = atLoadEnd.map((p) => p.backlog[name]).filter((v): v is number => v !== undefined);
    if (values.length > 0 && Math.min(...values) > limit)
      reasons.push(`${name} backlog ${Math.min(...values)} > ${limit} at the end of the load`);
  }
  const measured = r.timeseries.filter((p) => p.second >= warmup && p.second < loadEnd);
  const third = Math.floor(measured.length / 3);
  if (third >= 1) {
    const p99Of = (points: typeof measured): number => {
      const values = points.map((p) => p.p99_ms.stream).filter((v): v is number => typeof v === 'number');
      return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
    };
    const first = p99Of(measured.slice(0, third));
    const last = p99Of(measured.slice(-third));
    if (Number.isFinite(first) && Number.isFinite(last) && last > P99_GROWTH_FACTOR * first + P99_GROWTH_MARGIN_MS) {
      reasons.push(`stream p99 grew from ${first.toFixed(0)} ms to ${last.toFixed(0)} ms`);
    }
  }
  reasons.push(...externalReasons(r));
  return { ok: reasons.length === 0, reasons };
}

/** An external job that falls behind shows as result latency growing over the measured phase. */
function externalReasons(r: RunResult): string[] {
  const out: string[] = [];
  for (const j of r.external?.jobs ?? []) {
    if (j.loss > 0 || j.duplicates > 0) out.push(`${j.name}: loss or duplicates`);
    const t = j.p99_by_third_ms;
    if (t && t.last > P99_GROWTH_FACTOR * t.first + P99_GROWTH_MARGIN_MS)
      out.push(`${j.name} result p99 grew from ${t.first.toFixed(0)} ms to ${t.last.toFixed(0)} ms`);
  }
  return out;
}

/**
 * Which pipelines a reason of isSustainable names: ingest or the stream by their backlog or p99,
 * an external job by its name; loss, duplicates and disagreement are any mode's.
 */
function pipelinesOf(reason: string): string[] {
  const m = /^(ingest|stream) (backlog|p99)/.exec(reason);
  if (m) return [m[1]!];
  const job = /^([a-z][a-z0-9_-]*)(: loss or duplicates| result p99 grew)/.exec(reason);
  if (job) return [job[1]!];
  return [];
}

/**
 * Whether every reason of isSustainable is the run falling behind its load (the generator, a
 * backlog, a growing p99), so a lower rate may be sustainable; not so for loss, duplicates,
 * disagreement or a run that did not complete, which a lower rate does not mend.
 */
export function onlyFellBehind(reasons: string[]): boolean {
  return (
    reasons.length > 0 &&
    reasons.every(
      (r) =>
        r === GENERATOR_FELL_BEHIND || /^(ingest|stream) (backlog|p99 grew)/.test(r) || / result p99 grew /.test(r),
    )
  );
}

/**
 * What the first unsustainable run ran into: the load generator (it fell behind its schedule,
 * so the pipelines' own limit was not reached), the pipelines (named where the reasons say
 * which: ingest, which only batch needs, the stream, an external engine), or both.
 */
export function limitedBy(reasons: string[]): {
  by: 'load generator' | 'pipelines' | 'load generator and pipelines' | 'unknown';
  pipelines: string[];
} {
  const generator = reasons.includes(GENERATOR_FELL_BEHIND);
  const others = reasons.filter((r) => r !== GENERATOR_FELL_BEHIND);
  const pipelines = [...new Set(others.flatMap(pipelinesOf))];
  const by =
    generator && others.length
      ? 'load generator and pipelines'
      : generator
        ? 'load generator'
        : others.length
          ? 'pipelines'
          : 'unknown';
  return { by, pipelines };
}

/** The sentence a find-max report ends with. */
export function limitSentence(rate: number, reasons: string[]): string {
  const { by, pipelines } = limitedBy(reasons);
  const which = pipelines.length
    ? ` (${pipelines.map((p) => (p === 'ingest' ? 'ingest, which only batch needs' : p)).join(' and ')})`
    : '';
  switch (by) {
    case 'load generator':
      return `At ${rate} readings/s the load generator fell behind its schedule before any pipeline did: the rate found is this machine's load-generation limit, and the pipelines' own limit is higher.`;
    case 'pipelines':
      return `At ${rate} readings/s the pipelines${which} fell behind while the load generator kept its schedule: the rate found is the pipelines' limit on this machine.`;
    case 'load generator and pipelines':
      return `At ${rate} readings/s both the load generator and the pipelines${which} fell behind (they share the machine's cores): the rate found is the machine's limit, not the pipelines' alone.`;
    default:
      return `No reason was recorded for ${rate} readings/s.`;
  }
}
