/**
 * Stream vs batch in plain words, and how the run compares with the seed project's.
 */
import type { RunResult } from '../../../results/schema.js';
import { comparisonLines } from '../markdown.js';
import { seedComparisonSection } from '../seed-comparison.js';
import { always, type RunSection } from './section.js';

/** Stream vs batch in plain words, and how the run compares with the seed project's. */
function comparisonSection(r: RunResult): string[] {
  const seed = seedComparisonSection(r);
  return [
    '## Stream vs batch',
    comparisonLines(r)
      .map((l) => `- ${l}`)
      .join('\n'),
    ...(seed ? [seed] : []),
  ];
}

export const comparison: RunSection = { title: 'Stream vs batch', applies: always, render: comparisonSection };
