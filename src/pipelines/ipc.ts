/**
 * Messages between the harness and the pipeline processes it forks (Node IPC channel).
 * A pipeline started by hand has no channel and simply logs.
 */
import type { Role } from '../domain/modes.js';
import type { PassResult } from './batch/batch.js';
import type { StreamStats } from './stream.js';
import type { IngestStats } from './ingest.js';

/** Kept for the command-line modules; the same type as domain `Role`. */
export type RoleName = Role;

export type ChildMessage =
  | { type: 'ready'; role: Role }
  | { type: 'stats'; role: 'ingest'; stats: IngestStats }
  | { type: 'stats'; role: 'stream'; stats: Omit<StreamStats, 'late'> & { lateCount: number } }
  | { type: 'pass'; role: 'batch'; pass: PassResult }
  | { type: 'final-done'; role: 'batch' }
  | { type: 'late'; role: 'stream'; late: StreamStats['late'] }
  | { type: 'fatal'; role: Role; message: string }
  | { type: 'window-origin-set'; role: Role; originMs: number };

export type ParentMessage =
  { type: 'final-pass' } | { type: 'stop' } | { type: 'report-late' } | { type: 'window-origin'; originMs: number };

export function sendToParent(message: ChildMessage): void {
  if (process.send) process.send(message);
}
