/**
 * Engines: every mode of the run side by side on the figures that compare engines like with like
 * (engines-table.ts): the observer's latency with its resolution, the built-in modes' headline
 * beside it, cost, memory, start-up and agreement with the rule reference.
 */
import type { RunResult } from '../../../results/schema.js';
import { cpuTitle, ENGINE_NOTES, engineRows, type EngineRow } from '../engines-table.js';
import { fmtCount, fmtMs, fmtNum, fmtRatio } from '../format.js';
import { table } from '../md-table.js';
import type { RunSection } from './section.js';

const na = (v: number | undefined, f: (x: number) => string = fmtNum): string => (v === undefined ? 'n/a' : f(v));

function row(e: EngineRow): string[] {
  return [
    e.external ? `${e.mode} (external)` : e.mode,
    na(e.visible?.count, fmtCount),
    na(e.visible?.p50, fmtMs),
    na(e.visible?.p95, fmtMs),
    na(e.visible?.p99, fmtMs),
    na(e.visible?.max, fmtMs),
    na(e.resolution_ms, fmtMs),
    na(e.committed?.count, fmtCount),
    na(e.committed?.p50, fmtMs),
    na(e.committed?.p99, fmtMs),
    e.cpu_ms_per_1000 === undefined ? 'n/a' : `${fmtNum(e.cpu_ms_per_1000)} (${e.cost_roles ?? e.mode})`,
    na(e.peak_rss_mib, (x) => fmtNum(x, 0)),
    na(e.startup_s),
    na(e.jaccard_record, fmtRatio),
    na(e.jaccard_window, fmtRatio),
    na(e.agreement_alerts, fmtCount),
  ];
}

/** The table's header for rows on one CPU basis. */
function engineHeader(basis: EngineRow['cpu_basis']): string[] {
  return [
    'mode',
    'visible n',
    'visible p50 (ms)',
    'p95',
    'p99',
    'max',
    'resolution (ms)',
    'committed n',
    'committed p50 (ms)',
    'p99',
    `${cpuTitle(basis)} (processes)`,
    'peak memory (MiB)',
    'start-up (s)',
    'Jaccard record',
    'Jaccard window',
    'agreement n',
  ];
}

function enginesSection(r: RunResult): string[] {
  const rows = engineRows(r);
  return [
    '## Engines',
    'Every mode of this run side by side, each first-visible result timed by the one results observer. ' +
      'The built-in modes also stamp their own commit (committed, the headline of Latency): the two columns set side by side show what the observer adds.',
    table(engineHeader(rows[0]!.cpu_basis), rows.map(row)),
    ENGINE_NOTES.map((n) => `- ${n}`).join('\n'),
  ];
}

export const engines: RunSection = {
  title: 'Engines',
  applies: (r) => engineRows(r).length > 0,
  render: enginesSection,
};
