import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../../../../src/harness/track/compare/compare.js';
import { fmtChange, fmtP, renderJson, renderMarkdown } from '../../../../../src/harness/track/compare/render.js';
import { runsWithP99 } from './helpers.js';

describe('Markdown rendering', () => {
  it('prints the table with medians, spreads, change, p and verdict, and the result', () => {
    const c = compareRuns(runsWithP99([98, 99, 100, 101, 102], 'B'), runsWithP99([123, 124, 125, 126, 127], 'N'));
    const md = renderMarkdown(c);
    const lines = md.split('\n');
    expect(lines).toContain('| metric | base median (spread) | new median (spread) | change % | p | verdict |');
    expect(lines).toContain('|---|---:|---:|---:|---:|---|');
    const row = lines.find((l) => l.startsWith('| stream event-time p99 '))!;
    expect(row).toBe(
      '| stream event-time p99 (ms, smaller is better) | 100 (98..102, n=5) | 125 (123..127, n=5) | +25.0% | 0.0079 | **regression** |',
    );
    expect(lines.find((l) => l.startsWith('| stream output rate '))).toContain('| 0.0% | 1.00 | unchanged |');
    expect(md).toContain('- BASE: 5 runs (B-1, B-2, B-3, B-4, B-5)');
    expect(md).toContain('beyond 10.0% with p < 0.01');
    expect(md).toContain('over at least 5 valid runs a side');
    // The result comes first, under the title.
    expect(lines[2]).toBe('**Result: FAIL** (exit 1): 1 regression (stream event-time p99).');
    // Context figures: shown, never gated, each with its reason once.
    expect(lines.find((l) => l.startsWith('| send delay p99 '))).toContain('| context (not gated) |');
    expect(md).toContain("- send delay p99: the load generator's lag, not the pipelines'");
  });

  it('says when it cannot judge, and names broken invariants', () => {
    const next = runsWithP99([125], 'N');
    next[0]!.storage.loss = 2;
    const md = renderMarkdown(compareRuns(runsWithP99([100], 'B'), next));
    expect(md).toContain(
      '| stream event-time p99 (ms, smaller is better) | 100 (n=1) | 125 (n=1) | +25.0% | 1.00 | too few samples |',
    );
    expect(md).toContain('- **broken**: run N-1 lost 2 reading(s)');
    expect(md).toContain(
      '**Result: FAIL** (exit 1): 1 broken invariant; the figures could not be judged: BASE has 1 valid run, 5 needed (--min-runs); NEW has 1 valid run, 5 needed (--min-runs).',
    );
    const few = renderMarkdown(compareRuns(runsWithP99([100], 'B'), runsWithP99([125], 'N')));
    expect(few).toContain(
      '**Result: INCONCLUSIVE** (exit 3): BASE has 1 valid run, 5 needed (--min-runs); NEW has 1 valid run, 5 needed (--min-runs).',
    );
  });

  it('formats change and p', () => {
    expect(fmtChange(0.25)).toBe('+25.0%');
    expect(fmtChange(-0.0321)).toBe('-3.2%');
    expect(fmtChange(0)).toBe('0.0%');
    expect(fmtChange(-0.00001)).toBe('0.0%');
    expect(fmtChange(1.5)).toBe('+150%');
    expect(fmtChange(null)).toBe('n/a');
    expect(fmtP(2 / 252)).toBe('0.0079');
    expect(fmtP(0.19)).toBe('0.19');
    expect(fmtP(1e-7)).toBe('<0.0001');
    expect(fmtP(null)).toBe('n/a');
  });

  it('JSON: the structured comparison, non-finite numbers as null', () => {
    const c = compareRuns(runsWithP99([0, 0, 0, 0, 0], 'B'), runsWithP99([5, 6, 7, 8, 9], 'N'));
    const parsed = JSON.parse(renderJson(c)) as typeof c;
    const row = parsed.metrics.find((m) => m.key === 'stream.event_time_p99')!;
    expect(row).toMatchObject({ change: null, verdict: 'regression', better: 'smaller', unit: 'ms' });
    expect(parsed.passed).toBe(false);
    expect(parsed.compared_parameters).toContain('batchInterval');
  });
});
