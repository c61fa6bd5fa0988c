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

  it('two lists plan a grid: every pair of values, each run labelled and set with both', async () => {
    const plan = await planBench(
      argv({ rate: '200,500,2000', batchInterval: '2,10,30', repeat: '2' }),
      new Set(['rate', 'batchInterval', 'repeat']),
    );
    expect(plan.swept.option.flag).toBe('rate');
    expect(plan.swept.values).toEqual([200, 500, 2000]);
    expect(plan.grid!.option.flag).toBe('batch-interval');
    expect(plan.grid!.values).toEqual([2, 10, 30]);
    expect(plan.settings).toMatchObject({ rate: [200, 500, 2000], batchInterval: [2, 10, 30], repeat: 2 });
    const o = optionsFor(plan, 500, '/tmp/grid', true, 10);
    expect(o).toMatchObject({
      rate: 500,
      batchInterval: 10,
      patients: 500,
      label: 'rate-500_batch-interval-10',
      swept: { option: 'rate', value: 500 },
    });
    // The grid's runs: 3 x 3 pairs, each twice; --find-max takes no grid.
    await expect(
      planBench(argv({ findMax: true, rate: '500', batchInterval: '2,10', threads: '1,2' }), new Set()),
    ).rejects.toThrow('--find-max searches over --rate; it cannot be combined with a list for --batch-interval');
  });

  it('refuses a run whose measured phase cannot hold a batch pass, with the duration it needs, before anything starts', async () => {
    await expect(planBench(argv({ duration: '5', batchInterval: '30' }), new Set())).rejects.toThrow(
      '--duration 5 s cannot hold one batch pass every 30 s: the batch latency would measure only the final pass after the load. The measured phase needs at least --duration 30 (90 s, three passes, to measure the batch latency well), or a shorter --batch-interval, or --modes without batch',
    );
    // Any run of a sweep or grid: the shortest duration against the longest interval.
    await expect(planBench(argv({ duration: '20,60', batchInterval: '2,30' }), new Set())).rejects.toThrow(
      /--duration 20 s cannot hold one batch pass every 30 s/,
    );
    // Without batch the interval does not matter; a phase shorter than the windows is said up front, not refused.
    const plan = await planBench(argv({ duration: '5', batchInterval: '30', modes: 'stream' }), new Set(['modes']));
    expect(plan.notices).toEqual([
      "--duration 5 s is shorter than the rules' 30 s windows: window results will be few and mostly half-filled (every reading's latency is still measured); for window figures measure at least 90 s",
    ]);
    expect((await planBench(argv(), new Set())).notices).toEqual([]);
  });

  it('refuses three lists, a list with --find-max, and shows what was typed', async () => {
    await expect(
      planBench(argv({ rate: '500,2000', batchInterval: '2,30', threads: '1,2' }), new Set()),
    ).rejects.toThrow(
      /at most two options can be comma lists .* got --rate 500,2000, --batch-interval 2,30, --threads 1,2/,
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
    expect(plan.base.externalOptions).toEqual({ readyTimeoutMs: 300_000, pollIntervalMs: 2, quietMs: 15_000 });
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

  it('an external job without a chosen warm-up gets 30 s, said in a notice; a chosen one is kept', async () => {
    const flink = await planBench(argv({ withFlink: true }), new Set(['withFlink']));
    expect(flink.base.warmup).toBe(30);
    expect(flink.notices.join('\n')).toContain('warm-up 30 s, not 10: an external job runs');
    const typed = await planBench(argv({ withFlink: true, warmup: '10' }), new Set(['withFlink', 'warmup']));
    expect(typed.base.warmup).toBe(10);
    expect(typed.notices.join('\n')).not.toContain('warm-up');
    const dir = mkdtempSync(join(tmpdir(), 'vitals-config-'));
    const file = join(dir, 'bench.json');
    writeFileSync(file, JSON.stringify({ warmup: 12 }));
    const fromFile = await planBench(
      argv({ config: file, external: ['mine=./mine.sh'], modes: 'stream,mine' }),
      new Set(['config', 'external', 'modes']),
    );
    expect(fromFile.base.warmup).toBe(12);
    // The seed profile chooses its own (5 s) beside the Spark example.
    expect((await planBench(argv({ profile: 'seed' }), new Set())).base.warmup).toBe(5);
    // --engines naming an example: every setting of it warms up as long (each alone, then together).
    expect((await planBench(argv({ engines: 'stream,flink' }), new Set(['engines']))).base.warmup).toBe(30);
    // Built-in modes alone keep the default.
    expect((await planBench(argv(), new Set())).base.warmup).toBe(10);
  });

  it('--find-max runs ingest and batch at nice 0 unless --batch-nice was chosen, said in a notice', async () => {
    const search = await planBench(argv({ findMax: true, rate: '1000' }), new Set(['findMax', 'rate']));
    expect(search.base.batchNice).toBe(0);
    expect(search.notices.join('\n')).toContain('ingest and batch at nice 0, not 10: --find-max judges');
    const typed = await planBench(
      argv({ findMax: true, rate: '1000', batchNice: '10' }),
      new Set(['findMax', 'rate', 'batchNice']),
    );
    expect(typed.base.batchNice).toBe(10);
    expect(typed.notices.join('\n')).not.toContain('nice');
    // A run at one rate keeps the default, for the stream's tail.
    expect((await planBench(argv(), new Set())).base.batchNice).toBe(10);
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

describe('planBench: what is refused before anything starts (exit 2)', () => {
  it('an output folder that cannot be written, with the real cause', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vitals-out-')), 'a-file');
    writeFileSync(file, 'not a folder');
    await expect(planBench(argv({ out: file }), new Set(['out']))).rejects.toThrow(
      new RegExp(`^--out ${file}: cannot write run folders there \\(EEXIST|ENOTDIR`),
    );
    await expect(planBench(argv({ out: join(file, 'runs') }), new Set(['out']))).rejects.toThrow(
      /cannot write run folders there \(ENOTDIR/,
    );
  });

  it('a --config value of the wrong type names the option and what it takes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitals-config-'));
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ out: 5 }, '"out" must be a string, got 5'],
      [{ rate: true }, '"rate" must be a number or a list of numbers, got true'],
      [{ 'find-max': 'yes' }, '"find-max" must be true or false, got "yes"'],
      [{ fault: [1] }, '"fault" must be a string or a list of strings, got [1]'],
    ];
    for (const [content, message] of cases) {
      const file = join(dir, 'bench.json');
      writeFileSync(file, JSON.stringify(content));
      await expect(planBench(argv({ config: file }), new Set(['config']))).rejects.toThrow(
        `--config ${file}: ${message}`,
      );
    }
  });
});
