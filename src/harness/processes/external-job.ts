import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config.js';
import type { RuleSet } from '../../pipelines/rules/types.js';
import type { FromGuard, ToGuard } from './external-guard-protocol.js';
import { ForkedChild } from './forked-child.js';
import type { ExternalSpec } from './external-spec.js';
import { cpuSecondsOf } from './proc-sampler.js';
import { stderrExcerptOf } from './stderr-excerpt.js';

const GUARD = join(PROJECT_ROOT, 'dist/src/harness/processes/external-guard.js');

/** The table an external job writes its results to (docs/EXTERNAL.md). */
const EXTERNAL_RESULTS_TABLE = 'external_results';

/** What the harness tells an external job about its run. */
export interface ExternalRunSettings {
  runId: string;
  brokers: string[];
  topics: string[];
  ruleSet: RuleSet;
  mysqlUrl: string;
  /** The run folder: the job's logs, rules file and work folder go in it. */
  runDir: string;
}

/** The job's environment: the harness's own, plus the run's settings (docs/EXTERNAL.md, Environment). */
function externalEnvironment(
  spec: ExternalSpec,
  s: ExternalRunSettings,
  files: { rulesFile: string; workDir: string },
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const url = new URL(s.mysqlUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const port = url.port || '3306';
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  return {
    ...env,
    VITALS_RUN_ID: s.runId,
    VITALS_MODE: spec.name,
    VITALS_KAFKA_BROKERS: s.brokers.join(','),
    VITALS_TOPICS: s.topics.join(','),
    VITALS_RULES_FILE: files.rulesFile,
    VITALS_WORK_DIR: files.workDir,
    VITALS_RESULTS_TABLE: EXTERNAL_RESULTS_TABLE,
    MYSQL_URL: s.mysqlUrl,
    MYSQL_HOST: url.hostname,
    MYSQL_PORT: port,
    MYSQL_USER: decodeURIComponent(url.username),
    MYSQL_PASSWORD: decodeURIComponent(url.password),
    MYSQL_DATABASE: database,
    VITALS_JDBC_URL: `jdbc:mysql://${url.hostname}:${port}/${database}`,
  };
}

/** How an external job ended. */
export interface ExternalExit {
  code: number | null;
  signal: string | null;
  /** Epoch ms. */
  at: number;
  /** It ended because the harness stopped it (not on its own). */
  stopped: boolean;
  /** It did not end within the grace period after SIGTERM and was killed. */
  killed: boolean;
}

/**
 * One external job for one run: started through its guard (guard.ts) in a process group of
 * its own, ready when it prints its ready line, stopped with SIGTERM then SIGKILL.
 */
export class ExternalJob {
  readonly stdoutFile: string;
  readonly stderrFile: string;
  readonly startedAt = Date.now();
  /** Epoch ms of its ready line. */
  readyAt: number | undefined;
  /** CPU seconds its process group had used at its ready line (its start-up; processes that ended before are not counted). */
  startupCpuS: number | undefined;
  /** The rule ids it said it evaluates on its ready line (undefined: all of them). */
  declaredRules: string[] | undefined;
  private declarationError: string | undefined;
  /** The job's process group (its shell's pid), once started. */
  pgid: number | undefined;
  exit: ExternalExit | undefined;
  private readonly guard: ForkedChild<FromGuard, ToGuard>;
  private readonly listeners = new Set<(m: FromGuard) => void>();

  constructor(
    readonly spec: ExternalSpec,
    settings: ExternalRunSettings,
    private readonly log: (line: string) => void,
    graceMs = 20_000,
  ) {
    this.stdoutFile = join(settings.runDir, `${spec.name}.stdout.log`);
    this.stderrFile = join(settings.runDir, `${spec.name}.stderr.log`);
    const workDir = join(settings.runDir, `${spec.name}-work`);
    mkdirSync(workDir, { recursive: true });
    const rulesFile = join(settings.runDir, `${spec.name}-rules.json`);
    writeFileSync(rulesFile, JSON.stringify(settings.ruleSet, null, 2));
    this.guard = new ForkedChild(`the guard of ${spec.name}`, GUARD, [spec.name]);
    this.guard.on((m) => this.onMessage(m));
    const start: ToGuard = {
      type: 'start',
      command: spec.command,
      env: externalEnvironment(spec, settings, { rulesFile, workDir }),
      cwd: PROJECT_ROOT,
      stdoutFile: this.stdoutFile,
      stderrFile: this.stderrFile,
      graceMs,
    };
    this.guard.send(start);
    log(`[${spec.name}] started: bash -c ${JSON.stringify(spec.command)}`);
  }

  private onMessage(m: FromGuard): void {
    if (m.type === 'started') this.pgid = m.pid;
    else if (m.type === 'ready') {
      this.readyAt = m.at;
      this.startupCpuS = cpuSecondsOf(this.pids());
      this.readDeclaration(m.declaration);
    } else if (m.type === 'exited') {
      this.exit = { code: m.code, signal: m.signal, at: m.at, stopped: m.stopping, killed: m.killed };
      this.log(`[${this.spec.name}] ${describe(this.exit)}`);
    } else this.log(`[${this.spec.name}] could not start: ${m.message}`);
    for (const l of this.listeners) l(m);
  }

  /** `VITALS_READY {"rules": [...]}`: the rules it evaluates (docs/EXTERNAL.md). */
  private readDeclaration(text: string): void {
    if (!text) return;
    try {
      const d = JSON.parse(text) as unknown;
      const rules = (d as { rules?: unknown }).rules;
      if (!Array.isArray(rules) || !rules.every((r) => typeof r === 'string'))
        throw new Error('"rules" must be a list of rule ids');
      this.declaredRules = rules;
    } catch (err) {
      this.declarationError = `its ready line is not VITALS_READY or VITALS_READY {"rules": [...]} (${(err as Error).message}): ${text}`;
    }
  }

  /** Resolves with its start-up time (ms) at its ready line; rejects, naming it, if it ends first or takes too long. */
  waitReady(timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const done = (err: Error | null): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        if (err) reject(err);
        else resolve(this.readyAt! - this.startedAt);
      };
      const check = (): void => {
        if (this.declarationError) done(new Error(`external job ${this.spec.name}: ${this.declarationError}`));
        else if (this.readyAt !== undefined) done(null);
        else if (this.exit) done(new Error(this.neverReady(this.exit)));
      };
      const listener = (): void => check();
      const timer = setTimeout(
        () =>
          done(
            new Error(
              `external job ${this.spec.name} was not ready within ${Math.round(timeoutMs / 1000)} s (it never printed VITALS_READY on stdout)${this.stderrExcerpt()}`,
            ),
          ),
        timeoutMs,
      );
      this.listeners.add(listener);
      check();
    });
  }

  /** The pids of its process group now (for the cost), from /proc. */
  pids(): number[] {
    return this.pgid === undefined ? [] : processGroupMembers(this.pgid);
  }

  /** SIGTERM to its group, SIGKILL after the grace period; resolves when it and its guard have ended. */
  async stop(): Promise<ExternalExit | undefined> {
    this.guard.send({ type: 'stop' });
    await this.guard.exited;
    return this.exit;
  }

  /** What a failure message shows of its stderr: its first error-looking line, its last lines, the file. */
  stderrExcerpt(): string {
    return stderrExcerptOf(this.stderrFile);
  }

  /** A job that ended before its ready line: never ready, how and when it ended, and its stderr. */
  private neverReady(exit: ExternalExit): string {
    const after = ((exit.at - this.startedAt) / 1000).toFixed(1);
    return (
      `external job ${this.spec.name} was never ready: it ${describe(exit)} ${after} s after it started, ` +
      `before printing VITALS_READY on stdout${this.stderrExcerpt()}`
    );
  }
}

export function describe(exit: ExternalExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return exit.stopped
    ? `${how} when stopped${exit.killed ? ' (SIGKILL after the grace period)' : ''}`
    : `${how} on its own`;
}

/** The pids whose process group is pgid (field 5 of /proc/PID/stat). */
function processGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(entry));
    } catch {
      // ended between the listing and the read
    }
  }
  return out;
}
