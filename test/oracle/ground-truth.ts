// The old in-memory path (before issue 20 item 3), kept unchanged as the oracle of the streaming collection (test/oracle/metrics.ts).
import { contentDigest } from '../../src/domain/content.js';
import { readingKey } from '../../src/domain/keys.js';
import { Dataset, stampEventTime, type DatasetParams, type EpisodeTruth } from '../../src/generators/dataset.js';
import { OpenLoopSchedule } from '../../src/generators/schedule.js';
import { evaluateAll } from '../../src/pipelines/rules/reference.js';
import type { AlertRecord, RuleSet } from '../../src/pipelines/rules/types.js';
import type { Reading } from '../../src/domain/reading.js';

export interface GroundTruth {
  /** readingKey(patient_id, seq) -> t_intended (exact, fractional ms). */
  intended: Map<string, number>;
  /** readingKey(patient_id, seq) -> contentDigest of the reading the generator sent. */
  content: Map<string, number>;
  expectedAlerts: AlertRecord[];
  episodes: EpisodeTruth[];
}

/**
 * The generator's knowledge of a run, rebuilt from its parameters: every reading it sent
 * (the same seed gives the same readings) with a digest of its content, when each was meant
 * to be sent, the anomaly episodes it injected, and the alerts a reference evaluation of the
 * rules gives on them.
 */
export function buildGroundTruth(
  params: DatasetParams,
  startMs: number,
  rate: number,
  planned: number,
  ruleSet: RuleSet,
  windowOriginMs = 0,
): GroundTruth {
  const dataset = new Dataset(params);
  const schedule = new OpenLoopSchedule({ start: startMs, rate });
  const intended = new Map<string, number>();
  const content = new Map<string, number>();
  const readings: Reading[] = [];
  for (let i = 0; i < planned; i++) {
    const t = schedule.intendedExact(i);
    const reading = stampEventTime(dataset.next(), Math.floor(t));
    const key = readingKey(reading.patient_id, reading.seq);
    intended.set(key, t);
    content.set(key, contentDigest(reading));
    readings.push(reading);
  }
  const { alerts } = evaluateAll(readings, ruleSet, windowOriginMs);
  return { intended, content, expectedAlerts: alerts, episodes: dataset.episodes() };
}
