import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config.js';
import { ServiceUnavailableError } from '../../infra/preflight.js';
import type { Progress } from './progress.js';

/** Bring the services up (idempotent) unless the user manages them. */
export function ensureServices(progress: Progress): void {
  progress.log('[bench] checking services (npm run services:up)');
  try {
    execFileSync('bash', [join(PROJECT_ROOT, 'scripts/services.sh'), 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    // services.sh has printed its own error line naming the service and the fix.
    throw new ServiceUnavailableError('the services did not come up (see the [services] lines above)');
  }
}

/** The Spark example's Python environment and jars (scripts/spark.sh: idempotent, quick once done). */
export function ensureSpark(progress: Progress): void {
  progress.log('[bench] checking the Spark example (bash scripts/spark.sh)');
  try {
    execFileSync('bash', [join(PROJECT_ROOT, 'scripts/spark.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    throw new Error('the Spark example could not be set up (see the lines of scripts/spark.sh above)');
  }
}

/** The Flink example's Python environment and jars (scripts/flink.sh: idempotent, quick once done). */
export function ensureFlink(progress: Progress): void {
  progress.log('[bench] checking the Flink example (bash scripts/flink.sh)');
  try {
    execFileSync('bash', [join(PROJECT_ROOT, 'scripts/flink.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    throw new Error('the Flink example could not be set up (see the lines of scripts/flink.sh above)');
  }
}
