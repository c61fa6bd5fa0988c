/**
 * Cost: each mode's CPU with what only it needs, each process group's figures and the shared
 * servers apart, for a run that sampled its processes (the text is markdown.ts's costSection,
 * which shares its sentences with the summary).
 */
import { costSection } from '../markdown.js';
import type { RunSection } from './section.js';

export const cost: RunSection = {
  title: 'Cost',
  applies: (r) => costSection(r) !== null,
  render: (r) => [costSection(r)!],
};
