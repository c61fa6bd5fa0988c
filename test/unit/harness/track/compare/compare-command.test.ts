import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../../../src/cli/args.js';
import { compareCommand } from '../../../../../src/cli/compare-command.js';
import { runsWithP99, tempDir, writeRunFolders } from './helpers.js';

const opts = { threshold: 0.1, alpha: 0.05, minRuns: 5 };

function folders(base: number[], next: number[]): { base: string; next: string } {
  const root = tempDir();
  writeRunFolders(join(root, 'base'), runsWithP99(base, 'B'));
  writeRunFolders(join(root, 'new'), runsWithP99(next, 'N'));
  return { base: join(root, 'base'), next: join(root, 'new') };
}

describe('compare command', () => {
  afterEach(() => vi.restoreAllMocks());

  it('exit 1 on a regression, prints the table, writes --json and --markdown', () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const f = folders([98, 99, 100, 101, 102], [123, 124, 125, 126, 127]);
    const json = join(tempDir(), 'out', 'compare.json');
    const md = join(tempDir(), 'compare.md');
    expect(compareCommand({ ...opts, base: f.base, new: f.next, json, markdown: md })).toBe(1);
    expect(out.join('')).toContain('**regression**');
    expect(existsSync(json)).toBe(true);
    expect((JSON.parse(readFileSync(json, 'utf8')) as { regressions: string[] }).regressions).toEqual([
      'stream.event_time_p99',
    ]);
    expect(readFileSync(md, 'utf8')).toBe(out.join(''));
  });

  it('exit 0 without a regression', () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const f = folders([98, 99, 100, 101, 102], [99, 100, 101, 102, 103]);
    expect(compareCommand({ ...opts, base: f.base, new: f.next })).toBe(0);
  });

  it('usage errors (exit 2): a missing path, incomparable runs, bad options', () => {
    const f = folders([100], [100]);
    expect(() => compareCommand({ ...opts, base: join(f.base, 'nope'), new: f.next })).toThrow(UsageError);
    const other = tempDir();
    const [run] = runsWithP99([100], 'X');
    run!.parameters.seed = 99;
    writeRunFolders(other, [run!]);
    expect(() => compareCommand({ ...opts, base: f.base, new: other })).toThrow(/"seed" differs/);
    expect(() => compareCommand({ ...opts, threshold: -1, base: f.base, new: f.next })).toThrow(/--threshold/);
    expect(() => compareCommand({ ...opts, alpha: 0, base: f.base, new: f.next })).toThrow(/--alpha/);
    expect(() => compareCommand({ ...opts, minRuns: 0.5, base: f.base, new: f.next })).toThrow(/--min-runs/);
  });
});
