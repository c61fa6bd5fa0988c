/**
 * Collection: what the run left in the database against the generator's ground truth, read and
 * judged a chunk at a time (plan.ts), into fixed-size figures (HDR histograms, counts, per-second
 * series whose seconds close as the walk passes them). A chunk's readings, their truth and their
 * alerts are in memory together, then dropped: what collection takes follows the workload's shape
 * (patients, rate, windows), not the run's length.
 */
import type { Mode } from '../../domain/modes.js';
import { Dataset, type DatasetParams } from '../../generators/dataset.js';
import type { Pool } from '../../infra/mysql.js';
import { LatencyHistogram } from '../../results/histogram.js';
import type { RuleSet } from '../../pipelines/rules/types.js';
import type { AlertRecord } from '../../pipelines/rules/types.js';
import { AgreementTally } from './agreement.js';
import { BatchCommits, OffsetCommits } from './commit-attribution.js';
import { DetectionTally, type TimedEpisode } from './detection.js';
import { recordResultHistogram } from './external.js';
import { GroundTruth } from './ground-truth.js';
import { IntervalLatencies, type Interval } from './latency-split.js';
import { CollectionPlan, NO_UPPER_BOUND, type Chunk, type ChunkPatient, type PlanTuning } from './plan.js';
import { MysqlRunSource } from './mysql-source.js';
import { ReadingLatencyTally } from './reading-latency.js';
import type { SightingLookup } from './results-observer.js';
import type { CommittedAlert, RunCounts, RunSource, StoredReading } from './run-source.js';
import { BATCH_STAGES, STREAM_STAGES, StageTally, type BatchInstant, type StreamInstant } from './stages.js';
import { StorageTally } from './storage.js';
import { seenAndCommitted, VisibilityTally, type VisibilityFigures } from './visibility.js';

/** Seconds a second stays open past the point where no result can come in it any more (clock slack). */
const CLOSE_MARGIN_S = 10;

interface CollectSettings {
  modes: readonly Mode[];
  /** The schedule's start (second 0 of the timeseries), epoch ms. */
  startMs: number;
  /** Where the measured phase begins, epoch ms. */
  warmupEnd: number;
  /** Per rule id, its window in seconds (0: a record rule). */
  windowSizeOf: ReadonlyMap<string, number>;
  /** Intervals of t_intended whose latencies the fault reports compare (faults/report.ts faultIntervals). */
  faultIntervals: readonly Interval[];
  /** What the results observer saw of each built-in mode's alerts, by alert id (absent: no observation). */
  sightings?: ReadonlyMap<string, SightingLookup>;
  /** The run has external modes: keep every alert for their judgement, and count results per second. */
  external: boolean;
  /** How the walk cuts the run (the defaults suit any run). */
  tuning?: CollectTuning;
}

export interface CollectTuning extends PlanTuning {
  /** Offsets per block of ranges read at once. */
  blockOffsets?: number;
  /** Offset ranges kept at most per role. */
  capacityRanges?: number;
}

/** One built-in mode's figures. */
export interface ModeFigures {
  latency: ReadingLatencyTally;
  stages: StageTally<StreamInstant> | StageTally<BatchInstant>;
  detection: DetectionTally;
  windowResult: LatencyHistogram;
  alerts: number;
  windows: number;
  /** With external modes: its measured results per second (alerts by commit time). */
  resultsPerSecond: number[];
  /** With external modes: its latency to its record results. */
  resultLatency: LatencyHistogram;
  /** With an observation: its visibility, and the commit latency of the same results. */
  visibility?: { visible: VisibilityFigures; committed: VisibilityFigures };
}

export interface RunFigures {
  counts: RunCounts;
  storage: StorageTally;
  modes: Map<Mode, ModeFigures>;
  /** Alerts of the rule reference. */
  expectedAlerts: number;
  /** Between the modes, then each mode against the rule reference (RunResult.agreement's order). */
  agreement: AgreementTally[];
  faultLatencies: IntervalLatencies;
  /** Readings committed in a second already closed (a clock that went back), per mode. */
  lateForClosedSecond: Map<Mode, number>;
  /** With external modes: every alert, the rule reference's and each mode's. */
  alerts?: { expected: AlertRecord[]; byMode: Map<Mode, CommittedAlert[]> };
}

interface ModeWork extends Omit<ModeFigures, 'visibility'> {
  visible?: VisibilityTally;
  committed?: VisibilityTally;
  sightings?: SightingLookup;
  kept?: CommittedAlert[];
}

/** Where each reading's results committed, for the modes of the run. */
interface Attribution {
  stream?: OffsetCommits;
  ingest?: OffsetCommits;
  batch?: BatchCommits;
}

/** What collection needs to know of a run besides the database. */
export interface RunToCollect extends CollectSettings {
  runId: string;
  /** The generator's parameters (the same seed gives the same readings). */
  dataset: DatasetParams;
  rate: number;
  /** Readings the schedule planned. */
  planned: number;
  ruleSet: RuleSet;
}

/** The run's figures from the database against its ground truth, and the plan of its readings (their t_intended). */
export async function collectRun(pool: Pool, x: RunToCollect): Promise<{ plan: CollectionPlan; figures: RunFigures }> {
  const dataset = new Dataset(x.dataset);
  const plan = new CollectionPlan({
    dataset,
    startMs: x.startMs,
    rate: x.rate,
    planned: x.planned,
    ruleSet: x.ruleSet,
    windowOriginMs: x.startMs,
    ...(x.tuning ? { tuning: x.tuning } : {}),
  });
  const truth = new GroundTruth(dataset, plan, x.ruleSet, x.startMs);
  return { plan, figures: await collectFigures(new MysqlRunSource(pool, x.runId), plan, truth, x) };
}

async function collectFigures(
  source: RunSource,
  plan: CollectionPlan,
  truth: GroundTruth,
  s: CollectSettings,
): Promise<RunFigures> {
  const intendedOf = (patientId: number, seq: number): number | undefined => plan.intendedOf(patientId, seq);
  const counts = await source.counts();
  const attribution = await openAttribution(source, s);
  const modes = new Map<Mode, ModeWork>(s.modes.map((m) => [m, newModeWork(m, s, intendedOf)]));
  const walk = {
    plan,
    s,
    modes,
    storage: new StorageTally(),
    faultLatencies: new IntervalLatencies(s.faultIntervals, s.modes),
  };
  const agreement = agreementPairs(s.modes);
  const expectedKept: AlertRecord[] | undefined = s.external ? [] : undefined;
  const expectedAlerts = await walkChunks(walk, source, truth, attribution, agreement, expectedKept, intendedOf);
  closeSeconds(modes, Infinity);
  await walkUnknownIds(walk, source, agreement, intendedOf);
  await countWindows(modes, source, s.warmupEnd);

  return {
    counts,
    storage: walk.storage,
    modes: new Map(
      [...modes].map(([m, { visible, committed, sightings: _s, kept: _k, ...figures }]) => [
        m,
        {
          ...figures,
          ...(visible && committed
            ? { visibility: { visible: visible.figures(), committed: committed.figures() } }
            : {}),
        },
      ]),
    ),
    expectedAlerts,
    agreement,
    faultLatencies: walk.faultLatencies,
    lateForClosedSecond: new Map([...modes].map(([m, w]) => [m, w.latency.perSecond.lateForClosed])),
    ...(expectedKept
      ? { alerts: { expected: expectedKept, byMode: new Map([...modes].map(([m, w]) => [m, w.kept!])) } }
      : {}),
  };
}

async function openAttribution(source: RunSource, s: CollectSettings): Promise<Attribution> {
  const blocks = { blockOffsets: s.tuning?.blockOffsets, capacityRanges: s.tuning?.capacityRanges };
  return {
    ...(s.modes.includes('stream') ? { stream: await OffsetCommits.open(source, 'stream', blocks) } : {}),
    ...(s.modes.includes('batch')
      ? {
          ingest: await OffsetCommits.open(source, 'ingest', blocks),
          batch: new BatchCommits(await source.batchTasks()),
        }
      : {}),
  };
}

function newModeWork(
  m: Mode,
  s: CollectSettings,
  intendedOf: (patientId: number, seq: number) => number | undefined,
): ModeWork {
  const sightings = s.sightings?.get(m);
  return {
    latency: new ReadingLatencyTally(s.startMs, s.warmupEnd),
    stages: m === 'stream' ? new StageTally(STREAM_STAGES) : new StageTally(BATCH_STAGES),
    detection: new DetectionTally(s.windowSizeOf),
    windowResult: new LatencyHistogram(),
    alerts: 0,
    windows: 0,
    resultsPerSecond: [],
    resultLatency: new LatencyHistogram(),
    ...(s.sightings
      ? {
          visible: new VisibilityTally(intendedOf, s.warmupEnd),
          committed: new VisibilityTally(intendedOf, s.warmupEnd),
          sightings: sightings ?? new Map(),
        }
      : {}),
    ...(s.external ? { kept: [] } : {}),
  };
}

/** Every chunk of the plan, segment by segment: its readings, ground truth and alerts; returns the expected alerts' count. */
async function walkChunks(
  walk: Walk,
  source: RunSource,
  truth: GroundTruth,
  attribution: Attribution,
  agreement: ReturnType<typeof agreementPairs>,
  expectedKept: AlertRecord[] | undefined,
  intendedOf: (patientId: number, seq: number) => number | undefined,
): Promise<number> {
  const { plan, s, modes } = walk;
  let expectedAlerts = 0;
  let segment = 0;
  for (const chunk of plan.chunks()) {
    if (chunk.segment !== segment) {
      closeSeconds(modes, plan.finalSecondsAfter(segment) - CLOSE_MARGIN_S);
      segment = chunk.segment;
    }
    const t = truth.of(chunk);
    await readingsOfChunk(walk, source, attribution, chunk, t.content);
    const byPatient = new Map(chunk.patients.map((p) => [p.patientId, p]));
    const alerts = new Map<Mode, CommittedAlert[]>();
    for (const m of s.modes) alerts.set(m, inChunk(await source.alerts(m, alertBounds(chunk)), byPatient, chunk));
    expectedAlerts += t.expectedAlerts.length;
    expectedKept?.push(...t.expectedAlerts);
    const episodes = measuredEpisodes(plan, t.episodes, s.warmupEnd);
    for (const [m, work] of modes) {
      work.detection.addEpisodes(episodes);
      work.detection.addAlerts(alerts.get(m)!, chunk.windowHi);
      work.detection.endChunk(
        chunk.patients.map((p) => ({ patientId: p.patientId, nextSeq: p.seqHi })),
        chunk.windowHi,
      );
    }
    alertFigures(walk, alerts, t.expectedAlerts, agreement, intendedOf);
  }
  return expectedAlerts;
}

/** Rows of patients the plan does not know: unexpected readings, and alerts on them. */
async function walkUnknownIds(
  walk: Walk,
  source: RunSource,
  agreement: ReturnType<typeof agreementPairs>,
  intendedOf: (patientId: number, seq: number) => number | undefined,
): Promise<void> {
  for (const { lo, hi } of walk.plan.unknownIdRanges()) {
    walk.storage.addUnexpected(await source.countReadingsBetween(lo, hi));
    const alerts = new Map<Mode, CommittedAlert[]>();
    for (const m of walk.s.modes) alerts.set(m, await source.alertsBetween(m, lo, hi));
    alertFigures(walk, alerts, [], agreement, intendedOf);
  }
}

async function countWindows(modes: Map<Mode, ModeWork>, source: RunSource, warmupEnd: number): Promise<void> {
  for (const [m, work] of modes) {
    for await (const page of source.windows(m)) {
      work.windows += page.length;
      for (const w of page)
        if (w.committedAt !== null && w.maxEventTime >= warmupEnd)
          work.windowResult.record(w.committedAt - w.maxEventTime);
    }
  }
}

/** What the walk of the chunks adds to. */
interface Walk {
  plan: CollectionPlan;
  s: CollectSettings;
  modes: Map<Mode, ModeWork>;
  storage: StorageTally;
  faultLatencies: IntervalLatencies;
}

/** The pairs of RunResult.agreement: stream vs batch when both run, then each mode vs the rule reference. */
function agreementPairs(modes: readonly Mode[]): AgreementTally[] {
  const pairs: AgreementTally[] = [];
  if (modes.includes('stream') && modes.includes('batch')) pairs.push(new AgreementTally('stream', 'batch'));
  for (const m of modes) pairs.push(new AgreementTally(m, 'ground_truth'));
  return pairs;
}

function closeSeconds(modes: Map<Mode, ModeWork>, before: number): void {
  for (const work of modes.values()) {
    work.latency.perSecond.closeBefore(before);
    work.latency.perMinute.closeBefore(Math.floor(before / 60));
  }
}

/** The chunk's stored readings against what the generator sent, attributed to the transactions that committed their results. */
async function readingsOfChunk(
  w: Walk,
  source: RunSource,
  attribution: Attribution,
  chunk: Chunk,
  content: Float64Array[],
): Promise<void> {
  const ids = chunk.patients.map((p) => p.patientId);
  const seqLo = Math.min(...chunk.patients.map((p) => p.seqLo));
  const seqHi = Math.max(...chunk.patients.map((p) => p.seqHi - 1));
  const rows = await source.readings(ids, seqLo, seqHi);
  // Rows of the neighbouring segments (the query's seq bounds hold every patient's) are theirs.
  const mine: Array<{ row: StoredReading; patient: ChunkPatient; k: number }> = [];
  let at = 0;
  chunk.patients.forEach((patient, k) => {
    while (at < rows.length && rows[at]!.patient_id < patient.patientId) at++;
    let stored = 0;
    for (; at < rows.length && rows[at]!.patient_id === patient.patientId; at++) {
      const row = rows[at]!;
      if (row.seq < patient.seqLo || row.seq >= patient.seqHi) continue;
      mine.push({ row, patient, k });
      if (row.seq < patient.sentHi) stored++;
    }
    w.storage.addLost(patient.sentHi - patient.seqLo - stored);
  });
  await attribution.stream?.prepare(mine.map((x) => x.row));
  await attribution.ingest?.prepare(mine.map((x) => x.row));
  const streamInstants = new Float64Array(STREAM_STAGES.length + 1);
  const batchInstants = new Float64Array(BATCH_STAGES.length + 1);
  for (const { row, patient, k } of mine) {
    if (row.seq >= patient.sentHi) {
      w.storage.addUnexpected(1);
      continue;
    }
    const intended = w.plan.intendedAt(patient.index, row.seq);
    w.storage.addSent(row, content[k]![row.seq - patient.seqLo]!, intended);
    const measured = intended >= w.s.warmupEnd;
    const stream = w.modes.get('stream');
    if (stream) {
      const range = attribution.stream!.firstCommit(row);
      const committed = range?.committed_at ?? NaN;
      addReading(w, 'stream', stream, intended, committed, row.appended_at);
      if (measured) {
        // STREAM_INSTANTS order: intended, sent, appended, fetched, commitStart, committed.
        streamInstants[0] = intended;
        streamInstants[1] = row.sent_at ?? NaN;
        streamInstants[2] = row.appended_at;
        streamInstants[3] = range?.fetched_at ?? NaN;
        streamInstants[4] = range?.commit_started_at ?? NaN;
        streamInstants[5] = committed;
        stream.stages.add(streamInstants);
      }
    }
    const batch = w.modes.get('batch');
    if (batch) {
      const task = attribution.batch!.taskOf(row);
      const committed = task?.committed_at ?? NaN;
      addReading(w, 'batch', batch, intended, committed, row.appended_at);
      if (measured) {
        // BATCH_INSTANTS order: intended, stored, passStart, taskStart, readDone, commitStart, committed.
        batchInstants[0] = intended;
        batchInstants[1] = attribution.ingest!.firstCommit(row)?.committed_at ?? NaN;
        batchInstants[2] = task?.pass_started_at ?? NaN;
        batchInstants[3] = task?.task_started_at ?? NaN;
        batchInstants[4] = task?.read_done_at ?? NaN;
        batchInstants[5] = task?.commit_started_at ?? NaN;
        batchInstants[6] = committed;
        batch.stages.add(batchInstants);
      }
    }
  }
}

function addReading(w: Walk, mode: Mode, work: ModeWork, intended: number, committed: number, appended: number): void {
  work.latency.add(intended, committed, appended);
  if (intended >= w.s.warmupEnd && !Number.isNaN(committed)) w.faultLatencies.add(mode, intended, committed);
}

/** The query bounds of a chunk's alerts: every patient's seqs and the segment's window starts (inclusive). */
function alertBounds(chunk: Chunk): Parameters<RunSource['alerts']>[1] {
  return {
    patientIds: chunk.patients.map((p) => p.patientId),
    seqLo: Math.min(...chunk.patients.map((p) => p.seqLo)),
    seqHi: Math.min(NO_UPPER_BOUND, Math.max(...chunk.patients.map((p) => p.seqHi - 1))),
    windowLo: chunk.windowLo,
    windowHi: chunk.windowHi === NO_UPPER_BOUND ? NO_UPPER_BOUND : chunk.windowHi - 1,
  };
}

/** The alerts that are this chunk's: a record alert by its patient's seqs, a window alert by the segment's window starts. */
function inChunk(
  alerts: CommittedAlert[],
  byPatient: ReadonlyMap<number, ChunkPatient>,
  chunk: Chunk,
): CommittedAlert[] {
  return alerts.filter((a) => {
    if (a.seq === null) return a.window_start! >= chunk.windowLo && a.window_start! < chunk.windowHi;
    const p = byPatient.get(a.patient_id);
    return p !== undefined && a.seq >= p.seqLo && a.seq < p.seqHi;
  });
}

/** Episodes of the chunk that began in the measured phase, with their first and last readings' t_intended. */
function measuredEpisodes(
  plan: CollectionPlan,
  episodes: ReadonlyArray<{ patient_id: number; start_seq: number; end_seq: number }>,
  warmupEnd: number,
): TimedEpisode[] {
  const out: TimedEpisode[] = [];
  for (const e of episodes) {
    const t0 = plan.intendedOf(e.patient_id, e.start_seq);
    if (t0 === undefined || t0 < warmupEnd) continue;
    const tEnd = plan.intendedOf(e.patient_id, e.end_seq) ?? t0;
    out.push({ patient_id: e.patient_id, start_seq: e.start_seq, end_seq: e.end_seq, t0, tEnd });
  }
  return out;
}

/** One chunk's alerts of every mode: counts, agreement, visibility, and what the external modes need. */
function alertFigures(
  w: Walk,
  alerts: Map<Mode, CommittedAlert[]>,
  expected: AlertRecord[],
  agreement: AgreementTally[],
  intendedOf: (patientId: number, seq: number) => number | undefined,
): void {
  for (const pair of agreement) {
    const of = (name: string): AlertRecord[] => (name === 'ground_truth' ? expected : alerts.get(name as Mode)!);
    pair.add(of(pair.a), of(pair.b));
  }
  for (const [m, work] of w.modes) {
    const list = alerts.get(m)!;
    work.alerts += list.length;
    if (work.visible && work.committed) {
      const { seen, committed } = seenAndCommitted(list, work.sightings!);
      work.visible.add(seen);
      work.committed.add(committed);
    }
    if (!w.s.external) continue;
    work.kept!.push(...list);
    recordResultHistogram(list, intendedOf, w.s.warmupEnd, work.resultLatency);
    for (const a of list) {
      if (a.committed_at === null) continue;
      const origin =
        a.seq !== null
          ? intendedOf(a.patient_id, a.seq)
          : a.window_start === null
            ? undefined
            : a.window_start + (w.s.windowSizeOf.get(a.rule_id) ?? 0) * 1000;
      if (origin === undefined || origin < w.s.warmupEnd) continue;
      const second = Math.max(0, Math.floor((a.committed_at - w.s.startMs) / 1000));
      while (work.resultsPerSecond.length <= second) work.resultsPerSecond.push(0);
      work.resultsPerSecond[second]!++;
    }
  }
}
