import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchExampleBesideStream, setUpExample } from './helpers.js';

// The Spark Structured Streaming example (examples/spark) as an external mode on the real
// services, the seed project's architecture: its rules, the built-in stream beside it.
describe('the Spark example as an external mode', () => {
  const out = mkdtempSync(join(tmpdir(), 'vitals-spark-'));

  beforeAll(() => setUpExample('spark'), 900_000);

  it('agrees with the rule reference and the stream exactly, with no loss or duplicates', async () => {
    const { dir } = await benchExampleBesideStream('spark', out);
    expect(readFileSync(join(dir, 'spark.stdout.log'), 'utf8')).toContain('VITALS_READY');
  }, 900_000);
});
