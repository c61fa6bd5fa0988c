import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, parseEnvFile } from '../../config.js';
import { nullableStringOf, queryRows, type Pool } from '../../infra/mysql.js';

/** The pid in a pid file, if that process runs and is the named program (never a stranger's process). */
export function pidFromFile(pidFile: string, program: string): number | undefined {
  if (!pidFile || !existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const commFile = `/proc/${pid}/comm`;
  if (!Number.isInteger(pid) || pid <= 1 || !existsSync(commFile)) return undefined;
  return readFileSync(commFile, 'utf8').trim().startsWith(program) ? pid : undefined;
}

/**
 * The broker's and the database server's pids, when services:up started them on this machine
 * (for servers named by KAFKA_BROKERS, MYSQL_URL or run by Docker: undefined).
 */
export async function serverPids(
  pool: Pool,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ broker?: number; database?: number }> {
  const file = join(cacheDir(), 'services.env');
  const origins = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  const out: { broker?: number; database?: number } = {};
  if (!env.KAFKA_BROKERS && origins.KAFKA_ORIGIN === 'local') {
    const pid = pidFromFile(join(cacheDir(), 'kafka', 'kafka.pid'), 'java');
    if (pid !== undefined) out.broker = pid;
  }
  if (!env.MYSQL_URL && origins.MYSQL_ORIGIN === 'local') {
    const rows = await queryRows(pool, 'SELECT @@pid_file AS f', undefined, (r) => ({ f: nullableStringOf(r.f) }));
    const pid = pidFromFile(rows[0]?.f ?? '', 'mariadbd');
    if (pid !== undefined) out.database = pid;
  }
  return out;
}
