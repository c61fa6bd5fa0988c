/**
 * The generator's knowledge of a run, rebuilt from its parameters a chunk at a time (plan.ts):
 * the readings it sent to the chunk's patients in the chunk's segment (the same seed gives the
 * same readings; each patient's values come from its own random streams, so a patient's readings
 * are regenerated alone) with a digest of each one's content, the alerts a reference evaluation
 * of the rules gives on them, and the anomaly episodes that began among them. Nothing of a chunk
 * is kept once the next is asked for.
 */
import { contentDigest } from '../../domain/content.js';
import type { Reading } from '../../domain/reading.js';
import { Dataset, stampEventTime, type EpisodeTruth } from '../../generators/dataset.js';
import { evaluateAll } from '../../pipelines/rules/reference.js';
import type { AlertRecord, RuleSet } from '../../pipelines/rules/types.js';
import type { Chunk, CollectionPlan } from './plan.js';

export interface ChunkTruth {
  /** Per patient of the chunk (in its order), the content digest of each reading sent: seq seqLo + k. */
  content: Float64Array[];
  /** The reference evaluation's alerts on the chunk's readings. */
  expectedAlerts: AlertRecord[];
  /** Episodes that began among the chunk's readings, end_seq clipped to the patient's last reading. */
  episodes: EpisodeTruth[];
}

export class GroundTruth {
  private episodesSeen = 0;

  /** The chunks must be asked for in the plan's order (each patient's readings are generated in seq order). */
  constructor(
    private readonly dataset: Dataset,
    private readonly plan: CollectionPlan,
    private readonly ruleSet: RuleSet,
    private readonly windowOriginMs: number,
  ) {}

  of(chunk: Chunk): ChunkTruth {
    const readings: Reading[] = [];
    const content = chunk.patients.map((p) => {
      const digests = new Float64Array(p.sentHi - p.seqLo);
      for (let seq = p.seqLo; seq < p.sentHi; seq++) {
        const partial = this.dataset.nextOfPatient(p.index);
        if (partial.seq !== seq)
          throw new Error(
            `patient index ${p.index}: the ground truth is at seq ${partial.seq}, the chunk asks for ${seq}`,
          );
        const reading = stampEventTime(partial, Math.floor(this.plan.intendedAt(p.index, seq)));
        digests[seq - p.seqLo] = contentDigest(reading);
        readings.push(reading);
      }
      return digests;
    });
    const { alerts } = evaluateAll(readings, this.ruleSet, this.windowOriginMs);
    const episodes = this.dataset.episodesSince(this.episodesSeen, (p) => this.plan.readingsOf(p) - 1);
    this.episodesSeen += episodes.length;
    return { content, expectedAlerts: alerts, episodes };
  }
}
