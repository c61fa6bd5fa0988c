/**
 * The message contract between the generator and the pipelines: one bedside-monitor
 * reading as it travels through Kafka (JSON, UTF-8), keyed by patient_id.
 * Field names follow the seed project's device API, plus `seq` and `event_time`.
 */
export interface Reading {
  patient_id: number;
  /** Device source name, e.g. "Device_A" for topic health_data_source1. */
  source: string;
  /** Per-patient sequence number, 0-based, gap-free in the generated data. */
  seq: number;
  /** t_intended (METRICS.md): epoch milliseconds at which the open-loop schedule sends it. */
  event_time: number;
  heart_rate: number;
  /** Degrees Celsius, one decimal. */
  body_temperature: number;
  blood_pressure_systolic: number;
  blood_pressure_diastolic: number;
  spo2_level: number;
  /** ISO-8601 rendering of event_time, kept for the seed's consumers. */
  timestamp: string;
}

export const VITAL_NAMES = [
  'heart_rate',
  'body_temperature',
  'blood_pressure_systolic',
  'blood_pressure_diastolic',
  'spo2_level',
] as const;
export type VitalName = (typeof VITAL_NAMES)[number];

/**
 * Physically possible ranges. A value outside them is not a patient's state but a broken
 * device or message; such a reading is rejected, never alerted on.
 */
export const POSSIBLE_RANGE: Record<VitalName, { min: number; max: number; integer: boolean }> = {
  heart_rate: { min: 20, max: 300, integer: true },
  body_temperature: { min: 25, max: 45, integer: false },
  blood_pressure_systolic: { min: 40, max: 300, integer: true },
  blood_pressure_diastolic: { min: 20, max: 200, integer: true },
  spo2_level: { min: 50, max: 100, integer: true },
};

export const SOURCE_NAMES = ['Device_A', 'Device_B', 'Device_C', 'Device_D', 'Device_E', 'Device_F', 'Device_G', 'Device_H', 'Device_I'];

/** Source index (0-based) to the device name; beyond the named ones, Device_<n>. */
export function sourceName(sourceIndex: number): string {
  return SOURCE_NAMES[sourceIndex] ?? `Device_${sourceIndex + 1}`;
}

/** Source index (0-based) to its Kafka topic: health_data_source1..S, as in the seed. */
export function topicForSource(sourceIndex: number, prefix = ''): string {
  return `${prefix}health_data_source${sourceIndex + 1}`;
}

export function topicsFor(sources: number, prefix = ''): string[] {
  return Array.from({ length: sources }, (_, i) => topicForSource(i, prefix));
}

/**
 * Patients are numbered per source as in the seed: 1001..1999 for source 1, 2001..2999 for
 * source 2. A source with more than 999 patients continues at (source * 1,000,000) + index,
 * so ids never collide between sources whatever the patient count.
 */
export function patientIdFor(sourceIndex: number, indexInSource: number): number {
  if (indexInSource < 999) return (sourceIndex + 1) * 1000 + indexInSource + 1;
  return (sourceIndex + 1) * 1_000_000 + indexInSource + 1;
}

export function serializeReading(r: Reading): string {
  return JSON.stringify(r);
}

export type ParseResult = { ok: true; reading: Reading } | { ok: false; reason: string };

/**
 * Parse and validate one Kafka message value. Every way a message can be wrong yields a
 * reason that names the field, so a rejected_readings row explains itself.
 */
export function parseReading(raw: string | Buffer | null): ParseResult {
  if (raw === null) return { ok: false, reason: 'empty message value' };
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'message is not a JSON object' };
  }
  const o = value as Record<string, unknown>;
  for (const field of ['patient_id', 'seq', 'event_time'] as const) {
    const v = o[field];
    if (v === undefined) return { ok: false, reason: `missing field ${field}` };
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      return { ok: false, reason: `field ${field} must be a non-negative integer, got ${JSON.stringify(v)}` };
    }
  }
  if (typeof o.source !== 'string' || o.source.length === 0 || o.source.length > 32) {
    return { ok: false, reason: `field source must be a string of 1..32 characters, got ${JSON.stringify(o.source)}` };
  }
  for (const vital of VITAL_NAMES) {
    const v = o[vital];
    if (v === undefined) return { ok: false, reason: `missing field ${vital}` };
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      return { ok: false, reason: `field ${vital} must be a number, got ${JSON.stringify(v)}` };
    }
    const range = POSSIBLE_RANGE[vital];
    if (range.integer && !Number.isInteger(v)) {
      return { ok: false, reason: `field ${vital} must be an integer, got ${v}` };
    }
    if (v < range.min || v > range.max) {
      return { ok: false, reason: `impossible ${vital} ${v} (possible range ${range.min}..${range.max})` };
    }
  }
  if (o.blood_pressure_diastolic as number >= (o.blood_pressure_systolic as number)) {
    return { ok: false, reason: `impossible blood pressure ${o.blood_pressure_systolic}/${o.blood_pressure_diastolic} (diastolic >= systolic)` };
  }
  const reading: Reading = {
    patient_id: o.patient_id as number,
    source: o.source,
    seq: o.seq as number,
    event_time: o.event_time as number,
    heart_rate: o.heart_rate as number,
    body_temperature: o.body_temperature as number,
    blood_pressure_systolic: o.blood_pressure_systolic as number,
    blood_pressure_diastolic: o.blood_pressure_diastolic as number,
    spo2_level: o.spo2_level as number,
    timestamp: typeof o.timestamp === 'string' ? o.timestamp : new Date(o.event_time as number).toISOString(),
  };
  return { ok: true, reading };
}
