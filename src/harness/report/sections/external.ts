/**
 * External pipelines: the jobs the harness ran as black boxes beside its own modes, for a run
 * that had any (the text is external-section.ts).
 */
import { externalSection } from '../external-section.js';
import type { RunSection } from './section.js';

export const external: RunSection = {
  title: 'External pipelines',
  applies: (r) => externalSection(r) !== null,
  render: (r) => [externalSection(r)!],
};
