import type { FaultParts } from '../kind.js';

/** The target of a kill or pause: a role or an external job's mode name (checked against the run's). */
export function processTarget(p: FaultParts, kind: string, fail: (why: string) => never): string {
  if (!p.target || !/^[a-z][a-z0-9_-]*$/.test(p.target))
    fail(`${kind} needs a target: a role (ingest, stream, batch) or an external mode's name`);
  return p.target;
}

export function checkTarget(spec: { text: string; target: string }, targets: readonly string[]): void {
  if (!targets.includes(spec.target))
    throw new Error(`--fault ${spec.text}: nothing called ${spec.target} runs (this run has ${targets.join(', ')})`);
}
