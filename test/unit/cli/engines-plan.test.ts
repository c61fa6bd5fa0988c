/**
 * `bench --engines`: the list checked before anything starts, the examples' set-up implied, and
 * each setting's run given only its own engines (engines-plan.ts).
 */
import { describe, expect, it } from 'vitest';
import { optionsFor, planBench } from '../../../src/cli/bench-command.js';
import { engineRunOptions, engineSettings } from '../../../src/cli/engines-plan.js';
import { benchArgv as argv } from './bench-argv.js';

describe('bench --engines', () => {
  it('spark and flink imply their examples; every engine is a mode of the plan', async () => {
    const plan = await planBench(argv({ engines: 'stream,batch,spark,flink' }), new Set(['engines']));
    expect(plan.engines).toEqual(['stream', 'batch', 'spark', 'flink']);
    expect(plan.base.modes).toEqual(['stream', 'batch']);
    expect(plan.base.externals?.map((e) => e.name)).toEqual(['spark', 'flink']);
    expect(plan.settings.modes).toEqual(['stream', 'batch', 'spark', 'flink']);
  });

  it('runs each engine alone, then all together, each run with only its own modes', async () => {
    const plan = await planBench(
      argv({ engines: 'batch,spark,job', external: ['job=node job.mjs'] }),
      new Set(['engines', 'external']),
    );
    const settings = engineSettings(plan.engines!);
    expect(settings.map((s) => `${s.setting}:${s.engines.join('+')}`)).toEqual([
      'alone:batch',
      'alone:spark',
      'alone:job',
      'together:batch+spark+job',
    ]);
    const base = optionsFor(plan, 500, '/tmp/x', false);
    const batch = engineRunOptions(base, settings[0]!);
    expect(batch.modes).toEqual(['batch']);
    expect(batch.externals).toBeUndefined();
    expect(batch.label).toBe('engines-alone_batch');
    const job = engineRunOptions(base, settings[2]!);
    expect(job.modes).toEqual([]);
    expect(job.externals).toEqual([{ name: 'job', command: 'node job.mjs' }]);
    expect(job.externalOptions).toEqual(base.externalOptions);
    const together = engineRunOptions(base, settings[3]!);
    expect(together.modes).toEqual(['batch']);
    expect(together.externals?.map((e) => e.name)).toEqual(['spark', 'job']);
    expect(engineSettings(['stream']).map((s) => s.setting)).toEqual(['alone']);
  });

  it('refuses an unknown engine, one named twice, and what cannot go with it', async () => {
    await expect(planBench(argv({ engines: 'stream,storm' }), new Set(['engines']))).rejects.toThrow(
      '--engines: unknown engine "storm" (known: stream, batch, spark, flink)',
    );
    await expect(planBench(argv({ engines: 'stream,stream' }), new Set(['engines']))).rejects.toThrow(
      '--engines names "stream" twice',
    );
    await expect(
      planBench(argv({ engines: 'stream,batch', modes: 'stream' }), new Set(['engines', 'modes'])),
    ).rejects.toThrow('--engines runs its own set of modes: it cannot be combined with --modes');
    await expect(
      planBench(argv({ engines: 'stream', batchInterval: '2,10' }), new Set(['engines', 'batchInterval'])),
    ).rejects.toThrow('a comma list of another option');
    await expect(planBench(argv({ engines: 'stream', findMax: true }), new Set(['engines']))).rejects.toThrow(
      '--find-max',
    );
  });
});
