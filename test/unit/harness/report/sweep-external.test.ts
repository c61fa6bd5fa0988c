/** A sweep whose runs had only an external mode (--modes spark): its tables are not empty. */
import { describe, expect, it } from 'vitest';
import { renderSweepMarkdown } from '../../../../src/harness/report/markdown.js';
import { groupByValue } from '../../../../src/harness/report/sweep-data.js';
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
  it("has a per-value row for it (its result latency, results/s, CPU), its columns in the runs' table, and a summary line", () => {
    const sweep = sparkOnlySweep();
    const groups = groupByValue(sweep);
    expect(groups.map((g) => [g.modes.length, g.externals.map((f) => [f.mode, f.eventP99?.median])])).toEqual([
      [0, [['spark', 44]]],
      [0, [['spark', 144]]],
    ]);
    const md = renderSweepMarkdown(sweep, []);
    const perValue = md.slice(md.indexOf('## Per value'), md.indexOf('## Runs'));
    expect(perValue).toContain(
      '| 200 | spark (external) | 1 | 30.0 ms (n=1) | 44.0 ms (n=1) | 12.5 (n=1) | n/a | 1100 (n=1) | n/a |',
    );
    expect(perValue).toContain("latency from a reading's t_intended to its first result");
    expect(md).toContain('| spark result p50 | spark result p99 | spark results/s |');
    expect(md).toContain(
      "The external mode spark's latency to a reading's first result p50 went from 30.0 ms to 40.0 ms (p99 44.0 to 144 ms).",
    );
  });

  it('its --find-max lines name it, with no empty parts', () => {
    const md = renderSweepMarkdown(sparkOnlySweep(), []);
    const below = md.split('\n').find((l) => l.startsWith('- Run below'))!;
    expect(below).toMatch(
      /send delay p99 [\d.]+ ms; spark \(external\) result p99 44\.0 ms, 12\.5 results\/s; passed$/,
    );
    expect(md).not.toMatch(/; ;/);
  });
});
