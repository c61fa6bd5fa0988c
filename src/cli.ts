#!/usr/bin/env node
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from './cli/args.js';
import { withSuggestions } from './cli/did-you-mean.js';
import { apiCommand, datasetOptions, generateCommand, produceCommand } from './cli/generator-commands.js';
import { benchCommand, benchOptions, explicitOptions, reportCommand } from './cli/bench-command.js';
import { compareCommand, compareOptions, type CompareArgs } from './cli/compare-command.js';
import { abCommand, abOptions, type AbArgs } from './cli/ab-command.js';
import { roleOptions, runRole, type RoleArgs } from './cli/roles.js';
import { declareOptions } from './cli/options.js';
import { historyCheckCommand, historyCommand } from './cli/history-command.js';
import type { RoleName } from './pipelines/ipc.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const roleCommand = (role: RoleName, describe: string) => ({
  command: role,
  describe,
  builder: (y: Argv) => roleOptions(y),
  handler: (a: Record<string, unknown>) => runRole(role, a as unknown as RoleArgs),
});

const cli = yargs(hideBin(process.argv))
  .scriptName('vitals-bench')
  .strict()
  .command(
    'generate',
    'write a deterministic data set as JSON lines or CSV',
    (y) => declareOptions(datasetOptions(y), 'generate'),
    (a) => generateCommand(a),
  )
  .command(
    'produce',
    'send readings to Kafka open-loop at a fixed rate (or replay a data set, or poll the device API)',
    (y) => declareOptions(datasetOptions(y), 'produce'),
    (a) => produceCommand(a),
  )
  .command(
    'api',
    "serve the seed's device API (GET /source1..S, /patient_vitals) from the generator",
    (y) => declareOptions(datasetOptions(y), 'api'),
    (a) => apiCommand(a),
  )
  .command(roleCommand('ingest', 'land every valid reading from Kafka in patient_vitals (master data set)'))
  .command(roleCommand('stream', 'speed layer: alerts and windows from Kafka in real time'))
  .command(roleCommand('batch', 'batch layer: alerts and windows over the stored readings (Piscina pool)'))
  .command(
    'bench',
    'the whole benchmark: services, pipelines, open-loop load, drain, metrics and report',
    (y) => benchOptions(y),
    async (a) => {
      // Options given on the command line win over a --config file.
      process.exit(await benchCommand(a, explicitOptions(hideBin(process.argv))));
    },
  )
  .command(
    'history',
    'render the run history (each bench run appends a line): a Markdown table per comparable parameter set and a trend chart per figure; with --check, judge the newest run against the runs before it (exit 0 pass, 1 regression, 3 inconclusive)',
    (y) => declareOptions(y, 'history'),
    async (a) => {
      if (a.check) process.exit(historyCheckCommand({ ...a, minPrevious: a.minRuns }));
      await historyCommand(a);
    },
  )
  .command(
    'report <dir>',
    "render the report (report.md, report.html, the CSVs and the charts) again from a run folder's results.json or a sweep folder's sweep.json",
    (y) => declareOptions(y, 'report'),
    (a) => reportCommand(a.dir),
  )
  .command(
    'compare <base> <new>',
    'compare two sets of runs (run folders, sweep or --repeat folders, results.json files): medians, change, Mann-Whitney p, verdicts; exit 0 pass, 1 regression, 2 error, 3 inconclusive',
    (y) => compareOptions(y),
    (a) => process.exit(compareCommand(a as unknown as CompareArgs)),
  )
  .command(
    'ab',
    'A/B two commits on this machine: build each in a worktree under .cache/ab, run the same bench in ABBA order (--repeat per side), compare; bench options after --; exit 0 pass, 1 regression, 2 error, 3 inconclusive',
    (y) => abOptions(y),
    async (a) => process.exit(await abCommand(a as unknown as AbArgs)),
  )
  .parserConfiguration({ 'populate--': true })
  .demandCommand(1, 'name a command; see --help')
  .fail((msg, err) => {
    if (err && !(err instanceof UsageError)) throw err;
    process.stderr.write(
      `vitals-bench: ${err?.message ?? suggestOptions(msg)}\n\nRun "vitals-bench --help" for the options.\n`,
    );
    process.exit(2);
  })
  .help();

/** yargs' message, with "did you mean --x?" after each unknown option (the command's options are cli's while it fails). */
function suggestOptions(msg: string): string {
  const typed = hideBin(process.argv);
  // getOptions() is yargs' (18) but not in @types/yargs 17: the options declared for the command being parsed.
  const declared = (cli as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key;
  return withSuggestions(msg, Object.keys(declared), (name) =>
    typed.some((t) => t === `--${name}` || t.startsWith(`--${name}=`) || t === `--no-${name}`),
  );
}

try {
  await cli.parseAsync();
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`vitals-bench: ${err.message}\n`);
    process.exit(2);
  }
  // A server that does not answer is the user's to start: its one line says which and how.
  if ((err as Error).name === 'ServiceUnavailableError')
    process.stderr.write(`vitals-bench: ${(err as Error).message}\n`);
  else process.stderr.write(`vitals-bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}
