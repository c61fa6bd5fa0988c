/**
 * Messages between the harness and the pipeline processes it forks (Node IPC channel).
 * A pipeline started by hand has no channel and simply logs.
 */
import type { PassResult } from './batch/batch.js';
import type { StreamStats } from './stream.js';
import type { IngestStats } from './ingest.js';

export type RoleName = 'ingest' | 'stream' | 'batch';

export type ChildMessage =
  | { type: 'ready'; role: RoleName }
  | { type: 'stats'; role: 'ingest'; stats: IngestStats }
  | { type: 'stats'; role: 'stream'; stats: Omit<StreamStats, 'late'> & { lateCount: number } }
  | { type: 'pass'; role: 'batch'; pass: PassResult }
  | { type: 'final-done'; role: 'batch' }
  | { type: 'late'; role: 'stream'; late: StreamStats['late'] }
  | { type: 'fatal'; role: RoleName; message: string }
  | { type: 'window-origin-set'; role: RoleName; originMs: number };

export type ParentMessage =
  { type: 'final-pass' } | { type: 'stop' } | { type: 'report-late' } | { type: 'window-origin'; originMs: number };

export function sendToParent(message: ChildMessage): void {
  if (process.send) process.send(message);
}
