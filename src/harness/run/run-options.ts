import type { Mode } from '../../domain/modes.js';
import type { FaultSpec } from '../faults/spec.js';
import type { ExternalSpec } from '../processes/external-spec.js';
import type { ParameterValues } from '../report/parameters.js';
import type { ExternalModeOptions } from './external-modes.js';

/**
 * Everything one run is told: every run parameter (declared once, with its help text, in
 * src/harness/report/parameters.ts; the modes and faults parsed from their text), and what only
 * places or names the run.
 */
export type RunOptions = Omit<ParameterValues, 'modes' | 'faults'> & {
  modes: Mode[];
  /** Faults to inject during the run (--fault). */
  faults: FaultSpec[];
  /** Folder the run's folder is created in. */
  outDir: string;
  label?: string;
  /** In a sweep: the option the sweep varies (as on the command line, e.g. "batch-interval") and this run's value of it. */
  swept?: { option: string; value: number };
  /** External modes to run beside the built-in ones (docs/EXTERNAL.md). */
  externals?: ExternalSpec[];
  externalOptions?: Partial<ExternalModeOptions>;
};
