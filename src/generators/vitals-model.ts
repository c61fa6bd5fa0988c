/**
 * Per-patient physiological process: a personal baseline, Ornstein-Uhlenbeck mean reversion
 * per reading step, physiological couplings, clamping and device rounding.
 */
import type { Rng } from './rng.js';

export interface VitalValues {
  heart_rate: number;
  body_temperature: number;
  blood_pressure_systolic: number;
  blood_pressure_diastolic: number;
  spo2_level: number;
}

export interface Baseline {
  hr: number;
  temp: number;
  sbp: number;
  dbp: number;
  spo2: number;
}

/** Targets an episode imposes; a missing vital keeps its baseline (plus couplings). */
export interface VitalTargets {
  hr?: number;
  temp?: number;
  sbp?: number;
  dbp?: number;
  spo2?: number;
}

/**
 * Plausible limits for generated values: well inside POSSIBLE_RANGE of src/domain/reading.ts,
 * so every generated reading is valid there.
 */
const MODEL_LIMITS = {
  hr: { min: 30, max: 220 },
  temp: { min: 34, max: 42 },
  sbp: { min: 70, max: 250 },
  dbp: { min: 40, max: 150 },
  spo2: { min: 70, max: 100 },
} as const;

/** Smallest systolic-diastolic gap the model emits, so diastolic < systolic always. */
const MIN_PULSE_PRESSURE = 15;

/**
 * Mean-reversion rate per reading step. 0.3 puts a vital ~90% of the way to a new target in
 * 6-7 readings, so episodes ramp in and out over a few readings.
 */
const THETA = 0.3;
/** Per-step innovation sd; stationary sd is sigma / sqrt(1 - (1 - THETA)^2) ~= 1.4 * sigma. */
const SIGMA = { hr: 2, temp: 0.04, sbp: 3, dbp: 2, spo2: 0.5 } as const;

/** Fever: ~10 bpm per degree above the patient's own baseline temperature. */
const HR_PER_DEGREE = 10;
/** Hypoxaemia: ~1.7 bpm per SpO2 point below 95, i.e. ~+15 bpm at 86%. */
const HR_PER_SPO2_POINT = 1.7;
const SPO2_COUPLING_THRESHOLD = 95;
/** Diastolic follows systolic: DBP ~ 0.6 * SBP + 5. */
const DBP_PER_SBP = 0.6;

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

function drawBaseline(rng: Rng): Baseline {
  const sbp = clamp(rng.normal(120, 12), 95, 160);
  return {
    hr: clamp(rng.normal(75, 8), 52, 105),
    temp: clamp(rng.normal(36.8, 0.25), 36.1, 37.4),
    sbp,
    dbp: clamp(DBP_PER_SBP * sbp + 5 + rng.normal(0, 4), 55, 95),
    spo2: clamp(rng.normal(97, 1), 94, 100),
  };
}

export class PatientVitals {
  readonly baseline: Baseline;
  // Continuous latent state; readings are its rounded, clamped rendering.
  private hr: number;
  private temp: number;
  private sbp: number;
  private dbp: number;
  private spo2: number;

  constructor(private readonly rng: Rng) {
    this.baseline = drawBaseline(rng);
    this.hr = this.baseline.hr;
    this.temp = this.baseline.temp;
    this.sbp = this.baseline.sbp;
    this.dbp = this.baseline.dbp;
    this.spo2 = this.baseline.spo2;
  }

  /** Advance one reading step towards the baseline or the given episode targets. */
  step(targets: VitalTargets | null): VitalValues {
    const b = this.baseline;
    const rng = this.rng;
    const t = targets ?? {};

    this.temp = ou(this.temp, t.temp ?? b.temp, SIGMA.temp, rng);
    this.spo2 = ou(this.spo2, t.spo2 ?? b.spo2, SIGMA.spo2, rng);
    this.sbp = ou(this.sbp, t.sbp ?? b.sbp, SIGMA.sbp, rng);
    const dbpTarget = t.dbp ?? b.dbp + DBP_PER_SBP * (this.sbp - b.sbp);
    this.dbp = ou(this.dbp, dbpTarget, SIGMA.dbp, rng);

    let hrTarget = t.hr ?? b.hr;
    if (t.hr === undefined) {
      hrTarget += HR_PER_DEGREE * Math.max(0, this.temp - b.temp);
      hrTarget += HR_PER_SPO2_POINT * Math.max(0, SPO2_COUPLING_THRESHOLD - this.spo2);
    }
    this.hr = ou(this.hr, hrTarget, SIGMA.hr, rng);

    // Keep the latent state itself inside the limits so that it cannot drift away.
    const L = MODEL_LIMITS;
    this.hr = clamp(this.hr, L.hr.min, L.hr.max);
    this.temp = clamp(this.temp, L.temp.min, L.temp.max);
    this.sbp = clamp(this.sbp, L.sbp.min, L.sbp.max);
    this.dbp = clamp(this.dbp, L.dbp.min, L.dbp.max);
    this.spo2 = clamp(this.spo2, L.spo2.min, L.spo2.max);

    const sbp = Math.round(this.sbp);
    const dbp = Math.min(Math.round(this.dbp), sbp - MIN_PULSE_PRESSURE);
    return {
      heart_rate: Math.round(this.hr),
      body_temperature: Math.round(this.temp * 10) / 10,
      blood_pressure_systolic: sbp,
      blood_pressure_diastolic: dbp,
      spo2_level: Math.round(this.spo2),
    };
  }
}

function ou(x: number, target: number, sigma: number, rng: Rng): number {
  return x + THETA * (target - x) + rng.normal(0, sigma);
}
