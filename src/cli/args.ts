/** A bad command-line argument: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new UsageError(`--${name} must be a positive integer, got ${v}`);
  return v;
}

export function positiveNumber(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new UsageError(`--${name} must be a positive number, got ${v}`);
  return v;
}

export function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new UsageError(`--${name} must be >= 0, got ${v}`);
  return v;
}

export function fraction(name: string, v: number): number {
  if (!(v >= 0 && v <= 1)) throw new UsageError(`--${name} must be between 0 and 1, got ${v}`);
  return v;
}
