import { beforeAll, describe, it, expect } from 'vitest';
import { parseReading, serializeReading, POSSIBLE_RANGE, VITAL_NAMES } from '../../../src/domain/reading.js';
import { stampEventTime } from '../../../src/generators/dataset.js';
import { PatientVitals } from '../../../src/generators/vitals-model.js';
import { Rng } from '../../../src/generators/rng.js';
import { generate, type Generated } from './helpers.js';

const N = 200_000;
let g: Generated;
beforeAll(() => {
  g = generate({ seed: 7, patients: 30, sources: 3 }, N);
});

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('vitals model over 200,000 readings', { timeout: 30_000 }, () => {
  it('every reading is valid per parseReading and inside POSSIBLE_RANGE', () => {
    const invalid: string[] = [];
    for (let i = 0; i < N; i++) {
      const r = g.readings[i]!;
      const res = parseReading(serializeReading(stampEventTime(r, 1_700_000_000_000 + i)));
      if (!res.ok) invalid.push(res.reason);
      for (const v of VITAL_NAMES) {
        const range = POSSIBLE_RANGE[v];
        if (!(r[v] >= range.min && r[v] <= range.max)) invalid.push(`${v} ${r[v]}`);
      }
      if (r.blood_pressure_diastolic >= r.blood_pressure_systolic) invalid.push('diastolic >= systolic');
    }
    expect(invalid).toEqual([]);
  });

  it('rounds as devices do: integers except temperature, which has one decimal', () => {
    const bad = g.readings.filter(
      (r) =>
        !Number.isInteger(r.heart_rate) ||
        !Number.isInteger(r.blood_pressure_systolic) ||
        !Number.isInteger(r.blood_pressure_diastolic) ||
        !Number.isInteger(r.spo2_level) ||
        r.spo2_level > 100 ||
        !/^\d+(\.\d)?$/.test(String(r.body_temperature)),
    );
    expect(bad).toEqual([]);
  });

  it('has plausible means outside episodes', () => {
    const normal = g.readings.filter((r) => !g.inEpisode.has(`${r.patient_id}:${r.seq}`));
    expect(normal.length).toBeGreaterThan(N * 0.9);
    const hr = mean(normal.map((r) => r.heart_rate));
    const temp = mean(normal.map((r) => r.body_temperature));
    const sbp = mean(normal.map((r) => r.blood_pressure_systolic));
    const dbp = mean(normal.map((r) => r.blood_pressure_diastolic));
    const spo2 = mean(normal.map((r) => r.spo2_level));
    expect(hr).toBeGreaterThan(65);
    expect(hr).toBeLessThan(85);
    expect(temp).toBeGreaterThan(36.5);
    expect(temp).toBeLessThan(37.1);
    expect(sbp).toBeGreaterThan(110);
    expect(sbp).toBeLessThan(130);
    expect(dbp).toBeGreaterThan(68);
    expect(dbp).toBeLessThan(86);
    expect(spo2).toBeGreaterThan(95.5);
    expect(spo2).toBeLessThan(98.5);
  });

  it('varies from reading to reading (noise) but stays near the personal baseline', () => {
    const p = g.readings
      .filter((r) => r.patient_id === 1001 && !g.inEpisode.has(`1001:${r.seq}`))
      .map((r) => r.heart_rate);
    const m = mean(p);
    const sd = Math.sqrt(mean(p.map((x) => (x - m) ** 2)));
    expect(sd).toBeGreaterThan(1);
    expect(sd).toBeLessThan(8);
  });

  it('SpO2 < 90 and HR > 130 occur during episodes and (almost) never outside', () => {
    let lowSpo2In = 0;
    let highHrIn = 0;
    let lowSpo2Out = 0;
    let highHrOut = 0;
    let outside = 0;
    for (const r of g.readings) {
      const inside = g.inEpisode.has(`${r.patient_id}:${r.seq}`);
      if (!inside) outside++;
      if (r.spo2_level < 90) {
        if (inside) lowSpo2In++;
        else lowSpo2Out++;
      }
      if (r.heart_rate > 130) {
        if (inside) highHrIn++;
        else highHrOut++;
      }
    }
    expect(lowSpo2In).toBeGreaterThan(100);
    expect(highHrIn).toBeGreaterThan(100);
    // Only the ramp back after an episode's last reading may still be abnormal.
    expect(lowSpo2Out / outside).toBeLessThan(0.001);
    expect(highHrOut / outside).toBeLessThan(0.001);
  });

  it('fever raises heart rate (~10 bpm per degree)', () => {
    const v = new PatientVitals(new Rng(1));
    const before: number[] = [];
    const during: number[] = [];
    for (let i = 0; i < 300; i++) before.push(v.step(null).heart_rate);
    for (let i = 0; i < 300; i++) {
      const r = v.step({ temp: v.baseline.temp + 3 });
      if (i >= 30) during.push(r.heart_rate);
    }
    const rise = mean(during) - mean(before);
    expect(rise).toBeGreaterThan(20);
    expect(rise).toBeLessThan(40);
  });

  it('hypoxaemia raises heart rate', () => {
    const v = new PatientVitals(new Rng(2));
    const before: number[] = [];
    const during: number[] = [];
    for (let i = 0; i < 300; i++) before.push(v.step(null).heart_rate);
    for (let i = 0; i < 300; i++) {
      const r = v.step({ spo2: 86 });
      if (i >= 30) during.push(r.heart_rate);
    }
    const rise = mean(during) - mean(before);
    expect(rise).toBeGreaterThan(8);
    expect(rise).toBeLessThan(22);
  });

  it('diastolic follows systolic across patients', () => {
    const byPatient = new Map<number, { s: number[]; d: number[] }>();
    for (const r of g.readings) {
      const e = byPatient.get(r.patient_id) ?? { s: [], d: [] };
      e.s.push(r.blood_pressure_systolic);
      e.d.push(r.blood_pressure_diastolic);
      byPatient.set(r.patient_id, e);
    }
    const s = [...byPatient.values()].map((e) => mean(e.s));
    const d = [...byPatient.values()].map((e) => mean(e.d));
    const ms = mean(s);
    const md = mean(d);
    const cov = mean(s.map((x, i) => (x - ms) * (d[i]! - md)));
    const corr = cov / Math.sqrt(mean(s.map((x) => (x - ms) ** 2)) * mean(d.map((x) => (x - md) ** 2)));
    expect(corr).toBeGreaterThan(0.5);
  });
});
