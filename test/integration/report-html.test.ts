/**
 * report.html in a real headless browser (Debian's chromium, installed by scripts/chromium.sh
 * when missing, driven by playwright-core): a report rendered from a hand-made RunResult (and a
 * sweep) opens from file:// with no console error, no page error and no request leaving the file
 * (it is self-contained), vega-embed draws every chart, and the headline is there. Without
 * JavaScript each chart shows its static image instead.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import type { RunResult } from '../../src/results/schema.js';
import { writeRunReport, writeSweepReport } from '../../src/harness/report/write.js';
import { makeExternalRunResult, makeRunResult, makeSweep } from '../unit/harness/fixture.js';

const STEP_MS = 30_000;
let browser: Browser | undefined;
let dir = '';

/** The fixture run with a warm-up, an injected fault and a whole per-second timeseries. */
function runWithFault(): RunResult {
  const r = makeRunResult({ runId: 'FAKE-html-run-0042' });
  r.timeseries = Array.from({ length: 30 }, (_, second) => ({
    second,
    offered: 1234,
    achieved: 1233,
    output: { stream: 1230, batch: second % 5 === 4 ? 6000 : 0 },
    p99_ms: {
      stream: second >= 12 && second < 15 ? null : 40 + second,
      batch: second % 5 === 4 ? 5000 + second : null,
    },
    backlog: { stream: 1, batch: 100 },
  }));
  r.faults = [
    {
      fault: 'kill:stream@12s',
      injected: true,
      target: 'stream role',
      injected_at_s: 12,
      ended_at_s: 12,
      detected_at_s: 12,
      detected_by: 'role exit',
      recovered_at_s: 16,
      recovery_s: 4,
      restarts: ['stream killed by SIGKILL at 12.0 s, restarted in 1.0 s'],
      p99_during_ms: { stream: 900, batch: 7000 },
      p99_outside_ms: { stream: 50, batch: 6000 },
    },
  ];
  return r;
}

interface Opened {
  page: Page;
  problems: string[];
}

/** Open a report.html, recording console errors and warnings, page errors and any request that leaves file://. */
async function open(file: string, javaScriptEnabled = true): Promise<Opened> {
  const context = await browser!.newContext({ javaScriptEnabled, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => {
    if (!/^(file|data|blob):/.test(r.url())) problems.push(`request outside the file: ${r.url()}`);
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: STEP_MS });
  return { page, problems };
}

/** Wait until every interactive chart is drawn or has given up; returns each figure's state. */
async function chartStates(
  page: Page,
): Promise<
  Array<{ file: string; interactive: boolean; live: boolean; failed: boolean; drawn: boolean; imageShown: boolean }>
> {
  // A string: evaluated in the page (the project's TypeScript has no DOM library).
  await page.waitForFunction(
    `(() => {
      const figures = [...document.querySelectorAll('figure.chart[data-spec]')];
      return figures.length > 0 && figures.every((f) => f.classList.contains('chart-live') || f.classList.contains('chart-failed'));
    })()`,
    null,
    { timeout: STEP_MS },
  );
  return page.$$eval('figure.chart', (figures) =>
    figures.map((f) => ({
      file: f.getAttribute('data-file') ?? '',
      interactive: f.hasAttribute('data-spec'),
      imageShown: (f.querySelector('img.chart-fallback')?.getBoundingClientRect().height ?? 0) > 0,
      live: f.classList.contains('chart-live'),
      failed: f.classList.contains('chart-failed'),
      // vega-embed's own output: its container class and a rendered scene graph.
      drawn: !!f.querySelector('.vega-embed svg.marks, .vega-embed canvas.marks'),
    })),
  );
}

beforeAll(async () => {
  const out = execFileSync('bash', [join(PROJECT_ROOT, 'scripts/chromium.sh')], {
    encoding: 'utf8',
    timeout: 600_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const executablePath = out.trim().split('\n').pop()!;
  browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--headless=new',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
  dir = await mkdtemp(join(tmpdir(), 'vitals-bench-html-'));
}, 720_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('report.html in headless chromium', () => {
  it('a run report: every chart drawn by vega-embed, no errors, the headline there', async () => {
    const runDir = join(dir, 'run');
    await writeRunReport(runDir, runWithFault());
    const { page, problems } = await open(join(runDir, 'report.html'));
    try {
      const states = await chartStates(page);
      expect(states.map((s) => s.file).sort()).toEqual([
        'latency_percentiles.svg',
        'p99_over_time.svg',
        'throughput.svg',
      ]);
      for (const s of states)
        expect(s, s.file).toMatchObject({
          interactive: true,
          live: true,
          failed: false,
          drawn: true,
          imageShown: false,
        });
      expect(await page.title()).toContain('FAKE-html-run-0042');
      expect(await page.textContent('h1')).toContain('vitals-bench run FAKE-html-run-0042');
      expect(await page.textContent('body')).toMatch(/Verdict: PASSED/);
      // The interactive charts carry what the static ones show: warm-up and fault labels.
      const throughput = await page.textContent('figure.chart[data-file="throughput.svg"] .vega-embed');
      expect(throughput).toContain('warm-up (3 s)');
      expect(throughput).toContain('kill:stream@12s');
      // Fallback images are hidden once the chart is drawn.
      expect(await page.isVisible('figure.chart[data-file="throughput.svg"] img.chart-fallback')).toBe(false);
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  it('a sweep report renders too, its run links pointing to their report.html', async () => {
    const sweepDir = join(dir, 'sweep');
    await writeSweepReport(sweepDir, makeSweep());
    const { page, problems } = await open(join(sweepDir, 'report.html'));
    try {
      const states = await chartStates(page);
      expect(states.filter((s) => s.interactive).map((s) => s.file)).toEqual([
        'sweep_latency.svg',
        'sweep_throughput.svg',
      ]);
      // Interactive charts drawn; a chart given to the report as an SVG only shows its image.
      for (const s of states)
        expect(s, s.file).toMatchObject(s.interactive ? { live: true, drawn: true } : { imageShown: true });
      expect(await page.textContent('h1')).toContain('vitals-bench');
      const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href') ?? ''));
      expect(hrefs.filter((h) => h.endsWith('report.md'))).toEqual([]);
      expect(hrefs.some((h) => h.endsWith('/report.html'))).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  it('a run with an external mode (a two-panel throughput chart) and a sweep with its trade-off map (a panel per rate) draw too', async () => {
    const runDir = join(dir, 'external');
    await writeRunReport(runDir, makeExternalRunResult());
    const sweepDir = join(dir, 'sweep-cost');
    const sweep = makeSweep();
    sweep.runs.forEach((x, i) => {
      x.result.cost = makeExternalRunResult().cost;
      x.result.cost!.attributed!.batch!.cpu_ms_per_1000_above_idle = 600 + 100 * i;
    });
    await writeSweepReport(sweepDir, sweep);
    for (const [file, charts] of [
      [join(runDir, 'report.html'), ['latency_percentiles.svg', 'p99_over_time.svg', 'throughput.svg']],
      [
        join(sweepDir, 'report.html'),
        ['sweep_cost_vs_rate.svg', 'sweep_latency.svg', 'sweep_throughput.svg', 'sweep_tradeoff.svg'],
      ],
    ] as const) {
      const { page, problems } = await open(file);
      try {
        const states = await chartStates(page);
        expect(states.map((x) => x.file).sort()).toEqual([...charts]);
        for (const x of states)
          expect(x, x.file).toMatchObject({ interactive: true, live: true, failed: false, drawn: true });
        expect(problems).toEqual([]);
      } finally {
        await page.context().close();
      }
    }
  });

  it('without JavaScript every chart shows its static image', async () => {
    const { page, problems } = await open(join(dir, 'run', 'report.html'), false);
    try {
      const images = await page.$$eval('figure.chart img.chart-fallback', (imgs) =>
        imgs.map((i) => ({
          shown: i.getBoundingClientRect().height > 0,
          width: (i as unknown as { naturalWidth: number }).naturalWidth,
        })),
      );
      expect(images).toHaveLength(3);
      for (const i of images) expect(i.shown && i.width > 100).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});
