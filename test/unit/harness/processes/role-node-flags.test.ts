import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { roleNodeFlags } from '../../../../src/harness/processes/children.js';
import { ForkedChild } from '../../../../src/harness/processes/forked-child.js';

describe('VITALS_NODE_OPTIONS (the pipeline roles’ Node flags)', () => {
  it('adds its space-separated flags to the harness’s own', () => {
    const flags = roleNodeFlags({ VITALS_NODE_OPTIONS: '  --cpu-prof   --cpu-prof-dir=/tmp/p ' });
    expect(flags.execArgv).toEqual([...process.execArgv, '--cpu-prof', '--cpu-prof-dir=/tmp/p']);
  });

  it('leaves the child’s flags to fork when unset or blank', () => {
    expect(roleNodeFlags({})).toEqual({});
    expect(roleNodeFlags({ VITALS_NODE_OPTIONS: '   ' })).toEqual({});
  });
});

describe('ForkedChild execArgv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'forked-child-'));
  const entry = join(dir, 'flags.mjs');
  writeFileSync(entry, 'process.send({ type: "flags", execArgv: process.execArgv }, () => process.exit(0));\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the child with the flags given', async () => {
    const child = new ForkedChild<{ type: string; execArgv?: string[] }, never>('flags', entry, [], {
      execArgv: ['--max-old-space-size=123'],
    });
    const m = await child.waitFor(
      (x): x is { type: 'flags'; execArgv: string[] } => x.type === 'flags',
      10_000,
      'its flags',
    );
    expect(m.execArgv).toEqual(['--max-old-space-size=123']);
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});
