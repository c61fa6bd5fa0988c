import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share one Kafka broker and one MariaDB on two cores: run files one
    // at a time so that no test's timing depends on another's load.
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
    // Benches run by the tests append nothing to the developer's results/history.jsonl.
    env: { VITALS_BENCH_HISTORY: 'off' },
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.cache/vitest-results.json' }]],
  },
});
