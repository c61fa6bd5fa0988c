import { ROLES, type Role } from '../../domain/modes.js';

/**
 * A fault to inject during a run, in the manner of Kafka's Trogdor fault specs, written
 * `KIND[:TARGET]@AT[:DURATION]` with times in seconds since the load started (`20s`, `1500ms`):
 *   kafka-restart@20s:30s   the broker is killed (SIGKILL) at 20 s and started again 30 s later
 *   db-restart@20s:15s      the same for the database server
 *   kill:stream@15s         the stream role is killed (SIGKILL); the harness restarts it
 *   pause:stream@15s:5s     the stream role is stopped (SIGSTOP) for 5 s, then continued
 */
export type FaultSpec =
  | { text: string; kind: 'kafka-restart'; atS: number; durationS: number }
  | { text: string; kind: 'db-restart'; atS: number; durationS: number }
  | { text: string; kind: 'kill'; role: Role; atS: number }
  | { text: string; kind: 'pause'; role: Role; atS: number; durationS: number };

export const FAULT_SYNTAX =
  'kafka-restart@20s:30s, db-restart@20s:15s, kill:ROLE@15s or pause:ROLE@15s:5s (ROLE: ingest, stream, batch)';

/** "20s", "20", "1500ms" -> seconds; NaN when it is not a time. */
function seconds(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'ms' ? v / 1000 : v;
}

/** Parse one --fault value; the error names what is wrong and shows the syntax. */
export function parseFaultSpec(text: string): FaultSpec {
  const fail = (why: string): never => {
    throw new Error(`--fault "${text}": ${why} (expected ${FAULT_SYNTAX})`);
  };
  const at = text.indexOf('@');
  if (at < 0) fail('no @time');
  const [kindPart = '', target] = text.slice(0, at).split(':');
  const [atText = '', durationText, ...extra] = text.slice(at + 1).split(':');
  if (extra.length) fail('too many ":" after @');
  const atS = seconds(atText);
  if (!Number.isFinite(atS)) fail(`"${atText}" is not a time`);
  const duration = durationText === undefined ? undefined : seconds(durationText);
  if (duration !== undefined && !(duration > 0)) fail(`"${durationText}" is not a positive duration`);
  switch (kindPart) {
    case 'kafka-restart':
    case 'db-restart':
      if (target !== undefined) fail(`${kindPart} takes no target`);
      if (duration === undefined) fail(`${kindPart} needs a duration (@AT:DURATION)`);
      return { text, kind: kindPart, atS, durationS: duration! };
    case 'kill':
    case 'pause': {
      if (!ROLES.includes(target as Role)) fail(`${kindPart} needs a role: ${ROLES.join(', ')}`);
      if (kindPart === 'kill') {
        if (duration !== undefined) fail('kill takes no duration (the harness restarts the role)');
        return { text, kind: 'kill', role: target as Role, atS };
      }
      if (duration === undefined) fail('pause needs a duration (@AT:DURATION)');
      return { text, kind: 'pause', role: target as Role, atS, durationS: duration! };
    }
    default:
      return fail(`unknown fault kind "${kindPart}"`);
  }
}

/** When the fault's effect ends by itself: restart or pause end; a kill is instant. */
export function faultEndS(f: FaultSpec): number {
  return f.kind === 'kill' ? f.atS : f.atS + f.durationS;
}

/** What the fault targets, for reports. */
export function faultTarget(f: FaultSpec): string {
  if (f.kind === 'kill' || f.kind === 'pause') return `${f.role} role`;
  return f.kind === 'kafka-restart' ? 'Kafka broker' : 'database server';
}
