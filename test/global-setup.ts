import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/config.js';
import { distStaleness } from './dist-freshness.js';

/**
 * Integration tests fork roles, the load-generator child and the Piscina worker from dist/: when
 * src/ changed since the last build (or dist/ is missing), rebuild it first, so that `npx vitest run`
 * never tests yesterday's code. Quick (a few stat calls) when dist/ is fresh.
 *
 * They run against the real Kafka and MySQL. Bring them up when they are not (idempotent and quick
 * when they are); a failure here fails the run, never skips tests.
 */
export default function setup(): void {
  const stale = distStaleness(PROJECT_ROOT);
  if (stale !== undefined) {
    console.log(`global setup: ${stale}; rebuilding dist/ with tsc -p tsconfig.json`);
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  }
  execFileSync('bash', [join(PROJECT_ROOT, 'scripts/services.sh'), 'up'], { stdio: 'inherit' });
}
