/**
 * String keys shared across modules (maps, sets, ground truth lookups). The formats are
 * compared between the harness and the pipelines, so build them only here.
 */

/** One reading: `${patientId}|${seq}`. */
export function readingKey(patientId: number, seq: number): string {
  return `${patientId}|${seq}`;
}

/** One Kafka partition: `${topic}:${partition}`. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** One window series (all windows of one size for one patient): `${sizeS}|${patientId}`. */
export function windowSeriesKey(sizeS: number, patientId: number): string {
  return `${sizeS}|${patientId}`;
}

/** One window: `${sizeS}|${patientId}|${windowStart}`. */
export function windowKey(sizeS: number, patientId: number, windowStart: number): string {
  return `${windowSeriesKey(sizeS, patientId)}|${windowStart}`;
}
