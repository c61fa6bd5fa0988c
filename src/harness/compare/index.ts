/** Comparing two sets of runs (vitals-bench compare; reusable by an A/B command). */
export {
  compareRuns,
  DEFAULT_COMPARE_OPTIONS,
  exitCode,
  invariantFailures,
  judge,
  type CompareOptions,
  type Comparison,
  type InvariantFailure,
  type MetricComparison,
  type Verdict,
} from './compare.js';
export { assertComparable, COMPARED_PARAMETERS, IncomparableError } from './comparability.js';
export { CompareInputError, loadRuns, type LoadedRun } from './load.js';
export { METRICS, type Direction, type MetricDef } from './metrics.js';
export { mannWhitneyU, type MannWhitneyResult } from './mann-whitney.js';
export { renderJson, renderMarkdown } from './render.js';
