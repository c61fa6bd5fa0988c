/**
 * The report of a run whose results could not be collected (the database gone): what is known
 * without the database, the cause, and what the load had sent. No figure of the pipelines is
 * given, because none was measured: results.json is not written, so no tool takes this run for
 * a measured one.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fmtCount } from './format.js';

export interface UncollectedRun {
  runId: string;
  startedAt: string;
  endedAt: string;
  /** Why the run stopped. */
  stoppedBy: string;
  /** Why its results could not be read. */
  collectError: string;
  /** The run's planned readings; of them, those due when the load stopped, sent, and acknowledged. */
  load?: { planned: number; due: number; sent: number; acknowledged: number };
  parameters: Record<string, unknown>;
}

export async function writeUncollectedReport(dir: string, run: UncollectedRun): Promise<string> {
  await writeFile(join(dir, 'incomplete.json'), JSON.stringify(run, null, 2) + '\n');
  const load = run.load
    ? `The load generator had sent ${fmtCount(run.load.sent)} of the ${fmtCount(run.load.due)} readings due when it stopped (${fmtCount(run.load.acknowledged)} acknowledged by Kafka); the run had planned ${fmtCount(run.load.planned)}.`
    : 'What the load generator had sent is not known: it did not report before it was stopped.';
  const md = [
    `# vitals-bench run ${run.runId}: INCOMPLETE, NOT MEASURED`,
    '',
    `Started ${run.startedAt}, stopped ${run.endedAt}.`,
    '',
    `**Why it stopped:** ${run.stoppedBy}`,
    '',
    `**Why nothing was measured:** its results could not be read from the database: ${run.collectError}`,
    '',
    load,
    '',
    "No latency, throughput or agreement figure is given: none was measured. The pipelines' log is `pipelines.log` in this folder.",
    '',
  ].join('\n');
  const file = join(dir, 'report.md');
  await writeFile(file, md);
  return file;
}
