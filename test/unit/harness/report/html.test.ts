import { describe, expect, it } from 'vitest';
import { browserLibraries, escapeHtml, renderReportHtml, scriptSafe } from '../../../../src/harness/report/html.js';
import { throughputSpec } from '../../../../src/harness/report/charts.js';
import { makeRunResult } from '../fixture.js';

const MD = [
  '# vitals-bench run FAKE-html',
  'Some **bold** text and <script>alert(1)</script> from a fault message.',
  '| a | b |\n| --- | --- |\n| 1 | 2 |',
  '- [run 1](rate-1000/report.md) and [docs](https://example.org/report.md)',
  '## Charts',
  '![Throughput over time](throughput.svg)',
  '![Not a chart](other.svg)',
].join('\n\n');

describe('renderReportHtml', () => {
  const spec = throughputSpec(makeRunResult().timeseries, { warmupSeconds: 1 });

  it('renders the Markdown: headline, tables, no raw HTML', async () => {
    const html = await renderReportHtml(MD, []);
    expect(html).toContain('<title>vitals-bench run FAKE-html</title>');
    expect(html).toContain('<h1>vitals-bench run FAKE-html</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toMatch(/<table>[\s\S]*<td>1<\/td>/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    // No chart with a spec: no libraries inlined.
    expect(html).not.toContain('data-library=');
  });

  it("points another run's report.md to its report.html, leaves absolute links alone", async () => {
    const html = await renderReportHtml(MD, []);
    expect(html).toContain('href="rate-1000/report.html"');
    expect(html).toContain('href="https://example.org/report.md"');
  });

  it('replaces a chart image by the interactive chart with its static fallback; other images stay', async () => {
    const html = await renderReportHtml(MD, [
      {
        name: 'Throughput over time',
        file: 'throughput.svg',
        spec,
        svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        alsoFiles: ['throughput.png'],
      },
    ]);
    expect(html.match(/<figure class="chart"/g)).toHaveLength(1);
    expect(html).toContain('data-file="throughput.svg" data-spec="chart-spec-0"');
    expect(html).toContain('<img class="chart-fallback" src="data:image/svg+xml;base64,');
    expect(html).toContain('<a href="throughput.png">throughput.png</a>');
    expect(html).toContain('<img src="other.svg" alt="Not a chart">');
    // The figure is not inside a paragraph.
    expect(html).not.toMatch(/<p>\s*<div id="chart-0">/);
    // The spec is embedded as JSON and round-trips.
    const json = /<script type="application\/json" id="chart-spec-0">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(spec)));
    for (const lib of ['vega', 'vega-lite', 'vega-embed']) expect(html).toContain(`data-library="${lib}"`);
  });

  it('appends the charts that report.md does not show', async () => {
    const html = await renderReportHtml('# x\n\nno charts here', [{ name: 'Lonely chart', file: 'lonely.svg', spec }]);
    expect(html).toMatch(/<h2>Charts<\/h2>\s*<div id="chart-0"><figure class="chart" data-file="lonely.svg"/);
  });

  it('keeps the inlined code and JSON from closing their script element', async () => {
    expect(scriptSafe('a = "</script><!-- x"')).toBe('a = "\\x3C/script>\\x3C!-- x"');
    const html = await renderReportHtml('# t\n\n![c](c.svg)', [
      { name: 'c', file: 'c.svg', spec: { ...spec, description: '</script><b>' } },
    ]);
    const scripts = html.match(/<script\b/g)!.length;
    expect(html.match(/<\/script>/g)!.length).toBe(scripts);
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('inlines the browser builds of vega, vega-lite and vega-embed from node_modules', async () => {
    const libs = await browserLibraries();
    expect(libs.map((l) => l.name)).toEqual(['vega', 'vega-lite', 'vega-embed']);
    for (const l of libs) {
      expect(l.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(l.code.length).toBeGreaterThan(50_000);
    }
  });
});
