/**
 * A generator's share of a run, when N processes send its load together. Generator k of N
 * sends the readings of the patients whose index % N === k, each at its intended time on the
 * one global schedule. All of a patient's readings come from one process, so their order is
 * kept, and the N shares together are exactly what one generator would send.
 */
export interface LoadShare {
  /** k: 0..count-1. */
  index: number;
  /** N: how many generators send the run together. */
  count: number;
}

/** One generator sending the whole run. */
export const WHOLE_LOAD: Readonly<LoadShare> = Object.freeze({ index: 0, count: 1 });

export function checkLoadShare(share: LoadShare): LoadShare {
  if (!Number.isInteger(share.count) || share.count < 1)
    throw new RangeError(`generator count must be a positive integer, got ${share.count}`);
  if (!Number.isInteger(share.index) || share.index < 0 || share.index >= share.count)
    throw new RangeError(`generator index must be an integer in 0..${share.count - 1}, got ${share.index}`);
  return share;
}

/** The share of a spec with optional `generators` (N, default 1) and `generatorIndex` (k, default 0). */
export function loadShareOf(spec: { generators?: number; generatorIndex?: number }): LoadShare {
  return checkLoadShare({ index: spec.generatorIndex ?? 0, count: spec.generators ?? 1 });
}

/** Whether the patient with this dense index (0, 1, ...) is the share's. */
export function isInShare(patientIndex: number, share: LoadShare): boolean {
  return patientIndex % share.count === share.index;
}

/** "load generator 2 of 3" (1-based for people; LoadShare.index is 0-based). */
export function describeShare(share: LoadShare): string {
  return `load generator ${share.index + 1} of ${share.count}`;
}
