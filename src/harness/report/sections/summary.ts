/**
 * Summary: the run in plain words, the headline table and the run's warnings.
 */
import type { RunResult } from '../../../results/schema.js';
import { headlineTable, summaryParagraph } from '../markdown.js';
import { always, type RunSection } from './section.js';

function summarySection(r: RunResult): string[] {
  return [
    '## Summary',
    summaryParagraph(r),
    headlineTable(r),
    ...(r.warnings?.length ? [`**Warnings about this run:**\n\n${r.warnings.map((w) => `- ${w}`).join('\n')}`] : []),
  ];
}

export const summary: RunSection = { title: 'Summary', applies: always, render: summarySection };
