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
  /** The benchmark run that sent it (absent in readings sent by hand or by the device API). */
  run_id?: string;
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

export const SOURCE_NAMES = [
  'Device_A',
  'Device_B',
  'Device_C',
  'Device_D',
  'Device_E',
  'Device_F',
  'Device_G',
  'Device_H',
  'Device_I',
];

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

/** The start of the reason of a reading refused for carrying no run id where one is required. */
export const NO_RUN_ID_REASON = 'foreign run: no run_id';

export type ParseResult = { ok: true; reading: Reading } | { ok: false; reason: string; foreignRun?: string };

/**
 * Integer columns of patient_vitals: a value the database would refuse is refused here, so
 * that no message can fail a write (and so stop a pipeline on every restart).
 */
export const INTEGER_FIELD_RANGE = {
  patient_id: { min: 0, max: 2_147_483_647 }, // INT
  seq: { min: 0, max: 4_294_967_295 }, // INT UNSIGNED
  event_time: { min: 0, max: Number.MAX_SAFE_INTEGER }, // BIGINT, exact in JavaScript
} as const;

/** Readings stamped before this are not from a live monitor (a zero or seconds-based clock). */
export const EARLIEST_EVENT_TIME = Date.UTC(2000, 0, 1);
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;
const MAX_SOURCE_LENGTH = 32;
const MAX_RUN_ID_LENGTH = 64;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface ParseContext {
  /** The receiving clock (epoch ms): an event_time more than maxFutureMs ahead of it is refused. */
  now?: number;
  maxFutureMs?: number;
  /** The topic the message came from: its device source must match (health_data_sourceN <-> sourceName(N-1)). */
  topic?: string;
  /** The run this pipeline belongs to: a reading stamped with another run is foreign. */
  runId?: string;
  /** A reading stamped with no run at all is foreign too (a bench: only its generator writes to its topics). */
  requireRunId?: boolean;
}

/** The device source a topic carries, when the topic follows the health_data_sourceN naming. */
export function sourceForTopic(topic: string): string | undefined {
  const m = /health_data_source(\d+)$/.exec(topic);
  return m ? sourceName(Number(m[1]) - 1) : undefined;
}

/**
 * Parse and validate one Kafka message value. Every way a message can be wrong yields a
 * reason that names the field, so a rejected_readings row explains itself. It never throws.
 */
export function parseReading(raw: string | Buffer | null, ctx: ParseContext = {}): ParseResult {
  try {
    return parseUnchecked(raw, ctx);
  } catch (err) {
    return { ok: false, reason: `unparseable message: ${(err as Error).message}` };
  }
}

type Rejection = Extract<ParseResult, { ok: false }>;

function parseUnchecked(raw: string | Buffer | null, ctx: ParseContext): ParseResult {
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
  // In this order: the first check that fails names the reason.
  const rejection =
    checkRunId(o, ctx) ??
    checkIntegerFields(o) ??
    checkEventTime(o.event_time as number, ctx) ??
    checkSource(o, ctx) ??
    checkVitals(o);
  if (rejection) return rejection;
  const eventTime = o.event_time as number;
  const reading: Reading = {
    patient_id: o.patient_id as number,
    source: o.source as string,
    seq: o.seq as number,
    event_time: eventTime,
    heart_rate: o.heart_rate as number,
    body_temperature: o.body_temperature as number,
    blood_pressure_systolic: o.blood_pressure_systolic as number,
    blood_pressure_diastolic: o.blood_pressure_diastolic as number,
    spo2_level: o.spo2_level as number,
    timestamp: typeof o.timestamp === 'string' ? o.timestamp : new Date(eventTime).toISOString(),
  };
  if (typeof o.run_id === 'string') reading.run_id = o.run_id;
  return { ok: true, reading };
}

function checkRunId(o: Record<string, unknown>, ctx: ParseContext): Rejection | undefined {
  if (o.run_id === undefined) {
    return ctx.requireRunId && ctx.runId !== undefined
      ? { ok: false, reason: `${NO_RUN_ID_REASON} (this run is ${ctx.runId})` }
      : undefined;
  }
  if (typeof o.run_id !== 'string' || o.run_id.length === 0 || o.run_id.length > MAX_RUN_ID_LENGTH) {
    return {
      ok: false,
      reason: `field run_id must be a string of 1..${MAX_RUN_ID_LENGTH} characters, got ${JSON.stringify(o.run_id)}`,
    };
  }
  if (ctx.runId !== undefined && o.run_id !== ctx.runId) {
    return {
      ok: false,
      reason: `foreign run ${JSON.stringify(o.run_id)} (this run is ${ctx.runId})`,
      foreignRun: o.run_id,
    };
  }
  return undefined;
}

function checkIntegerFields(o: Record<string, unknown>): Rejection | undefined {
  for (const field of ['patient_id', 'seq', 'event_time'] as const) {
    const v = o[field];
    if (v === undefined) return { ok: false, reason: `missing field ${field}` };
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      return { ok: false, reason: `field ${field} must be a non-negative integer, got ${JSON.stringify(v)}` };
    }
    const range = INTEGER_FIELD_RANGE[field];
    if (v > range.max) return { ok: false, reason: `field ${field} ${v} is out of range (${range.min}..${range.max})` };
  }
  return undefined;
}

function checkEventTime(eventTime: number, ctx: ParseContext): Rejection | undefined {
  if (eventTime < EARLIEST_EVENT_TIME) {
    return { ok: false, reason: `event_time ${eventTime} is before 2000-01-01 (epoch milliseconds expected)` };
  }
  if (ctx.now !== undefined) {
    const ahead = eventTime - ctx.now;
    if (ahead > (ctx.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS)) {
      return {
        ok: false,
        reason: `event_time in the future: ${ahead} ms ahead of the receiving clock (bound ${ctx.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS} ms)`,
      };
    }
  }
  return undefined;
}

function checkSource(o: Record<string, unknown>, ctx: ParseContext): Rejection | undefined {
  if (typeof o.source !== 'string' || o.source.length === 0 || o.source.length > MAX_SOURCE_LENGTH) {
    return {
      ok: false,
      reason: `field source must be a string of 1..${MAX_SOURCE_LENGTH} characters, got ${JSON.stringify(o.source)}`,
    };
  }
  if (LONE_SURROGATE.test(o.source)) return { ok: false, reason: 'field source is not well-formed Unicode' };
  const expectedSource = ctx.topic === undefined ? undefined : sourceForTopic(ctx.topic);
  if (expectedSource !== undefined && o.source !== expectedSource) {
    return {
      ok: false,
      reason: `source ${JSON.stringify(o.source)} does not match topic ${ctx.topic} (expected ${expectedSource})`,
    };
  }
  return undefined;
}

function checkVitals(o: Record<string, unknown>): Rejection | undefined {
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
    // Stored as DECIMAL(4,1): a second decimal would be rounded in the database but not in
    // the stream, and the modes would disagree at a threshold.
    if (!range.integer && Math.abs(v * 10 - Math.round(v * 10)) > 1e-6) {
      return { ok: false, reason: `field ${vital} must have at most one decimal, got ${v}` };
    }
    if (v < range.min || v > range.max) {
      return { ok: false, reason: `impossible ${vital} ${v} (possible range ${range.min}..${range.max})` };
    }
  }
  // Both checked to be finite numbers by the loop above.
  const systolic = o.blood_pressure_systolic as number;
  const diastolic = o.blood_pressure_diastolic as number;
  if (diastolic >= systolic) {
    return {
      ok: false,
      reason: `impossible blood pressure ${systolic}/${diastolic} (diastolic >= systolic)`,
    };
  }
  return undefined;
}

/** The Kafka header in which the load generator stamps t_sent (epoch ms) on each message it sends. */
export const SENT_AT_HEADER = 't_sent';
