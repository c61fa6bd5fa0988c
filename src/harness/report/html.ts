/**
 * report.html: the report's Markdown rendered to HTML (marked), self-contained: every chart is
 * its Vega-Lite spec drawn in the page by vega-embed (tooltips, export), with vega, vega-lite and
 * vega-embed's browser builds inlined from node_modules, so the file works offline and can be
 * mailed or attached anywhere. Each chart keeps its PNG (or SVG) inline as the fallback, shown
 * when scripts do not run; links to the static files beside the report follow each chart.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Marked } from 'marked';
import type { Token, Tokens } from 'marked';
import type { TopLevelSpec } from 'vega-lite';

export interface HtmlChart {
  /** Caption / alt text. */
  name: string;
  /** The chart's file as report.md references it ("throughput.svg"). */
  file: string;
  /** The Vega-Lite spec drawn interactively; without it the chart is its static image only. */
  spec?: TopLevelSpec;
  /** Static fallback: the SVG text (preferred) or PNG bytes; without either, a link to `file`. */
  png?: Buffer;
  svg?: string;
  /** Other files of the same chart beside the report ("throughput.png"), linked under it. */
  alsoFiles?: string[];
}

/** The browser builds to inline, in load order (vega-lite and vega-embed need vega). */
const LIBRARIES = ['vega', 'vega-lite', 'vega-embed'] as const;

let libraryCache: Promise<Array<{ name: string; version: string; code: string }>> | undefined;

/** A package's folder: its entry point resolved from here, then up to its package.json. */
async function packageDir(name: string): Promise<{ dir: string; pkg: Record<string, unknown> }> {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      if (pkg.name === name) return { dir, pkg };
    } catch {
      // no package.json at this level
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`${name}: package.json not found above ${require.resolve(name)}`);
    dir = up;
  }
}

/** vega, vega-lite and vega-embed's minified browser builds (their package.json's "jsdelivr" file). */
export function browserLibraries(): Promise<Array<{ name: string; version: string; code: string }>> {
  libraryCache ??= Promise.all(
    LIBRARIES.map(async (name) => {
      const { dir, pkg } = await packageDir(name);
      const file =
        typeof pkg.jsdelivr === 'string'
          ? pkg.jsdelivr
          : typeof pkg.unpkg === 'string'
            ? pkg.unpkg
            : `build/${name}.min.js`;
      return { name, version: String(pkg.version), code: await readFile(join(dir, file), 'utf8') };
    }),
  );
  libraryCache.catch(() => {
    libraryCache = undefined;
  });
  return libraryCache;
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Text that is safe inside <script>: no "</script" or "<!--" can end or bend the element. */
export function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '\\x3C/$1').replace(/<!--/g, '\\x3C!--');
}

/** JSON that is safe inside <script type="application/json">. */
function jsonSafe(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function baseName(file: string): string {
  return file.replace(/\.[a-z0-9]+$/i, '');
}

function fallbackImage(c: HtmlChart): string {
  // The SVG is vector and usually smaller than the PNG (rendered at twice the size).
  const src = c.svg
    ? `data:image/svg+xml;base64,${Buffer.from(c.svg, 'utf8').toString('base64')}`
    : c.png
      ? `data:image/png;base64,${c.png.toString('base64')}`
      : c.file;
  return `<img class="chart-fallback" src="${escapeHtml(src)}" alt="${escapeHtml(c.name)}">`;
}

function chartHtml(c: HtmlChart, index: number): string {
  const files = [c.file, ...(c.alsoFiles ?? [])]
    .map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`)
    .join(' · ');
  const id = `chart-spec-${index}`;
  return [
    `<figure class="chart" data-file="${escapeHtml(c.file)}"${c.spec ? ` data-spec="${id}"` : ''}>`,
    c.spec ? `<div class="chart-view"></div>` : '',
    fallbackImage(c),
    c.spec ? `<script type="application/json" id="${id}">${jsonSafe(c.spec)}</script>` : '',
    `<figcaption>${escapeHtml(c.name)} <span class="files">(${files})</span></figcaption>`,
    `</figure>`,
  ]
    .filter(Boolean)
    .join('\n');
}

const STYLE = `
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1b1b; max-width: 1100px; margin: 2em auto; padding: 0 1.2em; }
h1 { font-size: 1.7em; border-bottom: 2px solid #ddd; padding-bottom: .2em; }
h2 { font-size: 1.35em; border-bottom: 1px solid #eee; padding-bottom: .15em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .8em 0; display: block; overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #d0d0d0; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
tr:nth-child(even) td { background: #fafafa; }
code { font: .9em "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #f3f3f3; padding: 0 .25em; border-radius: 3px; }
figure.chart { margin: 1.2em 0; overflow-x: auto; }
figure.chart img.chart-fallback { max-width: 100%; height: auto; }
html.js figure.chart[data-spec] img.chart-fallback { display: none; }
html.js figure.chart.chart-failed img.chart-fallback { display: block; }
figcaption { color: #555; font-size: .9em; }
figcaption .files a { color: #555; }
`;

/** Draws each chart with vega-embed; a chart that cannot be drawn shows its static image and logs why. */
const BOOT = `
(function () {
  var figures = document.querySelectorAll('figure.chart[data-spec]');
  var missing = typeof vegaEmbed !== 'function';
  Array.prototype.forEach.call(figures, function (figure) {
    var view = figure.querySelector('.chart-view');
    function fail(err) {
      figure.classList.add('chart-failed');
      if (view) view.remove();
      console.error('chart ' + figure.getAttribute('data-file') + ' not drawn: ' + (err && err.message ? err.message : err));
    }
    if (missing) return fail('vega-embed did not load');
    try {
      var spec = JSON.parse(document.getElementById(figure.getAttribute('data-spec')).textContent);
      vegaEmbed(view, spec, { renderer: 'svg', actions: { export: true, source: true, compiled: false, editor: false } })
        .then(function () { figure.classList.add('chart-live'); })
        .catch(fail);
    } catch (err) { fail(err); }
  });
})();
`;

type PlacedChart = { chart: HtmlChart; index: number };

/** The charts by each name report.md may use for them: their files, and their file without extension. */
function chartsByFile(charts: HtmlChart[]): Map<string, PlacedChart> {
  const byFile = new Map<string, PlacedChart>();
  charts.forEach((chart, index) => {
    for (const f of [chart.file, ...(chart.alsoFiles ?? [])]) byFile.set(f, { chart, index });
    byFile.set(baseName(chart.file), { chart, index });
  });
  return byFile;
}

/**
 * Places charts where report.md references them: the first reference becomes the chart, later
 * ones a link to it. `shown` collects the indexes of the charts placed.
 */
function chartPlacer(charts: HtmlChart[]): { place: (href: string) => string | undefined; shown: Set<number> } {
  const byFile = chartsByFile(charts);
  const shown = new Set<number>();
  const chartOf = (href: string): PlacedChart | undefined => byFile.get(href) ?? byFile.get(baseName(href));
  const place = (href: string): string | undefined => {
    const hit = chartOf(href);
    if (!hit) return undefined;
    if (shown.has(hit.index)) return `<a href="#${escapeHtml(`chart-${hit.index}`)}">${escapeHtml(hit.chart.name)}</a>`;
    shown.add(hit.index);
    return `<div id="chart-${hit.index}">${chartHtml(hit.chart, hit.index)}</div>`;
  };
  return { place, shown };
}

/** A Markdown renderer whose chart images become charts (`place`) and whose raw HTML is shown as text. */
function reportMarked(place: (href: string) => string | undefined): Marked {
  return new Marked({
    gfm: true,
    async: false,
    walkTokens(token: Token) {
      // Another run's report.md (in a sweep) has a report.html beside it too.
      if (token.type === 'link') {
        const link = token as Tokens.Link;
        if (!/^[a-z][a-z0-9+.-]*:/i.test(link.href) && /(^|\/)report\.md$/.test(link.href))
          link.href = link.href.replace(/report\.md$/, 'report.html');
      }
    },
    renderer: {
      html(token: Tokens.HTML | Tokens.Tag): string {
        return escapeHtml(token.text);
      },
      paragraph(token: Tokens.Paragraph): string | false {
        // A paragraph that is only a chart image becomes the chart (a figure cannot sit in a <p>).
        const only = token.tokens.filter((t) => !(t.type === 'text' && t.raw.trim() === ''));
        if (only.length === 1 && only[0]!.type === 'image') {
          const placed = place((only[0] as Tokens.Image).href);
          if (placed) return placed + '\n';
        }
        return false;
      },
      image(token: Tokens.Image): string | false {
        return place(token.href) ?? false;
      },
    },
  });
}

/** The charts report.md does not show, under a "Charts" heading (nothing when it shows them all). */
function unshownChartsHtml(charts: HtmlChart[], shown: Set<number>): string {
  const rest = charts.map((chart, index) => ({ chart, index })).filter((c) => !shown.has(c.index));
  if (!rest.length) return '';
  return `\n<h2>Charts</h2>\n${rest.map((c) => `<div id="chart-${c.index}">${chartHtml(c.chart, c.index)}</div>`).join('\n')}\n`;
}

/** The whole page around `body`: head, style, the inlined libraries and the script that draws the charts. */
function pageHtml(
  title: string,
  body: string,
  libs: Array<{ name: string; version: string; code: string }>,
  needsScripts: boolean,
): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="vitals-bench${libs.length ? `; ${libs.map((l) => `${l.name} ${l.version}`).join(', ')}` : ''}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    // Set before the body is parsed: hides the fallbacks of charts the script is about to draw.
    needsScripts ? `<script>document.documentElement.classList.add('js');</script>` : '',
    '</head>',
    '<body>',
    body,
    ...libs.map((l) => `<script data-library="${escapeHtml(l.name)}">\n${scriptSafe(l.code)}\n</script>`),
    needsScripts ? `<script>${BOOT}</script>` : '',
    '</body>',
    '</html>',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/**
 * The HTML page of a report: `markdown` rendered (GitHub-flavoured tables), each image that
 * references one of `charts` replaced by the interactive chart; charts report.md does not show
 * are appended. Links to another report's report.md point to its report.html. Raw HTML in the
 * Markdown is shown as text, never interpreted.
 */
export async function renderReportHtml(
  markdown: string,
  charts: HtmlChart[],
  opts: { title?: string } = {},
): Promise<string> {
  const { place, shown } = chartPlacer(charts);
  let body = reportMarked(place).parse(markdown) as string;
  body += unshownChartsHtml(charts, shown);
  const title = opts.title ?? /^#\s+(.+)$/m.exec(markdown)?.[1]?.trim() ?? 'vitals-bench report';
  const needsScripts = charts.some((c) => c.spec);
  const libs = needsScripts ? await browserLibraries() : [];
  return pageHtml(title, body, libs, needsScripts);
}
