/**
 * Disorder and faults on demand, as a pure plan: for each reading the planner returns the send
 * actions (delay after the reading's intended time, and what to send); the producer executes them.
 * Decisions for reading i depend only on (seed, options, i), never on earlier draws.
 */
import { serializeReading, type Reading } from '../domain/reading.js';
import { Rng, STREAM } from './rng.js';

export const MALFORMED_KINDS = [
  'invalid_json',
  'missing_field',
  'wrong_type',
  'impossible_value',
  'bp_inverted',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export interface FaultOptions {
  seed: number;
  /** Max jitter J, ms: a jittered reading is sent 1..J ms after its intended time. Default 0 (off). */
  jitterMs?: number;
  /** Fraction of readings jittered when jitterMs > 0. Default 0.1. */
  jitterFraction?: number;
  /** Allowed lateness L, ms: a late reading is sent L+1..2L ms after its intended time. */
  latenessMs?: number;
  /** Fraction of readings sent late. Default 0. Needs latenessMs > 0. */
  lateFraction?: number;
  /** Fraction of readings sent twice. Default 0. */
  duplicateFraction?: number;
  /** Extra malformed messages per reading (fraction). Default 0. Kinds cycle in MALFORMED_KINDS order. */
  malformedFraction?: number;
}

type PayloadKind = 'reading' | 'duplicate' | 'malformed';

export interface SendAction {
  /** Send at t_intended + delayMs. The message keeps the reading's original event_time. */
  delayMs: number;
  kind: PayloadKind;
  malformedKind?: MalformedKind;
}

interface DelayedReading {
  patient_id: number;
  seq: number;
  delayMs: number;
}

export interface FaultGroundTruth {
  options: Required<FaultOptions>;
  counts: {
    readings: number;
    jittered: number;
    late: number;
    duplicates: number;
    malformed: number;
    malformedByKind: Record<MalformedKind, number>;
  };
  jittered: DelayedReading[];
  late: DelayedReading[];
  duplicates: { patient_id: number; seq: number }[];
}

function checkFraction(name: string, v: number): number {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${v}`);
  return v;
}

function resolveFaultOptions(o: FaultOptions): Required<FaultOptions> {
  const r: Required<FaultOptions> = {
    seed: o.seed,
    jitterMs: o.jitterMs ?? 0,
    jitterFraction: checkFraction('jitterFraction', o.jitterFraction ?? 0.1),
    latenessMs: o.latenessMs ?? 0,
    lateFraction: checkFraction('lateFraction', o.lateFraction ?? 0),
    duplicateFraction: checkFraction('duplicateFraction', o.duplicateFraction ?? 0),
    malformedFraction: checkFraction('malformedFraction', o.malformedFraction ?? 0),
  };
  if (!Number.isSafeInteger(r.seed)) throw new RangeError(`seed must be a safe integer, got ${r.seed}`);
  if (!(r.jitterMs >= 0)) throw new RangeError(`jitterMs must be >= 0, got ${r.jitterMs}`);
  if (r.lateFraction > 0 && !(r.latenessMs > 0)) throw new RangeError('lateFraction > 0 needs latenessMs > 0');
  return r;
}

/**
 * Call plan() once per reading, in stream order (skip() for another generator's reading); it
 * records the ground truth as it goes.
 * With all fractions 0 every reading gets exactly one action {delayMs: 0, kind: 'reading'}.
 */
export class FaultPlanner {
  readonly options: Required<FaultOptions>;
  private index = 0;
  /** Malformed messages over the whole stream so far, other generators' included: picks the next kind. */
  private malformedInStream = 0;
  private readonly truth: FaultGroundTruth;

  constructor(options: FaultOptions) {
    this.options = resolveFaultOptions(options);
    this.truth = {
      options: this.options,
      counts: {
        readings: 0,
        jittered: 0,
        late: 0,
        duplicates: 0,
        malformed: 0,
        malformedByKind: Object.fromEntries(MALFORMED_KINDS.map((k) => [k, 0])) as Record<MalformedKind, number>,
      },
      jittered: [],
      late: [],
      duplicates: [],
    };
  }

  plan(reading: { patient_id: number; seq: number }): SendAction[] {
    const o = this.options;
    const t = this.truth;
    const { uLate, uLateDelay, uJitter, uJitterDelay, uDup, uMal } = this.drawNext();
    let delayMs = 0;
    if (uLate < o.lateFraction) {
      delayMs = o.latenessMs + 1 + Math.floor(uLateDelay * o.latenessMs);
      t.counts.late++;
      t.late.push({ patient_id: reading.patient_id, seq: reading.seq, delayMs });
    } else if (o.jitterMs > 0 && uJitter < o.jitterFraction) {
      delayMs = Math.min(o.jitterMs, 1 + Math.floor(uJitterDelay * o.jitterMs));
      t.counts.jittered++;
      t.jittered.push({ patient_id: reading.patient_id, seq: reading.seq, delayMs });
    }
    t.counts.readings++;
    const actions: SendAction[] = [{ delayMs, kind: 'reading' }];
    if (uDup < o.duplicateFraction) {
      actions.push({ delayMs, kind: 'duplicate' });
      t.counts.duplicates++;
      t.duplicates.push({ patient_id: reading.patient_id, seq: reading.seq });
    }
    if (uMal < o.malformedFraction) {
      const kind = MALFORMED_KINDS[this.malformedInStream++ % MALFORMED_KINDS.length]!;
      actions.push({ delayMs: 0, kind: 'malformed', malformedKind: kind });
      t.counts.malformed++;
      t.counts.malformedByKind[kind]++;
    }
    return actions;
  }

  /**
   * The next reading is another generator's (see share.ts): plan and record nothing for it,
   * but count its malformed message, so that the kinds cycle over the whole stream exactly as
   * they do with one generator.
   */
  skip(): void {
    if (this.options.malformedFraction === 0) {
      this.index++;
      return;
    }
    if (this.drawNext().uMal < this.options.malformedFraction) this.malformedInStream++;
  }

  /** The uniforms of the next reading, always drawn in the same order so one fault's fraction does not move the others. */
  private drawNext() {
    const rng = Rng.derive(this.options.seed, STREAM.faults, this.index++);
    const uLate = rng.next();
    const uLateDelay = rng.next();
    const uJitter = rng.next();
    const uJitterDelay = rng.next();
    const uDup = rng.next();
    const uMal = rng.next();
    return { uLate, uLateDelay, uJitter, uJitterDelay, uDup, uMal };
  }

  /** Ground truth for the readings planned so far (a live reference; copy it to freeze it). */
  groundTruth(): FaultGroundTruth {
    return this.truth;
  }
}

/**
 * A malformed message derived from a valid reading; parseReading rejects every kind.
 * Same patient_id and seq as the reading it accompanies, so it can be keyed like it.
 */
export function malformedPayload(kind: MalformedKind, r: Reading): string {
  switch (kind) {
    case 'invalid_json':
      return serializeReading(r).slice(0, -1) + ',';
    case 'missing_field': {
      const { heart_rate: _omitted, ...rest } = r;
      return JSON.stringify(rest);
    }
    case 'wrong_type':
      return JSON.stringify({ ...r, body_temperature: String(r.body_temperature) });
    case 'impossible_value':
      return JSON.stringify({ ...r, heart_rate: 900 });
    case 'bp_inverted':
      return JSON.stringify({ ...r, blood_pressure_diastolic: r.blood_pressure_systolic + 5 });
  }
}

/** The message value to send for an action on a reading. */
export function payloadFor(action: SendAction, r: Reading): string {
  if (action.kind === 'malformed') return malformedPayload(action.malformedKind ?? 'invalid_json', r);
  return serializeReading(r);
}
