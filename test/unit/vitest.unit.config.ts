import { defineConfig } from 'vitest/config';

/** Unit tests only: no Kafka/MySQL global setup. */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // The unit tests mock no modules and leave no global state behind, so the files of a worker
    // share one module graph: vega, the fonts and the report libraries load once, not once per
    // file (about half the suite's CPU time). `--isolate` on the command line turns it back on.
    isolate: false,
  },
});
