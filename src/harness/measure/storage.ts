/**
 * Storage against the generator's list of sent valid readings (METRICS.md "Correctness"): loss,
 * duplicates, and stored readings that are not what it sent (an unknown key, or a known key with
 * other content), added a patient's readings at a time.
 */
import type { StoredReading } from './run-source.js';

export interface StorageFigures {
  loss: number;
  duplicates: number;
  /** Stored readings the generator never sent. */
  unexpected: number;
  /** Stored readings whose content differs from what the generator sent with their (patient_id, seq). */
  substituted: number;
  /** The first substituted reading (by ingest order), described for the failure line. */
  substitutedExample?: string;
}

export class StorageTally {
  /** Stored readings of the run. */
  stored = 0;
  private loss = 0;
  private unexpected = 0;
  private substituted = 0;
  private example: { ingestId: number; text: string } | undefined;

  /** Stored readings whose key the generator never sent. */
  addUnexpected(n: number): void {
    this.stored += n;
    this.unexpected += n;
  }

  /** Readings the generator sent that are not stored. */
  addLost(n: number): void {
    this.loss += n;
  }

  /** A stored reading the generator sent, with the digest of what it sent and the t_intended it meant. */
  addSent(r: StoredReading, sentContent: number, intended: number): void {
    this.stored++;
    if (sentContent === r.content) return;
    this.substituted++;
    if (!this.example || r.ingest_id < this.example.ingestId)
      this.example = { ingestId: r.ingest_id, text: describeSubstituted(r, intended) };
  }

  figures(duplicates: number): StorageFigures {
    return {
      loss: this.loss,
      duplicates,
      unexpected: this.unexpected,
      substituted: this.substituted,
      ...(this.example ? { substitutedExample: this.example.text } : {}),
    };
  }
}

/** Where a substituted reading came from: its Kafka origin, its event time against the generator's, its t_sent header. */
function describeSubstituted(r: StoredReading, intended: number): string {
  const eventTime =
    r.event_time !== Math.floor(intended)
      ? `event_time ${r.event_time} (the generator's ${Math.floor(intended)})`
      : `event_time ${r.event_time} as sent`;
  return `(patient_id ${r.patient_id}, seq ${r.seq}) stored from ${r.topic}:${r.partition}@${r.offset}, ${eventTime}, ${r.sent_at === null ? 'without' : 'with'} a t_sent header`;
}

export function storageFailures({
  loss,
  duplicates,
  unexpected,
  substituted,
  substitutedExample,
}: StorageFigures): string[] {
  const failures: string[] = [];
  if (loss > 0) failures.push(`loss: ${loss} valid readings sent but not stored`);
  if (duplicates > 0) failures.push(`duplicates: ${duplicates} readings stored more than once`);
  if (unexpected > 0) failures.push(`${unexpected} stored readings were never sent by the generator`);
  if (substituted > 0)
    failures.push(
      `substituted: ${substituted} stored readings differ in content from what the generator sent with their (patient_id, seq), e.g. ${substitutedExample ?? 'not described'}`,
    );
  return failures;
}
