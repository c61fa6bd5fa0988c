// Readiness and version probes with real client calls (not port probes):
//   node probe.mjs kafka BROKERS [timeoutSeconds]  -> Kafka answers Metadata and a controller is elected
//   VITALS_PROBE_URL=URL node probe.mjs mysql [timeoutSeconds]  -> prints the server version
// The database URL holds the password, so it comes from the environment: a command line is
// visible to every user of the machine (ps), a process's environment only to its owner.
// Exit 0 when ready, 1 with the last error otherwise.
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';

const what = process.argv[2];
let target;
let timeoutArg;
if (what === 'mysql') {
  if (process.argv.length > 4 || /:\/\//.test(process.argv[3] ?? '')) {
    console.error('probe.mjs mysql: pass the URL in VITALS_PROBE_URL, not on the command line');
    process.exit(2);
  }
  target = process.env.VITALS_PROBE_URL;
  timeoutArg = process.argv[3];
} else {
  [target, timeoutArg] = process.argv.slice(3);
}
const deadline = Date.now() + Number(timeoutArg ?? 0) * 1000;

async function kafkaReady() {
  const kafka = new Kafka({
    clientId: 'vitals-bench-probe',
    brokers: target.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
    requestTimeout: 5000,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.controller === null || cluster.controller === undefined || cluster.controller < 0)
      throw new Error('no controller elected yet');
    await admin.listTopics();
    return `brokers=${cluster.brokers.length} controller=${cluster.controller} cluster_id=${cluster.clusterId}`;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function mysqlReady() {
  const conn = await mysql.createConnection({ uri: target, connectTimeout: 3000 });
  try {
    const [rows] = await conn.query('SELECT VERSION() AS v');
    return rows[0].v;
  } finally {
    await conn.end().catch(() => {});
  }
}

const check = what === 'kafka' ? kafkaReady : what === 'mysql' ? mysqlReady : null;
if (!check || !target) {
  console.error(
    'usage: probe.mjs kafka BROKERS [timeoutSeconds] | VITALS_PROBE_URL=mysql://... probe.mjs mysql [timeoutSeconds]',
  );
  process.exit(2);
}
let lastError;
for (;;) {
  try {
    console.log(await check());
    process.exit(0);
  } catch (err) {
    lastError = err;
  }
  if (Date.now() >= deadline) break;
  await new Promise((r) => setTimeout(r, 500));
}
console.error(
  `${what} at ${what === 'mysql' ? target.replace(/:[^:@/]*@/, ':***@') : target} not ready: ${lastError?.message ?? lastError}`,
);
process.exit(1);
