import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mode } from '../../src/domain/modes.js';
import type { DatasetParams } from '../../src/generators/dataset.js';
import type { ProducerResult } from '../../src/generators/producer.js';
import type { Pool } from '../../src/infra/mysql.js';
import { loadRuleSet } from '../../src/pipelines/rules/parse.js';
import type { RuleSet } from '../../src/pipelines/rules/types.js';
import { LatencyHistogram } from '../../src/results/histogram.js';
import type { RunResult } from '../../src/results/schema.js';
import { collectRun, type CollectTuning } from '../../src/harness/measure/collect.js';
import { computeRunResult } from '../../src/harness/measure/metrics.js';
import { observationResult } from '../../src/harness/measure/visibility.js';
import { collectRun as oracleCollect, type RunData } from '../oracle/collect.js';
import { oracleLatencySplits } from '../oracle/faults.js';
import { buildGroundTruth, type GroundTruth } from '../oracle/ground-truth.js';
import { computeRunResult as oracleResult } from '../oracle/metrics.js';
import { observationResult as oracleObservation } from '../oracle/visibility.js';
import { CLI, openPool, writeShortWindowRules } from './helpers.js';

const run = promisify(execFile);
const MODES: readonly Mode[] = ['stream', 'batch'];

// The streaming collection (measure/collect.ts: rows read a chunk of patients and a time segment
// at a time, into fixed-size figures) against the old in-memory one (test/oracle/: every row,
// its truth and its alerts in memory at once) on the same stored rows of a real run: every
// figure of results.json must be identical, with the default cut and with chunks and segments
// small enough that the walk crosses many of both.
describe('collection: streaming vs the in-memory oracle, on one real run', () => {
  const out = mkdtempSync(join(tmpdir(), 'vitals-bench-oracle-'));
  const rulesFile = writeShortWindowRules(out);
  let pool: Pool;
  let ruleSet: RuleSet;
  let stored: RunResult;
  let common: CommonInputs;

  beforeAll(async () => {
    await run(
      'node',
      [
        CLI,
        'bench',
        ...['--rate', '300', '--duration', '6', '--warmup', '2', '--patients', '30', '--prevalence', '0.2'],
        ...['--rules', rulesFile, '--batch-interval', '3', '--lateness-ms', '500', '--idle-ms', '500'],
        ...['--modes', MODES.join(','), '--topic-prefix', 'oracle_', '--out', out, '--quiet', '--no-services'],
      ],
      { timeout: 240_000 },
    );
    const dir = readdirSync(out).find((d) => d !== 'rules.json')!;
    stored = JSON.parse(readFileSync(join(out, dir, 'results.json'), 'utf8')) as RunResult;
    ruleSet = await loadRuleSet(rulesFile);
    pool = await openPool();
    await damage(pool, stored.run_id);
    common = commonInputs(stored, ruleSet);
  }, 300_000);

  afterAll(async () => {
    await pool?.end();
  });

  const tunings: Array<[string, CollectTuning | undefined]> = [
    ['the default cut', undefined],
    [
      'small chunks and 2 s segments, a 20-range offset cache',
      { chunkReadings: 70, maxChunkPatients: 7, minSegmentS: 1, blockOffsets: 25, capacityRanges: 20 },
    ],
  ];

  for (const [name, tuning] of tunings) {
    it(`gives the oracle's results.json figures (${name})`, async () => {
      const { truth, data } = await oracle(pool, stored, ruleSet);
      const warmupEnd = common.startMs + common.warmupSeconds * 1000;
      const interval = { from: warmupEnd + 1000, to: warmupEnd + 2500 };
      const sightings = sightingsOf(data);
      const { plan, figures } = await collectRun(pool, {
        runId: stored.run_id,
        dataset: common.dataset,
        rate: common.rate,
        planned: common.producer.planned,
        ruleSet,
        modes: MODES,
        startMs: common.startMs,
        warmupEnd,
        windowSizeOf: new Map(ruleSet.rules.map((r) => [r.id, r.kind === 'window' ? r.window_s : 0])),
        faultIntervals: [interval],
        sightings,
        external: true,
        ...(tuning ? { tuning } : {}),
      });
      const external = { jobs: [], agreement: [], failures: [] };
      const { dataset: _d, startMs: _s, ...inputs } = common;
      const expected = oracleResult({ ...inputs, data, truth, external });
      const actual = computeRunResult({ ...inputs, figures, external });
      expect(actual.storage.stored).toBeGreaterThan(1000);
      expect(actual.storage.loss).toBe(3);
      expect(actual.storage.substituted).toBe(1);
      expect(actual.modes.every((m) => m.alerts > 0)).toBe(true);
      expect(actual).toEqual(expected);

      expect(figures.faultLatencies.split(interval.from, interval.to)).toEqual(
        oracleLatencySplits(data, truth, MODES, warmupEnd).split(interval.from, interval.to),
      );
      // The external modes' t_intended (plan.intendedOf) is the oracle's, reading by reading.
      for (const [key, t] of truth.intended) {
        const [patient, seq] = key.split('|').map(Number) as [number, number];
        expect(plan.intendedOf(patient, seq)).toBe(t);
      }
      expect(figures.alerts!.expected.length).toBe(truth.expectedAlerts.length);
      for (const m of MODES) expect(sorted(figures.alerts!.byMode.get(m)!)).toEqual(sorted(data.alerts[m]));

      const report = { intervalMs: 50, priority: 'normal', rounds: 1, queriesPerS: 1, cpuMs: 1 };
      const stats = { ...report, gapP50Ms: 1, gapP99Ms: 1, gapMaxMs: 1, sweptLate: 0, failedRounds: 0 };
      expect(
        observationResult(
          stats,
          MODES.map((m) => ({ mode: m, ...figures.modes.get(m)!.visibility! })),
          [],
        ),
      ).toEqual(
        oracleObservation(
          stats,
          MODES.map((m) => ({ mode: m, alerts: data.alerts[m], sightings: sightings.get(m)! })),
          [],
          truth.intended,
          warmupEnd,
        ),
      );
    }, 120_000);
  }
});

type CommonInputs = ReturnType<typeof commonInputs>;

/** What both computations take besides the collection: the same objects for both. */
function commonInputs(r: RunResult, ruleSet: RuleSet) {
  const p = r.parameters;
  const startMs = r.input.start_ms!;
  const sendDelay = new LatencyHistogram();
  sendDelay.record(1);
  const producer: ProducerResult = {
    complete: true,
    startMs,
    endMs: startMs + 8000,
    lastAckMs: startMs + 8000,
    planned: r.input.planned,
    sentReadings: r.input.sent,
    sentDuplicates: 0,
    sentMalformed: 0,
    acknowledged: r.input.acknowledged,
    acknowledgedReadings: r.input.acknowledged,
    sendDelay,
    offeredPerSecond: [],
    acknowledgedPerSecond: [],
    faults: null,
  };
  return {
    runId: r.run_id,
    startedAt: new Date(r.started_at),
    endedAt: new Date(r.ended_at),
    complete: true,
    parameters: p,
    environment: {},
    rate: Number(p.rate),
    warmupSeconds: Number(p.warmup),
    batchIntervalSeconds: Number(p.batchInterval),
    modes: MODES,
    ruleSet,
    producer,
    backlog: [],
    streamLate: [],
    batchPasses: [],
    pipelineFailures: [],
    patients: Number(p.patients),
    startMs,
    dataset: {
      seed: Number(p.seed),
      patients: Number(p.patients),
      sources: p.sources as DatasetParams['sources'],
      prevalence: Number(p.prevalence),
    } satisfies DatasetParams,
  };
}

async function oracle(pool: Pool, r: RunResult, ruleSet: RuleSet): Promise<{ data: RunData; truth: GroundTruth }> {
  const p = r.parameters;
  const truth = buildGroundTruth(
    {
      seed: Number(p.seed),
      patients: Number(p.patients),
      sources: p.sources as DatasetParams['sources'],
      prevalence: Number(p.prevalence),
    },
    r.input.start_ms!,
    Number(p.rate),
    r.input.planned,
    ruleSet,
    r.input.start_ms,
  );
  return { data: await oracleCollect(pool, r.run_id), truth };
}

/**
 * What a clean run never has, so that the comparison covers it: three readings lost, one
 * substituted, one of an unknown patient and one beyond the schedule's seqs.
 */
async function damage(pool: Pool, runId: string): Promise<void> {
  const [first] = (await pool.query('SELECT MIN(patient_id) AS p FROM patient_vitals WHERE run_id = ?', [
    runId,
  ])) as unknown as [Array<{ p: number }>];
  await pool.query('DELETE FROM patient_vitals WHERE run_id = ? AND patient_id = ? AND seq IN (3, 4, 5)', [
    runId,
    first[0]!.p,
  ]);
  await pool.query('UPDATE patient_vitals SET heart_rate = heart_rate + 1 WHERE run_id = ? AND seq = 7 LIMIT 1', [
    runId,
  ]);
  const [cols] = (await pool.query(
    "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'patient_vitals' AND EXTRA NOT LIKE '%auto_increment%' AND COLUMN_NAME NOT IN ('patient_id', 'seq')",
  )) as unknown as [Array<{ c: string }>];
  const rest = cols.map((x) => `\`${x.c}\``).join(', ');
  for (const [patient, seq] of [
    ['1999999', 'seq'],
    ['patient_id', 'seq + 100000'],
  ])
    await pool.query(
      `INSERT INTO patient_vitals (patient_id, seq, ${rest}) SELECT ${patient}, ${seq}, ${rest} FROM patient_vitals WHERE run_id = ? AND seq = 9 LIMIT 1`,
      [runId],
    );
}

/** An observer's sightings of every alert: some seen late, one never. */
function sightingsOf(data: RunData): Map<string, Map<number, { at: number; notBefore: number }>> {
  return new Map(
    MODES.map((m) => [
      m,
      new Map(
        data.alerts[m]
          .filter((a) => a.committed_at !== null && a.alert_id % 11 !== 0)
          .map((a) => [a.alert_id, { at: a.committed_at! + (a.alert_id % 7) * 13, notBefore: a.committed_at! - 2 }]),
      ),
    ]),
  );
}

function sorted<T extends { alert_id: number }>(xs: readonly T[]): T[] {
  return [...xs].sort((a, b) => a.alert_id - b.alert_id);
}
