/**
 * Deterministic, lazily generated data set. Reading i of the global stream belongs to
 * patient i % P in a fixed patient order, with that patient's next seq.
 *
 * Patient order: global patient index p has source p % S and index floor(p / S) within it,
 * so patient p is the same patient (same id, same values) whatever the patient count.
 */
import { patientIdFor, sourceName, type Reading } from '../domain/reading.js';
import { EpisodePlanner, validateEpisodeOptions, type EpisodeRecord, type EpisodeType } from './episodes.js';
import { DEFAULT_PATIENTS, DEFAULT_SOURCES } from './defaults.js';
import { Rng, STREAM } from './rng.js';
import { PatientVitals, type VitalValues } from './vitals-model.js';

export const MAX_PATIENTS = 100_000;

export interface DatasetParams {
  seed: number;
  /** Total patients, split evenly across sources. Default 9 (3 per source, as in the seed). */
  patients?: number;
  /** Number of sources (topics health_data_source1..S). Default 3. */
  sources?: number;
  /** Expected fraction of readings inside an anomaly episode. Default 0.05. */
  prevalence?: number;
  /** Episode length in readings, uniform in [min, max]. Default 20..60. */
  episodeLength?: { min: number; max: number };
}

/** A reading before its event time is stamped, plus the source index (for the topic). */
export interface PartialReading extends VitalValues {
  patient_id: number;
  source: string;
  seq: number;
  sourceIndex: number;
}

export interface EpisodeTruth extends EpisodeRecord {
  sourceIndex: number;
  /** False when the data produced so far ends inside the episode (end_seq is then clipped). */
  complete: boolean;
}

interface PatientState {
  index: number;
  sourceIndex: number;
  patientId: number;
  source: string;
  /** Seq of the next reading. */
  seq: number;
  vitals: PatientVitals;
  planner: EpisodePlanner;
}

interface StartedEpisode {
  patient: PatientState;
  ordinal: number;
  type: EpisodeType;
  start_seq: number;
  end_seq: number;
}

export class Dataset {
  readonly seed: number;
  readonly patients: number;
  readonly sources: number;
  private readonly episodeOpts: { prevalence: number; episodeLength: { min: number; max: number } };
  private readonly state: (PatientState | undefined)[];
  private readonly started: StartedEpisode[] = [];
  private readonly sourceCursor: number[];
  private counter = 0;
  private globalCursor = 0;

  constructor(params: DatasetParams) {
    const patients = params.patients ?? DEFAULT_PATIENTS;
    const sources = params.sources ?? DEFAULT_SOURCES;
    if (!Number.isSafeInteger(params.seed)) throw new RangeError(`seed must be a safe integer, got ${params.seed}`);
    if (!Number.isInteger(sources) || sources < 1)
      throw new RangeError(`sources must be a positive integer, got ${sources}`);
    if (!Number.isInteger(patients) || patients < sources || patients > MAX_PATIENTS) {
      throw new RangeError(
        `patients must be an integer in ${sources}..${MAX_PATIENTS} (at least one per source), got ${patients}`,
      );
    }
    const ep = validateEpisodeOptions(params);
    this.seed = params.seed;
    this.patients = patients;
    this.sources = sources;
    this.episodeOpts = { prevalence: ep.prevalence, episodeLength: { min: ep.min, max: ep.max } };
    this.state = new Array<PatientState | undefined>(patients);
    this.sourceCursor = new Array<number>(sources).fill(0);
  }

  /** Readings produced so far (by next() and nextForSource()). */
  get produced(): number {
    return this.counter;
  }

  /** Number of patients of a source. */
  patientsInSource(sourceIndex: number): number {
    return Math.floor((this.patients - sourceIndex - 1) / this.sources) + 1;
  }

  /** Patient id of global patient index p. */
  patientIdAt(p: number): number {
    return patientIdFor(p % this.sources, Math.floor(p / this.sources));
  }

  /** Next reading of the global round-robin stream (its own cursor, unaffected by nextForSource). */
  next(): PartialReading {
    const p = this.globalCursor;
    this.globalCursor = p + 1 === this.patients ? 0 : p + 1;
    return this.emit(p);
  }

  /**
   * Next reading of global patient index p. Reading i of the global stream is
   * nextOfPatient(i % patients): a generator sending only some patients (share.ts) produces
   * exactly their readings of the global stream, without producing the others'.
   */
  nextOfPatient(p: number): PartialReading {
    if (!Number.isInteger(p) || p < 0 || p >= this.patients)
      throw new RangeError(`patient index ${p} out of 0..${this.patients - 1}`);
    return this.emit(p);
  }

  /**
   * Next reading of a patient of the given source (round robin within the source), as the
   * device API serves it. Shares per-patient seqs with next(); mixing the two keeps seqs gap-free.
   */
  nextForSource(sourceIndex: number): PartialReading {
    if (!Number.isInteger(sourceIndex) || sourceIndex < 0 || sourceIndex >= this.sources) {
      throw new RangeError(`source index ${sourceIndex} out of 0..${this.sources - 1}`);
    }
    const k = this.sourceCursor[sourceIndex]!;
    this.sourceCursor[sourceIndex] = (k + 1) % this.patientsInSource(sourceIndex);
    return this.emit(sourceIndex + k * this.sources);
  }

  /**
   * Ground truth: every episode that has started within the readings produced so far, in the
   * order they started, with end_seq clipped to the patient's last produced seq.
   */
  episodes(): EpisodeTruth[] {
    return this.episodesSince(0, (p) => this.state[p]!.seq - 1);
  }

  /** Episodes started so far (by every patient). */
  get episodesStarted(): number {
    return this.started.length;
  }

  /**
   * Episodes started after the first `from` of them, in the order they started, with end_seq
   * clipped to lastSeqOf(patient index): for a caller that produces the patients' readings piece
   * by piece and knows how many each patient will have (episodes() clips to those produced so far).
   */
  episodesSince(from: number, lastSeqOf: (patientIndex: number) => number): EpisodeTruth[] {
    return this.started.slice(from).map((e) => {
      const last = lastSeqOf(e.patient.index);
      return {
        id: `p${e.patient.patientId}-e${e.ordinal}`,
        patient_id: e.patient.patientId,
        sourceIndex: e.patient.sourceIndex,
        type: e.type,
        start_seq: e.start_seq,
        end_seq: Math.min(e.end_seq, last),
        complete: e.end_seq <= last,
      };
    });
  }

  private emit(p: number): PartialReading {
    const s = this.state[p] ?? this.createPatient(p);
    const seq = s.seq++;
    this.counter++;
    const episode = s.planner.advance(seq);
    const v = s.vitals.step(episode === null ? null : episode.targets);
    return {
      patient_id: s.patientId,
      source: s.source,
      seq,
      heart_rate: v.heart_rate,
      body_temperature: v.body_temperature,
      blood_pressure_systolic: v.blood_pressure_systolic,
      blood_pressure_diastolic: v.blood_pressure_diastolic,
      spo2_level: v.spo2_level,
      sourceIndex: s.sourceIndex,
    };
  }

  private createPatient(p: number): PatientState {
    const sourceIndex = p % this.sources;
    let ordinal = 0;
    const patient: PatientState = {
      index: p,
      sourceIndex,
      patientId: patientIdFor(sourceIndex, Math.floor(p / this.sources)),
      source: sourceName(sourceIndex),
      seq: 0,
      vitals: new PatientVitals(Rng.derive(this.seed, STREAM.vitals, p)),
      planner: new EpisodePlanner(Rng.derive(this.seed, STREAM.episodes, p), this.episodeOpts, (e) => {
        this.started.push({ patient, ordinal: ordinal++, type: e.type, start_seq: e.start_seq, end_seq: e.end_seq });
      }),
    };
    this.state[p] = patient;
    return patient;
  }
}

/** Lazily yields the global stream: `count` readings, or endlessly when count is omitted. */
export function* readingsFrom(
  params: DatasetParams | Dataset,
  count = Infinity,
): Generator<PartialReading, void, undefined> {
  const ds = params instanceof Dataset ? params : new Dataset(params);
  for (let i = 0; i < count; i++) yield ds.next();
}

/** Ground-truth episodes for the first n readings of the global stream. */
export function episodesForFirst(params: DatasetParams, n: number): EpisodeTruth[] {
  const ds = new Dataset(params);
  for (let i = 0; i < n; i++) ds.next();
  return ds.episodes();
}

/**
 * Fills event_time (t_intended, epoch ms) and its ISO rendering. Builds the object in the
 * Reading field order so that serialisation is byte-stable.
 */
export function stampEventTime(partial: PartialReading, eventTimeMs: number): Reading {
  return {
    patient_id: partial.patient_id,
    source: partial.source,
    seq: partial.seq,
    event_time: eventTimeMs,
    heart_rate: partial.heart_rate,
    body_temperature: partial.body_temperature,
    blood_pressure_systolic: partial.blood_pressure_systolic,
    blood_pressure_diastolic: partial.blood_pressure_diastolic,
    spo2_level: partial.spo2_level,
    timestamp: new Date(eventTimeMs).toISOString(),
  };
}

/** Reading field names in serialisation order (the CSV header). */
export const READING_FIELDS = [
  'patient_id',
  'source',
  'seq',
  'event_time',
  'heart_rate',
  'body_temperature',
  'blood_pressure_systolic',
  'blood_pressure_diastolic',
  'spo2_level',
  'timestamp',
] as const satisfies readonly (keyof Reading)[];
