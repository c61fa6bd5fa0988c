import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompareInputError, loadRuns } from '../../../../../src/harness/track/compare/load.js';
import type { SweepResult } from '../../../../../src/results/schema.js';
import { runsWithP99, tempDir, writeRunFolders } from './helpers.js';

describe('loadRuns', () => {
  it('a run folder: its results.json', () => {
    const [dir] = writeRunFolders(tempDir(), runsWithP99([100], 'one'));
    const runs = loadRuns(dir!);
    expect(runs.map((r) => r.result.run_id)).toEqual(['one-1']);
    expect(runs[0]!.source).toBe(dir);
  });

  it('a results.json file', () => {
    const [dir] = writeRunFolders(tempDir(), runsWithP99([100], 'file'));
    expect(loadRuns(join(dir!, 'results.json')).map((r) => r.result.run_id)).toEqual(['file-1']);
  });

  it('a folder of run folders (no sweep.json), in name order, skipping other entries', () => {
    const root = tempDir();
    writeRunFolders(root, runsWithP99([3, 1, 2], 'rep').reverse());
    mkdirSync(join(root, 'empty-subfolder'));
    writeFileSync(join(root, 'README.md'), 'not a run');
    expect(loadRuns(root).map((r) => r.result.run_id)).toEqual(['rep-1', 'rep-2', 'rep-3']);
  });

  it('a sweep folder: the runs of its sweep.json', () => {
    const root = tempDir();
    const runs = runsWithP99([1, 2, 3, 4, 5], 'sw');
    const sweep: SweepResult = {
      runs: runs.map((result, i) => ({ dir: `run-${i}`, result, swept_value: 500 })),
      repeat: 5,
    };
    writeFileSync(join(root, 'sweep.json'), JSON.stringify(sweep));
    const loaded = loadRuns(root);
    expect(loaded.map((r) => r.result.run_id)).toEqual(['sw-1', 'sw-2', 'sw-3', 'sw-4', 'sw-5']);
    expect(loaded[2]!.source).toBe(join(root, 'run-2'));
    expect(loadRuns(join(root, 'sweep.json'))).toHaveLength(5);
  });

  it('refuses a missing path, a folder without runs and a file that is not a run', () => {
    const root = tempDir();
    expect(() => loadRuns(join(root, 'nope'))).toThrow(CompareInputError);
    expect(() => loadRuns(join(root, 'nope'))).toThrow(/no such file or folder/);
    expect(() => loadRuns(root)).toThrow(/holds no run/);
    writeFileSync(join(root, 'other.json'), JSON.stringify({ hello: 1 }));
    expect(() => loadRuns(join(root, 'other.json'))).toThrow(/is not a run's results.json/);
    writeFileSync(join(root, 'bad.json'), '{');
    expect(() => loadRuns(join(root, 'bad.json'))).toThrow(/not valid JSON/);
  });
});
