import { appendFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** A run's identity and its folder, with the log every role's lines go to (pipelines.log). */
export interface RunFolder {
  readonly runId: string;
  readonly startedAt: Date;
  readonly dir: string;
  readonly logFile: string;
  /** Appends a timestamped line; a log that cannot be written is said once on stderr, never thrown. */
  readonly log: (line: string) => void;
}

export function openRunFolder(outDir: string, label: string | undefined, warn: (line: string) => void): RunFolder {
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19)}_${randomBytes(3).toString('hex')}`;
  const dir = join(outDir, label ? `${runId}_${label}` : runId);
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'pipelines.log');
  let lost = 0;
  const log = (line: string): void => {
    try {
      appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
    } catch (err) {
      // The folder deleted or the disk full mid-run: the run goes on; its log is what is lost.
      if (lost++ === 0)
        warn(
          `[bench] cannot write ${logFile} (${(err as Error).message}): the pipelines' log lines are lost from here`,
        );
    }
  };
  return { runId, startedAt, dir, logFile, log };
}
