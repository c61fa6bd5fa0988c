import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One reading of a process's counters from /proc: CPU seconds so far (user + system, all threads) and resident memory. */
export interface ProcSample {
  cpuS: number;
  rssBytes: number;
}

function getconf(name: string, fallback: number): number {
  try {
    const v = Number(execFileSync('getconf', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isFinite(v) && v > 0 ? v : fallback;
  } catch {
    return fallback;
  }
}

let units: { clkTck: number; pageSize: number } | undefined;
function procUnits(): { clkTck: number; pageSize: number } {
  units ??= { clkTck: getconf('CLK_TCK', 100), pageSize: getconf('PAGESIZE', 4096) };
  return units;
}

/**
 * Parse /proc/PID/stat: the command name (field 2) is in parentheses and may hold spaces, so
 * the fields are counted after its closing parenthesis; utime and stime are fields 14 and 15
 * (clock ticks), rss field 24 (pages).
 */
export function parseProcStat(stat: string, clkTck: number, pageSize: number): ProcSample {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const rss = Number(rest[21]);
  if (![utime, stime, rss].every(Number.isFinite)) throw new Error(`unreadable /proc stat line: ${stat.slice(0, 80)}`);
  return { cpuS: (utime + stime) / clkTck, rssBytes: rss * pageSize };
}

function readProc(pid: number): ProcSample | null {
  try {
    const { clkTck, pageSize } = procUnits();
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'), clkTck, pageSize);
  } catch {
    return null; // gone (or not on Linux): its last sample stands
  }
}

/** CPU seconds the processes have used so far (those that ended are not counted). */
export function cpuSecondsOf(pids: readonly number[]): number {
  return pids.reduce((t, pid) => t + (readProc(pid)?.cpuS ?? 0), 0);
}

interface PidTrack {
  first: ProcSample;
  last: ProcSample;
  peakRss: number;
  /** A process started after the run's first sample counts from zero; any other, from the run's first sample. */
  fromStart: boolean;
}

/** Each group's idle CPU: seconds of the load-free interval and CPU seconds per second. */
export interface IdleBaseline {
  seconds: number;
  cpuPerS: Record<string, number>;
}

/**
 * Samples the CPU and memory of the run's processes, grouped by what they are (a role whose
 * process was restarted has several pids, an external job a process group). CPU of a group =
 * what its processes used from the run's first sample (taken once every mode, built-in and
 * external, was ready, before the load: no process's start-up counts) to its last, a process
 * started after the first sample from its start, so that every group's CPU covers the same
 * `sampledS`. Peak memory of a group = the largest sum of its processes' resident sets at one
 * sample (a launcher and its JVM together). A load-free interval can be timed (beginIdle/endIdle,
 * while sampling goes on or not): each group's idle CPU per second over it.
 */
export class CostSampler {
  private readonly groups = new Map<string, Map<number, PidTrack>>();
  /** Per group: the largest sum of its processes' resident sets at one sample, bytes. */
  private readonly peakSum = new Map<string, number>();
  /** Per group: the sum of its processes' resident sets at the latest sample, bytes. */
  private readonly lastSum = new Map<string, number>();
  private firstAt: number | undefined;
  private lastAt: number | undefined;
  private idleStart: { at: number; cpu: Map<string, Map<number, number>> } | undefined;
  private idle: IdleBaseline | undefined;

  constructor(
    private readonly read: (pid: number) => ProcSample | null = readProc,
    private readonly now: () => number = Date.now,
    /** Seconds of one CPU clock tick: the resolution of every CPU figure read. */
    private readonly tickS: number = 1 / procUnits().clkTck,
  ) {}

  /** Follow pid as part of group (idempotent). fromStart: the process was started for this run (counts from zero if started after the first sample). */
  track(group: string, pid: number | undefined, fromStart: boolean): void {
    if (pid === undefined) return;
    const pids = this.groups.get(group) ?? new Map<number, PidTrack>();
    this.groups.set(group, pids);
    if (pids.has(pid)) return;
    const s = this.read(pid);
    if (s) pids.set(pid, { first: s, last: s, peakRss: s.rssBytes, fromStart });
  }

  sample(): void {
    const at = this.now();
    // What a process used before the run's first sample (its start-up, an idle baseline) is not the run's.
    const first = this.firstAt === undefined;
    this.firstAt ??= at;
    this.lastAt = at;
    for (const [group, pids] of this.groups) {
      let rss = 0;
      for (const [pid, t] of pids) {
        const s = this.read(pid);
        if (!s) continue;
        if (first) {
          t.first = s;
          t.fromStart = false;
        }
        t.last = s;
        t.peakRss = Math.max(t.peakRss, s.rssBytes);
        rss += s.rssBytes;
      }
      this.peakSum.set(group, Math.max(this.peakSum.get(group) ?? 0, rss));
      this.lastSum.set(group, rss);
    }
  }

  /** Each group's summed resident memory at the latest sample, bytes. */
  latestRss(): ReadonlyMap<string, number> {
    return this.lastSum;
  }

  /** The start of a load-free interval: every tracked process's CPU now. */
  beginIdle(): void {
    this.idleStart = { at: this.now(), cpu: this.cpuByPid() };
  }

  /** The end of it: each group's CPU per second over the interval, from the processes alive at both ends. */
  endIdle(): void {
    const start = this.idleStart;
    if (!start) throw new Error('endIdle() without beginIdle()');
    const seconds = (this.now() - start.at) / 1000;
    const end = this.cpuByPid();
    const cpuPerS: Record<string, number> = {};
    if (seconds > 0)
      for (const [group, pids] of end) {
        const before = start.cpu.get(group);
        let used = 0;
        let seen = false;
        for (const [pid, cpu] of pids) {
          const b = before?.get(pid);
          if (b === undefined) continue;
          used += cpu - b;
          seen = true;
        }
        if (seen) cpuPerS[group] = used / seconds;
      }
    this.idle = { seconds, cpuPerS };
  }

  private cpuByPid(): Map<string, Map<number, number>> {
    const out = new Map<string, Map<number, number>>();
    for (const [group, pids] of this.groups) {
      const m = new Map<number, number>();
      for (const pid of pids.keys()) {
        const s = this.read(pid);
        if (s) m.set(pid, s.cpuS);
      }
      out.set(group, m);
    }
    return out;
  }

  totals(): {
    /** Per group: CPU seconds, peak memory, and how many processes it had (each adds its counters' tick of uncertainty). */
    groups: Record<string, { cpuS: number; peakRssMiB: number; processes: number }>;
    sampledS: number;
    idle?: IdleBaseline;
    tickS: number;
  } {
    const groups: Record<string, { cpuS: number; peakRssMiB: number; processes: number }> = {};
    for (const [group, pids] of this.groups) {
      let cpuS = 0;
      let peak = 0;
      for (const t of pids.values()) {
        cpuS += t.fromStart ? t.last.cpuS : t.last.cpuS - t.first.cpuS;
        // A process never sampled (tracked after the last sample) still has its own peak.
        peak = Math.max(peak, t.peakRss);
      }
      peak = Math.max(peak, this.peakSum.get(group) ?? 0);
      groups[group] = { cpuS, peakRssMiB: peak / (1024 * 1024), processes: pids.size };
    }
    return {
      groups,
      tickS: this.tickS,
      sampledS: this.firstAt === undefined ? 0 : (this.lastAt! - this.firstAt) / 1000,
      ...(this.idle ? { idle: this.idle } : {}),
    };
  }
}
