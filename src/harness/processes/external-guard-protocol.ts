/** Messages between the harness and the guard of one external job (guard.ts). */
export type ToGuard =
  | {
      type: 'start';
      command: string;
      env: Record<string, string>;
      cwd: string;
      stdoutFile: string;
      stderrFile: string;
      /** After SIGTERM, how long the job has to exit before SIGKILL. */
      graceMs: number;
    }
  | { type: 'stop' };

export type FromGuard =
  | { type: 'started'; pid: number }
  /** declaration: what followed the ready word on its line (a JSON object, or empty). */
  | { type: 'ready'; at: number; declaration: string }
  | { type: 'exited'; code: number | null; signal: string | null; at: number; stopping: boolean; killed: boolean }
  | { type: 'error'; message: string };

/** The line an external job prints on stdout once it is consuming (docs/EXTERNAL.md). */
export const READY_LINE = 'VITALS_READY';
