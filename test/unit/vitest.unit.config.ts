import { defineConfig } from 'vitest/config';

/** Unit tests only: no Kafka/MySQL global setup. */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
  },
});
