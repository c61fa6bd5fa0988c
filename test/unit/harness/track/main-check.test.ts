import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../../src/cli/args.js';
import { historyCheckCommand, type HistoryCheckArgs } from '../../../../src/cli/history-command.js';
import { Rng } from '../../../../src/generators/rng.js';
import { historyEntry, parseHistory, type HistoryEntry } from '../../../../src/harness/track/history.js';
import { EXIT_CODES } from '../../../../src/harness/track/compare/outcome.js';
import {
  beyondRange,
  checkExitCode,
  checkNewestRun,
  DEFAULT_MAIN_CHECK_OPTIONS,
  machineKey,
  renderMainCheckMarkdown,
  smallestP,
} from '../../../../src/harness/track/main-check.js';
import { CI_PARAMETERS, makeRunResult } from '../fixture.js';

const MACHINE_A = { cpu_model: 'AMD EPYC 7763 64-Core Processor', cores: 4, memory_bytes: 16 * 2 ** 30 };
const MACHINE_B = { cpu_model: 'Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz', cores: 4, memory_bytes: 16 * 2 ** 30 };

/** Typical CI-profile figures (stream and batch event-time latencies, rates, CPU). */
const BASE_FIGURES = {
  streamP50: 12,
  streamP99: 100,
  streamP999: 160,
  streamProcP99: 40,
  streamRate: 496,
  streamCpu: 30,
  batchP50: 5200,
  batchP99: 10100,
  batchRate: 466,
  sendDelayP99: 6,
};
type Figure = keyof typeof BASE_FIGURES;

interface RunSpec {
  /** Multiply figures of this run (1.5: 50% higher). */
  scale?: Partial<Record<Figure, number>>;
  machine?: typeof MACHINE_A;
  params?: Record<string, unknown>;
  passed?: boolean;
  complete?: boolean;
  loss?: number;
}

/** A bench run's results (histograms included: building them is the slow part, so once). */
const TEMPLATE = makeRunResult();

/**
 * History lines as `bench` appends them (historyEntry of a RunResult, one JSON line each), one
 * hour apart, every figure with seeded noise of +-4% around BASE_FIGURES (an A/A-like series).
 */
function historyText(specs: RunSpec[], seed = 7): string {
  const rng = Rng.derive(seed, 1);
  const lines = specs.map((spec, i) => {
    const f = (k: Figure): number => BASE_FIGURES[k] * (spec.scale?.[k] ?? 1) * rng.uniform(0.96, 1.04);
    const id = `20261201T${String(i).padStart(4, '0')}-main`;
    const r = structuredClone(TEMPLATE);
    r.run_id = id;
    r.started_at = new Date(Date.UTC(2026, 11, 1) + i * 3_600_000).toISOString();
    r.parameters = { ...CI_PARAMETERS, ...spec.params, run_id: id, profile: 'ci' };
    r.environment = {
      ...(spec.machine ?? MACHINE_A),
      git_commit: (i + 1).toString(16).padStart(40, 'c'),
    };
    const [stream, batch] = r.modes;
    stream!.event_time_latency = {
      ...stream!.event_time_latency,
      p50: f('streamP50'),
      p99: f('streamP99'),
      p999: f('streamP999'),
    };
    stream!.processing_time_latency = { ...stream!.processing_time_latency, p99: f('streamProcP99') };
    stream!.output_rate = f('streamRate');
    batch!.event_time_latency = { ...batch!.event_time_latency, p50: f('batchP50'), p99: f('batchP99') };
    batch!.output_rate = f('batchRate');
    r.input.send_delay = { ...r.input.send_delay, p99: f('sendDelayP99') };
    r.cost = {
      modes: {
        stream: {
          cpu_s: 1,
          peak_rss_mib: 100,
          busy_s: 10,
          db_rows: 5,
          db_transactions: 7,
          readings: 30_000,
          cpu_ms_per_1000_readings: f('streamCpu'),
        },
      },
      broker_cpu_s: null,
      database_cpu_s: null,
      sampled_s: 60,
    };
    r.complete = spec.complete ?? true;
    r.storage.loss = spec.loss ?? 0;
    r.verdict = { passed: spec.passed ?? true, failures: spec.passed === false ? ['lost readings'] : [] };
    return JSON.stringify(historyEntry(r));
  });
  return `${lines.join('\n')}\n`;
}

function entries(specs: RunSpec[], seed?: number): HistoryEntry[] {
  const { entries: parsed, invalid } = parseHistory(historyText(specs, seed));
  expect(invalid).toEqual([]);
  return parsed;
}

const runs = (n: number, spec: RunSpec = {}): RunSpec[] => Array.from({ length: n }, () => ({ ...spec }));
const verdictOf = (c: ReturnType<typeof checkNewestRun>, slug: string): string | undefined =>
  c.figures.find((f) => f.slug === slug)?.verdict;

describe('history --check: the newest run against the runs before it', () => {
  it('an A/A-like history (same code, noise only) passes with every figure judged unchanged', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const c = checkNewestRun(entries(runs(13), seed));
      expect(c.status, `seed ${seed}: ${c.reasons.join('; ')}`).toBe('pass');
      expect(checkExitCode(c)).toBe(EXIT_CODES.pass);
      expect(c.previous).toHaveLength(10);
      expect(c.recent).toHaveLength(3);
      expect(c.figures.length).toBeGreaterThanOrEqual(10);
      expect(c.figures.filter((f) => f.verdict !== 'unchanged')).toEqual([]);
    }
  });

  it('a clear regression (stream p99 +50% in the three newest runs) is flagged, and only that figure', () => {
    const c = checkNewestRun(entries([...runs(10), ...runs(3, { scale: { streamP99: 1.5 } })]));
    expect(c.status).toBe('regression');
    expect(checkExitCode(c)).toBe(EXIT_CODES.fail);
    const f = c.figures.find((x) => x.slug === 'stream_event_time_p99')!;
    expect(f.verdict).toBe('regression');
    expect(f.better).toBe('smaller');
    expect(f.beyond!).toBeGreaterThan(0.3); // >= 144 ms against a previous max <= 104 ms
    expect(f.change!).toBeGreaterThan(0.4);
    expect(f.p!).toBeLessThan(0.01); // all three above all ten: 2 / C(13, 3)
    expect(c.figures.filter((x) => x.verdict === 'regression').map((x) => x.slug)).toEqual(['stream_event_time_p99']);
    expect(c.reasons[0]).toMatch(/stream: event-time latency p99/);
  });

  it('a rate that falls is a regression (bigger is better)', () => {
    const c = checkNewestRun(entries([...runs(10), ...runs(3, { scale: { batchRate: 0.6 } })]));
    expect(c.status).toBe('regression');
    expect(verdictOf(c, 'batch_output_rate')).toBe('regression');
  });

  it('one slow newest run is not a regression: the rank test needs the recent runs to agree', () => {
    const c = checkNewestRun(entries([...runs(12), { scale: { streamP99: 1.5 } }]));
    const f = c.figures.find((x) => x.slug === 'stream_event_time_p99')!;
    expect(f.beyond!).toBeGreaterThan(0.3); // far outside the range...
    expect(f.verdict).toBe('unchanged'); // ...but not significant
    expect(c.status).toBe('pass');
  });

  it('a lasting change is accepted once its first run is among the previous runs', () => {
    const c = checkNewestRun(entries([...runs(10), ...runs(6, { scale: { streamP99: 1.5 } })]));
    expect(verdictOf(c, 'stream_event_time_p99')).toBe('unchanged');
    expect(c.status).toBe('pass');
  });

  it('an improvement passes and is named', () => {
    const c = checkNewestRun(entries([...runs(10), ...runs(3, { scale: { streamP99: 0.5 } })]));
    expect(c.status).toBe('pass');
    expect(verdictOf(c, 'stream_event_time_p99')).toBe('improvement');
    expect(c.reasons[0]).toMatch(/improved: stream: event-time latency p99/);
  });

  it('too few runs is inconclusive (exit 3), whatever the figures', () => {
    const c = checkNewestRun(entries([...runs(4), ...runs(3, { scale: { streamP99: 2 } })]));
    expect(c.status).toBe('inconclusive');
    expect(checkExitCode(c)).toBe(EXIT_CODES.inconclusive);
    expect(c.reasons[0]).toMatch(/too few runs to judge: 7 comparable runs .* needs 3 recent and at least 9 previous/);
    expect(c.figures.every((f) => f.verdict === 'too few samples')).toBe(true);
    expect(checkNewestRun([]).status).toBe('inconclusive');
  });

  it('only runs of the same parameter set on the same machine count', () => {
    const otherMachine = checkNewestRun(entries([...runs(12), { machine: MACHINE_B, scale: { streamP99: 2 } }]));
    expect(otherMachine.status).toBe('inconclusive');
    expect(otherMachine.excluded.otherMachine).toBe(12);
    expect(otherMachine.machine).toBe(machineKey(MACHINE_B));
    const otherParams = checkNewestRun(entries([...runs(12), { params: { seed: 43 }, scale: { streamP99: 2 } }]));
    expect(otherParams.status).toBe('inconclusive');
    expect(otherParams.previous).toEqual([]);
    // Memory that differs by less than half a GiB is the same machine.
    expect(machineKey({ ...MACHINE_A, memory_bytes: MACHINE_A.memory_bytes - 100 * 2 ** 20 })).toBe(
      machineKey(MACHINE_A),
    );
  });

  it('runs that failed or did not complete are left out of the samples', () => {
    const c = checkNewestRun(entries([...runs(9), { passed: false, loss: 5 }, { complete: false }, ...runs(4)]));
    expect(c.excluded.notPassed).toBe(2);
    expect(c.previous).toHaveLength(10);
    expect(c.previous.every((e) => e.passed && e.complete)).toBe(true);
    expect(c.status).toBe('pass');
  });

  it('a newest run that failed its verdict fails the check; an incomplete one is inconclusive', () => {
    const failed = checkNewestRun(entries([...runs(12), { passed: false, loss: 3 }]));
    expect(failed.status).toBe('regression');
    expect(failed.reasons[0]).toMatch(/failed its own verdict \(loss 3/);
    const incomplete = checkNewestRun(entries([...runs(12), { complete: false }]));
    expect(incomplete.status).toBe('inconclusive');
    expect(incomplete.reasons[0]).toMatch(/incomplete/);
  });

  it('samples too small for any p below alpha are inconclusive rather than a silent pass', () => {
    expect(smallestP(10, 3)).toBeCloseTo(2 / 286, 12);
    expect(smallestP(10, 1)).toBeCloseTo(2 / 11, 12);
    const c = checkNewestRun(entries([...runs(10), { scale: { streamP99: 3 } }]), { recent: 1 });
    expect(c.status).toBe('inconclusive');
    expect(c.reasons[0]).toMatch(/smallest p the test can give is 0\.18/);
  });

  it('beyondRange: signed distance past the worse or better bound, 0 inside or within the resolution', () => {
    const range = { n: 5, median: 100, min: 90, max: 110 };
    expect(beyondRange(121, range, 'smaller', 0)).toBeCloseTo(0.1, 12);
    expect(beyondRange(81, range, 'smaller', 0)).toBeCloseTo(-0.1, 12);
    expect(beyondRange(81, range, 'bigger', 0)).toBeCloseTo(0.1, 12);
    expect(beyondRange(100, range, 'smaller', 0)).toBe(0);
    expect(beyondRange(110.9, range, 'smaller', 1)).toBe(0);
    expect(beyondRange(1, { n: 3, median: 0, min: 0, max: 0 }, 'smaller', 0)).toBe(Infinity);
  });

  it('Markdown for the job summary: the verdict first, then what was compared and a row per figure', () => {
    const md = renderMainCheckMarkdown(
      checkNewestRun(entries([...runs(10), ...runs(3, { scale: { streamP99: 1.5 } })])),
    );
    expect(md).toMatch(
      /^## vitals-bench history --check\n\n\*\*REGRESSION\*\*: 1 figure regressed: stream: event-time latency p99\./,
    );
    expect(md).toContain('- PREVIOUS: 10 runs (');
    expect(md).toContain('- Machine: 4 x AMD EPYC 7763 64-Core Processor, 16 GiB');
    expect(md).toMatch(
      /\| stream: event-time latency p99 \(ms, smaller is better\) \| [^|]+ \| [^|]+ \| [^|]+ \| \d+\.\d% worse \| \+\d+\.\d% \| 0\.0070 \| \*\*regression\*\* \|/,
    );
    const few = renderMainCheckMarkdown(checkNewestRun(entries(runs(2))));
    expect(few).toContain('**INCONCLUSIVE**: too few runs to judge');
  });
});

describe('history --check command', () => {
  afterEach(() => vi.restoreAllMocks());
  const args = (file: string, extra: Partial<HistoryCheckArgs> = {}): HistoryCheckArgs => ({
    file,
    ...DEFAULT_MAIN_CHECK_OPTIONS,
    ...extra,
  });
  const file = (specs: RunSpec[]): string => {
    const f = join(mkdtempSync(join(tmpdir(), 'main-check-')), 'history.jsonl');
    writeFileSync(f, historyText(specs));
    return f;
  };

  it('exit 0 pass, 1 regression, 3 inconclusive; the Markdown on stdout and in --markdown', () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(historyCheckCommand(args(file(runs(13))))).toBe(0);
    expect(out.join('')).toContain('**PASS**');
    const md = join(mkdtempSync(join(tmpdir(), 'main-check-md-')), 'sub', 'check.md');
    out.length = 0;
    const regressed = file([...runs(10), ...runs(3, { scale: { streamP99: 1.5 } })]);
    expect(historyCheckCommand(args(regressed, { markdown: md }))).toBe(1);
    expect(readFileSync(md, 'utf8')).toBe(out.join(''));
    expect(historyCheckCommand(args(file(runs(3))))).toBe(3);
  });

  it('usage errors (exit 2): no history file, bad options', () => {
    const f = file(runs(13));
    expect(() => historyCheckCommand(args(join(tmpdir(), 'no-such-history.jsonl')))).toThrow(UsageError);
    expect(() => historyCheckCommand(args(f, { last: 0 }))).toThrow(/--last must be an integer >= 1/);
    expect(() => historyCheckCommand(args(f, { recent: 1.5 }))).toThrow(/--recent/);
    expect(() => historyCheckCommand(args(f, { minPrevious: 11 }))).toThrow(/--min-runs \(11\) must not exceed --last/);
    expect(() => historyCheckCommand(args(f, { alpha: 0 }))).toThrow(/--alpha/);
    expect(() => historyCheckCommand(args(f, { threshold: -0.1 }))).toThrow(/--threshold/);
  });
});
