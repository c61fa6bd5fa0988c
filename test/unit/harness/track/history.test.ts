import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  COMPARABLE_PARAMETER_KEYS,
  describeParameters,
  groupByParameters,
  historyEntry,
  parameterHash,
  parseGitCommit,
  parseHistory,
  renderHistoryMarkdown,
  shortHash,
  TREND_METRICS,
  trendPoints,
  type HistoryEntry,
} from '../../../../src/harness/track/history.js';
import { historyTrendSpec } from '../../../../src/harness/track/history-charts.js';
import { renderSvg } from '../../../../src/harness/report/charts.js';
import { historyFile, recordRun } from '../../../../src/cli/history-command.js';
import { planBench } from '../../../../src/cli/bench-command.js';
import { benchArgv } from '../../cli/bench-argv.js';
import type { RunResult } from '../../../../src/results/schema.js';
import { CI_PARAMETERS, makeRunResult, withStreamCost } from '../fixture.js';

const PARAMS = {
  ...CI_PARAMETERS,
  topicPrefix: '',
  outDir: '/somewhere',
  run_id: 'x',
  topics: ['a'],
  maxRestarts: 3,
};

function run(opts: {
  id: string;
  time: string;
  commit?: string;
  params?: Record<string, unknown>;
  p99?: number;
  cost?: boolean;
}): RunResult {
  const r = makeRunResult({ runId: opts.id });
  r.started_at = opts.time;
  r.parameters = { ...PARAMS, ...opts.params, run_id: opts.id };
  r.environment = {
    cpu_model: 'Fake CPU',
    cores: 2,
    memory_bytes: 8 * 2 ** 30,
    git_commit: opts.commit ?? 'a'.repeat(40),
  };
  if (opts.p99 !== undefined) r.modes[0]!.event_time_latency = { ...r.modes[0]!.event_time_latency, p99: opts.p99 };
  return opts.cost ? withStreamCost(r) : r;
}

describe('parameter hash', () => {
  it('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('depends only on the comparable keys, not on their order, run id, topics or output folder', () => {
    const h = parameterHash(PARAMS);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    const reordered = Object.fromEntries(Object.entries(PARAMS).reverse());
    expect(
      parameterHash({
        ...reordered,
        run_id: 'other',
        topicPrefix: 'histC_',
        outDir: '/tmp',
        topics: ['b'],
        label: 'x',
      }),
    ).toBe(h);
    for (const k of COMPARABLE_PARAMETER_KEYS) {
      const changed = {
        ...PARAMS,
        [k]:
          k === 'modes'
            ? ['stream']
            : k === 'faults'
              ? ['kill:stream@20']
              : k === 'rules_resolved'
                ? { name: 'clinical', rules: [] }
                : 12345,
      };
      expect(parameterHash(changed), k).not.toBe(h);
    }
  });

  it('lists exactly the keys the brief names', () => {
    expect([...COMPARABLE_PARAMETER_KEYS].sort()).toEqual([
      'batchInterval',
      'duration',
      'faults',
      'idleMs',
      'latenessMs',
      'modes',
      'partitions',
      'patients',
      'prevalence',
      'rate',
      'rules_resolved',
      'seed',
      'sources',
      'threads',
      'warmup',
    ]);
  });
});

describe('history entries', () => {
  it('records commit, dirty flag, machine and the headline figures', () => {
    const e = historyEntry(
      run({ id: 'r1', time: '2026-01-01T10:00:00.000Z', commit: `${'b'.repeat(40)}+uncommitted-changes`, cost: true }),
    );
    expect(e.git).toEqual({ commit: 'b'.repeat(40), dirty: true });
    expect(e.params_hash).toBe(parameterHash(PARAMS));
    expect(e.params).not.toHaveProperty('rules_resolved');
    expect(e.rules).toBe('clinical');
    expect(e.machine).toEqual({ cpu_model: 'Fake CPU', cores: 2, memory_bytes: 8 * 2 ** 30 });
    expect(e.metrics.modes.stream).toMatchObject({ cpu_ms_per_1000_readings: 3 });
    expect(e.metrics.modes.batch).toMatchObject({ processing_rate_while_busy: 25000 });
    expect(e.metrics.modes.stream!.event_time_p99_ms).toBeGreaterThan(0);
    expect(e.metrics.send_delay_p99_ms).toBeGreaterThan(0);
    expect(e.metrics).toMatchObject({ loss: 0, duplicates: 0 });
    expect(parseGitCommit('unknown (not a git checkout)')).toEqual({ commit: null, dirty: false });
    // A line round-trips; garbage lines are reported by number.
    const parsed = parseHistory(`${JSON.stringify(e)}\nnot json\n{"a":1}\n\n`);
    expect(parsed.entries).toEqual([e]);
    expect(parsed.invalid).toEqual([2, 3]);
  });

  it('an unwritable history file is a warning, not a failure; --no-history writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hist-'));
    const r = run({ id: 'r1', time: '2026-01-01T10:00:00.000Z' });
    const file = join(dir, 'sub', 'history.jsonl');
    const warnings: string[] = [];
    recordRun({ dir, result: r }, { history: file }, (l) => warnings.push(l));
    recordRun({ dir, result: r }, { history: file }, (l) => warnings.push(l));
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(warnings).toEqual([]);
    // A folder where the file should be: cannot be appended to, whoever runs the test.
    const blocked = join(dir, 'blocked.jsonl');
    mkdirSync(blocked);
    recordRun({ dir, result: r }, { history: blocked }, (l) => warnings.push(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^WARNING: could not append run r1 to the history .*blocked\.jsonl/);
    expect(historyFile(false)).toBeUndefined();
    expect(historyFile(undefined, { VITALS_BENCH_HISTORY: 'off' })).toBeUndefined();
    expect(historyFile(undefined, {})).toMatch(/results\/history\.jsonl$/);
    expect(historyFile('x/h.jsonl', { VITALS_BENCH_HISTORY: 'off' })).toMatch(/x\/h\.jsonl$/);
    // Tracker files for --profile ci, in the run folder.
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    recordRun({ dir: ro, result: r }, { history: false, trackers: true }, (l) => warnings.push(l));
    expect(
      (JSON.parse(readFileSync(join(ro, 'benchmark-action.smaller.json'), 'utf8')) as unknown[]).length,
    ).toBeGreaterThan(0);
    // A run folder that is gone: three warnings, no exception.
    recordRun({ dir: join(dir, 'gone'), result: r }, { history: false, trackers: true }, (l) => warnings.push(l));
    expect(warnings.slice(1)).toHaveLength(3);
    expect(warnings[1]).toMatch(/^WARNING: could not write benchmark-action\.smaller\.json/);
  });
});

describe('grouping and the table', () => {
  const entries: HistoryEntry[] = [
    historyEntry(run({ id: 'r3', time: '2026-01-03T10:00:00.000Z', commit: 'c'.repeat(40), p99: 30 })),
    historyEntry(run({ id: 'r1', time: '2026-01-01T10:00:00.000Z', commit: 'a'.repeat(40), p99: 10 })),
    historyEntry(
      run({
        id: 'r2',
        time: '2026-01-02T10:00:00.000Z',
        commit: `${'b'.repeat(40)}+uncommitted-changes`,
        params: { rate: 2000, patients: 2000 },
        p99: 20,
      }),
    ),
    historyEntry(run({ id: 'r4', time: '2026-01-04T10:00:00.000Z', commit: 'd'.repeat(40), p99: 40 })),
  ];

  it('groups runs by parameter hash, oldest first, never mixing sets', () => {
    const groups = groupByParameters(entries);
    expect(groups.map((g) => g.entries.map((e) => e.run_id))).toEqual([['r1', 'r3', 'r4'], ['r2']]);
    expect(groups[0]!.hash).toBe(parameterHash(PARAMS));
    expect(groups[1]!.params.rate).toBe(2000);
    const p99 = TREND_METRICS.find((m) => m.slug === 'stream_event_time_p99')!;
    const points = trendPoints(groups, p99);
    // x: the run order over all runs, labelled by short commit; one series per parameter set.
    expect(points.map((p) => [p.run, p.value])).toEqual([
      ['1 aaaaaaa', 10],
      ['2 bbbbbbb*', 20],
      ['3 ccccccc', 30],
      ['4 ddddddd', 40],
    ]);
    expect(new Set(points.filter((p) => p.value !== 20).map((p) => p.series)).size).toBe(1);
    expect(points.find((p) => p.value === 20)!.series).not.toBe(points[0]!.series);
    expect(points[0]!.series).toContain(shortHash(groups[0]!.hash));
  });

  it('renders a section per parameter set with its hash, description and a row per run and mode', () => {
    const md = renderHistoryMarkdown(groupByParameters(entries), {
      source: 'results/history.jsonl',
      charts: ['history_stream_event_time_p99.svg'],
    });
    const h1 = shortHash(parameterHash(PARAMS));
    const h2 = shortHash(parameterHash({ ...PARAMS, rate: 2000, patients: 2000 }));
    expect(md).toContain('4 runs in 2 comparable parameter sets');
    expect(md).toContain(`## Parameters ${h1}`);
    expect(md).toContain(`## Parameters ${h2}`);
    expect(md.indexOf(h1)).toBeLessThan(md.indexOf(h2));
    expect(md).toContain(describeParameters(PARAMS, 'clinical'));
    expect(describeParameters(PARAMS, 'clinical')).toBe(
      '500 readings/s, 60 s (+10 s warm-up), 500 patients, 3 sources x 3 partitions, rules clinical, stream+batch, ' +
        'batch every 10 s, 2 threads, seed 42, prevalence 0.05, lateness 2,000 ms, idle 1,000 ms',
    );
    expect(md).toContain('Machine: 2 x Fake CPU, 8 GiB');
    const section1 = md.slice(md.indexOf(`## Parameters ${h1}`), md.indexOf(`## Parameters ${h2}`));
    const rows = section1.split('\n').filter((l) => l.startsWith('| 2026') || l.startsWith('|  |'));
    // Three runs, two modes each, oldest first; run-level cells on the run's first row only.
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(/^\| 2026-01-01 10:00 UTC \| aaaaaaa \| `r1` \| passed \| stream \| [\d.,]+ \| 10 \|/);
    expect(rows[1]).toMatch(/^\| {2}\| {2}\| {2}\| {2}\| batch \|/);
    expect(rows[2]).toContain('ccccccc');
    expect(rows[4]).toContain('ddddddd');
    expect(md).toContain('| 2026-01-02 10:00 UTC | bbbbbbb* | `r2` |');
    expect(md).toContain('![history_stream_event_time_p99.svg](history_stream_event_time_p99.svg)');
    expect(renderHistoryMarkdown([])).toContain('No runs recorded yet');
  });

  it('the trend chart renders with one series per parameter set', async () => {
    const groups = groupByParameters(entries);
    const metric = TREND_METRICS.find((m) => m.slug === 'stream_event_time_p99')!;
    const spec = historyTrendSpec(groups, metric) as unknown as { data: { values: Array<{ series: string }> } };
    expect(new Set(spec.data.values.map((v) => v.series)).size).toBe(2);
    const warnings: string[] = [];
    const svg = await renderSvg(historyTrendSpec(groups, metric), { onWarning: (w) => warnings.push(w) });
    expect(svg).toContain('<svg');
    expect(svg).toContain('1 aaaaaaa');
    expect(warnings).toEqual([]);
  });
});

describe('--profile ci', () => {
  const argv = benchArgv;

  it('pins the CI run; options given on the command line win', async () => {
    const plan = await planBench(argv({ profile: 'ci' }), new Set(['profile']));
    expect(plan.base).toMatchObject({
      rate: 500,
      duration: 60,
      warmup: 10,
      patients: 500,
      batchInterval: 10,
      seed: 42,
      rules: 'clinical',
      modes: ['stream', 'batch'],
      label: 'profile-ci',
    });
    const short = await planBench(argv({ profile: 'ci', duration: '20' }), new Set(['profile', 'duration']));
    expect(short.base).toMatchObject({ duration: 20, seed: 42 });
    await expect(planBench(argv({ profile: 'nope' }), new Set(['profile']))).rejects.toThrow(
      /--profile must be "seed" or "ci"/,
    );
  });
});
