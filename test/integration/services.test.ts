/**
 * The service scripts (scripts/services.sh) against the real services and files, no mocks:
 * the env file with the database password is private, the application user holds only the
 * project's privileges on the project's database from this machine, LOAD DATA LOCAL is off,
 * no password ever shows on a command line, two concurrent `up`s serialise on a lock, and
 * `down` stops what `up` started and never a process a stale pid file happens to name.
 *
 * The first part checks the default services (the ones the global setup brought up). The
 * second starts an isolated instance (its own cache folder and ports under a temporary folder,
 * Kafka's jars linked from the main cache) and always brings it down again in afterAll.
 */
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServiceConfig, parseEnvFile, PROJECT_ROOT } from '../../src/config.js';

const SERVICES = join(PROJECT_ROOT, 'scripts/services.sh');
const MAIN_CACHE = process.env.VITALS_CACHE_DIR ?? join(PROJECT_ROOT, '.cache');

/** What `services up` grants the application user (scripts/services/mariadb.sh, MYSQL_APP_PRIVILEGES). */
const APP_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'ALTER',
  'INDEX',
  'DROP',
  'CREATE VIEW',
  'CREATE TEMPORARY TABLES',
];
const APP_HOSTS = ['127.0.0.1', 'localhost'];

interface Run {
  code: number | null;
  output: string;
}

/** Run `bash scripts/services.sh ARGS` to completion (bounded), stdout and stderr together. */
function services(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolve) => {
    const proc = spawn('bash', [SERVICES, ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      output += `\n[test] killed after ${timeoutMs} ms\n`;
      proc.kill('SIGTERM');
    }, timeoutMs);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Every process's command line, as `ps` shows them to any user of the machine. */
function commandLines(): Promise<string> {
  return new Promise((resolve, reject) =>
    // `err: Error`: an ExecFileException is one, though its type (built with Omit<>) does not say so.
    execFile('ps', ['-eww', '-o', 'args='], { maxBuffer: 64 * 1024 * 1024 }, (err: Error | null, out) =>
      err ? reject(err) : resolve(out),
    ),
  );
}

/** Samples of all command lines, taken back to back until `work` settles. */
async function sampleCommandLinesDuring<T>(work: Promise<T>): Promise<{ result: T; samples: string[] }> {
  let done = false;
  const settled = work.finally(() => (done = true));
  const samples: string[] = [];
  while (!done) samples.push(await commandLines());
  return { result: await settled, samples };
}

function passwordOf(url: string): string {
  return decodeURIComponent(new URL(url).password);
}

function readEnvFile(cacheDir: string): Record<string, string> {
  const file = join(cacheDir, 'services.env');
  return existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
}

/** A live process (a zombie waiting to be reaped is not). */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Distinct free TCP ports on 127.0.0.1 (held open together, so all different). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Parsed SHOW GRANTS lines: privileges, object (`db`.* or *.*), grantee, and the raw line. */
function parseGrants(lines: string[]): Array<{ privileges: string[]; object: string; grantee: string; line: string }> {
  return lines.map((line) => {
    const m = /^GRANT (.+?) ON (\S+) TO (\S+)/.exec(line);
    if (!m) throw new Error(`unexpected grant line: ${line}`);
    return { privileges: m[1]!.split(',').map((p) => p.trim().toUpperCase()), object: m[2]!, grantee: m[3]!, line };
  });
}

/** `db`.* with GRANT's pattern escapes (\_ \%) removed. */
function grantDatabase(object: string): string | null {
  const m = /^`((?:[^`]|``)+)`\.(\*|`(?:[^`]|``)+`)$/.exec(object);
  return m ? m[1]!.replace(/``/g, '`').replace(/\\([_%\\])/g, '$1') : null;
}

/** The application user's grants and account, seen by the application user itself. */
async function appUserGrants(url: string): Promise<{ account: string; grants: string[] }> {
  const conn = await mysql.createConnection({ uri: url });
  try {
    const [who] = await conn.query('SELECT CURRENT_USER() AS account');
    const [rows] = await conn.query('SHOW GRANTS');
    return {
      account: String((who as Array<{ account: string }>)[0]!.account),
      grants: (rows as Array<Record<string, string>>).map((r) => String(Object.values(r)[0])),
    };
  } finally {
    await conn.end();
  }
}

/** Asserts the grants are the project's privileges on the project's database, from this machine only. */
function expectLeastPrivilege(account: string, grants: string[], database: string): void {
  const host = account.slice(account.lastIndexOf('@') + 1);
  expect(APP_HOSTS, `the application connects as ${account}`).toContain(host);
  expect(grants.length).toBeGreaterThan(0);
  for (const g of parseGrants(grants)) {
    expect(g.line, 'no ALL PRIVILEGES').not.toMatch(/ALL PRIVILEGES/i);
    expect(g.line, 'no grant to any host').not.toMatch(/@[`']%[`']/);
    expect(g.line, 'no GRANT OPTION').not.toMatch(/WITH GRANT OPTION/i);
    if (g.object === '*.*') {
      expect(g.privileges, `global privileges: ${g.line}`).toEqual(['USAGE']);
      continue;
    }
    expect(grantDatabase(g.object), `grant on another database: ${g.line}`).toBe(database);
    for (const p of g.privileges) expect(APP_PRIVILEGES, `privilege ${p} in ${g.line}`).toContain(p);
  }
}

describe('services: the default services', () => {
  const config = loadServiceConfig();
  const origin = readEnvFile(MAIN_CACHE).MYSQL_ORIGIN;
  // Grants and server flags are this project's only for the MariaDB it runs itself.
  const ownServer = !process.env.MYSQL_URL && origin === 'local';

  it('keeps the env file with the database password at mode 600', () => {
    const file = join(MAIN_CACHE, 'services.env');
    expect(existsSync(file)).toBe(true);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
  });

  it.skipIf(!ownServer)(
    'gives the application user only the project privileges, on its database, from this machine',
    async () => {
      const { account, grants } = await appUserGrants(config.mysqlUrl);
      // `up` sets the user up when it starts the server: one started by an older services.sh
      // keeps 'vitals'@'%' with ALL PRIVILEGES until restarted (services:down, services:up).
      expectLeastPrivilege(account, grants, new URL(config.mysqlUrl).pathname.slice(1));
      // And the server enforces it: no other database, no system tables.
      const conn = await mysql.createConnection({ uri: config.mysqlUrl });
      try {
        await expect(conn.query('CREATE DATABASE vitals_services_test_forbidden')).rejects.toMatchObject({
          code: 'ER_DBACCESS_DENIED_ERROR',
        });
        await expect(conn.query('SELECT User FROM mysql.user')).rejects.toMatchObject({
          code: 'ER_TABLEACCESS_DENIED_ERROR',
        });
      } finally {
        await conn.end();
      }
    },
  );

  it.skipIf(!ownServer)('runs MariaDB with local_infile off', async () => {
    const conn = await mysql.createConnection({ uri: config.mysqlUrl });
    try {
      const [rows] = await conn.query('SELECT @@local_infile AS v');
      expect(
        Number((rows as Array<{ v: number }>)[0]!.v),
        'a server started by an older services.sh keeps --local-infile=1 until restarted (npm run services:down && npm run services:up)',
      ).toBe(0);
    } finally {
      await conn.end();
    }
  });

  it('never puts the database password on a command line during services status', async () => {
    const password = passwordOf(config.mysqlUrl);
    expect(password.length).toBeGreaterThanOrEqual(8);
    // Sample until the mysql probe has been seen running at least once (status takes well
    // under a second, so it may take a few rounds), proving the sampling covered it.
    let sawMysqlProbe = false;
    let samples = 0;
    for (let round = 0; round < 20 && !sawMysqlProbe; round++) {
      const { result, samples: lines } = await sampleCommandLinesDuring(services(['status'], process.env, 60_000));
      expect(result.code, result.output).toBe(0);
      for (const s of lines) {
        expect(s.includes(password), 'the database password is on a command line').toBe(false);
        if (/probe\.mjs mysql/.test(s)) sawMysqlProbe = true;
      }
      samples += lines.length;
    }
    expect(sawMysqlProbe, `the mysql probe was never seen in ${samples} samples of ps`).toBe(true);
  });
});

describe('services: an isolated instance', () => {
  let root: string | undefined;
  let cache = '';
  let env: NodeJS.ProcessEnv = {};
  let ports = { kafka: 0, controller: 0, mysql: 0 };
  const pidFiles = (): string[] => [join(cache, 'kafka/kafka.pid'), join(cache, 'mariadb/mariadbd.pid')];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'vitals-services-'));
    // Run as root, the server runs as the mysql user, which must reach its data folder.
    chmodSync(root, 0o755);
    cache = join(root, '.cache');
    mkdirSync(join(cache, 'kafka'), { recursive: true });
    const version = process.env.KAFKA_VERSION ?? readEnvFile(MAIN_CACHE).KAFKA_VERSION ?? '4.1.1';
    // Kafka's jars from the main cache (no Maven download), unless KAFKA_HOME provides them.
    const libs = join(MAIN_CACHE, 'kafka', `libs-${version}`);
    if (!process.env.KAFKA_HOME && existsSync(join(libs, '.complete')))
      symlinkSync(libs, join(cache, 'kafka', `libs-${version}`));
    const [kafka, controller, db] = await freePorts(3);
    ports = { kafka: kafka!, controller: controller!, mysql: db! };
    env = {
      ...process.env,
      VITALS_CACHE_DIR: cache,
      KAFKA_VERSION: version,
      KAFKA_PORT: String(ports.kafka),
      KAFKA_CONTROLLER_PORT: String(ports.controller),
      MYSQL_PORT: String(ports.mysql),
      VITALS_USE_DOCKER: 'never',
    };
    // Local servers of its own, never the configured ones.
    delete env.KAFKA_BROKERS;
    delete env.MYSQL_URL;
    delete env.VITALS_ENV_FILE;
  });

  afterAll(async () => {
    if (!root) return;
    const down = await services(['down'], env, 120_000);
    if (down.code !== 0) console.error(`services down of the isolated instance failed:\n${down.output}`);
    // Should down have failed: the processes of this instance are the ones with its folder on their command line.
    for (const file of pidFiles()) {
      const pid = readPid(file);
      try {
        if (pid && processAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(root))
          process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    rmSync(root, { recursive: true, force: true });
  }, 180_000);

  it('serialises two concurrent ups from down: one starts the services, the other waits and finds them up', async () => {
    const { result: runs, samples } = await sampleCommandLinesDuring(
      Promise.all([services(['up'], env), services(['up'], env)]),
    );
    for (const r of runs) expect(r.code, r.output).toBe(0);
    const waited = runs.filter((r) => /kafka: already up/.test(r.output) && /mysql: already up/.test(r.output));
    expect(waited, runs.map((r) => r.output).join('\n---\n')).toHaveLength(1);
    expect(waited[0]!.output).toMatch(/waiting for another services\.sh/);

    const config = loadServiceConfig({ VITALS_CACHE_DIR: cache });
    expect(config.kafkaBrokers).toEqual([`127.0.0.1:${ports.kafka}`]);
    const kafka = new Kafka({ clientId: 'services-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
    } finally {
      await admin.disconnect();
    }
    const conn = await mysql.createConnection({ uri: config.mysqlUrl });
    try {
      const [rows] = await conn.query('SELECT 1 AS one, @@local_infile AS local_infile, @@port AS port');
      expect(rows).toEqual([{ one: 1, local_infile: 0, port: ports.mysql }]);
    } finally {
      await conn.end();
    }
    const { account, grants } = await appUserGrants(config.mysqlUrl);
    expectLeastPrivilege(account, grants, new URL(config.mysqlUrl).pathname.slice(1));

    expect((statSync(join(cache, 'services.env')).mode & 0o777).toString(8)).toBe('600');
    // The password was generated by these ups: it was never on a command line meanwhile
    // (mariadb -e with IDENTIFIED BY, or node probe.mjs mysql URL).
    const password = passwordOf(config.mysqlUrl);
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) expect(s.includes(password), 'the database password is on a command line').toBe(false);

    const status = await services(['status'], env, 60_000);
    expect(status.code, status.output).toBe(0);
  }, 600_000);

  it('down stops both servers', async () => {
    const pids = pidFiles().map(readPid);
    for (const pid of pids) expect(pid !== undefined && processAlive(pid)).toBe(true);
    const down = await services(['down'], env, 120_000);
    expect(down.code, down.output).toBe(0);
    for (const pid of pids) expect(processAlive(pid!), `pid ${pid} still running`).toBe(false);
    for (const port of [ports.kafka, ports.controller, ports.mysql])
      expect(await portAnswers(port), `port ${port}`).toBe(false);
    for (const file of pidFiles()) expect(existsSync(file)).toBe(false);
  }, 180_000);

  it('down leaves alone a process that a stale pid file names', async () => {
    const other = spawn('sleep', ['120'], { stdio: 'ignore' });
    try {
      for (const file of pidFiles()) {
        mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, `${other.pid}\n`);
      }
      const down = await services(['down'], env, 120_000);
      expect(down.code, down.output).toBe(0);
      expect(down.output).toMatch(/stale pid file/);
      expect(processAlive(other.pid!)).toBe(true);
      for (const file of pidFiles()) expect(existsSync(file)).toBe(false);
    } finally {
      other.kill('SIGKILL');
    }
  }, 180_000);
});
