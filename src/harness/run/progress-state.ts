import type { ProducerProgress } from '../../generators/producer.js';
import type { ProgressState } from './progress.js';

const NO_PROGRESS: ProducerProgress = { planned: 0, sent: 0, acknowledged: 0, elapsedMs: 0 };

/**
 * The progress line's state. Each phase counts its own seconds; the rates are those between the
 * load generator's two latest reports, and none is shown once the load has ended.
 */
export class RunProgress {
  private prev: ProducerProgress = NO_PROGRESS;
  private last: ProducerProgress | undefined;
  /** When the latest report came (epoch ms). */
  private lastAt = 0;
  private loadEndedAt: number | undefined;
  private acknowledged: number | undefined;
  private finalPassAt: number | undefined;

  constructor(
    private readonly scheduleStart: number,
    private readonly warmupS: number,
    private readonly durationS: number,
  ) {}

  readonly onLoadProgress = (p: ProducerProgress): void => {
    this.prev = this.last ?? NO_PROGRESS;
    this.last = p;
    this.lastAt = Date.now();
  };

  loadEnded(at: number, acknowledged: number): void {
    this.loadEndedAt = at;
    this.acknowledged = acknowledged;
  }

  finalPassStarted(at: number): void {
    this.finalPassAt = at;
  }

  state(at: number, b: Record<string, number>): ProgressState {
    if (this.loadEndedAt !== undefined) {
      const acknowledged = this.acknowledged;
      if (this.finalPassAt !== undefined)
        return {
          phase: 'final batch pass',
          elapsedS: (at - this.finalPassAt) / 1000,
          loadDone: true,
          acknowledged,
          backlog: b,
        };
      return { phase: 'draining', elapsedS: (at - this.loadEndedAt) / 1000, loadDone: true, acknowledged, backlog: b };
    }
    const sinceStart = (at - this.scheduleStart) / 1000;
    if (sinceStart < 0) return { phase: 'starting', elapsedS: 0, loadDone: false, backlog: b };
    const rates = this.rates(at);
    if (sinceStart < this.warmupS)
      return { phase: 'warm-up', elapsedS: sinceStart, totalS: this.warmupS, loadDone: false, ...rates, backlog: b };
    return {
      phase: 'measuring',
      elapsedS: sinceStart - this.warmupS,
      totalS: this.durationS,
      loadDone: false,
      ...rates,
      backlog: b,
    };
  }

  private rates(at: number): Pick<ProgressState, 'offered' | 'achieved' | 'loadSilentS'> {
    const { prev, last } = this;
    // elapsedMs counts from the schedule's start (negative before it): nothing is due before it.
    const dt = last ? (last.elapsedMs - Math.max(0, prev.elapsedMs)) / 1000 : 0;
    const silentS = last ? (at - this.lastAt) / 1000 : undefined;
    // A rate is the difference of two reports at least half a second of schedule apart, the latest from the last 5 s.
    return last && dt >= 0.5 && silentS! < 5
      ? { offered: (last.planned - prev.planned) / dt, achieved: (last.acknowledged - prev.acknowledged) / dt }
      : silentS !== undefined && silentS >= 5
        ? { loadSilentS: silentS }
        : {};
  }
}
