/**
 * The exit codes every performance-tracking command shares (ab, history --check), so that a CI
 * script can tell them apart: a regression fails the job, a usage or harness error fails it with
 * another message, an inconclusive check only warns.
 */
export const TRACK_EXIT = {
  /** No regression (improvements included). */
  pass: 0,
  /** A figure regressed, or the newest run broke an invariant. */
  regression: 1,
  /** Bad arguments or input (the CLI prints the message). */
  usage: 2,
  /** Nothing could be judged: too few comparable runs, or the newest run is incomplete. */
  inconclusive: 3,
} as const;

export type TrackExitCode = (typeof TRACK_EXIT)[keyof typeof TRACK_EXIT];
