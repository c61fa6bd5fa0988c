import { describe, it, expect } from 'vitest';
import { EPISODE_TYPES, EpisodePlanner, type ActiveEpisode } from '../../../src/generators/episodes.js';
import { Rng } from '../../../src/generators/rng.js';
import type { PartialReading } from '../../../src/generators/dataset.js';
import { generate } from './helpers.js';

/** Whether a reading shows the episode's signature once the ramp-in is over. */
const SIGNATURE: Record<(typeof EPISODE_TYPES)[number], (r: PartialReading) => boolean> = {
  tachycardia: (r) => r.heart_rate > 125,
  bradycardia: (r) => r.heart_rate < 55,
  hypoxaemia: (r) => r.spo2_level < 90,
  fever: (r) => r.body_temperature > 38.5,
  hypertensive: (r) => r.blood_pressure_systolic > 170 && r.blood_pressure_diastolic > 100,
};
const RAMP = 8;

describe('EpisodePlanner', { timeout: 30_000 }, () => {
  it('realises the configured prevalence and length range for one patient', () => {
    for (const prevalence of [0.02, 0.05, 0.2]) {
      const started: ActiveEpisode[] = [];
      const planner = new EpisodePlanner(new Rng(11), { prevalence, episodeLength: { min: 10, max: 30 } }, (e) =>
        started.push(e),
      );
      const n = 400_000;
      let inside = 0;
      for (let seq = 0; seq < n; seq++) if (planner.advance(seq) !== null) inside++;
      expect(inside / n).toBeGreaterThan(prevalence * 0.85);
      expect(inside / n).toBeLessThan(prevalence * 1.15);
      for (const e of started) {
        const len = e.end_seq - e.start_seq + 1;
        expect(len).toBeGreaterThanOrEqual(10);
        expect(len).toBeLessThanOrEqual(30);
      }
      expect(new Set(started.map((e) => e.type))).toEqual(new Set(EPISODE_TYPES));
    }
  });

  it('never starts episodes at prevalence 0 and rejects bad options', () => {
    const planner = new EpisodePlanner(new Rng(1), { prevalence: 0 });
    for (let seq = 0; seq < 10_000; seq++) expect(planner.advance(seq)).toBeNull();
    expect(() => new EpisodePlanner(new Rng(1), { prevalence: 1 })).toThrow(RangeError);
    expect(() => new EpisodePlanner(new Rng(1), { episodeLength: { min: 5, max: 4 } })).toThrow(RangeError);
  });
});

describe('episodes in a data set', { timeout: 30_000 }, () => {
  const N = 200_000;
  const g = generate({ seed: 3, patients: 9, sources: 3, prevalence: 0.05 }, N);

  it('the fraction of readings inside episodes is roughly the prevalence', () => {
    const inside = g.readings.filter((r) => g.inEpisode.has(`${r.patient_id}:${r.seq}`)).length;
    expect(inside / N).toBeGreaterThan(0.035);
    expect(inside / N).toBeLessThan(0.065);
  });

  it('ground truth records are well-formed, non-overlapping, and ids unique', () => {
    expect(g.episodes.length).toBeGreaterThan(50);
    expect(new Set(g.episodes.map((e) => e.id)).size).toBe(g.episodes.length);
    const byPatient = new Map<number, typeof g.episodes>();
    for (const e of g.episodes) {
      expect(e.start_seq).toBeLessThanOrEqual(e.end_seq);
      if (e.complete) {
        expect(e.end_seq - e.start_seq + 1).toBeGreaterThanOrEqual(20);
        expect(e.end_seq - e.start_seq + 1).toBeLessThanOrEqual(60);
      }
      byPatient.set(e.patient_id, [...(byPatient.get(e.patient_id) ?? []), e]);
    }
    for (const list of byPatient.values()) {
      for (let i = 1; i < list.length; i++) expect(list[i]!.start_seq).toBeGreaterThan(list[i - 1]!.end_seq);
    }
  });

  it('values inside each episode (after the ramp-in) show its type, and not before it starts', () => {
    const bySeq = new Map<string, PartialReading>();
    for (const r of g.readings) bySeq.set(`${r.patient_id}:${r.seq}`, r);
    for (const e of g.episodes.filter((x) => x.complete)) {
      const sig = SIGNATURE[e.type];
      let hit = 0;
      let total = 0;
      for (let s = e.start_seq + RAMP; s <= e.end_seq; s++) {
        total++;
        if (sig(bySeq.get(`${e.patient_id}:${s}`)!)) hit++;
      }
      expect(hit / total, `${e.id} ${e.type}`).toBeGreaterThan(0.8);
      const before = bySeq.get(`${e.patient_id}:${e.start_seq - 1}`);
      if (before && !g.inEpisode.has(`${e.patient_id}:${e.start_seq - 1}`))
        expect(sig(before), `${e.id} before`).toBe(false);
    }
  });

  it('abnormal values outside episodes only occur in the few readings right after one ends', () => {
    const lastEnd = new Map<number, number>();
    for (const r of g.readings) {
      const key = `${r.patient_id}:${r.seq}`;
      const e = g.inEpisode.get(key);
      if (e) {
        lastEnd.set(r.patient_id, e.end_seq);
        continue;
      }
      if (r.heart_rate > 130 || r.spo2_level < 90 || r.body_temperature > 38.5 || r.blood_pressure_systolic > 170) {
        const end = lastEnd.get(r.patient_id);
        expect(end, key).toBeDefined();
        expect(r.seq - end!, key).toBeLessThanOrEqual(RAMP);
      }
    }
  });
});
