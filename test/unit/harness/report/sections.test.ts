/**
 * The run report's sections (src/harness/report/sections/): each keeps its contract (a section
 * that applies starts with its title; one that does not is left out, heading and all), and the
 * report is the registry's sections in order. Byte-for-byte output is golden.test.ts's.
 */
import { describe, expect, it } from 'vitest';
import { RUN_SECTIONS, renderMarkdown } from '../../../../src/harness/report/sections/index.js';
import type { RunResult } from '../../../../src/results/schema.js';
import { makeExternalRunResult, makeRunResult } from '../fixture.js';

const CHARTS = [{ name: 'Latency chart', file: 'latency_percentiles.svg' }];

const RUNS: Record<string, () => RunResult> = {
  run: () => makeRunResult(),
  'empty batch': () => makeRunResult({ emptyBatch: true }),
  external: () => makeExternalRunResult(),
};

/** The first line of a section's Markdown: its heading. */
const headingOf = (blocks: string[]): string => blocks[0]!.split('\n')[0]!;

describe('report sections: one contract, one ordered registry', () => {
  it('titles are unique, and the header comes first and the definitions last', () => {
    const titles = RUN_SECTIONS.map((s) => s.title);
    expect(new Set(titles).size).toBe(titles.length);
    expect(titles[0]).toBe('vitals-bench run');
    expect(titles.at(-1)).toBe('Definitions');
  });

  it.each(Object.keys(RUNS))('%s: each section that applies starts with its title', (name) => {
    const r = RUNS[name]!();
    const ctx = { charts: CHARTS };
    for (const s of RUN_SECTIONS.filter((x) => x.applies(r, ctx))) {
      const heading = headingOf(s.render(r, ctx));
      expect(heading.startsWith(s.title === 'vitals-bench run' ? `# ${s.title}` : `## ${s.title}`), heading).toBe(true);
    }
  });

  it.each(Object.keys(RUNS))(
    "%s: report.md's top headings are the titles of the sections that apply, in order",
    (name) => {
      const r = RUNS[name]!();
      const ctx = { charts: CHARTS };
      const applying = RUN_SECTIONS.filter((s) => s.applies(r, ctx));
      const md = renderMarkdown(r, CHARTS);
      const headings = md.split('\n').filter((l) => /^#{1,2} /.test(l));
      // Set-up's second heading (## Environment) is its own, not a section of the registry.
      const sectionHeadings = headings.filter((h) => h !== '## Environment');
      expect(sectionHeadings.map((h, i) => h.startsWith(`${i === 0 ? '#' : '##'} ${applying[i]!.title}`))).toEqual(
        applying.map(() => true),
      );
    },
  );

  it('a section that does not apply is left out: no faults, no charts, no external jobs', () => {
    const r = makeRunResult();
    const md = renderMarkdown({ ...r, faults: [] }, []);
    expect(md).not.toContain('## Faults');
    expect(md).not.toContain('## Charts');
    expect(md).not.toContain('## External pipelines');
    expect(renderMarkdown(makeExternalRunResult(), [])).toContain('## External pipelines');
  });
});

describe('the drift section', () => {
  it('is there only with drift figures: the first window against the last, then the minutes', () => {
    const r = makeRunResult();
    expect(renderMarkdown(r, [])).not.toContain('## Drift');
    const md = renderMarkdown(
      {
        ...r,
        drift: {
          window_minutes: 1,
          minutes: [
            { minute: 1, p99_ms: { stream: 12 }, rss_mib: { stream: 150, harness: 80 } },
            { minute: 2, p99_ms: { stream: 13 }, rss_mib: { stream: 160, harness: 81 } },
            { minute: 3, p99_ms: { stream: null }, rss_mib: { stream: 180, harness: 82 } },
          ],
          compared: [
            { figure: 'stream event-time p99', unit: 'ms', first: 12, last: null, change_pct: null },
            { figure: 'stream memory', unit: 'MiB', first: 150, last: 180, change_pct: 20 },
          ],
        },
      },
      [],
    );
    expect(md).toContain('## Drift');
    expect(md).toContain('| stream event-time p99 | 12 ms | n/a | n/a |');
    expect(md).toContain('| stream memory | 150 MiB | 180 MiB | +20% |');
    expect(md).toContain('| minute | stream p99 (ms) | harness (MiB) | stream (MiB) |');
    expect(md).toContain('| 3 | n/a | 82 | 180 |');
  });
});
