import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config.js';
import { SightingIndex, type ObservedSource, type SightingLookup } from '../measure/results-observer.js';
import { restoreDatabaseThreads } from './database-thread.js';
import { ForkedChild } from './forked-child.js';
import type { FromObserver, SightingTriples, ToObserver } from './observer-protocol.js';

const ENTRY = join(PROJECT_ROOT, 'dist/src/harness/processes/observer-child.js');

/** Niceness of the observer: above the pipelines', so that a loaded machine delays its queries less. */
const OBSERVER_NICE = -5;

export interface ObserverSettings {
  mysqlUrl: string;
  runId: string;
  sources: ObservedSource[];
  intervalMs: number;
}

type Done = Extract<FromObserver, { type: 'done' }>;

/** What the observer saw: each mode's results by id, its rounds and what they cost. */
export interface Observation {
  sightings: Map<string, SightingLookup>;
  stats: Done['stats'];
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
  private readonly proc: ForkedChild<FromObserver, ToObserver>;
  private readonly lastNew = new Map<string, number>();
  /** Each mode's sightings as their chunks arrive (observer-child.ts sends them before 'done'). */
  private readonly sightings = new Map<string, ReturnType<typeof SightingIndex.builder>>();
  private readonly done: Promise<Done>;
  private readonly ready: Promise<unknown>;
  private readonly intervalMs: number;
  /** Its connections' database threads and the niceness the latest got (database-thread.ts). */
  private readonly databaseThreads = new Set<number>();
  private databaseThreadPriority = 'not known (no connection yet)';

  constructor(
    settings: ObserverSettings,
    private readonly log: (line: string) => void,
  ) {
    this.intervalMs = settings.intervalMs;
    this.proc = new ForkedChild('the results observer', ENTRY, [settings.runId], { nice: OBSERVER_NICE });
    this.proc.on((m) => {
      if (m.type === 'progress') for (const [k, v] of Object.entries(m.lastNewAt)) this.lastNew.set(k, v);
      else if (m.type === 'round-failed') log(`[observer] a round failed: ${m.message}`);
      else if (m.type === 'database-thread') this.noteDatabaseThread(m);
      else if (m.type === 'sightings') this.noteSightings(m.mode, m.triples);
    });
    const forever = 2 ** 31 - 1;
    this.done = this.proc.waitFor((m): m is Done => m.type === 'done', forever, 'its report');
    this.done.catch(() => undefined);
    this.ready = this.proc.waitFor(
      (m): m is Extract<FromObserver, { type: 'ready' }> => m.type === 'ready',
      60_000,
      'ready',
    );
    this.ready.catch(() => undefined);
    this.proc.send({ type: 'start', ...settings });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** The observer's niceness and its database thread's. */
  get priority(): string {
    return `${this.proc.priority}; its database thread ${this.databaseThreadPriority}`;
  }

  private noteSightings(mode: string, triples: SightingTriples): void {
    let builder = this.sightings.get(mode);
    if (!builder) this.sightings.set(mode, (builder = SightingIndex.builder()));
    builder.add(triples);
  }

  private noteDatabaseThread(m: Extract<FromObserver, { type: 'database-thread' }>): void {
    this.databaseThreadPriority = m.priority;
    if (m.tid !== undefined && m.priority.startsWith('nice ')) this.databaseThreads.add(m.tid);
    this.log(`[observer] its database thread${m.tid !== undefined ? ` ${m.tid}` : ''}: ${m.priority}`);
  }

  /** Resolves once the observer has its connection and polls. */
  async started(): Promise<void> {
    await this.ready;
  }

  /** When the observer last saw a new result of the mode (epoch ms), as of its latest report. */
  lastNewAt(mode: string): number | undefined {
    return this.lastNew.get(mode);
  }

  /** Its last round done, what it saw. */
  async stop(): Promise<Observation> {
    this.proc.send({ type: 'stop' });
    const m = await this.done;
    const sightings = new Map<string, SightingLookup>();
    for (const [mode, builder] of this.sightings) sightings.set(mode, builder.build());
    this.sightings.clear();
    const stalls = m.stats.longestGaps.map((g) => `${g.gapMs} ms to ${new Date(g.at).toISOString().slice(11, 23)}`);
    if (stalls.length) this.log(`[observer] its widest round gaps: ${stalls.join(', ')} (UTC)`);
    return { sightings, stats: m.stats, priority: this.priority, intervalMs: this.intervalMs };
  }

  /** Ends it without its report (the run failed before the observation mattered); its database threads back to the default. */
  kill(): void {
    void this.proc.kill().then(() => restoreDatabaseThreads(this.databaseThreads, this.log));
  }
}
