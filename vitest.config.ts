import { defineConfig } from 'vitest/config';
import { SLOW_SUITES } from './test/suites.js';

/** What every run of the suite shares (`npm test` and `npm run test:slow`). */
export const shared = {
  // Integration tests share one Kafka broker and one MariaDB on two cores: run files one
  // at a time so that no test's timing depends on another's load.
  fileParallelism: false,
  globalSetup: ['test/global-setup.ts'],
  // Benches run by the tests append nothing to the developer's results/history.jsonl.
  env: { VITALS_BENCH_HISTORY: 'off' },
  testTimeout: 120_000,
  hookTimeout: 300_000,
};

/**
 * `npm test`: the unit tests and the integration tests a newcomer waits for. The slow suites
 * (test/suites.ts) run with `npm run test:slow` (vitest.slow.config.ts); `.ci/run` runs both.
 */
export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...SLOW_SUITES],
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.cache/vitest-results.json' }]],
  },
});
