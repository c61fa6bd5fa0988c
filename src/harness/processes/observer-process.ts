import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config.js';
import type { ObservedSource, Sighting } from '../measure/results-observer.js';
import type { FromObserver } from './observer-protocol.js';

const ENTRY = join(PROJECT_ROOT, 'dist/src/harness/processes/observer-child.js');

/** Niceness of the observer: above the pipelines', so that a loaded machine delays its queries less. */
const OBSERVER_NICE = -5;

export interface ObserverSettings {
  mysqlUrl: string;
  runId: string;
  sources: ObservedSource[];
  intervalMs: number;
}

/** What the observer saw: each mode's results by id, its rounds and what they cost. */
export interface Observation {
  sightings: Map<string, Map<number, Sighting>>;
  stats: Extract<FromObserver, { type: 'done' }>['stats'];
  /** The niceness it ran at, or why it ran at the default. */
  priority: string;
  intervalMs: number;
}

/**
 * The results observer (measure/results-observer.ts) in a process of its own, at a raised
 * priority where the harness may set one: started before the load, stopped after the last
 * result, ended with the run however the run ends (it exits when the harness is gone).
 */
export class ObserverProcess {
  private readonly child: ChildProcess;
  private readonly lastNew = new Map<string, number>();
  private readonly done: Promise<Extract<FromObserver, { type: 'done' }>>;
  private readonly ready: Promise<void>;
  readonly priority: string;

  private readonly intervalMs: number;

  constructor(
    settings: ObserverSettings,
    private readonly log: (line: string) => void,
  ) {
    this.intervalMs = settings.intervalMs;
    this.child = fork(ENTRY, [settings.runId], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.priority = raise(this.child.pid);
    let readyFn!: () => void;
    this.ready = new Promise((r) => (readyFn = r));
    const exited = new Promise<never>((_, reject) =>
      this.child.once('exit', (code, signal) =>
        reject(new Error(`the results observer ended (${signal ?? `exit code ${code}`}) before it reported`)),
      ),
    );
    exited.catch(() => undefined);
    this.done = Promise.race([
      new Promise<Extract<FromObserver, { type: 'done' }>>((resolve) =>
        this.child.on('message', (m: FromObserver) => {
          if (m.type === 'ready') readyFn();
          else if (m.type === 'progress') for (const [k, v] of Object.entries(m.lastNewAt)) this.lastNew.set(k, v);
          else if (m.type === 'round-failed') this.log(`[observer] a round failed: ${m.message}`);
          else resolve(m);
        }),
      ),
      exited,
    ]);
    this.done.catch(() => undefined);
    this.child.send({ type: 'start', ...settings });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves once the observer has its connection and polls. */
  async started(): Promise<void> {
    await Promise.race([this.ready, this.done]);
  }

  /** When the observer last saw a new result of the mode (epoch ms), as of its latest report. */
  lastNewAt(mode: string): number | undefined {
    return this.lastNew.get(mode);
  }

  /** Its last round done, what it saw. */
  async stop(): Promise<Observation> {
    if (this.child.connected) this.child.send({ type: 'stop' });
    const m = await this.done;
    const sightings = new Map<string, Map<number, Sighting>>();
    for (const [mode, triples] of Object.entries(m.sightings))
      sightings.set(mode, new Map(triples.map(([id, at, notBefore]) => [id, { at, notBefore }])));
    return { sightings, stats: m.stats, priority: this.priority, intervalMs: this.intervalMs };
  }

  /** Ends it without its report (the run failed before the observation mattered). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function raise(pid: number | undefined): string {
  if (pid === undefined) return 'default (no pid)';
  try {
    setPriority(pid, OBSERVER_NICE);
    return `nice ${OBSERVER_NICE}`;
  } catch (err) {
    return `nice 0 (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}: raising a priority needs root or CAP_SYS_NICE)`;
  }
}
