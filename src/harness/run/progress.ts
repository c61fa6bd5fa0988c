import cliProgress from 'cli-progress';

/**
 * What a run is doing, as the harness samples it (about once a second). Each phase counts its
 * own time: warm-up and measuring from their own start up to their own length, draining from
 * the end of the load with no length (nobody knows in advance how long a drain takes).
 */
export interface ProgressState {
  phase: 'starting' | 'warm-up' | 'measuring' | 'draining' | 'final batch pass';
  /** Seconds into this phase. */
  elapsedS: number;
  /** The phase's planned length, seconds (warm-up, measuring); absent when it has none. */
  totalS?: number;
  /** True once the load generator has finished: its rates are no longer current. */
  loadDone: boolean;
  /** Offered and achieved readings/s over the load generator's latest report; absent when none is recent. */
  offered?: number;
  achieved?: number;
  /** Seconds since the load generator's last report, when that is too long ago for its rates to be current. */
  loadSilentS?: number;
  /** Readings Kafka acknowledged in total, shown once the load is done. */
  acknowledged?: number;
  /** Consumer backlog per group / mode (messages or readings). */
  backlog: Record<string, number>;
}

/** Which run of a sweep this is: "run 2/3: --batch-interval 10". `of` is absent when not known in advance (--find-max). */
export interface RunLabel {
  index: number;
  of?: number;
  what: string;
}

export interface Progress {
  /** A new run of a sweep: prints its "run i/n: ..." line and starts its progress afresh. */
  startRun(run: RunLabel): void;
  update(s: ProgressState): void;
  log(line: string): void;
  stop(): void;
}

const backlogText = (b: Record<string, number>): string =>
  Object.entries(b)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '-';

/** Seconds without spurious decimals: 30, 2.5. */
const secs = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** "run 2/3: --batch-interval 10" ("run 4: --rate 8000" when the number of runs is not known). */
export function runLine(run: RunLabel): string {
  return `run ${run.index}${run.of !== undefined ? `/${run.of}` : ''}: ${run.what}`;
}

/**
 * The progress text of one sample, without the "[bench] " prefix. A counter never passes its
 * total (time beyond it is shown as "+N s"), and once the load has ended no rate is shown as
 * if it were current: the line says "load done" instead.
 */
function formatProgress(s: ProgressState, run?: RunLabel): string {
  const elapsed = Math.max(0, s.elapsedS);
  let counter: string;
  if (s.totalS !== undefined) {
    const total = Math.max(0, s.totalS);
    const over = Math.floor(elapsed - total);
    counter = `${s.phase} ${secs(Math.min(Math.floor(elapsed), total))}/${secs(total)} s`;
    if (over >= 1 && !s.loadDone) counter += ` (+${over} s: the load is still sending)`;
  } else {
    counter = `${s.phase} ${Math.floor(elapsed)} s`;
  }
  let rates: string;
  if (s.loadDone)
    rates = `load done${s.acknowledged !== undefined ? ` (${s.acknowledged} readings acknowledged)` : ''}`;
  else if (s.offered === undefined || s.achieved === undefined) {
    rates =
      s.loadSilentS !== undefined
        ? `no report from the load generator for ${Math.floor(s.loadSilentS)} s`
        : 'load rate not measured yet';
  } else rates = `offered ${s.offered.toFixed(0)}/s, achieved ${s.achieved.toFixed(0)}/s`;
  const prefix = run ? `run ${run.index}${run.of !== undefined ? `/${run.of}` : ''} ` : '';
  return `${prefix}${counter}: ${rates}, backlog ${backlogText(s.backlog)}`;
}

/** The plain line of one sample. */
export function formatProgressLine(s: ProgressState, run?: RunLabel): string {
  return `[bench] ${formatProgress(s, run)}`;
}

export interface ProgressOptions {
  /** stderr is a terminal: a live bar unless `quiet`. */
  tty: boolean;
  /** --quiet: plain progress lines only (no live bar), as on a stream that is not a terminal. */
  quiet: boolean;
  /** Seconds between plain lines of the same phase (a change of phase prints at once). Default 5. */
  intervalS?: number;
  /** Milliseconds clock (tests pass a fake one). */
  now?: () => number;
  /** Where lines go (default stderr). */
  write?: (text: string) => void;
}

/**
 * A live bar on a terminal; otherwise (a CI log, a pipe, --quiet) one plain line when a phase
 * begins and every `intervalS` seconds within it. The throttle runs on the wall clock and starts
 * afresh with every run, so every run of a sweep reports its progress.
 */
export function createProgress(opts: ProgressOptions): Progress {
  const write = opts.write ?? ((text: string) => void process.stderr.write(text));
  const now = opts.now ?? Date.now;
  let run: RunLabel | undefined;
  if (opts.tty && !opts.quiet) {
    const bar = new cliProgress.SingleBar(
      {
        format: '|{bar}| {line}',
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    const stop = (): void => {
      if (started) bar.stop();
      started = false;
    };
    return {
      startRun: (r) => {
        stop();
        run = r;
        write(`[bench] ${runLine(r)}\n`);
      },
      update: (s) => {
        // The bar fills over the phase's length; a phase without one (draining) shows it full.
        const total = 1000;
        const value =
          s.totalS !== undefined && s.totalS > 0
            ? Math.min(total, Math.round((Math.max(0, s.elapsedS) / s.totalS) * total))
            : total;
        const payload = { line: formatProgress(s, run) };
        if (!started) {
          bar.start(total, value, payload);
          started = true;
        }
        bar.update(value, payload);
      },
      log: (line) => {
        stop();
        write(`${line}\n`);
      },
      stop,
    };
  }
  const intervalMs = (opts.intervalS ?? 5) * 1000;
  let lastAt = Number.NEGATIVE_INFINITY;
  let lastPhase: string | undefined;
  return {
    startRun: (r) => {
      run = r;
      lastAt = Number.NEGATIVE_INFINITY;
      lastPhase = undefined;
      write(`[bench] ${runLine(r)}\n`);
    },
    update: (s) => {
      const t = now();
      if (s.phase === lastPhase && t - lastAt < intervalMs) return;
      lastAt = t;
      lastPhase = s.phase;
      write(`${formatProgressLine(s, run)}\n`);
    },
    log: (line) => write(`${line}\n`),
    stop: () => undefined,
  };
}
