/**
 * The report's files, byte for byte, for the fixture runs and sweeps: report.md and the CSVs in
 * full, every other file (results.json, sweep.json, the charts, report.html) by its sha256. The
 * golden files under __golden__ were written by the report code before its sections became one
 * registry (src/harness/report/sections/index.ts; refreshed once since, for main's new wording
 * when main was merged): a change of any output shows here as a diff. To accept an intended
 * change, run `npx vitest run --config test/unit/vitest.unit.config.ts golden -u`.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FaultReport, RunResult, SweepResult } from '../../../../src/results/schema.js';
import { rerenderReport, writeRunReport, writeSweepReport } from '../../../../src/harness/report/write.js';
import {
  BATCH_INSTANTS,
  BATCH_STAGES,
  STREAM_INSTANTS,
  STREAM_STAGES,
  stageBreakdown,
  type StageTimes,
} from '../../../../src/harness/measure/stages.js';
import { makeExternalRunResult, makeRunResult, makeSweep } from '../fixture.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vitals-bench-golden-'));
  dirs.push(d);
  return d;
}

function stageTimes<I extends string>(instants: readonly I[], rows: number[][]): StageTimes<I> {
  const out = {} as StageTimes<I>;
  instants.forEach((k, j) => (out[k] = Float64Array.from(rows.map((row) => row[j]!))));
  return out;
}

const FAULT: FaultReport = {
  fault: 'kill:stream@2s',
  injected: true,
  target: 'stream',
  injected_at_s: 2,
  ended_at_s: 2.4,
  detected_at_s: 2.1,
  detected_by: 'role exit',
  recovered_at_s: 3,
  recovery_s: 1,
  restarts: ['stream killed by SIGKILL at 2.0 s, restarted in 0.4 s'],
  p99_during_ms: { stream: 900, batch: null },
  p99_outside_ms: { stream: 60, batch: 7800 },
};

/** makeRunResult with every optional part: stages, a fault, warnings, an incomplete end, batch passes. */
function fullRun(): RunResult {
  const r = makeRunResult({ runId: 'FAKE-run-full' });
  r.complete = false;
  r.incomplete_reason = 'interrupted (Ctrl-C)';
  r.warnings = ['the measured phase (45 s) holds fewer than three batch intervals'];
  r.vacuous = ['agreement on nothing: no window alert in any mode'];
  r.faults = [
    FAULT,
    { ...FAULT, fault: 'broker unreachable', injected: false, error: 'not recovered', recovery_s: null },
  ];
  r.batch_passes = [
    { pass: 1, readings: 500, alerts: 4, windows: 20, duration_ms: 120, final: false },
    { pass: 2, readings: 40, alerts: 0, windows: 3, duration_ms: 30, final: true },
  ];
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
      stageTimes(BATCH_INSTANTS, [[1000, 1040, 3990, 3995, 4005, 4025, 4050]]),
      () => true,
      BATCH_STAGES,
    ),
  };
  return r;
}

const RUNS: Record<string, () => RunResult> = {
  run: () => makeRunResult(),
  'run-empty-batch': () => makeRunResult({ emptyBatch: true, runId: 'FAKE-run-empty' }),
  'run-external': () => makeExternalRunResult(),
  'run-full': fullRun,
};

/** A sweep of external runs at three rates: cost, every mode's latency to a first alert, the trade-off map. */
function externalSweep(): SweepResult {
  return {
    swept: { option: 'rate', key: 'rate', values: [100, 200, 400], unit: 'readings/s' },
    options: { rate: [100, 200, 400], duration: 45, warmup: 3, modes: ['stream', 'batch', 'spark'] },
    runs: [100, 200, 400].map((rate, i) => {
      const result = makeExternalRunResult();
      result.run_id = `FAKE-ext-${i}`;
      result.input = { ...result.input, offered_rate: rate, achieved_rate: rate - 1 };
      return { dir: `rate-${rate}`, result, swept_value: rate };
    }),
  };
}

const SWEEPS: Record<string, () => SweepResult> = { sweep: makeSweep, 'sweep-external': externalSweep };

const TEXT = /\.(md|csv)$/;

/** The files written: text ones in full (each a golden file), the others by sha256 (one golden list). */
async function expectGolden(name: string, dir: string, files: string[]): Promise<void> {
  const digests: string[] = [];
  for (const f of files) {
    const bytes = await readFile(join(dir, f));
    if (TEXT.test(f)) await expect(bytes.toString('utf8')).toMatchFileSnapshot(`__golden__/${name}/${f}`);
    else digests.push(`${f} ${createHash('sha256').update(bytes).digest('hex')}`);
  }
  await expect(`${files.join('\n')}\n--\n${digests.join('\n')}\n`).toMatchFileSnapshot(`__golden__/${name}/files.txt`);
}

describe('the report, byte for byte', { timeout: 60_000 }, () => {
  it.each(Object.keys(RUNS))('run %s', async (name) => {
    const dir = join(await tempDir(), name);
    const files = await writeRunReport(dir, RUNS[name]!());
    await expectGolden(name, dir, files);
    // Rendered again from its results.json: the same files, the same bytes.
    expect(await rerenderReport(dir)).toEqual(files.filter((f) => f !== 'results.json'));
    await expectGolden(name, dir, files);
  });

  it.each(Object.keys(SWEEPS))('sweep %s', async (name) => {
    const dir = join(await tempDir(), name);
    const files = await writeSweepReport(dir, SWEEPS[name]!());
    await expectGolden(name, dir, files);
  });
});
