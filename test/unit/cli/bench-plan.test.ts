import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionsFor, planBench } from '../../../src/cli/bench-command.js';
import { benchArgv } from './bench-argv.js';

const argv = benchArgv;

describe('planBench: a sweep of any numeric option', () => {
  it('--batch-interval 2,10,30 sweeps the batch interval, everything else as given', async () => {
    const plan = await planBench(argv({ batchInterval: '2,10,30', rate: '200' }), new Set(['batchInterval', 'rate']));
    expect(plan.swept.option.flag).toBe('batch-interval');
    expect(plan.swept.values).toEqual([2, 10, 30]);
    expect(plan.base).toMatchObject({ rate: 200, duration: 30, warmup: 10, threads: 2, latenessMs: 2000 });
    expect(plan.settings).toMatchObject({
      batchInterval: [2, 10, 30],
      rate: 200,
      repeat: 1,
      modes: ['stream', 'batch'],
    });
    const o = optionsFor(plan, 10, '/tmp/sweep', true);
    expect(o).toMatchObject({
      batchInterval: 10,
      rate: 200,
      patients: 200,
      outDir: '/tmp/sweep',
      label: 'batch-interval-10',
      swept: { option: 'batch-interval', value: 10 },
    });
    // A single run is neither labelled nor marked as swept.
    const single = optionsFor(await planBench(argv(), new Set()), 500, '/tmp/x', false);
    expect(single.label).toBeUndefined();
    expect(single.swept).toBeUndefined();
  });

  it('without a list the rate is the swept option (one value, or --find-max)', async () => {
    const plan = await planBench(argv({ repeat: '3' }), new Set(['repeat']));
    expect(plan.swept.option.flag).toBe('rate');
    expect(plan.swept.values).toEqual([500]);
    expect(plan.repeat).toBe(3);
  });

  it('a rate list still sweeps the rate; patients default per rate', async () => {
    const plan = await planBench(argv({ rate: '500,2000' }), new Set(['rate']));
    expect(plan.swept.values).toEqual([500, 2000]);
    expect(optionsFor(plan, 2000, '/tmp/s', true)).toMatchObject({ rate: 2000, patients: 2000, label: 'rate-2000' });
  });

  it('checks each value of the list against the other options', async () => {
    await expect(planBench(argv({ patients: '2,9' }), new Set(['patients']))).rejects.toThrow(
      '--patients (2) must be at least --sources (3)',
    );
    await expect(planBench(argv({ rate: '0.0001', duration: '1,2', warmup: '0' }), new Set())).rejects.toThrow(
      /--rate 0.0001 for --duration 1 s would send no reading/,
    );
    await expect(
      planBench(argv({ duration: '5,60', warmup: '0', fault: ['kill:stream@7s'] }), new Set()),
    ).rejects.toThrow(/at 7 s is after the load ends \(5 s\)/);
  });

  it('refuses two lists, a list with --find-max, and shows what was typed', async () => {
    await expect(planBench(argv({ rate: '500,2000', batchInterval: '2,30' }), new Set())).rejects.toThrow(
      /only one option can be a comma list .* got --rate 500,2000 and --batch-interval 2,30/,
    );
    await expect(planBench(argv({ findMax: true, threads: '1,2' }), new Set())).rejects.toThrow(
      '--find-max searches over --rate; it cannot be combined with a list for --threads',
    );
    await expect(planBench(argv({ findMax: true, rate: '500,1000' }), new Set())).rejects.toThrow(
      '--find-max takes one starting --rate, not a list',
    );
    await expect(planBench(argv({ batchInterval: '2,30x' }), new Set())).rejects.toThrow(
      '--batch-interval must be a positive number, got "30x" (in "2,30x")',
    );
  });

  it('a --config file can give a list as an array; the command line wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitals-plan-'));
    const file = join(dir, 'bench.json');
    writeFileSync(file, JSON.stringify({ 'batch-interval': [2, 4], threads: 3, rate: 100 }));
    const plan = await planBench(argv({ config: file, rate: '200' }), new Set(['config', 'rate']));
    expect(plan.swept.option.key).toBe('batchInterval');
    expect(plan.swept.values).toEqual([2, 4]);
    expect(plan.base).toMatchObject({ threads: 3, rate: 200 });
  });
});

describe('planBench: external modes (docs/EXTERNAL.md)', () => {
  const explicitModes = new Set(['modes']);

  it('--external NAME=COMMAND with NAME in --modes runs it beside the built-in modes', async () => {
    const plan = await planBench(
      argv({ external: ['flink=./run-flink.sh --fast'], modes: 'stream,flink' }),
      explicitModes,
    );
    expect(plan.base.modes).toEqual(['stream']);
    expect(plan.base.externals).toEqual([{ name: 'flink', command: './run-flink.sh --fast' }]);
    expect(plan.base.externalOptions).toEqual({ readyTimeoutMs: 300_000, pollIntervalMs: 100, quietMs: 15_000 });
    expect(plan.settings.modes).toEqual(['stream', 'flink']);
    expect(plan.settings.external).toEqual(['flink=./run-flink.sh --fast']);
  });

  it('--with-spark adds the Spark example to the default modes', async () => {
    const plan = await planBench(argv({ withSpark: true }), new Set());
    expect(plan.base.modes).toEqual(['stream', 'batch']);
    expect(plan.base.externals).toEqual([{ name: 'spark', command: 'bash examples/spark/run.sh' }]);
  });

  it('--with-flink adds the Flink example to the default modes, beside --with-spark', async () => {
    const plan = await planBench(argv({ withFlink: true }), new Set());
    expect(plan.base.modes).toEqual(['stream', 'batch']);
    expect(plan.base.externals).toEqual([{ name: 'flink', command: 'bash examples/flink/run.sh' }]);
    expect(plan.settings.modes).toEqual(['stream', 'batch', 'flink']);
    const both = await planBench(argv({ withSpark: true, withFlink: true }), new Set());
    expect(both.base.externals?.map((e) => e.name)).toEqual(['spark', 'flink']);
    const flinkOnly = await planBench(argv({ withFlink: true, modes: 'flink' }), explicitModes);
    expect(flinkOnly.base.modes).toEqual([]);
    expect(flinkOnly.base.externals?.map((e) => e.name)).toEqual(['flink']);
  });

  it('refuses --with-flink beside --external flink=...', async () => {
    await expect(
      planBench(argv({ withFlink: true, external: ['flink=./mine.sh'], modes: 'flink' }), explicitModes),
    ).rejects.toThrow(
      '--with-flink declares the external mode "flink": drop one of --with-flink and --external flink=...',
    );
  });

  it('--profile seed runs stream, batch and the Spark example on the seed rules', async () => {
    const plan = await planBench(argv({ profile: 'seed' }), new Set());
    expect(plan.base.modes).toEqual(['stream', 'batch']);
    expect(plan.base.externals?.map((e) => e.name)).toEqual(['spark']);
    expect(plan.base.rules).toBe('seed');
  });

  it('--generators needs at least as many patients', async () => {
    await expect(planBench(argv({ generators: '4', patients: '3' }), new Set())).rejects.toThrow(
      '--generators 4 splits the patients across processes: it needs at least as many patients, got --patients 3',
    );
    const plan = await planBench(argv({ generators: '2', patients: '10' }), new Set());
    expect(plan.base.generators).toBe(2);
  });

  it('refuses an undeclared mode, a declared mode not run, bad names and a name declared twice', async () => {
    await expect(planBench(argv({ modes: 'stream,spark' }), explicitModes)).rejects.toThrow(
      '--modes: "spark" is neither stream nor batch nor an external mode declared with --external spark=COMMAND',
    );
    await expect(planBench(argv({ external: ['x=true'], modes: 'stream' }), explicitModes)).rejects.toThrow(
      '--external x is declared but --modes does not include it',
    );
    await expect(planBench(argv({ external: ['Spark=true'], modes: 'Spark' }), explicitModes)).rejects.toThrow(
      'must be lower-case letters',
    );
    await expect(planBench(argv({ external: ['stream=true'] }), explicitModes)).rejects.toThrow(
      'stream is a name the harness uses itself',
    );
    await expect(planBench(argv({ external: ['x=a', 'x=b'], modes: 'x' }), explicitModes)).rejects.toThrow(
      'x is declared twice',
    );
    await expect(planBench(argv({ external: ['x'], modes: 'x' }), explicitModes)).rejects.toThrow(
      '--external must be NAME=COMMAND',
    );
    await expect(planBench(argv({ external: ['x='], modes: 'x' }), explicitModes)).rejects.toThrow(
      '--external x: the command is empty',
    );
  });
});
