import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_FILES, SWEEP_FILES, rerenderReport, writeRunReport, writeSweepReport } from '../../../src/harness/report/write.js';
import { makeRunResult, makeSweep } from './fixture.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vitals-bench-report-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('writeRunReport / rerenderReport', () => {
  it('writes every file into a new directory', async () => {
    const dir = join(await tempDir(), 'nested', 'run');
    const written = await writeRunReport(dir, makeRunResult());
    expect(new Set(written)).toEqual(new Set(RUN_FILES));
    expect(new Set(await readdir(dir))).toEqual(new Set(RUN_FILES));
    const json = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
    expect(json.schema_version).toBe(1);
    expect(json.run_id).toBe('FAKE-run-0001');
    expect((await readFile(join(dir, 'throughput.svg'), 'utf8')).startsWith('<svg')).toBe(true);
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toContain('![Throughput over time');
  });

  it('rerenderReport rewrites everything but results.json', async () => {
    const dir = await tempDir();
    await writeRunReport(dir, makeRunResult());
    const before = await stat(join(dir, 'results.json'));
    for (const f of RUN_FILES) if (f !== 'results.json') await rm(join(dir, f));
    const written = await rerenderReport(dir);
    expect(written).not.toContain('results.json');
    expect(new Set(await readdir(dir))).toEqual(new Set(RUN_FILES));
    expect((await stat(join(dir, 'results.json'))).mtimeMs).toBe(before.mtimeMs);
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toContain('FAKE-run-0001');
  });

  it('rerenderReport refuses another schema version', async () => {
    const dir = await tempDir();
    await writeRunReport(dir, { ...makeRunResult(), schema_version: 2 as unknown as 1 });
    await expect(rerenderReport(dir)).rejects.toThrow(/schema_version/);
  });

  it('writeSweepReport writes the sweep files', async () => {
    const dir = await tempDir();
    const written = await writeSweepReport(dir, makeSweep());
    expect(new Set(written)).toEqual(new Set(SWEEP_FILES));
    expect(new Set(await readdir(dir))).toEqual(new Set(SWEEP_FILES));
    const csv = (await readFile(join(dir, 'sweep.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(1 + 3 * 2); // 3 runs x 2 modes
  });
});
