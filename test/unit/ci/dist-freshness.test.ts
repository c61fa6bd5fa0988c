import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/config.js';
import { distStaleness, listFiles, newestMtime } from '../../dist-freshness.js';

/** The integration global setup rebuilds dist/ when it is older than src/ (test/dist-freshness.ts). */
describe('dist/ staleness check', () => {
  let root: string;
  const T0 = 1_700_000_000; // seconds since the epoch

  /** Writes `rel` under the project root with its modification time at T0 + `s` seconds. */
  function file(rel: string, s: number): void {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
    utimesSync(path, T0 + s, T0 + s);
  }
  const touch = (rel: string, s: number): void => utimesSync(join(root, rel), T0 + s, T0 + s);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'dist-freshness-'));
    // Sources at T0 .. T0+2, tsconfig at T0, built at T0+10 (tsc writes every output).
    file('tsconfig.json', 0);
    file('src/cli.ts', 0);
    file('src/harness/run.ts', 1);
    file('src/pipelines/batch/worker.ts', 2);
    file('src/types.d.ts', 2);
    file('dist/src/cli.js', 10);
    file('dist/src/harness/run.js', 10);
    file('dist/src/pipelines/batch/worker.js', 10);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('newestMtime: the newest file under a directory, recursively and filtered; -Infinity when none', () => {
    expect(newestMtime(join(root, 'src'))).toBe((T0 + 2) * 1000);
    expect(newestMtime(join(root, 'src'), (p) => p.endsWith('cli.ts'))).toBe(T0 * 1000);
    expect(newestMtime(join(root, 'dist'))).toBe((T0 + 10) * 1000);
    expect(newestMtime(join(root, 'nowhere'))).toBe(-Infinity);
    expect(
      listFiles(join(root, 'src'))
        .map((f) => f.path.slice(root.length + 1))
        .sort(),
    ).toEqual(['src/cli.ts', 'src/harness/run.ts', 'src/pipelines/batch/worker.ts', 'src/types.d.ts']);
  });

  it('fresh: every source has its output and no input is newer than the build', () => {
    expect(distStaleness(root)).toBeUndefined();
  });

  it('fresh: an output whose source was deleted does not count', () => {
    file('dist/src/removed.js', -1000);
    expect(distStaleness(root)).toBeUndefined();
  });

  it('stale: a source edited after the build, named in the reason', () => {
    touch('src/harness/run.ts', 11);
    expect(distStaleness(root)).toBe('src/harness/run.ts is newer than the last build in dist/');
  });

  it('stale: tsconfig.json edited after the build', () => {
    touch('tsconfig.json', 20);
    expect(distStaleness(root)).toBe('tsconfig.json is newer than the last build in dist/');
  });

  it('stale: a source edited during the build, after its own output but before another one', () => {
    touch('dist/src/cli.js', 5); // the first output written
    touch('src/harness/run.ts', 7);
    expect(distStaleness(root)).toBe('src/harness/run.ts is newer than the last build in dist/');
  });

  it('stale: a new source without output, or no dist/ at all', () => {
    file('src/new-module.ts', 3);
    expect(distStaleness(root)).toBe('dist/src/new-module.js is missing');
    rmSync(join(root, 'dist'), { recursive: true });
    expect(distStaleness(root)).toMatch(/^dist\/src\/.*\.js is missing$/);
  });

  it('a declaration file neither needs an output nor makes dist/ stale (tsc emits nothing for it)', () => {
    touch('src/types.d.ts', 20);
    expect(distStaleness(root)).toBeUndefined();
  });

  it('the real project root is checked quickly', () => {
    const start = performance.now();
    distStaleness(PROJECT_ROOT);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
