/**
 * Detection latency (METRICS.md): per injected episode of the measured phase, its first alert's
 * t_committed minus the t_intended of the episode's first reading. An alert belongs to an episode
 * of its patient when it is about one of the episode's readings, or about a window that overlaps
 * the episode (ends after its first reading was intended, starts at or before its last).
 *
 * Given a chunk at a time (collect.ts): an episode is opened in the chunk where it began and
 * closed in the chunk holding its last reading; the alerts of each chunk are matched against the
 * episodes open for their patient. Alerts about a window that reaches past the chunk's segment
 * are kept for the later segments (the pipelines' windows never do: segments hold whole windows).
 */
import { LatencyHistogram } from '../../results/histogram.js';
import type { CommittedAlert } from './run-source.js';

/** An episode of the measured phase with the times its alerts are judged by. */
export interface TimedEpisode {
  patient_id: number;
  start_seq: number;
  /** Inclusive, clipped to the patient's last reading. */
  end_seq: number;
  /** t_intended of the first reading. */
  t0: number;
  /** t_intended of the last reading. */
  tEnd: number;
}

interface OpenEpisode extends TimedEpisode {
  first: number;
}

type Belonging = Pick<CommittedAlert, 'rule_id' | 'seq' | 'window_start'> & { committed_at: number };

export class DetectionTally {
  readonly histogram = new LatencyHistogram();
  detected = 0;
  /** Episodes of the measured phase seen so far. */
  injected = 0;
  private readonly open = new Map<number, OpenEpisode[]>();
  /** Per patient, window alerts whose window reaches past the segment they were read in. */
  private readonly reaching = new Map<number, Array<Belonging & { windowEnd: number }>>();

  constructor(private readonly windowSizeOf: ReadonlyMap<string, number>) {}

  /** Episodes that began in this chunk (of the measured phase only). */
  addEpisodes(episodes: Iterable<TimedEpisode>): void {
    for (const e of episodes) {
      this.injected++;
      const list = this.open.get(e.patient_id);
      const ep = { ...e, first: Infinity };
      if (list) list.push(ep);
      else this.open.set(e.patient_id, [ep]);
    }
  }

  /**
   * The alerts of one chunk, whose segment ends at `segmentEnd` (epoch ms; its window results
   * start before it). Call after addEpisodes for the chunk.
   */
  addAlerts(alerts: Iterable<CommittedAlert>, segmentEnd: number): void {
    for (const a of alerts) {
      if (a.committed_at === null) continue;
      const alert: Belonging = {
        rule_id: a.rule_id,
        seq: a.seq,
        window_start: a.window_start,
        committed_at: a.committed_at,
      };
      this.match(a.patient_id, alert);
      if (a.seq === null) {
        const windowEnd = a.window_start! + this.sizeMs(a.rule_id);
        if (windowEnd > segmentEnd) {
          const list = this.reaching.get(a.patient_id);
          if (list) list.push({ ...alert, windowEnd });
          else this.reaching.set(a.patient_id, [{ ...alert, windowEnd }]);
        }
      }
    }
  }

  /**
   * After a chunk's episodes and alerts: window alerts of earlier segments that reach into this
   * one are matched against its patients' new episodes, and the episodes that ended within the
   * segment are closed. `patients`: each patient of the chunk with the first seq of the next
   * segment (Infinity in the last).
   */
  endChunk(patients: Iterable<{ patientId: number; nextSeq: number }>, segmentEnd: number): void {
    for (const { patientId, nextSeq } of patients) {
      const reaching = this.reaching.get(patientId);
      if (reaching) {
        for (const a of reaching) this.match(patientId, a);
        const still = reaching.filter((a) => a.windowEnd > segmentEnd);
        if (still.length) this.reaching.set(patientId, still);
        else this.reaching.delete(patientId);
      }
      const list = this.open.get(patientId);
      if (!list) continue;
      const keep: OpenEpisode[] = [];
      for (const e of list) {
        if (e.end_seq >= nextSeq) keep.push(e);
        else this.close(e);
      }
      if (keep.length) this.open.set(patientId, keep);
      else this.open.delete(patientId);
    }
  }

  /** Episodes still open (each closes in the chunk holding its last reading). */
  get openEpisodes(): number {
    let n = 0;
    for (const list of this.open.values()) n += list.length;
    return n;
  }

  private match(patientId: number, a: Belonging): void {
    for (const e of this.open.get(patientId) ?? []) {
      const belongs =
        a.seq !== null
          ? a.seq >= e.start_seq && a.seq <= e.end_seq
          : a.window_start! + this.sizeMs(a.rule_id) > e.t0 && a.window_start! <= e.tEnd;
      if (belongs && a.committed_at < e.first) e.first = a.committed_at;
    }
  }

  private close(e: OpenEpisode): void {
    if (e.first === Infinity) return;
    this.detected++;
    this.histogram.record(e.first - e.t0);
  }

  private sizeMs(ruleId: string): number {
    return (this.windowSizeOf.get(ruleId) ?? 0) * 1000;
  }
}
