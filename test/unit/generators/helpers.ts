import {
  Dataset,
  type DatasetParams,
  type EpisodeTruth,
  type PartialReading,
} from '../../../src/generators/dataset.js';

export interface Generated {
  readings: PartialReading[];
  episodes: EpisodeTruth[];
  /** `${patient_id}:${seq}` -> the episode containing it. */
  inEpisode: Map<string, EpisodeTruth>;
}

export function generate(params: DatasetParams, n: number): Generated {
  const ds = new Dataset(params);
  const readings: PartialReading[] = [];
  for (let i = 0; i < n; i++) readings.push(ds.next());
  const episodes = ds.episodes();
  const inEpisode = new Map<string, EpisodeTruth>();
  for (const e of episodes) for (let s = e.start_seq; s <= e.end_seq; s++) inEpisode.set(`${e.patient_id}:${s}`, e);
  return { readings, episodes, inEpisode };
}
