import { SOURCE_NAMES, type Reading } from '../domain/reading.js';
import { Dataset, stampEventTime, type DatasetParams } from './dataset.js';
import type { ReadingSource } from './producer.js';

/**
 * The generated data set as a producer source: reading i is the data set's i-th reading, of
 * patient i % patients. A generator with a share of the run (share.ts) asks only for its
 * patients' readings, and the data set produces only those.
 */
export function datasetSource(params: DatasetParams, total: number): ReadingSource & { dataset: Dataset } {
  const dataset = new Dataset(params);
  return {
    total,
    dataset,
    patientIndexAt: (i) => i % dataset.patients,
    readingAt: (i, eventTimeMs) => {
      const partial = dataset.nextOfPatient(i % dataset.patients);
      return { reading: stampEventTime(partial, eventTimeMs), sourceIndex: partial.sourceIndex };
    },
  };
}

/** A recorded data set replayed: its readings re-stamped with the replay's intended times. */
export function replaySource(readings: Reading[]): ReadingSource {
  const patientIndex = densePatientIndices(readings);
  return {
    total: readings.length,
    patientIndexAt: (i) => patientIndex[i]!,
    readingAt: (i, eventTimeMs) => {
      const r = readings[i]!;
      return {
        reading: { ...r, event_time: eventTimeMs, timestamp: new Date(eventTimeMs).toISOString() },
        sourceIndex: sourceIndexOf(r),
      };
    },
  };
}

/** Each reading's patient numbered 0, 1, ... in order of first appearance (shares are then even). */
function densePatientIndices(readings: readonly Reading[]): number[] {
  const seen = new Map<number, number>();
  return readings.map((r) => {
    let p = seen.get(r.patient_id);
    if (p === undefined) seen.set(r.patient_id, (p = seen.size));
    return p;
  });
}

/** Device_A -> 0 ...; otherwise from the patient id's numbering (1001.. -> 0, 2001.. -> 1). */
export function sourceIndexOf(r: Pick<Reading, 'source' | 'patient_id'>): number {
  const named = SOURCE_NAMES.indexOf(r.source);
  if (named >= 0) return named;
  const m = /^Device_(\d+)$/.exec(r.source);
  if (m) return Number(m[1]) - 1;
  return r.patient_id >= 1_000_000 ? Math.floor(r.patient_id / 1_000_000) - 1 : Math.floor(r.patient_id / 1000) - 1;
}
