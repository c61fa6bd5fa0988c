/**
 * The contract of a fault kind: one module per kind (faults/kinds/) says how it is written,
 * parsed, checked, injected, when it ends and how the harness noticed it. The registry
 * (spec.ts) maps every kind of the FaultSpec union to its module, so a kind without an
 * injector or a report does not compile.
 */
import type { Pool } from '../../infra/mysql.js';
import type { Detection, Explained, FaultAnalysisInput, FaultSpecBase, InjectedFault } from './analysis.js';

/** The parts of `KIND[:TARGET]@AT[:DURATION]`, times in seconds. */
export interface FaultParts {
  text: string;
  target: string | undefined;
  atS: number;
  durationS: number | undefined;
}

/** A process a fault can act on: a pipeline role, or an external job's whole process group. */
export interface FaultTarget {
  readonly name: string;
  /** "stream role", "external job flink". */
  readonly description: string;
  /** Its process (a role) or process group (an external job) now; undefined when it is not running. */
  readonly pid: number | undefined;
  /** `pid` names a process group (an external job): signals go to every process of it. */
  readonly isGroup: boolean;
  /** Sends the signal to the process, or to every process of the group. */
  signal(sig: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void;
  /** Called before a kill: the exit that follows is the fault's, and the target is to be started again. */
  expectKill?(): void;
}

export interface FaultContext {
  /** Seconds since the load started. */
  clock(): number;
  /** A role (ingest, stream, batch) or an external job by its mode name. */
  target(name: string): FaultTarget | undefined;
  pool: Pool;
  log(line: string): void;
  /** Registers what to undo if the run is cancelled mid-fault (continue a paused process); returns its removal. */
  onCancel(undo: () => void): () => void;
}

export interface FaultKind<S extends FaultSpecBase> {
  readonly kind: S['kind'];
  /** How it is written, for the help and error messages: "kill:TARGET@15s". */
  readonly syntax: string;
  /** The spec from its parts; `fail` throws with the reason. */
  parse(p: FaultParts, fail: (why: string) => never): S;
  /** When its effect ends by itself (seconds since the load started). */
  endS(spec: S): number;
  /** What it acts on, for reports: "stream role", "Kafka broker". */
  target(spec: S): string;
  /** Refuses, when the command is read, a target this run does not have (targets: roles and external modes). */
  checkTarget?(spec: S, targets: readonly string[]): void;
  /** Refuses, once the services are up and before the run starts, what cannot be done to them here. */
  checkRunnable?(spec: S, env: NodeJS.ProcessEnv): void;
  inject(spec: S, ctx: FaultContext, rec: InjectedFault<S>): Promise<void>;
  /** The server it takes down while it runs: the run expects that outage and does not stop for it. */
  takesDown?(spec: S): 'kafka' | 'db';
  /** How the harness noticed it, from the run's record. */
  detect(x: FaultAnalysisInput, spec: S, atS: number, endedS: number, explained: Explained): Detection;
  /**
   * What recovery means for it: the Kafka consumers back at their backlog before the fault
   * (the default), the batch layer's catch-up (a pass ending after it), or an external job
   * ready again after its restart (the harness sees such a job only through its results).
   */
  recovery?(spec: S): 'consumers' | 'batch-pass' | 'restart';
}
