/**
 * The integration suites too slow for the command a newcomer waits for (`npm test`, at most about
 * 8 minutes on a 2-core machine once the services and caches exist). They run in
 * `npm run test:slow`, which `.ci/run` runs after `npm test`, so the landing gate keeps them.
 */
export const SLOW_SUITES = [
  // 15 interleaved benches: the regression gate's calibration (about 10 minutes).
  'test/integration/calibration.e2e.test.ts',
  // Killed roles, a database and a broker restart, a killed bench, servers gone mid-run.
  'test/integration/faults.e2e.test.ts',
  'test/integration/services-lost.e2e.test.ts',
  // A 10 s broker restart survived inside the processes, once per Kafka client (about 3 minutes).
  'test/integration/broker-restart.e2e.test.ts',
  // The engines: each sets up its Python environment and a JVM (minutes the first time).
  'test/integration/spark.e2e.test.ts',
  'test/integration/flink.e2e.test.ts',
  // Worktrees, forged readings and 1 MB messages, every external job's failure mode, a sweep.
  'test/integration/ab.e2e.test.ts',
  'test/integration/integrity.e2e.test.ts',
  'test/integration/external.e2e.test.ts',
  'test/integration/sweep.e2e.test.ts',
  // bench --engines: stream, batch and the fixture job alone, then together (four runs, about 80 s).
  'test/integration/engines.e2e.test.ts',
  // Headless Chromium (installed the first time).
  'test/integration/report-html.test.ts',
] as const;
