import cliProgress from 'cli-progress';

export interface ProgressState {
  phase: string;
  elapsedS: number;
  totalS: number;
  offered: number;
  achieved: number;
  backlog: Record<string, number>;
}

export interface Progress {
  update(s: ProgressState): void;
  log(line: string): void;
  stop(): void;
}

const backlogText = (b: Record<string, number>): string => Object.entries(b).map(([k, v]) => `${k} ${v}`).join(', ') || '-';

/** A live bar on a terminal; one plain line every few seconds otherwise (CI logs, --quiet). */
export function createProgress(opts: { tty: boolean; quiet: boolean }): Progress {
  if (opts.tty && !opts.quiet) {
    const bar = new cliProgress.SingleBar({
      format: '{phase} |{bar}| {elapsed}/{total_s} s | offered {offered}/s achieved {achieved}/s | backlog {backlog}',
      hideCursor: true,
      clearOnComplete: true,
    }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update: (s) => {
        const payload = { phase: s.phase.padEnd(9), elapsed: s.elapsedS.toFixed(0), total_s: s.totalS.toFixed(0), offered: s.offered.toFixed(0), achieved: s.achieved.toFixed(0), backlog: backlogText(s.backlog) };
        if (!started) {
          bar.start(Math.max(1, Math.round(s.totalS)), 0, payload);
          started = true;
        }
        bar.update(Math.min(Math.round(s.elapsedS), Math.round(s.totalS)), payload);
      },
      log: (line) => {
        if (started) bar.stop();
        started = false;
        process.stderr.write(`${line}\n`);
      },
      stop: () => {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let last = 0;
  return {
    update: (s) => {
      if (opts.quiet || s.elapsedS - last < 5) return;
      last = s.elapsedS;
      process.stderr.write(`[bench] ${s.phase} ${s.elapsedS.toFixed(0)}/${s.totalS.toFixed(0)} s: offered ${s.offered.toFixed(0)}/s, achieved ${s.achieved.toFixed(0)}/s, backlog ${backlogText(s.backlog)}\n`);
    },
    log: (line) => process.stderr.write(`${line}\n`),
    stop: () => undefined,
  };
}
