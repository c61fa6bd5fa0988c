import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, whether running from src/ (vitest) or dist/src/ (compiled). */
export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

export interface ServiceConfig {
  kafkaBrokers: string[];
  mysqlUrl: string;
}

/**
 * Where Kafka and MySQL are. The environment wins (KAFKA_BROKERS, MYSQL_URL); otherwise the
 * file that `npm run services:up` writes (.cache/services.env, or VITALS_ENV_FILE). Secrets
 * are never in code: the database password is generated on first `services:up`.
 */
/** Where services:up keeps its state (.cache, or VITALS_CACHE_DIR). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.VITALS_CACHE_DIR ?? join(PROJECT_ROOT, '.cache');
}

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const envFile = env.VITALS_ENV_FILE ?? join(cacheDir(env), 'services.env');
  const fromFile = existsSync(envFile) ? parseEnvFile(readFileSync(envFile, 'utf8')) : {};
  const brokers = env.KAFKA_BROKERS ?? fromFile.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const mysqlUrl = env.MYSQL_URL ?? fromFile.MYSQL_URL;
  if (!mysqlUrl) {
    throw new Error(
      `no database configured: set MYSQL_URL=mysql://user:password@host:3306/healthcare, or run "npm run services:up" (which writes ${envFile})`,
    );
  }
  return {
    kafkaBrokers: brokers
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    mysqlUrl,
  };
}

export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim();
  }
  return out;
}

/** The URL with its password masked, for logs and reports. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
