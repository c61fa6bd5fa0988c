import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../../src/config.js';

const SCRIPT = join(PROJECT_ROOT, 'scripts/actionlint.sh');
const CI = join(PROJECT_ROOT, 'scripts/ci');

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  'timeout-minutes'?: number;
}
interface Job {
  name?: string;
  if?: string;
  'timeout-minutes'?: number;
  strategy?: { matrix?: Record<string, unknown[]> };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { branches?: string[]; 'paths-ignore'?: string[]; paths?: string[] } | null>;
  env?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': string | boolean };
  jobs: Record<string, Job>;
}

const workflowText = (name: string): string => readFileSync(join(PROJECT_ROOT, '.github/workflows', name), 'utf8');
const bench = parse(workflowText('bench.yml')) as Workflow;
const tests = parse(workflowText('test.yml')) as Workflow;

function step(job: Job, pick: (s: Step) => boolean, what: string): Step {
  const s = job.steps.find(pick);
  if (!s) throw new Error(`no step ${what} in job ${job.name ?? '?'}`);
  return s;
}
const byId = (job: Job, id: string): Step => step(job, (s) => s.id === id, `with id ${id}`);
const running = (job: Job, text: string): Step => step(job, (s) => s.run?.includes(text) ?? false, `running ${text}`);

const tmp = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));
const output = (r: SpawnSyncReturns<string>): string => `${r.stdout}${r.stderr}`;

/**
 * A step's `run:` script as the runner executes it (its default shell: bash --noprofile --norc
 * -eo pipefail), in `cwd` (a checkout: another folder gets a link to this checkout's scripts/).
 */
function runStep(s: Step, env: Record<string, string>, cwd = PROJECT_ROOT): SpawnSyncReturns<string> {
  if (cwd !== PROJECT_ROOT && !existsSync(join(cwd, 'scripts')))
    symlinkSync(join(PROJECT_ROOT, 'scripts'), join(cwd, 'scripts'));
  return spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', s.run!], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

/** A folder holding a fake `node` that exits with $FAKE_NODE_EXIT, first on PATH. */
function fakeNodePath(): string {
  const bin = tmp('fake-node-');
  writeFileSync(join(bin, 'node'), '#!/bin/bash\necho "fake node $*"\nexit "${FAKE_NODE_EXIT:-0}"\n');
  chmodSync(join(bin, 'node'), 0o755);
  return `${bin}:${process.env.PATH ?? ''}`;
}

/** GitHub's path filter pattern as a regular expression: `**` any characters, `*` any but `/`. */
function pathPattern(glob: string): RegExp {
  const body = glob
    .split('**')
    .map((part) => part.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
const ignored = (patterns: string[], path: string): boolean => patterns.some((p) => pathPattern(p).test(path));

/** The `ab` job and the `main` job of bench.yml. */
const ab = bench.jobs.ab!;
const main = bench.jobs.main!;

describe('.github/workflows: actionlint with shellcheck', () => {
  // scripts/actionlint.sh installs actionlint with the machine's Go into .cache/go-bin the first
  // time (about a minute, through the Go module proxy) and Debian's shellcheck when it is missing.
  it('bench.yml and test.yml pass actionlint, shellcheck included', () => {
    const r = spawnSync('bash', [SCRIPT], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 280_000 });
    expect(output(r), 'actionlint findings').not.toMatch(/\.ya?ml:\d+:\d+:/);
    expect(r.status, output(r)).toBe(0);
  }, 300_000);

  it('actionlint really runs shellcheck on run: scripts (a finding in one fails the check)', () => {
    const dir = tmp('actionlint-fixture-');
    const fixture = join(dir, 'unquoted.yml');
    writeFileSync(
      fixture,
      'name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo $UNQUOTED\n',
    );
    const r = spawnSync('bash', [SCRIPT, fixture], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 280_000 });
    expect(r.status, output(r)).toBe(1);
    expect(output(r)).toMatch(/unquoted\.yml:7:\d+: shellcheck reported issue in this script: SC2086/);
  }, 300_000);

  /** A PATH holding only links to the given commands: whatever else the machine has is not on it. */
  function onlyCommands(...names: string[]): string {
    const bin = tmp('path-');
    for (const n of names) {
      const where = spawnSync('bash', ['-c', `command -v ${n}`], { encoding: 'utf8' }).stdout.trim();
      if (!where) throw new Error(`${n} is not installed`);
      symlinkSync(where, join(bin, n));
    }
    return bin;
  }

  it('without Go and without the binary, the script fails with a message that says so', () => {
    const r = spawnSync(join(onlyCommands('bash'), 'bash'), [SCRIPT], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { PATH: onlyCommands('bash', 'dirname', 'head'), ACTIONLINT_BIN_DIR: tmp('actionlint-') },
    });
    expect(r.status, output(r)).toBe(1);
    expect(r.stderr).toMatch(/Go is not installed \(no 'go' on PATH\)/);
  });

  it('without shellcheck and no way to install it, the script fails with a message that says so', () => {
    // An installed actionlint of the pinned version; no shellcheck and no apt-get on PATH.
    const binDir = tmp('actionlint-');
    writeFileSync(join(binDir, 'actionlint'), '#!/bin/bash\necho v1.7.12\n');
    chmodSync(join(binDir, 'actionlint'), 0o755);
    const path = onlyCommands('bash', 'dirname', 'head', 'id');
    const r = spawnSync(join(path, 'bash'), [SCRIPT], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { PATH: path, ACTIONLINT_BIN_DIR: binDir },
    });
    expect(r.status, output(r)).toBe(1);
    expect(r.stderr).toMatch(/shellcheck is not installed \(no 'shellcheck' on PATH\)/);
    expect(r.stderr).toMatch(/apt-get install shellcheck/);
  });
});

describe('bench.yml: what it measures and how it decides', () => {
  it('runs the A/B on pull requests and bench:ci with the history and its check on main', () => {
    expect(ab.if).toBe("github.event_name == 'pull_request'");
    expect(main.if).toBe("github.event_name != 'pull_request' && github.ref == 'refs/heads/main'");
    expect(Object.keys(bench.on)).toEqual(expect.arrayContaining(['pull_request', 'push', 'schedule']));
    expect(bench.on.push?.branches).toEqual(['main']);
    expect(byId(ab, 'ab').run).toMatch(
      /node dist\/src\/cli\.js ab --base "\$BASE_SHA" --head "\$HEAD_SHA" --repeat 5 --alpha 0\.01 --out results\/ab -- --profile ci/,
    );
    running(main, 'npm run bench:ci');
    expect(byId(main, 'check').run).toMatch(/history --check --file results\/history\.jsonl/);
    running(main, 'history --file results/history.jsonl --out results/history');
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['bench:ci']).toMatch(/bench --profile ci/);
  });

  it('measures the local Kafka and MariaDB, chosen explicitly: never Docker', () => {
    expect(bench.env?.VITALS_USE_DOCKER).toBe('never');
    for (const job of [ab, main]) {
      expect(job.env?.VITALS_USE_DOCKER).toBeUndefined();
      running(job, 'apt-get install -y -q mariadb-server');
      running(job, 'bash scripts/ci/services-up.sh');
      // No other way to start services before they are checked.
      expect(job.steps.filter((s) => /services(:up|\.sh up)/.test(s.run ?? ''))).toEqual([]);
    }
    // The script refuses to start anything without the explicit choice...
    const r = spawnSync('bash', [join(CI, 'services-up.sh')], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, VITALS_USE_DOCKER: 'auto' },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/::error title=Services::VITALS_USE_DOCKER must be 'never'/);
    // ...and fails unless the status shows both local services (MariaDB for the database).
    const script = readFileSync(join(CI, 'services-up.sh'), 'utf8');
    expect(script).toContain(String.raw`grep -Eq '^kafka +up .*\(local\)$'`);
    expect(script).toContain(String.raw`grep -Eq '^mysql +up .*MariaDB.*\(local\)$'`);
  });

  it('A/B base and head are the merge commit parents, not pull_request.base.sha', () => {
    const checkout = step(ab, (s) => s.uses?.startsWith('actions/checkout@') ?? false, 'checkout');
    expect(checkout.with?.['fetch-depth']).toBe(0);
    const commits = byId(ab, 'commits');
    expect(commits.run).toBe('bash scripts/ci/merge-parents.sh');
    const abStep = byId(ab, 'ab');
    expect(abStep.env).toEqual({
      BASE_SHA: '${{ steps.commits.outputs.base }}',
      HEAD_SHA: '${{ steps.commits.outputs.head }}',
    });
    expect(ab.steps.indexOf(commits)).toBeLessThan(ab.steps.indexOf(abStep));

    // A pull request whose base branch moved on: GitHub's merge commit has the new base tip as
    // its first parent and the PR's head as its second.
    const repo = tmp('merge-parents-');
    const git = (...args: string[]): string => {
      const r = spawnSync('git', args, {
        cwd: repo,
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@example.invalid',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@example.invalid',
        },
      });
      if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    git('init', '-q', '-b', 'main');
    git('commit', '-q', '--allow-empty', '-m', 'A');
    const staleBase = git('rev-parse', 'HEAD');
    git('checkout', '-q', '-b', 'feature');
    git('commit', '-q', '--allow-empty', '-m', 'B');
    const prHead = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');
    git('commit', '-q', '--allow-empty', '-m', 'C');
    const baseNow = git('rev-parse', 'HEAD');
    git('merge', '-q', '--no-ff', '--no-edit', 'feature');
    const merge = git('rev-parse', 'HEAD');

    const out = join(tmp('gh-output-'), 'output');
    const env = { GITHUB_SHA: merge, GITHUB_OUTPUT: out, PR_BASE_SHA: staleBase, PR_HEAD_SHA: prHead };
    const r = runStep({ run: commits.run }, env, repo);
    expect(r.status, output(r)).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(`base=${baseNow}\nhead=${prHead}\n`);
    expect(r.stdout).toMatch(/::notice title=A\/B commits::the base branch moved/);

    // Not a merge commit (or not the one under test): no A/B.
    git('checkout', '-q', 'feature');
    const notMerge = runStep({ run: commits.run }, { ...env, GITHUB_SHA: prHead }, repo);
    expect(notMerge.status).toBe(1);
    expect(notMerge.stdout).toMatch(/::error title=A\/B commits::HEAD .* is not a merge of two commits/);
    expect(runStep({ run: commits.run }, env, repo).status).toBe(1); // HEAD is not GITHUB_SHA
  });

  it('treats the tracking exit codes: 0 pass, 1 regression, 2 error, 3 inconclusive (warning, job green)', () => {
    // The ab step records the exit code and leaves the verdict to the last step.
    const path = fakeNodePath();
    for (const code of [0, 1, 2, 3]) {
      const out = join(tmp('gh-output-'), 'output');
      const r = runStep(byId(ab, 'ab'), { PATH: path, FAKE_NODE_EXIT: String(code), GITHUB_OUTPUT: out });
      expect(r.status, output(r)).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(`exit-code=${code}\n`);
    }
    const verdict = step(ab, (s) => s.run?.includes('track-verdict.sh') ?? false, 'verdict');
    expect(verdict.if).toBe('${{ !cancelled() }}');
    expect(verdict.env).toEqual({ AB_EXIT: '${{ steps.ab.outputs.exit-code }}' });
    expect(verdict.run).toBe('bash scripts/ci/track-verdict.sh "A/B benchmark" "$AB_EXIT" results/ab/compare.md');
    expect(ab.steps.at(-1)).toBe(verdict);

    const details = join(tmp('compare-'), 'compare.md');
    writeFileSync(details, '| metric | base | new |\n');
    const expected: Array<[string, number, RegExp, RegExp]> = [
      ['0', 0, /^::notice title=A\/B benchmark PASS::/, /## A\/B benchmark: PASS\n\n\*\*PASS\*\*: no regression/],
      ['1', 1, /^::error title=A\/B benchmark REGRESSION::/, /\*\*REGRESSION\*\*: a figure regressed/],
      ['2', 1, /^::error title=A\/B benchmark ERROR::.*usage or harness error/, /\*\*ERROR\*\*: exit code 2/],
      [
        '3',
        0,
        /^::warning title=A\/B benchmark INCONCLUSIVE::/,
        /> \[!WARNING\]\n> \*\*INCONCLUSIVE\*\*: nothing could be judged/,
      ],
      ['', 1, /^::error title=A\/B benchmark DID NOT FINISH::/, /\*\*DID NOT FINISH\*\*/],
      ['139', 1, /^::error title=A\/B benchmark UNEXPECTED EXIT CODE 139::/, /none of 0 pass/],
    ];
    for (const [code, status, annotation, summaryText] of expected) {
      // The step as written (its compare.md absent here: the summary says so)...
      const stepSummary = join(tmp('summary-'), 'summary.md');
      const r = runStep(verdict, { AB_EXIT: code, GITHUB_STEP_SUMMARY: stepSummary });
      expect(r.status, `exit code "${code}"`).toBe(status);
      expect(r.stdout).toMatch(annotation);
      expect(readFileSync(stepSummary, 'utf8')).toContain('(results/ab/compare.md was not written.)');
      // ...and the script with a compare table, which follows the verdict.
      const summary = join(tmp('summary-'), 'summary.md');
      const s = spawnSync('bash', [join(CI, 'track-verdict.sh'), 'A/B benchmark', code, details], {
        encoding: 'utf8',
        env: { ...process.env, GITHUB_STEP_SUMMARY: summary },
      });
      expect(s.status, `exit code "${code}"`).toBe(status);
      const text = readFileSync(summary, 'utf8');
      expect(text).toMatch(summaryText);
      expect(text.indexOf('| metric | base | new |')).toBeGreaterThan(text.search(summaryText));
    }
  });

  it('main: the check judges only a run this job appended, and its exit code goes to the verdict', () => {
    const check = byId(main, 'check');
    expect(check.if).toBe('${{ !cancelled() }}');
    expect(check.env).toEqual({ LINES_BEFORE: '${{ steps.before.outputs.lines }}' });
    const verdict = main.steps.at(-1)!;
    expect(verdict.if).toBe('${{ !cancelled() }}');
    expect(verdict.env).toEqual({ CHECK_EXIT: '${{ steps.check.outputs.exit-code }}' });
    expect(verdict.run).toBe(
      'bash scripts/ci/track-verdict.sh "Main benchmark vs previous main runs" "$CHECK_EXIT" results/history-check.md',
    );
    const path = fakeNodePath();
    const cwd = tmp('main-check-');
    mkdirSync(join(cwd, 'results'));
    writeFileSync(join(cwd, 'results/history.jsonl'), '{}\n{}\n{}\n');
    for (const code of [0, 1, 3]) {
      const out = join(tmp('gh-output-'), 'output');
      const r = runStep(
        check,
        { PATH: path, FAKE_NODE_EXIT: String(code), GITHUB_OUTPUT: out, LINES_BEFORE: '2' },
        cwd,
      );
      expect(r.status, output(r)).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(`exit-code=${code}\n`);
      expect(r.stdout).toContain('fake node dist/src/cli.js history --check');
    }
    // The bench appended nothing (it failed before the end): no check, and the verdict says so.
    const out = join(tmp('gh-output-'), 'output');
    const r = runStep(check, { PATH: path, GITHUB_OUTPUT: out, LINES_BEFORE: '3' }, cwd);
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('exit-code=\n');
    expect(r.stdout).not.toContain('fake node');
  });

  it('keeps the history in the actions cache under a rolling key, and says loudly when it starts over', () => {
    const restore = byId(main, 'history');
    expect(restore.uses).toMatch(/^actions\/cache\/restore@v\d+$/);
    expect(restore.with).toEqual({
      path: 'results/history.jsonl',
      key: 'bench-history-${{ github.run_id }}-${{ github.run_attempt }}',
      'restore-keys': 'bench-history-',
    });
    const save = step(main, (s) => s.uses?.startsWith('actions/cache/save@') ?? false, 'cache save');
    expect(save.with).toEqual({ path: 'results/history.jsonl', key: restore.with!.key });
    expect(save.if).toContain('!cancelled()');
    const bench_ = running(main, 'npm run bench:ci');
    expect(main.steps.indexOf(restore)).toBeLessThan(main.steps.indexOf(bench_));
    expect(main.steps.indexOf(save)).toBeGreaterThan(main.steps.indexOf(bench_));
    const before = byId(main, 'before');
    expect(before.env).toEqual({ RESTORED_KEY: '${{ steps.history.outputs.cache-matched-key }}' });

    const cwd = tmp('history-restored-');
    mkdirSync(join(cwd, 'results'));
    for (const [key, lines] of [
      ['', 0],
      ['bench-history-123-1', 4],
    ] as const) {
      if (lines) writeFileSync(join(cwd, 'results/history.jsonl'), '{}\n'.repeat(lines));
      const out = join(tmp('gh-output-'), 'output');
      const summary = join(tmp('summary-'), 'summary.md');
      const r = runStep(
        before,
        { RESTORED_KEY: key, GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: summary, PATH: process.env.PATH ?? '' },
        cwd,
      );
      expect(r.status, output(r)).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(`lines=${lines}\n`);
      if (key === '') {
        expect(r.stdout).toMatch(/^::warning title=Benchmark history starts over::/);
        expect(readFileSync(summary, 'utf8')).toMatch(/> \[!WARNING\]\n> \*\*HISTORY STARTS OVER\*\*/);
      } else {
        expect(r.stdout).not.toContain('::warning');
      }
    }
  });

  it('every job and every long step has a timeout', () => {
    for (const [name, wf] of [
      ['bench.yml', bench],
      ['test.yml', tests],
    ] as const) {
      for (const [id, job] of Object.entries(wf.jobs)) {
        expect(job['timeout-minutes'], `${name} ${id}`).toBeGreaterThan(0);
        for (const s of job.steps) {
          const long = /apt-get install|npm ci|npm test|services-up|cli\.js ab |bench:ci|history --check/.test(
            s.run ?? '',
          );
          if (long)
            expect(s['timeout-minutes'], `${name} ${id}: ${s.name ?? s.run}`).toBeLessThan(job['timeout-minutes']!);
        }
      }
    }
  });

  it('documentation-only changes do not trigger the benchmark; code changes do', () => {
    for (const event of ['pull_request', 'push'] as const) {
      const patterns = bench.on[event]?.['paths-ignore'] ?? [];
      for (const doc of ['README.md', 'docs/METRICS.md', 'docs/deep/note.txt', 'examples/spark/README.md'])
        expect(ignored(patterns, doc), `${event}: ${doc}`).toBe(true);
      for (const code of [
        'src/cli.ts',
        'src/harness/run.ts',
        'package-lock.json',
        'scripts/services.sh',
        'examples/spark/vitals_job.py',
        '.github/workflows/bench.yml',
        'scripts/ci/track-verdict.sh',
      ])
        expect(ignored(patterns, code), `${event}: ${code}`).toBe(false);
    }
    // The tests run on every change: the format check covers the documentation.
    expect(tests.on.pull_request).toBeNull();
  });

  it('one main run at a time; a newer push cancels a pull request A/B; the comment says what GitHub does', () => {
    expect(bench.concurrency).toEqual({
      group: 'bench-${{ github.ref }}',
      'cancel-in-progress': "${{ github.event_name == 'pull_request' }}",
    });
    const text = workflowText('bench.yml');
    expect(text).not.toMatch(/runs on main all finish/);
    expect(text).toMatch(/at most\s+# one pending run per group/);
  });

  it('every action runs on the node24 runtime', () => {
    // The first major of each that declares runs.using: node24.
    const node24: Record<string, number> = {
      'actions/checkout': 5,
      'actions/setup-node': 5,
      'actions/setup-java': 5,
      'actions/setup-python': 6,
      'actions/cache': 5,
      'actions/cache/restore': 5,
      'actions/cache/save': 5,
      'actions/upload-artifact': 6,
      'actions/download-artifact': 7,
    };
    const uses = [bench, tests].flatMap((wf) =>
      Object.values(wf.jobs).flatMap((j) => j.steps.map((s) => s.uses).filter((u): u is string => !!u)),
    );
    expect(uses.length).toBeGreaterThan(10);
    for (const u of uses) {
      const [action, ref] = u.split('@') as [string, string];
      expect(node24[action], `${u}: add the first node24 major of ${action} to this table`).toBeDefined();
      expect(Number(/^v(\d+)/.exec(ref)?.[1]), u).toBeGreaterThanOrEqual(node24[action]!);
    }
  });
});

describe('test.yml: the project tested on each supported Node line', () => {
  const job = tests.jobs.test!;
  const matrix = (job.strategy?.matrix?.node ?? []) as number[];
  const engines = (
    JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
  ).engines.node;

  /** "^20.19.4 || ^22.18.0": each alternative's major and minimum version. */
  function caretRanges(range: string): Array<{ major: number; min: [number, number, number] }> {
    return range.split('||').map((alt) => {
      const m = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(alt);
      if (!m) throw new Error(`engines.node alternative "${alt}" is not ^MAJOR.MINOR.PATCH`);
      return { major: Number(m[1]), min: [Number(m[1]), Number(m[2]), Number(m[3])] };
    });
  }
  const satisfies = (version: string, range: string): boolean => {
    const v = version.replace(/^v/, '').split('.').map(Number) as [number, number, number];
    return caretRanges(range).some(
      ({ major, min }) => v[0] === major && (v[1] > min[1] || (v[1] === min[1] && v[2] >= min[2])),
    );
  };

  it('runs npm ci && npm test on Node 20 (this machine) and the LTS lines, on the local services', () => {
    expect(matrix).toContain(20);
    expect(matrix.filter((n) => n >= 22).length).toBeGreaterThanOrEqual(2);
    const setup = step(job, (s) => s.uses?.startsWith('actions/setup-node@') ?? false, 'setup-node');
    expect(setup.with?.['node-version']).toBe('${{ matrix.node }}');
    expect(job.steps.map((s) => s.run?.trim()).filter(Boolean)).toEqual(
      expect.arrayContaining(['npm ci --no-audit --no-fund', 'npm test']),
    );
    expect(tests.env?.VITALS_USE_DOCKER).toBe('never');
    running(job, 'apt-get install -y -q mariadb-server');
  });

  it("package.json engines names exactly the tested lines, and this machine's Node satisfies it", () => {
    expect(caretRanges(engines).map((r) => r.major)).toEqual([...matrix].sort((a, b) => a - b));
    expect(satisfies(process.version, engines), `${process.version} vs ${engines}`).toBe(true);
    expect(satisfies('v20.18.0', engines)).toBe(false); // vitest 4 and @platformatic/kafka need 20.19+
  });
});
