import { describe, expect, it } from 'vitest';
import {
  createProgress,
  formatProgressLine,
  runLine,
  type ProgressState,
} from '../../../../src/harness/run/progress.js';

const backlog = { ingest: 0, stream: 12, batch: 340 };
const state = (s: Partial<ProgressState>): ProgressState => ({
  phase: 'measuring',
  elapsedS: 0,
  loadDone: false,
  backlog,
  ...s,
});

describe('formatProgressLine', () => {
  it('each phase counts its own seconds up to its own length', () => {
    expect(
      formatProgressLine(state({ phase: 'warm-up', elapsedS: 3.7, totalS: 10, offered: 500, achieved: 498.6 })),
    ).toBe('[bench] warm-up 3/10 s: offered 500/s, achieved 499/s, backlog ingest 0, stream 12, batch 340');
    expect(
      formatProgressLine(state({ phase: 'measuring', elapsedS: 12.2, totalS: 30, offered: 500, achieved: 500 })),
    ).toBe('[bench] measuring 12/30 s: offered 500/s, achieved 500/s, backlog ingest 0, stream 12, batch 340');
  });

  it('a counter never passes its total: time beyond it is said apart while the load still sends', () => {
    expect(formatProgressLine(state({ elapsedS: 32.5, totalS: 30, offered: 400, achieved: 390 }))).toBe(
      '[bench] measuring 30/30 s (+2 s: the load is still sending): offered 400/s, achieved 390/s, backlog ingest 0, stream 12, batch 340',
    );
    expect(formatProgressLine(state({ elapsedS: 29.99, totalS: 30, offered: 1, achieved: 1 }))).toContain(
      'measuring 29/30 s:',
    );
    expect(
      formatProgressLine(state({ phase: 'warm-up', elapsedS: -0.5, totalS: 2.5, offered: 1, achieved: 1 })),
    ).toContain('warm-up 0/2.5 s:');
  });

  it('draining counts its own time, with no total, and shows no rate as current: "load done"', () => {
    const line = formatProgressLine(
      state({ phase: 'draining', elapsedS: 57.4, loadDone: true, acknowledged: 6000, offered: 500, achieved: 500 }),
    );
    expect(line).toBe(
      '[bench] draining 57 s: load done (6000 readings acknowledged), backlog ingest 0, stream 12, batch 340',
    );
    expect(line).not.toMatch(/\d+\/\d+ s/);
    expect(line).not.toMatch(/offered|achieved/);
    expect(formatProgressLine(state({ phase: 'final batch pass', elapsedS: 61, loadDone: true, backlog: {} }))).toBe(
      '[bench] final batch pass 61 s: load done, backlog -',
    );
  });

  it('says so when the load generator has not reported (lately) instead of showing old rates', () => {
    expect(formatProgressLine(state({ phase: 'warm-up', elapsedS: 0.2, totalS: 10 }))).toBe(
      '[bench] warm-up 0/10 s: load rate not measured yet, backlog ingest 0, stream 12, batch 340',
    );
    expect(formatProgressLine(state({ phase: 'measuring', elapsedS: 15, totalS: 30, loadSilentS: 7.4 }))).toBe(
      '[bench] measuring 15/30 s: no report from the load generator for 7 s, backlog ingest 0, stream 12, batch 340',
    );
  });

  it('names the run of a sweep', () => {
    expect(runLine({ index: 2, of: 3, what: '--batch-interval 10' })).toBe('run 2/3: --batch-interval 10');
    expect(runLine({ index: 4, what: '--rate 8000' })).toBe('run 4: --rate 8000');
    expect(
      formatProgressLine(state({ elapsedS: 1, totalS: 6, offered: 200, achieved: 200 }), {
        index: 2,
        of: 2,
        what: '--batch-interval 4',
      }),
    ).toMatch(/^\[bench\] run 2\/2 measuring 1\/6 s: /);
  });
});

describe('createProgress (plain lines: no terminal, or --quiet)', () => {
  const setup = (opts: { tty: boolean; quiet: boolean }) => {
    let t = 0;
    const out: string[] = [];
    const p = createProgress({ ...opts, now: () => t, write: (s) => out.push(s) });
    return { p, out, advance: (ms: number) => (t += ms) };
  };

  it('prints when a phase begins and every 5 s within it', () => {
    const { p, out, advance } = setup({ tty: false, quiet: false });
    p.update(state({ phase: 'warm-up', elapsedS: 0, totalS: 2, offered: 1, achieved: 1 }));
    advance(1000);
    p.update(state({ phase: 'warm-up', elapsedS: 1, totalS: 2, offered: 1, achieved: 1 }));
    advance(1000);
    p.update(state({ phase: 'measuring', elapsedS: 0, totalS: 30, offered: 1, achieved: 1 }));
    for (let i = 1; i <= 6; i++) {
      advance(1000);
      p.update(state({ phase: 'measuring', elapsedS: i, totalS: 30, offered: 1, achieved: 1 }));
    }
    expect(out.map((l) => l.match(/\] (\S+ \d+)/)?.[1])).toEqual(['warm-up 0', 'measuring 0', 'measuring 5']);
  });

  it('every run of a sweep reports progress, however long the run before it took', () => {
    const { p, out, advance } = setup({ tty: false, quiet: false });
    p.startRun({ index: 1, of: 2, what: '--batch-interval 2' });
    for (let i = 0; i <= 60; i++) {
      p.update(
        state({
          phase: i < 8 ? 'measuring' : 'draining',
          elapsedS: i < 8 ? i : i - 8,
          totalS: i < 8 ? 8 : undefined,
          loadDone: i >= 8,
        }),
      );
      advance(1000);
    }
    const firstRun = out.length;
    p.log('[bench] collecting results from MySQL');
    p.stop();
    p.startRun({ index: 2, of: 2, what: '--batch-interval 4' });
    p.update(state({ phase: 'warm-up', elapsedS: 0, totalS: 1, offered: 200, achieved: 200 }));
    advance(1000);
    p.update(state({ phase: 'measuring', elapsedS: 0, totalS: 6, offered: 200, achieved: 200 }));
    const second = out.slice(firstRun);
    expect(out[0]).toBe('[bench] run 1/2: --batch-interval 2\n');
    expect(second).toEqual([
      '[bench] collecting results from MySQL\n',
      '[bench] run 2/2: --batch-interval 4\n',
      '[bench] run 2/2 warm-up 0/1 s: offered 200/s, achieved 200/s, backlog ingest 0, stream 12, batch 340\n',
      '[bench] run 2/2 measuring 0/6 s: offered 200/s, achieved 200/s, backlog ingest 0, stream 12, batch 340\n',
    ]);
  });

  it('--quiet gives plain progress lines (not silence), even on a terminal', () => {
    const { p, out } = setup({ tty: true, quiet: true });
    p.startRun({ index: 1, of: 1, what: '--rate 500' });
    p.update(state({ phase: 'measuring', elapsedS: 1, totalS: 30, offered: 500, achieved: 500 }));
    p.log('[bench] load done');
    expect(out).toEqual([
      '[bench] run 1/1: --rate 500\n',
      '[bench] run 1/1 measuring 1/30 s: offered 500/s, achieved 500/s, backlog ingest 0, stream 12, batch 340\n',
      '[bench] load done\n',
    ]);
  });
});
