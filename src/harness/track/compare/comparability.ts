/**
 * Whether runs measured the same workload and may be compared: every parameter that defines
 * the workload must be the same in all runs of both sides. What only names or places a run
 * (run_id, outDir, label, topics, the swept marker) does not count.
 */
import { canonicalJson, COMPARABLE_PARAMETER_KEYS, externalWorkload } from '../history.js';
import type { RunResult } from '../../../results/schema.js';

/**
 * The run parameters (keys of results.json `parameters`) that define the workload and must be
 * equal for runs to be comparable. `rules` is compared by the resolved rule set's content
 * (`rules_resolved`) when the runs recorded it, so a profile name and the same rules from a file
 * compare equal. The same list as the history's workload hash (COMPARABLE_PARAMETER_KEYS and the
 * external modes), so a history series and a comparison agree on what one workload is. Not compared: run_id,
 * outDir/out, label, topics/topicPrefix, swept, maxRestarts, injectDelayMs (calibration compares
 * a delayed run with an undelayed one).
 */
export const COMPARED_PARAMETERS = [
  ...COMPARABLE_PARAMETER_KEYS.map((k) => (k === 'rules_resolved' ? 'rules' : k)),
  // The external modes and the rules each job declared (history.ts externalWorkload): a job that
  // declared fewer rules is judged on other results, and any job shares the machine.
  'externals',
];

/** Runs that measured different workloads: the CLI exits 2 with the message. */
export class IncomparableError extends Error {
  override name = 'IncomparableError';
  constructor(
    message: string,
    readonly parameter: string,
  ) {
    super(message);
  }
}

/**
 * The value of one compared parameter in a run, as a canonical string (undefined: not recorded)
 * and as it reads in a message.
 */
export function parameterValue(run: RunResult, key: string): { canonical: string | undefined; text: string } {
  const p = run.parameters ?? {};
  if (key === 'externals') return externalsValue(run);
  let v: unknown = p[key];
  if (key === 'rules' && p.rules_resolved !== undefined) {
    const name = typeof p.rules === 'string' ? p.rules : undefined;
    return {
      canonical: `resolved:${canonicalJson(p.rules_resolved)}`,
      text: name ? `"${name}" (resolved rule set)` : 'a resolved rule set',
    };
  }
  // Runs from before --fault existed injected none: the same workload as an empty list.
  if (key === 'faults' && (v === undefined || v === null)) v = [];
  if (v === undefined || v === null) return { canonical: undefined, text: 'not recorded' };
  // The modes are a set: "batch,stream" runs the same workload as "stream,batch".
  if (key === 'modes' && Array.isArray(v)) v = [...(v as unknown[])].map(String).sort();
  // A fault is its spec: the text as typed says all of it.
  if (key === 'faults' && Array.isArray(v))
    v = (v as unknown[]).map((f) => (f && typeof f === 'object' && 'text' in f ? f.text : f));
  const canonical = canonicalJson(v);
  const text = Array.isArray(v)
    ? v.length
      ? (v as unknown[]).map((x) => (typeof x === 'string' ? x : canonicalJson(x))).join(',')
      : 'none'
    : typeof v === 'string'
      ? v
      : canonical;
  return { canonical, text };
}

/** The external modes of a run: "spark (rules hr_high, spo2_low), flink (every rule)", or none. */
function externalsValue(run: RunResult): { canonical: string; text: string } {
  const w = externalWorkload(run) ?? [];
  return {
    canonical: canonicalJson(w),
    text: w.length
      ? w.map((e) => `${e.name} (${e.rules ? `rules ${e.rules.join(', ')}` : 'every rule'})`).join(', ')
      : 'none',
  };
}

interface Difference {
  parameter: string;
  /** The reference run (the first BASE run) and its value. */
  reference: { side: 'BASE' | 'NEW'; name: string; value: string };
  other: { side: 'BASE' | 'NEW'; name: string; value: string };
}

interface SidedRun {
  side: 'BASE' | 'NEW';
  name: string;
  result: RunResult;
}

/**
 * The first parameter in which some run differs from the first BASE run, or undefined when all
 * runs are comparable. `ignore` leaves parameters out (an A/B command that varies one on purpose).
 */
function findDifference(runs: readonly SidedRun[], ignore: readonly string[] = []): Difference | undefined {
  const [ref, ...rest] = runs;
  if (!ref) return undefined;
  for (const key of COMPARED_PARAMETERS) {
    if (ignore.includes(key)) continue;
    const want = parameterValue(ref.result, key);
    for (const r of rest) {
      const got = parameterValue(r.result, key);
      if (got.canonical !== want.canonical) {
        const refText = want.text;
        let otherText = got.text;
        // Two resolved rule sets with the same name but other rules: say that the content differs.
        if (refText === otherText) otherText = `${otherText} with other content`;
        return {
          parameter: key,
          reference: { side: ref.side, name: ref.name, value: refText },
          other: { side: r.side, name: r.name, value: otherText },
        };
      }
    }
  }
  return undefined;
}

/** "incomparable runs: batchInterval differs: 2 in BASE run A, 10 in NEW run B". */
function differenceMessage(d: Difference): string {
  return (
    `incomparable runs: parameter "${d.parameter}" differs: ${d.reference.value} in ${d.reference.side} run ${d.reference.name}, ` +
    `${d.other.value} in ${d.other.side} run ${d.other.name} (compared: ${COMPARED_PARAMETERS.join(', ')})`
  );
}

/**
 * Throws IncomparableError naming the parameter when the runs did not measure the same workload.
 * `across`: the one compared parameter BASE and NEW may differ in (compare --across); the runs of
 * each side must still agree on it among themselves.
 */
export function assertComparable(base: readonly RunResult[], next: readonly RunResult[], across?: string): void {
  const runs: SidedRun[] = [
    ...base.map((result) => ({ side: 'BASE' as const, name: result.run_id, result })),
    ...next.map((result) => ({ side: 'NEW' as const, name: result.run_id, result })),
  ];
  const d = findDifference(runs, across ? [across] : []);
  if (d) throw new IncomparableError(differenceMessage(d), d.parameter);
  if (!across) return;
  for (const [side, sideRuns] of [
    ['BASE', base],
    ['NEW', next],
  ] as const) {
    const values = [...new Set(sideRuns.map((r) => parameterValue(r, across).text))];
    if (values.length > 1)
      throw new IncomparableError(
        `the ${side} runs differ in "${across}" among themselves (${values.join(', ')}): --across ${flagOf(across)}=BASE_VALUE,NEW_VALUE picks one value a side`,
        across,
      );
  }
}

/** The command-line flag of a compared parameter: batchInterval -> batch-interval, faults -> fault, externals -> external. */
export function flagOf(key: string): string {
  if (key === 'faults') return 'fault';
  if (key === 'externals') return 'external';
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The compared parameter a --across names, as its flag (batch-interval) or its key (batchInterval). */
export function acrossParameter(name: string): string {
  const key = COMPARED_PARAMETERS.find((k) => k === name || flagOf(k) === name);
  if (!key)
    throw new IncomparableError(
      `--across ${name}: not a compared parameter; one of ${COMPARED_PARAMETERS.map(flagOf).join(', ')}`,
      name,
    );
  return key;
}

/** The runs whose value of a compared parameter reads `value` ("10", "2.5", "clinical"). */
export function runsWithValue(runs: readonly RunResult[], key: string, value: string): RunResult[] {
  const wanted = Number(value);
  return runs.filter((r) => {
    const text = parameterValue(r, key).text;
    if (text === value || text === `"${value}" (resolved rule set)`) return true;
    return value.trim() !== '' && Number.isFinite(wanted) && Number(text) === wanted;
  });
}
