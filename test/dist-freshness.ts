import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Is dist/ older than the sources? The integration tests fork roles, the load-generator child and
 * the Piscina worker from dist/src/, so a src/ edited since the last build would be tested as it was.
 */

/** Every file under `dir` (recursively) whose path passes `accept`, with its modification time; [] when `dir` is missing. */
export function listFiles(
  dir: string,
  accept: (path: string) => boolean = () => true,
): Array<{ path: string; mtimeMs: number }> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: Array<{ path: string; mtimeMs: number }> = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) files.push(...listFiles(path, accept));
    else if (e.isFile() && accept(path)) files.push({ path, mtimeMs: statSync(path).mtimeMs });
  }
  return files;
}

/** The newest modification time of the files under `dir` that pass `accept`; -Infinity when there is none. */
export function newestMtime(dir: string, accept?: (path: string) => boolean): number {
  return Math.max(...listFiles(dir, accept).map((f) => f.mtimeMs));
}

/** The modification time of a file, undefined when it does not exist. */
function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const isSource = (path: string): boolean => path.endsWith('.ts') && !path.endsWith('.d.ts');

/**
 * Why `<root>/dist` must be rebuilt, or undefined when it is fresh: fresh means every src/**.ts
 * has its dist/src/**.js and the oldest of those outputs is not older than the newest source or
 * tsconfig.json (tsc rewrites every output on each build, so the oldest is the build's time).
 * Outputs whose source was deleted do not count.
 */
export function distStaleness(root: string): string | undefined {
  const srcDir = join(root, 'src');
  const sources = listFiles(srcDir, isSource);
  if (sources.length === 0) return undefined;
  let oldestOutput = Infinity;
  for (const s of sources) {
    const rel = relative(root, s.path).replace(/\.ts$/, '.js');
    const out = mtimeOf(join(root, 'dist', rel));
    if (out === undefined) return `dist/${rel} is missing`;
    oldestOutput = Math.min(oldestOutput, out);
  }
  const inputs = [
    ...sources,
    { path: join(root, 'tsconfig.json'), mtimeMs: mtimeOf(join(root, 'tsconfig.json')) ?? -Infinity },
  ];
  const newest = inputs.reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
  if (newest.mtimeMs > oldestOutput) return `${relative(root, newest.path)} is newer than the last build in dist/`;
  return undefined;
}
