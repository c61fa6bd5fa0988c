import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config.js';
import type { Role } from '../../domain/modes.js';
import type { ChildMessage, ParentMessage } from '../../pipelines/ipc.js';
import { ForkedChild, type ChildExit } from './forked-child.js';

const CLI = join(PROJECT_ROOT, 'dist/src/cli.js');

/**
 * A pipeline role running in its own process (its own event loop and core share), as it
 * would in production, talking to the harness over Node's IPC channel; its output lines go to
 * the run's log. It keeps its latest stats and its last words (a fatal error it reported).
 */
export class PipelineProcess extends ForkedChild<ChildMessage, ParentMessage> {
  lastStats: ChildMessage | undefined;
  fatal: string | undefined;

  constructor(
    readonly role: Role,
    args: string[],
    log?: (line: string) => void,
    nice?: number,
  ) {
    super(role, CLI, [role, ...args], {
      ...(log ? { log } : {}),
      ...(nice !== undefined ? { nice } : {}),
      ...roleNodeFlags(),
    });
    this.on((m) => {
      if (m.type === 'stats') this.lastStats = m;
      if (m.type === 'fatal') this.fatal = m.message;
    });
  }

  /** A message matching the predicate; fails if the process exits first (with its last words) or the deadline passes. */
  override waitFor<T extends ChildMessage>(
    match: (m: ChildMessage) => m is T,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    return super.waitFor(match, timeoutMs, what, () => (this.fatal ? `: ${this.fatal}` : ''));
  }

  /** Ask it to stop; kill it if it has not exited within the grace period. */
  override stop(_request?: ParentMessage, graceMs = 15_000): Promise<ChildExit> {
    return super.stop({ type: 'stop' }, graceMs);
  }
}

/**
 * VITALS_NODE_OPTIONS: Node flags for the pipeline roles only (space-separated), e.g. the
 * `--cpu-prof` that Node refuses in NODE_OPTIONS (docs/BENCHMARK.md, profiling a role).
 */
export function roleNodeFlags(env: NodeJS.ProcessEnv = process.env): { execArgv?: string[] } {
  const flags = env.VITALS_NODE_OPTIONS?.trim();
  return flags ? { execArgv: [...process.execArgv, ...flags.split(/\s+/)] } : {};
}

export const isReady = (m: ChildMessage): m is Extract<ChildMessage, { type: 'ready' }> => m.type === 'ready';
export const isFinalDone = (m: ChildMessage): m is Extract<ChildMessage, { type: 'final-done' }> =>
  m.type === 'final-done';
export const isLate = (m: ChildMessage): m is Extract<ChildMessage, { type: 'late' }> => m.type === 'late';
