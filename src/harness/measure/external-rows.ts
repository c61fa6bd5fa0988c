import { nullableNumberOf, nullableStringOf, numberOf, queryRows, type Pool } from '../../infra/mysql.js';
import type { SightingLookup } from './results-observer.js';

/** One row of external_results as the harness saw it. */
export interface ExternalResultRow {
  result_id: number;
  rule_id: string | null;
  patient_id: number;
  seq: number | null;
  window_start: number | null;
  /** inserted_at (the database clock at the insert), epoch ms. */
  inserted_at: number;
  /** t_visible: the start of the first query of the observer that returned the row (epoch ms). */
  visible_at: number;
  /** The start of the observer's query before, which did not return it: t_visible is late by at most visible_at - not_before. */
  not_before: number;
  /** Seen only by the final scan, not by the observer while the run went on (stamped with the scan). */
  final_scan: boolean;
}

const PAGE = 50_000;

/**
 * Every row one job wrote, read once more after the run, with the observer's sighting of each;
 * rows the observer never saw (committed long out of id order) carry the scan's start and are
 * marked, so the report can count them.
 */
export async function readExternalRows(
  pool: Pool,
  runId: string,
  mode: string,
  seen: SightingLookup,
  observedFrom: number,
): Promise<ExternalResultRow[]> {
  const at = Date.now();
  const out: ExternalResultRow[] = [];
  for (let after = 0; ;) {
    const page = await queryRows(
      pool,
      `SELECT result_id, rule_id, patient_id, seq, window_start,
         CAST(UNIX_TIMESTAMP(inserted_at) * 1000 AS DOUBLE) AS inserted_ms
       FROM external_results WHERE run_id = ? AND mode = ? AND result_id > ? ORDER BY result_id LIMIT ${PAGE}`,
      [runId, mode, after],
      (r): ExternalResultRow => {
        const id = numberOf(r.result_id);
        const s = seen.get(id);
        return {
          result_id: id,
          rule_id: nullableStringOf(r.rule_id),
          patient_id: numberOf(r.patient_id),
          seq: nullableNumberOf(r.seq),
          window_start: nullableNumberOf(r.window_start),
          inserted_at: numberOf(r.inserted_ms),
          visible_at: s?.at ?? at,
          not_before: s?.notBefore ?? observedFrom,
          final_scan: s === undefined,
        };
      },
    );
    out.push(...page);
    if (page.length < PAGE) return out;
    after = page[page.length - 1]!.result_id;
  }
}
