/** The two processing modes the benchmark compares. */
export const MODES = ['stream', 'batch'] as const;
export type Mode = (typeof MODES)[number];

/** The pipeline processes the harness starts: ingest plus one per mode. */
export const ROLES = ['ingest', ...MODES] as const;
export type Role = (typeof ROLES)[number];

export function isMode(value: unknown): value is Mode {
  return (MODES as readonly unknown[]).includes(value);
}

/** A mode read back from the database or a file; throws on anything else. */
export function modeOf(value: unknown): Mode {
  if (!isMode(value)) throw new Error(`unknown mode ${JSON.stringify(value)} (expected ${MODES.join(' or ')})`);
  return value;
}
