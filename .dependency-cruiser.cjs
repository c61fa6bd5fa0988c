/**
 * The rooms of src/ and which way their arrows point (docs/ARCHITECTURE.md). `npm run lint`
 * runs this: an import from a lower room into a higher one, or an import cycle, fails it.
 *
 * Floors, lowest first; a room may import its own floor and the floors below:
 *   0  domain/, results/, config.ts        what everything shares: the message, the results schema
 *   1  infra/                              Kafka and MySQL clients
 *   2  generators/, pipelines/             produce; process
 *   3  harness/measure/                    collection and every figure (pure where it can be)
 *   4  harness/report/                     the run's report
 *   5  harness/track/, harness/processes/  tracking across runs; the child processes of a run
 *   6  harness/faults/                     fault kinds, injection and their report
 *   7  harness/run/                        the orchestrator
 *   8  cli/, cli.ts                        the commands
 */
const room = {
  ground: '^src/(domain/|results/|config\\.ts)',
  infra: '^src/infra/',
  producers: '^src/(generators|pipelines)/',
  measure: '^src/harness/measure/',
  report: '^src/harness/report/',
  track: '^src/harness/track/',
  processes: '^src/harness/processes/',
  faults: '^src/harness/faults/',
  run: '^src/harness/run/',
  cli: '^src/cli(/|\\.ts$)',
};

/** `from` may not import any of `to` (rooms by name). */
const never = (from, to, comment) => ({
  name: `${from}-not-${to.join('-')}`,
  comment,
  severity: 'error',
  from: { path: room[from] },
  to: { path: to.map((r) => room[r]).join('|') },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle ties its modules into one: break it by moving the shared part down a floor.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'harness-files-in-rooms',
      comment: 'Every harness module lives in one of its rooms (run, processes, faults, measure, report, track).',
      severity: 'error',
      from: { path: '^src/harness/[^/]+\\.ts$' },
      to: {},
    },
    never(
      'ground',
      ['infra', 'producers', 'measure', 'report', 'track', 'processes', 'faults', 'run', 'cli'],
      'The ground floor is shared by all: it depends on nothing above it.',
    ),
    never(
      'infra',
      ['producers', 'measure', 'report', 'track', 'processes', 'faults', 'run', 'cli'],
      'Clients of the servers know nothing of what uses them.',
    ),
    never(
      'producers',
      ['measure', 'report', 'track', 'processes', 'faults', 'run', 'cli'],
      'Generators and pipelines are measured; they do not measure.',
    ),
    never(
      'measure',
      ['report', 'track', 'processes', 'faults', 'run', 'cli'],
      'Figures are computed without knowing how they are shown or how the run was driven.',
    ),
    never('report', ['track', 'processes', 'faults', 'run', 'cli'], 'A report renders one run or sweep.'),
    never('track', ['processes', 'faults', 'run', 'cli'], 'Tracking reads results; it does not drive runs.'),
    never('processes', ['report', 'track', 'faults', 'run', 'cli'], 'Child processes know nothing of the run.'),
    never('faults', ['report', 'track', 'run', 'cli'], 'A fault acts on processes and services, not on the run.'),
    never('run', ['cli'], 'The orchestrator is driven by the commands, never the other way.'),
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
