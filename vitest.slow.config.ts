import { defineConfig } from 'vitest/config';
import { shared } from './vitest.config.js';
import { SLOW_SUITES } from './test/suites.js';

/** `npm run test:slow`: the slow integration suites (test/suites.ts), on the same services. */
export default defineConfig({
  test: {
    ...shared,
    include: [...SLOW_SUITES],
    reporters: ['default', ['json', { outputFile: '.cache/vitest-results-slow.json' }]],
  },
});
