import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  RUN_FILES,
  STAGE_FILES,
  SWEEP_FILES,
  rerenderReport,
  writeRunReport,
  writeSweepReport,
} from '../../../../src/harness/report/write.js';
import {
  BATCH_INSTANTS,
  BATCH_STAGES,
  STREAM_INSTANTS,
  STREAM_STAGES,
  stageBreakdown,
  type StageTimes,
} from '../../../../src/harness/measure/stages.js';
import { makeRunResult, makeSweep } from '../fixture.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vitals-bench-report-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('the stage section and chart', () => {
  it('a run with stage figures gets stages.svg/png and a "Where the time goes" table per mode whose means add up', async () => {
    const dir = join(await tempDir(), 'staged');
    const r = makeRunResult();
    r.stages = {
      stream: stageBreakdown(
        stageTimes(STREAM_INSTANTS, [
          [1000, 1001, 1003, 1006, 1010, 1020],
          [2000, 2000, 2001, 2002, 2004, 2010],
        ]),
        () => true,
        STREAM_STAGES,
      ),
      batch: stageBreakdown(
        stageTimes(BATCH_INSTANTS, [
          // ingest 40, wait 2950, dispatch 5, read 10, evaluate 20, write 25 -> 3050
          [1000, 1040, 3990, 3995, 4005, 4025, 4050],
          // ingest 60, wait 950, dispatch 15, read 10, evaluate 20, write 15 -> 1070
          [3000, 3060, 4010, 4025, 4035, 4055, 4070],
        ]),
        () => true,
        BATCH_STAGES,
      ),
    };
    const written = await writeRunReport(dir, r);
    expect(new Set(written)).toEqual(new Set([...RUN_FILES, ...STAGE_FILES]));
    const svg = await readFile(join(dir, 'stages.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('wait for the pass');
    expect(svg).toContain('database commit');
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('## Where the time goes');
    // Stream means: send 0.5, produce 1.5, delivery 2, processing 3, commit 8; event-time 15.
    const stream = md.slice(md.indexOf('### Stream'), md.indexOf('### Batch'));
    expect(stream).toContain('| database commit | 8 | 53.3% |');
    expect(stream).toContain('| **event-time latency** | **15** | 100% |');
    // Batch means: ingest 50, wait 1950, dispatch 10, read 10, evaluate 20, write 20; event-time 2060.
    const batch = md.slice(md.indexOf('### Batch'));
    expect(batch).toContain(
      't_intended → t_stored → t_pass_start → t_task_start → t_read_done → t_commit_start → t_committed',
    );
    expect(batch).toContain('| wait for the pass | 1,950 | 94.7% |');
    expect(batch).toContain('| **event-time latency** | **2,060** | 100% |');
    expect(md).toContain('![Where the time goes (mean per stage, per mode)](stages.svg)');
  });

  it('a batch-only run gets the batch table and the chart', async () => {
    const dir = join(await tempDir(), 'batch-staged');
    const r = makeRunResult();
    const times = stageTimes(BATCH_INSTANTS, [[1000, 1040, 3990, 3995, 4005, 4025, 4050]]);
    r.stages = { batch: stageBreakdown(times, () => true, BATCH_STAGES) };
    expect(new Set(await writeRunReport(dir, r))).toEqual(new Set([...RUN_FILES, ...STAGE_FILES]));
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('### Batch');
    expect(md).not.toContain('### Stream');
  });

  it('a run without stage figures (older) has neither', async () => {
    const md = await readFile(join((await plainReport()).dir, 'report.md'), 'utf8');
    expect(md).not.toContain('Where the time goes');
  });
});

/**
 * The fixture's run written once into a new nested directory, for the tests that only read it
 * (rendering a report with its PNGs is most of this file's time).
 */
let plain: Promise<{ dir: string; written: string[] }> | undefined;
function plainReport(): Promise<{ dir: string; written: string[] }> {
  plain ??= tempDir().then(async (d) => {
    const dir = join(d, 'nested', 'run');
    return { dir, written: await writeRunReport(dir, makeRunResult()) };
  });
  return plain;
}

function stageTimes<I extends string>(instants: readonly I[], rows: number[][]): StageTimes<I> {
  const out = {} as StageTimes<I>;
  instants.forEach((k, j) => (out[k] = Float64Array.from(rows.map((row) => row[j]!))));
  return out;
}

describe('writeRunReport / rerenderReport', () => {
  it('writes every file into a new directory', async () => {
    const { dir, written } = await plainReport();
    expect(new Set(written)).toEqual(new Set(RUN_FILES));
    expect(new Set(await readdir(dir))).toEqual(new Set(RUN_FILES));
    const json = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as {
      schema_version: number;
      run_id: string;
    };
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

  it('writes a PNG beside every SVG and a self-contained report.html', async () => {
    const { dir } = await plainReport();
    const svgs = RUN_FILES.filter((f) => f.endsWith('.svg'));
    expect(svgs.length).toBe(3);
    for (const svg of svgs) {
      const png = await readFile(join(dir, svg.replace(/\.svg$/, '.png')));
      expect(png.subarray(0, 8).toString('hex'), svg).toBe('89504e470d0a1a0a');
      expect(png.length, svg).toBeGreaterThan(10_000);
    }
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<h1>vitals-bench run FAKE-run-0001</h1>');
    // One interactive chart per SVG, each with its spec, and no script or style loaded from elsewhere.
    expect(html.match(/<figure class="chart"/g)).toHaveLength(3);
    expect(html.match(/<script type="application\/json" id="chart-spec-\d+">/g)).toHaveLength(3);
    expect(html).toContain('data-library="vega-embed"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    // The report's text is in both.
    for (const heading of md.match(/^## .+$/gm) ?? []) expect(html).toContain(`<h2>${heading.slice(3)}</h2>`);
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
