/**
 * Set-up: the run's parameters (results.json `parameters`, the resolved rules as their own table) and its environment.
 */
import type { RunResult } from '../../../results/schema.js';
import { table } from '../md-table.js';
import { always, type RunSection } from './section.js';

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  // String() only gets what JSON has no text for (a function, a symbol, an object whose toJSON()
  // returns undefined), never a plain object: JSON.stringify gives those a text.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- last resort for non-JSON values, see above
  return JSON.stringify(v) ?? String(v);
}

function kvTable(obj: Record<string, unknown>, keyTitle: string): string {
  const entries = Object.entries(obj);
  if (entries.length === 0) return '_none recorded_';
  return table(
    [keyTitle, 'value'],
    entries.map(([k, v]) => [k, valueText(v)]),
  );
}

/** The rules as a reader would write them. */
function rulesTable(parameters: Record<string, unknown>): string | null {
  const rs = parameters.rules_resolved as { name?: string; rules?: Array<Record<string, unknown>> } | undefined;
  if (!rs?.rules?.length) return null;
  return table(
    ['rule', 'condition', 'severity'],
    rs.rules.map((x) => [
      String(x.id),
      x.kind === 'window'
        ? `${String(x.agg)}(${String(x.vital)}) over ${String(x.window_s)} s ${String(x.op)} ${String(x.value)}`
        : `${String(x.vital)} ${String(x.op)} ${String(x.value)}`,
      String(x.severity),
    ]),
  );
}

/** The modes as run: the built-in ones and each external job with its command. */
function modesText(r: RunResult): string {
  return [
    ...r.modes.map((m) => m.mode),
    ...(r.external?.jobs ?? []).map((j) => `${j.name} (external: ${j.command})`),
  ].join(', ');
}

/** The run's parameters (the resolved rules as their own table, every mode in "modes") and its environment. */
function setUpSection(r: RunResult): string[] {
  const { rules_resolved: _rules, ...setup } = r.parameters;
  if (r.external?.jobs.length) setup.modes = modesText(r);
  const rules = rulesTable(r.parameters);
  return [
    '## Set-up',
    kvTable(setup, 'parameter'),
    ...(rules ? ['### Rules', rules] : []),
    '## Environment',
    kvTable(r.environment, 'item'),
  ];
}

export const setUp: RunSection = { title: 'Set-up', applies: always, render: setUpSection };
