/**
 * A run's verdict in words, with its validity: a run can pass (no loss, full agreement) and still
 * have measured the machine rather than the pipelines (measure/validity.ts), and its verdict
 * line says so wherever it is printed: report.md, the console, summary.csv, a sweep's runs table.
 */
import type { RunResult } from '../../results/schema.js';
import { measurementValidity } from '../measure/validity.js';

/** "PASSED", "PASSED, but measured the machine, not the pipelines", "FAILED". */
export function verdictWords(r: RunResult): string {
  if (!r.verdict.passed) return 'FAILED';
  return measurementValidity(r).valid ? 'PASSED' : 'PASSED, but measured the machine, not the pipelines';
}

/** Why a run measured the machine, each reason once and without the closing verdict words (empty: it measured the pipelines). */
export function validityProblems(r: RunResult): string[] {
  return measurementValidity(r).problems.map((p) => p.replace(/: it measured the machine, not the pipelines$/, ''));
}
