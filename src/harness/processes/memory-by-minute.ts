/**
 * Each process group's largest resident memory in each minute of the load (the drift of a long
 * run, METRICS.md "Drift"): one value per group and minute, so what it keeps follows the run's
 * minutes, not its samples. Minute m covers [origin + 60 m s, origin + 60 (m + 1) s); samples
 * before the origin (start-up, the idle baseline) are not the load's.
 */
export class MemoryByMinute {
  private readonly peaks = new Map<string, Array<number | null>>();

  constructor(private readonly originMs: number) {}

  observe(atMs: number, group: string, rssBytes: number): void {
    if (atMs < this.originMs) return;
    const minute = Math.floor((atMs - this.originMs) / 60_000);
    let series = this.peaks.get(group);
    if (!series) this.peaks.set(group, (series = []));
    while (series.length <= minute) series.push(null);
    series[minute] = Math.max(series[minute] ?? 0, rssBytes);
  }

  /** Per group, its peak per minute in MiB (null: no sample of it in that minute). */
  mib(): Record<string, Array<number | null>> {
    const out: Record<string, Array<number | null>> = {};
    for (const [group, series] of this.peaks) out[group] = series.map((b) => (b === null ? null : b / (1024 * 1024)));
    return out;
  }
}
