/**
 * Drift over a long run (METRICS.md "Drift"): whether the pipelines and the harness hold their
 * latency and memory over the load, judged on whole minutes of the measured phase, the first
 * window of them against the last.
 */
import type { DriftResult } from '../../results/schema.js';
import { median } from './spread.js';

/** Fewer whole measured minutes than this: no drift to speak of. */
const MIN_MINUTES = 3;
const WINDOW_MINUTES = 10;

export interface DriftInputs {
  /** Minute 0 starts at the schedule's start; the measured phase is [warmupEndMs, scheduleEndMs). */
  startMs: number;
  warmupEndMs: number;
  scheduleEndMs: number;
  /** Per mode, its p99 per minute of commit (null: no result in that minute). */
  p99PerMinute: Map<string, (minute: number) => number | null>;
  /** Per process group, its peak memory per minute, MiB (null: not sampled in that minute). */
  memoryMiB: Record<string, Array<number | null>>;
}

export function driftOf(x: DriftInputs): DriftResult | undefined {
  const first = Math.ceil((x.warmupEndMs - x.startMs) / 60_000);
  const last = Math.floor((x.scheduleEndMs - x.startMs) / 60_000) - 1;
  const count = last - first + 1;
  if (count < MIN_MINUTES) return undefined;
  const window = Math.min(WINDOW_MINUTES, Math.floor(count / 3));
  const minutes: DriftResult['minutes'] = [];
  for (let minute = first; minute <= last; minute++) {
    const p99_ms: Record<string, number | null> = {};
    for (const [mode, p99] of x.p99PerMinute) p99_ms[mode] = p99(minute);
    const rss_mib: Record<string, number | null> = {};
    for (const [group, series] of Object.entries(x.memoryMiB)) rss_mib[group] = series[minute] ?? null;
    minutes.push({ minute, p99_ms, rss_mib });
  }
  const head = minutes.slice(0, window);
  const tail = minutes.slice(-window);
  const compared: DriftResult['compared'] = [];
  const compare = (figure: string, unit: 'ms' | 'MiB', value: (m: DriftResult['minutes'][number]) => number | null) => {
    const a = medianOf(head.map(value));
    const b = medianOf(tail.map(value));
    compared.push({
      figure,
      unit,
      first: a,
      last: b,
      change_pct: a !== null && b !== null && a > 0 ? ((b - a) / a) * 100 : null,
    });
  };
  for (const mode of x.p99PerMinute.keys()) compare(`${mode} event-time p99`, 'ms', (m) => m.p99_ms[mode] ?? null);
  for (const group of Object.keys(x.memoryMiB).sort())
    compare(`${group} memory`, 'MiB', (m) => m.rss_mib[group] ?? null);
  return { window_minutes: window, minutes, compared };
}

function medianOf(values: Array<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length > 0 ? median(present) : null;
}
