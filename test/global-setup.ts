import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/config.js';

/**
 * Integration tests run against the real Kafka and MySQL. Bring them up when they are not
 * (idempotent and quick when they are); a failure here fails the run, never skips tests.
 */
export default function setup(): void {
  execFileSync('bash', [join(PROJECT_ROOT, 'scripts/services.sh'), 'up'], { stdio: 'inherit' });
}
