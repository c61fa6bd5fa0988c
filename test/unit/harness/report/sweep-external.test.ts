/** A sweep whose runs had only an external mode (--modes spark): its tables are not empty, its find-max lines whole. */
import { describe, expect, it } from 'vitest';
import { renderSweepMarkdown } from '../../../../src/harness/report/sweep-markdown.js';
import type { SweepResult } from '../../../../src/results/schema.js';
import { withExternalJob } from '../external-fixture.js';
import { makeRunResult } from '../fixture.js';

function sparkOnlySweep(): SweepResult {
  const runs = [200, 400].map((rate, i) => {
    const r = withExternalJob(makeRunResult({ offered: rate, runId: `FAKE-spark-${rate}` }), 'spark', {
      p50: 30 + i * 10,
      p99: 44 + i * 100,
      cpuMsPer1000: 1100 - i * 100,
    });
    r.modes = [];
    return { dir: `rate-${rate}`, result: r };
  });
  return { runs, find_max: { sustainable_rate: 200, below: 200, above: 400, criteria: 'fake criteria' } };
}

describe('a sweep of an external mode alone', () => {
  it('has a per-value row for it', () => {
    const md = renderSweepMarkdown(sparkOnlySweep(), []);
    const perValue = md.slice(md.indexOf('## Per value'), md.indexOf('## Runs'));
    const rows = perValue.split('\n').filter((l) => l.startsWith('| 200') || l.startsWith('| 400'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('spark');
    expect(rows[0]).toContain('44 ms');
  });

  it('its --find-max lines name it, with no empty parts', () => {
    const md = renderSweepMarkdown(sparkOnlySweep(), []);
    const below = md.split('\n').find((l) => l.startsWith('- Run below'))!;
    expect(below).toMatch(/send delay p99 [\d.]+ ms; spark \(external\) result p99 44 ms, 12\.5 results\/s; passed$/);
    expect(md).not.toMatch(/; ;/);
  });
});
