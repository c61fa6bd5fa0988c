/**
 * The report's title, when the run started and ended, and its verdict with what makes it doubtful.
 */
import type { RunResult } from '../../../results/schema.js';
import { fmtCount, fmtSeconds } from '../format.js';
import { validityProblems, verdictWords } from '../verdict.js';
import { always, type RunSection } from './section.js';

function headerSection(r: RunResult): string[] {
  const words = verdictWords(r);
  const problems = validityProblems(r);
  return [
    `# vitals-bench run ${r.run_id}`,
    `Started ${r.started_at}, ended ${r.ended_at}. Measured phase ${fmtSeconds(r.input.measured_seconds)} after a ${fmtSeconds(r.warmup.seconds)} warm-up (${fmtCount(r.warmup.excluded_readings)} readings excluded).`,
    ...(r.complete ? [] : [`**INCOMPLETE RUN**: ${r.incomplete_reason ?? 'no reason recorded'}.`]),
    r.verdict.passed
      ? problems.length
        ? `**Verdict: ${words}**\n\n${problems.map((p) => `- ${p}`).join('\n')}`
        : `**Verdict: ${words}**`
      : `**Verdict: ${words}**\n\n${r.verdict.failures.length ? r.verdict.failures.map((f) => `- ${f}`).join('\n') : '- (no failure reasons recorded)'}`,
    ...(r.vacuous?.length
      ? [
          `**Warning: agreement on nothing.**\n\n${r.vacuous.map((w) => `- ${w.replace(/^agreement on nothing: /, '')}`).join('\n')}`,
        ]
      : []),
  ];
}

export const header: RunSection = {
  title: 'vitals-bench run',
  applies: always,
  render: headerSection,
};
