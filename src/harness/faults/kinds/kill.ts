import type { FaultKind } from '../kind.js';
import type { Detection } from '../analysis.js';
import { describeIncident, ROLE_GROUP } from '../analysis.js';
import { checkTarget, processTarget } from './process-target.js';

/** kill:TARGET@15s: SIGKILL to a role (its supervisor restarts it) or an external job's group (the harness starts it again). */
export interface KillSpec {
  text: string;
  kind: 'kill';
  target: string;
  atS: number;
}

export const kill: FaultKind<KillSpec> = {
  kind: 'kill',
  syntax: 'kill:TARGET@15s',
  parse(p, fail) {
    const target = processTarget(p, 'kill', fail);
    if (p.durationS !== undefined) fail('kill takes no duration (the harness starts the target again)');
    return { text: p.text, kind: 'kill', target, atS: p.atS };
  },
  endS: (spec) => spec.atS,
  target: (spec) => (ROLE_GROUP[spec.target] ? `${spec.target} role` : `external job ${spec.target}`),
  checkTarget: (spec, targets) => checkTarget(spec, targets),
  async inject(spec, ctx, rec) {
    const t = ctx.target(spec.target);
    if (t?.pid === undefined) throw new Error(`${spec.target} is not running`);
    rec.injected_at_s = Math.round(ctx.clock() * 10) / 10;
    ctx.log(`[fault] ${spec.text}: SIGKILL to the ${t.description} (pid ${t.pid})`);
    t.expectKill?.();
    t.signal('SIGKILL');
    rec.ended_at_s = rec.injected_at_s;
    return Promise.resolve();
  },
  /** A killed process is detected by its exit: the first of that target from the kill on not yet explained. */
  detect(x, spec, at, _ended, explained): Detection {
    const inc = x.incidents.find((i) => i.role === spec.target && i.at_s >= at - 0.5 && !explained.incidents.has(i));
    if (!inc) return { detectedAt: null, detectedBy: 'not detected', restarts: [] };
    explained.incidents.add(inc);
    return {
      detectedAt: inc.at_s,
      detectedBy: ROLE_GROUP[spec.target] ? 'role exit' : 'job exit',
      restarts: [describeIncident(inc)],
      ...(inc.restarted_in_s !== undefined ? { backAtS: inc.at_s + inc.restarted_in_s } : {}),
    };
  },
  recovery: (spec) => (spec.target === 'batch' ? 'batch-pass' : ROLE_GROUP[spec.target] ? 'consumers' : 'restart'),
};
