import type { BenchArgs } from '../../../src/cli/bench-command.js';

/** argv as yargs gives it for `bench` with its defaults (numeric options as text). */
export function benchArgv(over: Partial<BenchArgs> = {}): BenchArgs {
  return {
    rate: '500',
    duration: '30',
    warmup: '10',
    sources: '3',
    partitions: '3',
    rules: 'clinical',
    batchInterval: '10',
    threads: '2',
    seed: '1',
    prevalence: '0.05',
    repeat: '1',
    modes: 'stream,batch',
    latenessMs: '2000',
    idleMs: '1000',
    fetchIntervalMs: '5',
    batchNice: '10',
    maxRestarts: '3',
    injectDelayMs: '0',
    kafkaClient: 'kafkajs',
    withSpark: false,
    withFlink: false,
    generators: '1',
    externalReadyTimeoutS: '300',
    externalPollMs: '2',
    externalQuietS: '15',
    topicPrefix: '',
    out: 'results/runs',
    findMax: false,
    services: false,
    quiet: true,
    ...over,
  };
}
