import { spawn } from 'node:child_process';
import type { FaultKind } from '../kind.js';
import { epochMs, preFaultLevel, ROLE_GROUP, sinceStartS, tolerance, type Detection } from '../analysis.js';
import { checkTarget, processTarget } from './process-target.js';

/** pause:TARGET@15s:5s: SIGSTOP to a role or an external job's group, SIGCONT after the duration. */
export interface PauseSpec {
  text: string;
  kind: 'pause';
  target: string;
  atS: number;
  durationS: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const pause: FaultKind<PauseSpec> = {
  kind: 'pause',
  syntax: 'pause:TARGET@15s:5s',
  parse(p, fail) {
    const target = processTarget(p, 'pause', fail);
    if (p.durationS === undefined) fail('pause needs a duration (@AT:DURATION)');
    return { text: p.text, kind: 'pause', target, atS: p.atS, durationS: p.durationS! };
  },
  endS: (spec) => spec.atS + spec.durationS,
  target: (spec) => (ROLE_GROUP[spec.target] ? `${spec.target} role` : `external job ${spec.target}`),
  checkTarget: (spec, targets) => checkTarget(spec, targets),
  async inject(spec, ctx, rec) {
    const t = ctx.target(spec.target);
    const pid = t?.pid;
    if (!t || pid === undefined) throw new Error(`${spec.target} is not running`);
    rec.injected_at_s = Math.round(ctx.clock() * 10) / 10;
    ctx.log(`[fault] ${spec.text}: SIGSTOP to the ${t.description} (pid ${pid}) for ${spec.durationS} s`);
    let continued = false;
    const resume = (): void => {
      if (continued) return;
      continued = true;
      t.signal('SIGCONT');
    };
    const unregister = ctx.onCancel(resume);
    t.signal('SIGSTOP');
    // A stopped process cannot notice that the harness died: if the harness is killed during
    // the pause, this detached guard still continues it (a role then sees its parent gone and
    // stops; an external job's guard ends its group). It ends by itself after the pause.
    const group = t.isGroup ? `-${pid}` : String(pid);
    spawn('sh', ['-c', `sleep ${spec.durationS + 1}; kill -CONT -- ${group} 2>/dev/null`], {
      detached: true,
      stdio: 'ignore',
    }).unref();
    await sleep(spec.durationS * 1000);
    resume();
    unregister();
    rec.ended_at_s = Math.round(ctx.clock() * 10) / 10;
    ctx.log(`[fault] ${spec.text}: SIGCONT to the ${t.description}`);
  },
  /** A paused role is detected by its backlog growing beyond its level before the pause. */
  detect(x, spec, at): Detection {
    const group = ROLE_GROUP[spec.target];
    if (!group)
      return {
        detectedAt: null,
        detectedBy: 'not observable (the harness sees an external job only through its results)',
        restarts: [],
      };
    const level = preFaultLevel(x, epochMs(x, at));
    const grown = x.backlog.find(
      (b) => b.at >= epochMs(x, at) && (b.backlog[group] ?? 0) > level[group]! + tolerance(x, level[group]!),
    );
    if (!grown) return { detectedAt: null, detectedBy: 'not detected', restarts: [] };
    return { detectedAt: sinceStartS(x, grown.at), detectedBy: `${group} backlog growth`, restarts: [] };
  },
  recovery: (spec) => (spec.target === 'batch' ? 'batch-pass' : ROLE_GROUP[spec.target] ? 'consumers' : 'restart'),
};
