import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, parseEnvFile, PROJECT_ROOT } from '../../../config.js';
import { nullableStringOf, queryRows } from '../../../infra/mysql.js';
import { pidFromFile } from '../../processes/server-pids.js';
import type { FaultKind } from '../kind.js';
import { describeIncident, epochMs, sinceStartS, type Detection } from '../analysis.js';

/** kafka-restart@20s:30s / db-restart@20s:15s: the server SIGKILLed, started again after the duration. */
export interface ServiceRestartSpec<K extends 'kafka-restart' | 'db-restart' = 'kafka-restart' | 'db-restart'> {
  text: string;
  kind: K;
  atS: number;
  durationS: number;
}

const SERVICE = {
  'kafka-restart': {
    name: 'Kafka broker',
    program: 'java',
    probe: 'kafka',
    origin: 'KAFKA_ORIGIN',
    env: 'KAFKA_BROKERS',
  },
  'db-restart': { name: 'database server', program: 'mariadbd', probe: 'db', origin: 'MYSQL_ORIGIN', env: 'MYSQL_URL' },
} as const;

function servicesEnv(): Record<string, string> {
  const file = join(cacheDir(), 'services.env');
  return existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
}

function servicesUp(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(PROJECT_ROOT, 'scripts/services.sh'), 'up'], { timeout: 180_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`services.sh up failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
      else resolve();
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function serviceRestart<K extends 'kafka-restart' | 'db-restart'>(kind: K): FaultKind<ServiceRestartSpec<K>> {
  const service = SERVICE[kind];
  return {
    kind,
    syntax: `${kind}@20s:${kind === 'kafka-restart' ? 30 : 15}s`,
    parse(p, fail) {
      if (p.target !== undefined) fail(`${kind} takes no target`);
      if (p.durationS === undefined) fail(`${kind} needs a duration (@AT:DURATION)`);
      return { text: p.text, kind, atS: p.atS, durationS: p.durationS! };
    },
    endS: (spec) => spec.atS + spec.durationS,
    target: () => service.name,
    takesDown: () => service.probe,
    /** Restarts need the servers this project started (it kills their process and starts them again): never someone else's. */
    checkRunnable(spec, env) {
      if (env[service.env] || servicesEnv()[service.origin] !== 'local')
        throw new Error(
          `--fault ${spec.text}: needs the project's own ${kind === 'kafka-restart' ? 'Kafka broker' : 'MariaDB'} (npm run services:up), not ${service.env} or Docker`,
        );
    },
    async inject(spec, ctx, rec) {
      const pidFile =
        kind === 'kafka-restart'
          ? join(cacheDir(), 'kafka', 'kafka.pid')
          : ((await queryRows(ctx.pool, 'SELECT @@pid_file AS f', undefined, (r) => ({ f: nullableStringOf(r.f) })))[0]
              ?.f ?? '');
      // Never kill a stranger: the pid must be the server's program.
      const pid = pidFromFile(pidFile, service.program);
      if (pid === undefined) throw new Error(`pid file ${pidFile} names no running ${service.program}`);
      rec.injected_at_s = Math.round(ctx.clock() * 10) / 10;
      ctx.log(`[fault] ${spec.text}: SIGKILL to the ${service.name} (pid ${pid}); back in ${spec.durationS} s`);
      process.kill(pid, 'SIGKILL');
      await sleep(spec.durationS * 1000);
      await servicesUp();
      rec.ended_at_s = Math.round(ctx.clock() * 10) / 10;
      ctx.log(`[fault] ${spec.text}: services answering again at ${rec.ended_at_s} s`);
    },
    /** Detected by the first failed probe; the role exits during it are its doing. */
    detect(x, _spec, at, ended, explained): Detection {
      const detection: Detection = { detectedAt: null, detectedBy: 'not detected', restarts: [] };
      explained.serviceWindows.push({ kind: service.probe, from: epochMs(x, at), to: epochMs(x, ended) + 5000 });
      const first = x.availability.find((a) => a.at >= epochMs(x, at) && !a[service.probe]);
      if (first) {
        detection.detectedAt = sinceStartS(x, first.at);
        detection.detectedBy = service.probe === 'kafka' ? 'broker unreachable' : 'database unreachable';
      }
      for (const inc of x.incidents) {
        if (inc.at_s >= at && inc.at_s <= ended + 30) {
          explained.incidents.add(inc);
          detection.restarts.push(describeIncident(inc));
        }
      }
      return detection;
    },
  };
}

export const kafkaRestart = serviceRestart('kafka-restart');
export const dbRestart = serviceRestart('db-restart');
