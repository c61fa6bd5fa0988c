/**
 * The fault kinds, in the manner of Kafka's Trogdor fault specs, written
 * `KIND[:TARGET]@AT[:DURATION]` with times in seconds since the load started (`20s`, `1500ms`):
 *   kafka-restart@20s:30s   the broker is killed (SIGKILL) at 20 s and started again 30 s later
 *   db-restart@20s:15s      the same for the database server
 *   kill:stream@15s         a role killed (SIGKILL; the harness restarts it), or an external job's process group
 *   pause:stream@15s:5s     a role stopped (SIGSTOP) for 5 s, then continued; or an external job's process group
 * One module per kind (kinds/), registered here: the compiler demands a module for every kind.
 */
import type { FaultKind } from './kind.js';
import { kill, type KillSpec } from './kinds/kill.js';
import { pause, type PauseSpec } from './kinds/pause.js';
import { dbRestart, kafkaRestart, type ServiceRestartSpec } from './kinds/service-restart.js';

export type FaultSpec = ServiceRestartSpec<'kafka-restart'> | ServiceRestartSpec<'db-restart'> | KillSpec | PauseSpec;

type Registry = { readonly [K in FaultSpec['kind']]: FaultKind<Extract<FaultSpec, { kind: K }>> };

const FAULT_KINDS: Registry = {
  'kafka-restart': kafkaRestart,
  'db-restart': dbRestart,
  kill,
  pause,
};

/** The module of a spec's kind, typed for that spec. */
export function kindOf<S extends FaultSpec>(spec: S): FaultKind<S> {
  return FAULT_KINDS[spec.kind] as unknown as FaultKind<S>;
}

export const FAULT_SYNTAX = `${Object.values(FAULT_KINDS)
  .map((k) => k.syntax)
  .join(', ')} (TARGET: ingest, stream, batch, or an external mode's name)`;

/** "20s", "20", "1500ms" -> seconds; NaN when it is not a time. */
function seconds(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'ms' ? v / 1000 : v;
}

const isKind = (k: string): k is FaultSpec['kind'] => Object.hasOwn(FAULT_KINDS, k);

/** Parse one --fault value; the error names what is wrong and shows the syntax. */
export function parseFaultSpec(text: string): FaultSpec {
  const fail = (why: string): never => {
    throw new Error(`--fault "${text}": ${why} (expected ${FAULT_SYNTAX})`);
  };
  const at = text.indexOf('@');
  if (at < 0) fail('no @time');
  const [kindPart = '', target, ...more] = text.slice(0, at).split(':');
  if (more.length) fail('too many ":" before @');
  const [atText = '', durationText, ...extra] = text.slice(at + 1).split(':');
  if (extra.length) fail('too many ":" after @');
  const atS = seconds(atText);
  if (!Number.isFinite(atS)) fail(`"${atText}" is not a time`);
  const durationS = durationText === undefined ? undefined : seconds(durationText);
  if (durationS !== undefined && !(durationS > 0)) fail(`"${durationText}" is not a positive duration`);
  if (!isKind(kindPart)) return fail(`unknown fault kind "${kindPart}"`);
  return FAULT_KINDS[kindPart].parse({ text, target, atS, durationS }, fail);
}

/** When the fault's effect ends by itself: a restart or pause at its end; a kill is instant. */
export function faultEndS(f: FaultSpec): number {
  return kindOf(f).endS(f);
}

/** What the fault acts on, for reports. */
export function faultTarget(f: FaultSpec): string {
  return kindOf(f).target(f);
}

/** Refuses a kill or pause of something this run does not start (targets: its roles and external modes). */
export function checkFaultTargets(faults: readonly FaultSpec[], targets: readonly string[]): void {
  for (const f of faults) kindOf(f).checkTarget?.(f, targets);
}

/** Refuses, once the services are up, faults this machine cannot inject (a restart of a server this project did not start). */
export function checkFaultsRunnable(faults: readonly FaultSpec[], env = process.env): void {
  for (const f of faults) kindOf(f).checkRunnable?.(f, env);
}
