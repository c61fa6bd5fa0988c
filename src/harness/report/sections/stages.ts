/**
 * Where the time goes: each mode's stage latencies, for a run whose modes recorded every stage
 * instant of their readings (the text and chart are stages-section.ts).
 */
import { stagesSection } from '../stages-section.js';
import type { RunSection } from './section.js';

export const stages: RunSection = {
  title: 'Where the time goes',
  applies: (r) => stagesSection(r) !== null,
  render: (r) => [stagesSection(r)!],
};
