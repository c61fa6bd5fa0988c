import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, PROJECT_ROOT } from '../../config.js';
import type { RunResult } from '../../results/schema.js';

const run = promisify(execFile);

/** One side of an A/B comparison: a commit of this repository, built in its own worktree. */
export interface AbSide {
  label: 'base' | 'head';
  ref: string;
  commit: string;
  worktree: string;
}

async function git(args: string[], cwd = PROJECT_ROOT): Promise<string> {
  const { stdout } = await run('git', args, { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** The commit a ref names; an error naming the ref when it names none. */
async function resolveCommit(ref: string): Promise<string> {
  try {
    return await git(['rev-parse', '--verify', `${ref}^{commit}`]);
  } catch {
    throw new Error(`"${ref}" names no commit of this repository (git rev-parse)`);
  }
}

/**
 * A worktree of the commit under .cache/ab/, with its dependencies installed and built (kept
 * between A/B runs: a commit is built once).
 */
export async function prepareWorktree(
  label: AbSide['label'],
  ref: string,
  log: (line: string) => void,
): Promise<AbSide> {
  const commit = await resolveCommit(ref);
  const worktree = join(cacheDir(), 'ab', commit.slice(0, 12));
  if (!existsSync(join(worktree, '.git'))) {
    mkdirSync(join(cacheDir(), 'ab'), { recursive: true });
    log(`[ab] ${label}: worktree of ${commit.slice(0, 12)} at ${worktree}`);
    await git(['worktree', 'add', '--force', '--detach', worktree, commit]);
  }
  if (!existsSync(join(worktree, 'dist', 'src', 'cli.js'))) {
    log(`[ab] ${label}: npm ci && npm run build in ${worktree}`);
    await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: worktree, maxBuffer: 64 * 1024 * 1024 });
    await run('npm', ['run', 'build'], { cwd: worktree, maxBuffer: 64 * 1024 * 1024 });
  }
  return { label, ref, commit, worktree };
}

/**
 * Run one bench of a side's build against the services this checkout configured (its
 * services.env, passed by VITALS_ENV_FILE), writing its run folder under outDir/<label>/.
 */
export async function benchSide(
  side: AbSide,
  benchArgs: string[],
  outDir: string,
  log: (line: string) => void,
): Promise<void> {
  const out = join(outDir, side.label);
  mkdirSync(out, { recursive: true });
  const env = { ...process.env, VITALS_ENV_FILE: process.env.VITALS_ENV_FILE ?? join(cacheDir(), 'services.env') };
  const args = [
    join(side.worktree, 'dist', 'src', 'cli.js'),
    'bench',
    ...benchArgs,
    '--no-services',
    '--quiet',
    '--out',
    out,
  ];
  log(`[ab] ${side.label} (${side.commit.slice(0, 12)}): node ${args.slice(1).join(' ')}`);
  try {
    await run(process.execPath, args, { cwd: side.worktree, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    // A bench that fails its verdict exits 1 with its report written: the comparison judges it.
    const e = err as { code?: number; stderr?: string };
    if (e.code !== 1)
      throw new Error(
        `${side.label} bench failed (exit ${e.code}): ${(e.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`,
      );
    log(`[ab] ${side.label}: the run failed its verdict (exit 1); its results are compared as they are`);
  }
}

/** Every run's results.json under a side's folder. */
export function loadSideRuns(outDir: string, label: AbSide['label']): RunResult[] {
  const dir = join(outDir, label);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'results.json')))
    .sort()
    .map((d) => JSON.parse(readFileSync(join(dir, d, 'results.json'), 'utf8')) as RunResult);
}

/** A B A B ...: the order of the runs, so that slow drifts of a shared machine hit both sides alike. */
export function interleave(repeat: number): Array<AbSide['label']> {
  return Array.from({ length: repeat * 2 }, (_, i) => (i % 2 === 0 ? 'base' : 'head'));
}
