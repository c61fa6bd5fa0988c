/**
 * The contract of a section of a run's report.md: its title, when it applies to a run, and its
 * Markdown. The report is the registry's sections (index.ts) in order, each that applies
 * rendered, joined by blank lines; adding a section is a module exporting a RunSection and one
 * line in that list.
 */
import type { RunResult } from '../../../results/schema.js';
import type { ChartRef } from '../markdown.js';

/** What a section may need beside the run: the charts written next to the report. */
interface SectionContext {
  charts: ChartRef[];
}

export interface RunSection {
  /** The heading the section starts with: "## Title" (the header's is the report's "# vitals-bench run ..."). */
  title: string;
  /** Whether the run has anything for this section (a section that does not apply is left out, heading and all). */
  applies(r: RunResult, ctx: SectionContext): boolean;
  /** The section as Markdown blocks, its heading first; the report joins blocks with a blank line. */
  render(r: RunResult, ctx: SectionContext): string[];
}

/** `applies` of a section every run has. */
export const always = (): boolean => true;
