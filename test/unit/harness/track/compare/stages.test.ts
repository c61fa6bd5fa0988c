import { describe, expect, it } from 'vitest';
import { STREAM_STAGES } from '../../../../../src/harness/measure/stages.js';
import { compareRuns } from '../../../../../src/harness/track/compare/compare.js';
import { renderMarkdown, stageSentence } from '../../../../../src/harness/track/compare/render.js';
import { compareStages } from '../../../../../src/harness/track/compare/stages.js';
import type { RunResult, StageBreakdown } from '../../../../../src/results/schema.js';
import { EMPTY } from '../../fixture.js';
import { runsWith } from './helpers.js';

/** A stream breakdown with these stage means (ms, in STREAM_STAGES order); each stage's p50 its mean. */
function breakdown(means: number[]): StageBreakdown {
  const total = means.reduce((t, v) => t + v, 0);
  return {
    readings: 1000,
    incomplete: 0,
    mean_total_ms: total,
    stages: STREAM_STAGES.map((s, i) => ({
      id: s.id,
      label: s.label,
      latency: { ...EMPTY, count: 1000, p50: means[i]!, mean: means[i]! },
      mean_ms: means[i]!,
      share: means[i]! / total,
    })),
  };
}

/** send delay, produce, delivery, processing, commit: the injected delay lands in processing. */
const QUIET = [0.5, 1.5, 1.2, 0.8, 2.0];

function withStages(runs: RunResult[], extraProcessing: number): RunResult[] {
  runs.forEach((r, i) => {
    const means = QUIET.map((v, j) => v + i * 0.01 + (j === 3 ? extraProcessing : 0));
    r.stages = { stream: breakdown(means) };
    r.modes[0]!.event_time_latency = { ...r.modes[0]!.event_time_latency, p50: 6 + i * 0.1 + extraProcessing };
  });
  return runs;
}

describe('stage attribution', () => {
  it('a delay added before the commit moves the processing stage, and the table says so', () => {
    const c = compareRuns(withStages(runsWith('B', 5), 0), withStages(runsWith('N', 5), 25));
    expect(c.regressions).toContain('stream.event_time_p50');
    const s = c.stages.find((x) => x.mode === 'stream')!;
    expect(s.runs).toEqual({ base: 5, new: 5 });
    expect(s.total.diff!).toBeCloseTo(25, 9);
    const processing = s.stages.find((x) => x.id === 'processing')!;
    expect(processing).toMatchObject({ moved: true });
    expect(processing.mean.diff!).toBeCloseTo(25, 9);
    expect(processing.p50.diff!).toBeCloseTo(25, 9);
    expect(processing.mean.p).toBeCloseTo(2 / 252, 12);
    expect(processing.share!).toBeCloseTo(1, 9);
    expect(s.stages.filter((x) => x.moved).map((x) => x.id)).toEqual(['processing']);
    expect(stageSentence(s)).toBe(
      'stream event-time mean 6.1 -> 31.1 ms (+25 ms, p 0.0079): processing and group-commit wait +25 ms (100% of the change, p 0.0079); the other stages moved by at most 0 ms.',
    );
    const md = renderMarkdown(c);
    expect(md).toContain('### Where the stream latency moved');
    expect(md).toContain(
      '| **processing and group-commit wait** | 0.82 | 25.8 | +25 ms | 0.0079 | 0.82 | 25.8 | +25 ms | 0.0079 |',
    );
  });

  it('no section when no event-time latency moved; none for a mode one side has no breakdown of', () => {
    const c = compareRuns(withStages(runsWith('B', 5), 0), withStages(runsWith('N', 5), 0));
    expect(c.stages).toHaveLength(1);
    expect(renderMarkdown(c)).not.toContain('### Where the');
    const older = runsWith('O', 5);
    expect(compareStages(older, withStages(runsWith('N', 5), 0), 0.01)).toEqual([]);
  });

  it('a change spread over stages none of which moved significantly says so', () => {
    const base = withStages(runsWith('B', 5), 0);
    const next = withStages(runsWith('N', 5), 0);
    // Overlapping values: each stage mean differs by about 0.5 ms, below the 1 ms resolution.
    next.forEach((r) => (r.stages!.stream = breakdown(QUIET.map((v) => v + 0.5))));
    const [s] = compareStages(base, next, 0.01);
    expect(s!.stages.some((x) => x.moved)).toBe(false);
    expect(stageSentence(s!)).toMatch(/: no single stage moved significantly; each stage moved by at most 0\.48 ms\.$/);
  });
});
