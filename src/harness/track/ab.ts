/**
 * The commits of an A/B comparison, each built in its own git worktree under .cache/ab/<commit>
 * (npm ci, npm run build). A worktree is reused by the next A/B of the same commit; after each A/B
 * only the most recently used ones are kept (`--keep-worktrees`, about 150-190 MB each).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, PROJECT_ROOT } from '../../config.js';

const run = promisify(execFile);

/** One side of an A/B comparison: a commit of this repository, built in its own worktree. */
export interface AbSide {
  label: 'base' | 'head';
  ref: string;
  commit: string;
  worktree: string;
  /** The command that runs its CLI: node and its dist/src/cli.js. */
  cli: string[];
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

/** Where the A/B worktrees live. */
function worktreesDir(): string {
  return join(cacheDir(), 'ab');
}

/** The last lines of a failed command's output, for a one-line message. */
function lastLines(err: unknown): string {
  const e = err as { stderr?: string; stdout?: string; message?: string };
  const text = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.trim() || (e.message ?? String(err));
  return text.split('\n').filter(Boolean).slice(-3).join(' | ');
}

/**
 * A worktree of the commit under .cache/ab/, with its dependencies installed and built (kept
 * between A/B runs: a commit is built once). Its folder's time is set to now: the pruning keeps
 * the most recently used.
 */
export async function prepareWorktree(
  label: AbSide['label'],
  ref: string,
  log: (line: string) => void,
): Promise<AbSide> {
  const commit = await resolveCommit(ref);
  const worktree = join(worktreesDir(), commit.slice(0, 12));
  if (!existsSync(join(worktree, '.git'))) {
    mkdirSync(worktreesDir(), { recursive: true });
    log(`${label}: worktree of ${commit.slice(0, 12)} at ${worktree}`);
    await git(['worktree', 'add', '--force', '--detach', worktree, commit]);
  }
  const now = new Date();
  utimesSync(worktree, now, now);
  if (!existsSync(join(worktree, 'dist', 'src', 'cli.js'))) {
    log(`${label}: npm ci && npm run build in ${worktree}`);
    for (const args of [
      ['ci', '--no-audit', '--no-fund'],
      ['run', 'build'],
    ]) {
      try {
        await run('npm', args, { cwd: worktree, maxBuffer: 64 * 1024 * 1024 });
      } catch (err) {
        throw new Error(`npm ${args.join(' ')} failed in ${worktree}: ${lastLines(err)}`);
      }
    }
  }
  return { label, ref, commit, worktree, cli: [process.execPath, join(worktree, 'dist', 'src', 'cli.js')] };
}

/**
 * Remove the A/B worktrees beyond the `keep` most recently used (0: all). Returns the folders
 * removed. A worktree git no longer knows is removed from disk all the same. (Two A/Bs at once in
 * one checkout may remove each other's worktrees: run them one at a time.)
 */
export async function pruneWorktrees(keep: number): Promise<string[]> {
  const dir = worktreesDir();
  if (!existsSync(dir)) return [];
  const trees = readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((p) => statSync(p).isDirectory())
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const kept = new Set(trees.slice(0, keep));
  const removed: string[] = [];
  for (const tree of trees) {
    if (kept.has(tree)) continue;
    await git(['worktree', 'remove', '--force', tree]).catch(() => rmSync(tree, { recursive: true, force: true }));
    removed.push(tree);
  }
  if (removed.length) await git(['worktree', 'prune']);
  return removed;
}
