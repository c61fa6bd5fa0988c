import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { cacheDir, PROJECT_ROOT, parseEnvFile } from '../../config.js';
import { numberOf, queryRows, stringOf, type Pool } from '../../infra/mysql.js';

function packageVersion(name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return dirty ? `${commit}+uncommitted-changes` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function kafkaVersion(): string {
  if (process.env.KAFKA_VERSION) return process.env.KAFKA_VERSION;
  try {
    const env = parseEnvFile(readFileSync(join(cacheDir(), 'services.env'), 'utf8'));
    return env.KAFKA_ORIGIN === 'external' ? 'unknown (external broker)' : (env.KAFKA_VERSION ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/** Everything METRICS.md asks a run to record about where it ran. */
export async function collectEnvironment(pool: Pool): Promise<Record<string, unknown>> {
  const rows = await queryRows(
    pool,
    'SELECT VERSION() AS v, @@innodb_flush_log_at_trx_commit AS flush, @@innodb_buffer_pool_size AS bp',
    undefined,
    (r) => ({ v: stringOf(r.v), flush: numberOf(r.flush), bp: numberOf(r.bp) }),
  );
  const db = rows[0]!;
  const cpuList = cpus();
  return {
    cpu_model: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memory_bytes: totalmem(),
    os: `${platform()} ${release()}`,
    node: process.version,
    kafka: kafkaVersion(),
    database: db.v,
    database_settings: { innodb_flush_log_at_trx_commit: db.flush, innodb_buffer_pool_size: db.bp },
    clients: {
      kafkajs: packageVersion('kafkajs'),
      mysql2: packageVersion('mysql2'),
      piscina: packageVersion('piscina'),
      'hdr-histogram-js': packageVersion('hdr-histogram-js'),
    },
    clock: 'all processes on one machine read the same system clock (Date.now / performance.timeOrigin)',
    git_commit: gitCommit(),
  };
}
