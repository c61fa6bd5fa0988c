/**
 * Anomaly episodes per patient, in the patient's own seq numbers. An episode shifts the
 * vitals model's targets from start_seq to end_seq inclusive; mean reversion ramps it in and out.
 */
import type { Rng } from './rng.js';
import type { VitalTargets } from './vitals-model.js';

export const EPISODE_TYPES = ['tachycardia', 'bradycardia', 'hypoxaemia', 'fever', 'hypertensive'] as const;
export type EpisodeType = (typeof EPISODE_TYPES)[number];

/** Ground truth of one injected episode. */
export interface EpisodeRecord {
  id: string;
  patient_id: number;
  type: EpisodeType;
  start_seq: number;
  /** Inclusive. */
  end_seq: number;
}

export interface EpisodeOptions {
  /** Expected fraction of readings that lie inside an episode, in [0, 1). Default 0.05. */
  prevalence?: number;
  /** Episode length in readings, uniform in [min, max]. Default 20..60. */
  episodeLength?: { min: number; max: number };
}

const DEFAULT_PREVALENCE = 0.05;
const DEFAULT_EPISODE_LENGTH = { min: 20, max: 60 } as const;

export interface ActiveEpisode {
  type: EpisodeType;
  start_seq: number;
  end_seq: number;
  targets: VitalTargets;
}

function episodeTargets(type: EpisodeType, rng: Rng): VitalTargets {
  switch (type) {
    case 'tachycardia':
      return { hr: rng.uniform(140, 160) };
    case 'bradycardia':
      return { hr: rng.uniform(38, 45) };
    case 'hypoxaemia':
      // HR rises through the model's SpO2 coupling (~+15 bpm at 86%).
      return { spo2: rng.uniform(84, 88) };
    case 'fever':
      // HR rises through the model's temperature coupling (~10 bpm per degree).
      return { temp: rng.uniform(39.2, 40.2) };
    case 'hypertensive':
      return { sbp: rng.uniform(185, 210), dbp: rng.uniform(110, 125) };
  }
}

export function validateEpisodeOptions(opts: EpisodeOptions): { prevalence: number; min: number; max: number } {
  const prevalence = opts.prevalence ?? DEFAULT_PREVALENCE;
  const { min, max } = opts.episodeLength ?? DEFAULT_EPISODE_LENGTH;
  if (!(prevalence >= 0 && prevalence < 1)) throw new RangeError(`prevalence must be in [0, 1), got ${prevalence}`);
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
    throw new RangeError(`episode length must be integers 1 <= min <= max, got ${min}..${max}`);
  }
  return { prevalence, min, max };
}

/**
 * Plans one patient's episodes as an alternating renewal process: gap, episode, gap, ...
 * With mean episode length m, a mean gap of m(1-p)/p makes the long-run in-episode fraction p.
 * Must be advanced with consecutive seqs 0, 1, 2, ...
 */
export class EpisodePlanner {
  private readonly prevalence: number;
  private readonly min: number;
  private readonly max: number;
  private readonly meanGap: number;
  private nextStart: number;
  private current: ActiveEpisode | null = null;

  constructor(
    private readonly rng: Rng,
    opts: EpisodeOptions,
    private readonly onStart: (e: ActiveEpisode) => void = () => {},
  ) {
    const v = validateEpisodeOptions(opts);
    this.prevalence = v.prevalence;
    this.min = v.min;
    this.max = v.max;
    const meanLength = (v.min + v.max) / 2;
    this.meanGap = v.prevalence === 0 ? Infinity : (meanLength * (1 - v.prevalence)) / v.prevalence;
    this.nextStart = this.drawGap();
  }

  /** The episode active at this seq, if any. */
  advance(seq: number): ActiveEpisode | null {
    if (this.current !== null && seq > this.current.end_seq) {
      this.nextStart = this.current.end_seq + 1 + this.drawGap();
      this.current = null;
    }
    if (this.current === null && seq === this.nextStart) {
      const type = this.rng.pick(EPISODE_TYPES);
      const length = this.rng.int(this.min, this.max);
      this.current = { type, start_seq: seq, end_seq: seq + length - 1, targets: episodeTargets(type, this.rng) };
      this.onStart(this.current);
    }
    return this.current;
  }

  /** Exponential gap rounded to whole readings, with the planned mean; Infinity when prevalence is 0. */
  private drawGap(): number {
    if (this.prevalence === 0) return Infinity;
    const u = 1 - this.rng.next(); // (0, 1]
    return Math.round(-Math.log(u) * this.meanGap);
  }
}
