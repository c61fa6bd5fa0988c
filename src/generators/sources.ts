import { SOURCE_NAMES, type Reading } from '../domain/reading.js';
import { Dataset, stampEventTime, type DatasetParams } from './dataset.js';
import type { ReadingSource } from './producer.js';

/** The generated data set as a producer source: reading i is the data set's i-th reading. */
export function datasetSource(params: DatasetParams, total: number): ReadingSource & { dataset: Dataset } {
  const dataset = new Dataset(params);
  return {
    total,
    dataset,
    readingAt: (_i, eventTimeMs) => {
      const partial = dataset.next();
      return { reading: stampEventTime(partial, eventTimeMs), sourceIndex: partial.sourceIndex };
    },
  };
}

/** A recorded data set replayed: its readings re-stamped with the replay's intended times. */
export function replaySource(readings: Reading[]): ReadingSource {
  return {
    total: readings.length,
    readingAt: (i, eventTimeMs) => {
      const r = readings[i]!;
      return {
        reading: { ...r, event_time: eventTimeMs, timestamp: new Date(eventTimeMs).toISOString() },
        sourceIndex: sourceIndexOf(r),
      };
    },
  };
}

/** Device_A -> 0 ...; otherwise from the patient id's numbering (1001.. -> 0, 2001.. -> 1). */
export function sourceIndexOf(r: Pick<Reading, 'source' | 'patient_id'>): number {
  const named = SOURCE_NAMES.indexOf(r.source);
  if (named >= 0) return named;
  const m = /^Device_(\d+)$/.exec(r.source);
  if (m) return Number(m[1]) - 1;
  return r.patient_id >= 1_000_000 ? Math.floor(r.patient_id / 1_000_000) - 1 : Math.floor(r.patient_id / 1000) - 1;
}
