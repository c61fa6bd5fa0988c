import { nullableNumberOf, numberOf, queryRows, type Pool } from '../../infra/mysql.js';

/** One row of external_results as the harness saw it. */
export interface ExternalResultRow {
  result_id: number;
  rule_id: string | null;
  patient_id: number;
  seq: number | null;
  window_start: number | null;
  /** inserted_at (the database clock at the insert), epoch ms. */
  inserted_at: number;
  /** t_visible: the start of the first poll that returned the row (epoch ms). */
  visible_at: number;
  /** Seen only by the final scan, not by a poll while the run went on. */
  final_scan: boolean;
}

const PAGE = 50_000;

const COLUMNS = `result_id, rule_id, patient_id, seq, window_start,
  CAST(UNIX_TIMESTAMP(inserted_at) * 1000 AS DOUBLE) AS inserted_ms`;

/**
 * Watches one external job's results while the run goes on: every `intervalMs` it asks for the
 * rows after the last one it has seen, and stamps each new row with the time that query was
 * sent (its t_visible: the row was committed before that instant and after the previous poll
 * began). A writer that commits rows out of id order would leave a row behind the cursor: the
 * final scan reads every row once more and stamps the ones the polls missed with its own time.
 */
export class ResultsPoller {
  readonly rows = new Map<number, ExternalResultRow>();
  /** Largest gap between the starts of two consecutive polls (ms): the resolution of t_visible. */
  largestGapMs = 0;
  polls = 0;
  private cursor = 0;
  private lastNewAt: number | undefined;
  private lastPollAt: number | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly runId: string,
    readonly mode: string,
    readonly intervalMs: number,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const at = Date.now();
        try {
          await this.poll(at);
        } catch (err) {
          // A database outage: the next poll (or the final scan) sees the rows; said in the log by the caller.
          this.failure = err as Error;
        }
        await new Promise((r) => setTimeout(r, Math.max(0, this.intervalMs - (Date.now() - at))));
      }
    })();
  }

  /** The last poll error, once (for the run log). */
  takeFailure(): Error | undefined {
    const f = this.failure;
    this.failure = undefined;
    return f;
  }

  /** When the latest new row was seen (epoch ms), or undefined. */
  get lastNewRowAt(): number | undefined {
    return this.lastNewAt;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Every row of the job once more; rows the polls missed are stamped with this scan's start. */
  async finalScan(): Promise<number> {
    const at = Date.now();
    let missed = 0;
    for (let after = 0; ;) {
      const page = await this.read(after, at, true);
      for (const r of page)
        if (!this.rows.has(r.result_id)) {
          this.rows.set(r.result_id, r);
          missed++;
        }
      if (page.length < PAGE) return missed;
      after = page[page.length - 1]!.result_id;
    }
  }

  private async poll(at: number): Promise<void> {
    if (this.lastPollAt !== undefined) this.largestGapMs = Math.max(this.largestGapMs, at - this.lastPollAt);
    this.lastPollAt = at;
    this.polls++;
    const fresh = await this.read(this.cursor, at, false);
    for (const r of fresh) {
      this.rows.set(r.result_id, r);
      this.cursor = Math.max(this.cursor, r.result_id);
    }
    if (fresh.length) this.lastNewAt = at;
  }

  private read(after: number, at: number, finalScan: boolean): Promise<ExternalResultRow[]> {
    return queryRows(
      this.pool,
      `SELECT ${COLUMNS} FROM external_results WHERE run_id = ? AND mode = ? AND result_id > ? ORDER BY result_id LIMIT ${PAGE}`,
      [this.runId, this.mode, after],
      (r): ExternalResultRow => ({
        result_id: numberOf(r.result_id),
        rule_id: r.rule_id === null ? null : String(r.rule_id as string),
        patient_id: numberOf(r.patient_id),
        seq: nullableNumberOf(r.seq),
        window_start: nullableNumberOf(r.window_start),
        inserted_at: numberOf(r.inserted_ms),
        visible_at: at,
        final_scan: finalScan,
      }),
    );
  }
}
