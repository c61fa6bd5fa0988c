import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/config.js';

const SCRIPT = join(PROJECT_ROOT, 'scripts/actionlint.sh');

/**
 * The workflows pass actionlint (scripts/actionlint.sh installs it with the machine's Go into
 * .cache/go-bin the first time: about 30 s, through the Go module proxy).
 */
describe('.github/workflows', () => {
  it('bench.yml passes actionlint', () => {
    const r = spawnSync('bash', [SCRIPT], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 280_000 });
    expect(r.stdout + r.stderr, 'actionlint findings').not.toMatch(/\.yml:\d+:\d+:/);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 300_000);

  it('bench.yml runs the A/B compare on pull requests and bench:ci with the history on main', () => {
    const yml = readFileSync(join(PROJECT_ROOT, '.github/workflows/bench.yml'), 'utf8');
    expect(yml).toMatch(
      /node dist\/src\/cli\.js ab --base "\$BASE_SHA" --head "\$HEAD_SHA" --repeat 5 --alpha 0\.01 --out results\/ab -- --profile ci/,
    );
    expect(yml).toContain('${{ github.event.pull_request.base.sha }}');
    expect(yml).toContain('compare.md >> "$GITHUB_STEP_SUMMARY"');
    expect(yml).toContain('npm run bench:ci');
    expect(yml).toContain('results/history.jsonl');
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['bench:ci']).toMatch(/bench --profile ci/);
  });

  it('without Go and without the binary, the script fails with a message that says so', () => {
    const noGoPath = '/usr/bin:/bin';
    if (spawnSync('bash', ['-c', 'command -v go'], { env: { PATH: noGoPath } }).status === 0) return; // go is in /usr/bin here: nothing to show
    const r = spawnSync('bash', [SCRIPT], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { PATH: noGoPath, ACTIONLINT_BIN_DIR: mkdtempSync(join(tmpdir(), 'actionlint-')) },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Go is not installed \(no 'go' on PATH\)/);
  });
});
