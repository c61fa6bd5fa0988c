/**
 * The four outcomes of `compare` and `ab`, each with its own exit code, so that a CI workflow can
 * tell a regression from a comparison that could not be made. Fixed: workflows test them.
 */
export const EXIT_CODES = {
  /** No regression, every invariant held, every run valid and enough of them. */
  pass: 0,
  /** A regression of a gated figure, or a broken invariant (loss, duplicates, record-rule agreement). */
  fail: 1,
  /** A usage error or a harness error (a bad option, a ref that names no commit, a build that failed...). */
  error: 2,
  /** Not enough to judge: too few valid runs, a run that crashed, or a run that measured the machine. */
  inconclusive: 3,
} as const;

export type Outcome = keyof typeof EXIT_CODES;

/** The exit codes as `--help` and docs/CI.md state them. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  pass: no regression, invariants hold, enough valid runs a side',
  '  1  fail: a regression of a gated figure, or a broken invariant (loss, duplicates, record-rule agreement)',
  '  2  usage or harness error (one line on stderr saying what)',
  '  3  inconclusive: fewer valid runs than --min-runs a side, a run that crashed, or a run whose',
  '     measurement was not valid (incomplete, or the load generator fell behind): nothing judged',
].join('\n');
