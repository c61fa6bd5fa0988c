/**
 * One bench of an A/B comparison: a side's CLI run as a child in a process group of its own, its
 * output kept in a log file, killed with its whole group when it outlives its timeout or the A/B
 * is interrupted, and whatever it left behind ended too. What it gave is recorded as it is: the
 * decision (ab-session.ts) tells a measured run from a crashed one.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RunResult } from '../../results/schema.js';
import type { AbSide } from './ab.js';
import { CompareInputError, loadRuns } from './compare/load.js';

/** What one bench did. Paths are relative to the A/B folder. */
export interface AbRunRecord {
  /** Its place in the order, from 1. */
  index: number;
  side: AbSide['label'];
  commit: string;
  started_at: string;
  ended_at: string;
  seconds: number;
  exit: { code: number | null; signal: string | null };
  /** Killed at its --run-timeout-s. */
  timed_out: boolean;
  /** Killed because the A/B was interrupted. */
  interrupted: boolean;
  /** Processes of its group still running after it exited (then ended). */
  left_processes: boolean;
  /** The run folder it made; absent when it made none. */
  dir?: string;
  /** Its stdout and stderr. */
  log: string;
  /** The last lines of its output, when it did not exit 0. */
  tail?: string;
  /** Why its results.json could not be read, when it could not. */
  unreadable?: string;
}

export interface BenchSpec {
  side: AbSide;
  index: number;
  benchArgs: string[];
  /** The A/B folder: runs go to <outDir>/<side>/, output to <outDir>/logs/. */
  outDir: string;
  timeoutS: number;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** How long a group asked to stop (SIGTERM) may take before SIGKILL. */
  graceMs?: number;
}

export interface BenchOutcome {
  record: AbRunRecord;
  /** Its results.json, when it wrote one that reads as a run. */
  result?: RunResult;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Whether a process of the group still runs. On Linux from /proc, so that a member that has exited
 * and waits to be reaped (a zombie, if nobody reaps it) does not count; elsewhere by signal 0.
 */
function groupAlive(pgid: number): boolean {
  if (existsSync('/proc/self/stat')) {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, the rest follows the last ")".
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM to the group, SIGKILL to what is left of it after the grace period; resolves when it is gone. */
async function endGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 10_000;
  while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(50);
}

const folders = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()) : [];

/** The last non-empty lines of a log file, joined for one line of a message. */
function tailOf(file: string, lines = 4): string {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .slice(-lines)
      .join(' | ');
  } catch {
    return '';
  }
}

/** How a bench process ended, and whether the harness had to end it (timeout, interruption) or what it left running. */
interface BenchExit {
  exit: { code: number | null; signal: string | null };
  timedOut: boolean;
  interrupted: boolean;
  leftProcesses: boolean;
}

/**
 * The bench process in a process group of its own, its output into `logFile`: ended with its
 * whole group at the timeout or when `spec.signal` aborts; anything of its group still running
 * after it exited is ended too (and said).
 */
function spawnBench(spec: BenchSpec, args: string[], logFile: string): Promise<BenchExit> {
  const [command, ...prefix] = spec.side.cli;
  const fd = openSync(logFile, 'a');
  const state = { timedOut: false, interrupted: false, leftProcesses: false };
  return new Promise((resolve) => {
    const child = spawn(command!, [...prefix, ...args], {
      cwd: spec.side.worktree,
      env: spec.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const grace = spec.graceMs ?? 15_000;
    let ending: Promise<void> | undefined;
    const end = (): void => {
      if (child.pid !== undefined) ending ??= endGroup(child.pid, grace);
    };
    const timer = setTimeout(() => {
      state.timedOut = true;
      end();
    }, spec.timeoutS * 1000);
    const onAbort = (): void => {
      state.interrupted = true;
      end();
    };
    spec.signal.addEventListener('abort', onAbort, { once: true });
    if (spec.signal.aborted) onAbort();
    let finished = false;
    const finish = (exit: BenchExit['exit']): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
      void (async () => {
        if (child.pid !== undefined && groupAlive(child.pid)) {
          state.leftProcesses = !ending;
          await (ending ?? endGroup(child.pid, grace));
        } else if (ending) await ending;
        resolve({ exit, ...state });
      })();
    };
    child.once('error', (err) => finish({ code: null, signal: `spawn error: ${err.message}` }));
    child.once('exit', (code, signal) => finish({ code, signal }));
  });
}

/** Run one bench of a side: `<cli> bench <benchArgs> --no-services --quiet --out <outDir>/<side>`. */
export async function runBench(spec: BenchSpec): Promise<BenchOutcome> {
  const { side, index } = spec;
  const sideDir = join(spec.outDir, side.label);
  const logDir = join(spec.outDir, 'logs');
  mkdirSync(sideDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${String(index).padStart(2, '0')}-${side.label}.log`);
  const before = new Set(folders(sideDir));
  const started = new Date();
  const args = ['bench', ...spec.benchArgs, '--no-services', '--quiet', '--out', sideDir];
  const { exit, timedOut, interrupted, leftProcesses } = await spawnBench(spec, args, logFile);
  const ended = new Date();
  const made = folders(sideDir)
    .filter((d) => !before.has(d))
    .sort();
  const dir = made.length ? join(sideDir, made[0]!) : undefined;
  const record: AbRunRecord = {
    index,
    side: side.label,
    commit: side.commit,
    started_at: started.toISOString(),
    ended_at: ended.toISOString(),
    seconds: Math.round((ended.getTime() - started.getTime()) / 100) / 10,
    exit,
    timed_out: timedOut,
    interrupted,
    left_processes: leftProcesses,
    ...(dir ? { dir: relative(spec.outDir, dir) } : {}),
    log: relative(spec.outDir, logFile),
  };
  if (exit.code !== 0) record.tail = tailOf(logFile);
  if (!dir || !existsSync(join(dir, 'results.json'))) return { record };
  try {
    return { record, result: loadRuns(dir)[0]!.result };
  } catch (err) {
    if (!(err instanceof CompareInputError)) throw err;
    record.unreadable = err.message;
    return { record };
  }
}
