/**
 * `bench --engines a,b,...`: each engine alone, then all of them together, `--repeat` runs each,
 * one combined table (docs/BENCHMARK.md "Engines side by side"). The engines are the built-in
 * modes, the examples spark and flink (which imply --with-spark / --with-flink) and any mode
 * declared with --external NAME=COMMAND.
 */
import { isMode, type Mode } from '../domain/modes.js';
import type { ExternalSpec } from '../harness/processes/external-spec.js';
import type { RunOptions } from '../harness/run/run.js';
import { UsageError } from './args.js';

export interface EngineSetting {
  setting: 'alone' | 'together';
  engines: string[];
}

/** The examples an engine name brings with it. */
export const ENGINE_EXAMPLES: Record<string, 'withSpark' | 'withFlink'> = { spark: 'withSpark', flink: 'withFlink' };

/**
 * The names of --engines, checked: each a built-in mode, an example or a declared external mode,
 * none twice; what it cannot be combined with is refused (a sweep, --find-max, --modes, --fault).
 */
export function parseEngines(text: string, declared: readonly string[], conflicts: readonly string[]): string[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError('--engines names no engine');
  for (const n of names)
    if (!isMode(n) && !Object.hasOwn(ENGINE_EXAMPLES, n) && !declared.includes(n))
      throw new UsageError(
        `--engines: unknown engine "${n}" (known: stream, batch, spark, flink${declared.length ? `, ${declared.join(', ')}` : ''})`,
      );
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UsageError(`--engines names "${twice}" twice`);
  if (conflicts.length)
    throw new UsageError(`--engines runs its own set of modes: it cannot be combined with ${conflicts.join(', ')}`);
  return names;
}

/** Each engine alone, then (more than one) all together. */
export function engineSettings(engines: readonly string[]): EngineSetting[] {
  const alone = engines.map((e) => ({ setting: 'alone' as const, engines: [e] }));
  return engines.length > 1 ? [...alone, { setting: 'together', engines: [...engines] }] : alone;
}

/** A run's options for one setting: only its engines' modes and external jobs (ingest always runs). */
export function engineRunOptions(o: RunOptions, s: EngineSetting): RunOptions {
  const modes = s.engines.filter((e): e is Mode => isMode(e));
  const externals: ExternalSpec[] = (o.externals ?? []).filter((x) => s.engines.includes(x.name));
  const { externals: _all, externalOptions, ...rest } = o;
  return {
    ...rest,
    modes,
    ...(externals.length ? { externals, ...(externalOptions ? { externalOptions } : {}) } : {}),
    label: [o.label, `engines-${s.setting}`, ...(s.setting === 'alone' ? s.engines : [])].filter(Boolean).join('_'),
  };
}
