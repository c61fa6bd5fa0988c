/** Messages between the harness and the observer process (observer-child.ts). */
import type { ObservedSource, ObserverStats } from '../measure/results-observer.js';

export type ToObserver =
  { type: 'start'; mysqlUrl: string; runId: string; sources: ObservedSource[]; intervalMs: number } | { type: 'stop' };

/** Sightings as [id, at, notBefore] triples (epoch ms). */
export type SightingTriples = Array<[number, number, number]>;

export type FromObserver =
  | { type: 'ready' }
  | { type: 'progress'; lastNewAt: Record<string, number> }
  | { type: 'round-failed'; message: string }
  /** Its connection's thread in the database (when the server names it) and the niceness that thread got. */
  | { type: 'database-thread'; tid?: number; priority: string }
  /** A chunk of a mode's sightings, in id order, sent when it stops (every mode at least one, maybe empty). */
  | { type: 'sightings'; mode: string; triples: SightingTriples }
  /** After the last chunk. */
  | { type: 'done'; stats: ObserverStats & { cpuMs: number; queriesPerS: number } };
