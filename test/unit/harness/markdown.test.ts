import { describe, expect, it } from 'vitest';
import { comparisonLines, renderMarkdown, renderSweepMarkdown } from '../../../src/harness/report/markdown.js';
import { makeRunResult, makeSweep } from './fixture.js';

describe('renderMarkdown', () => {
  const md = renderMarkdown(makeRunResult(), [{ name: 'Latency chart', file: 'latency_percentiles.svg' }]);

  it('has the key sections', () => {
    expect(md).toMatch(/^# vitals-bench run FAKE-run-0001/);
    for (const h of ['## Set-up', '## Environment', '## Input', '## Latency', '### stream', '### batch', '## Throughput',
      '## Alert agreement', '## Late readings', '## Storage', '## Stream vs batch', '## Charts', '## Definitions']) {
      expect(md).toContain(h);
    }
    expect(md).toContain('**Verdict: PASSED**');
    expect(md).toContain('![Latency chart](latency_percentiles.svg)');
    expect(md).toContain('METRICS.md');
    expect(md).toContain('Fake CPU 9000');
    expect(md).toContain('| seed | 12345 |');
    expect(md).toContain('LogAppendTime');
  });

  it('names definitions, units and counts', () => {
    expect(md).toContain('Event-time latency = t_committed − t_intended');
    expect(md).toContain('Processing-time latency = t_committed − t_appended');
    expect(md).toContain('Send delay = t_sent − t_intended');
    expect(md).toMatch(/\| ms \| 1000 \|/); // stream event-time: 1000 samples
  });

  it('late readings: count and largest', () => {
    expect(md).toContain('2 late reading(s); largest lateness 98765 ms (patient 4, seq 99)');
  });

  it('comparison derived from the numbers', () => {
    expect(md).toContain('Batch readings wait for the next batch run (interval 5 s');
    expect(md).toContain('Record-level alerts agree exactly between stream and batch (30 matched)');
    expect(md).toContain('Window alerts differ: TP 10, FP 2, FN 1');
    expect(md).toContain('The generator kept to its schedule');
  });

  it('prints n/a for a mode without samples', () => {
    const empty = renderMarkdown(makeRunResult({ emptyBatch: true }), []);
    const batch = empty.slice(empty.indexOf('### batch'), empty.indexOf('## Throughput'));
    expect(batch).toContain('| ms | 0 | n/a | n/a |');
    expect(batch).not.toMatch(/\| 0\.000 \|/);
    expect(comparisonLines(makeRunResult({ emptyBatch: true })).join('\n')).toContain('n/a');
  });

  it('failed and incomplete runs, generator behind', () => {
    const r = makeRunResult();
    r.complete = false;
    r.incomplete_reason = 'fake interruption';
    r.verdict = { passed: false, failures: ['fake loss 3'] };
    r.input.generator_fell_behind = true;
    r.storage.loss = 3;
    const m = renderMarkdown(r, []);
    expect(m).toContain('**INCOMPLETE RUN**: fake interruption');
    expect(m).toContain('**Verdict: FAILED**');
    expect(m).toContain('- fake loss 3');
    expect(m).toContain('**The generator fell behind its schedule**');
    expect(m).toContain('Loss 3, duplicates 0');
  });
});

describe('renderSweepMarkdown', () => {
  it('table across rates and find-max with runs either side', () => {
    const md = renderSweepMarkdown(makeSweep(), [{ name: 'sweep latency', file: 'sweep_latency.svg' }]);
    expect(md).toContain('# vitals-bench rate sweep');
    expect(md).toContain('stream event-time p99');
    expect(md).toContain('**Sustainable throughput: 2000 readings/s.**');
    expect(md).toContain('fake criteria: backlog flat');
    expect(md).toContain('Run below (sustained): 2000 readings/s — [FAKE-sweep-1](rate-2000/report.md)');
    expect(md).toContain('Run above (not sustained): 4000 readings/s — [FAKE-sweep-2](rate-4000/report.md)');
    expect(md).toContain('![sweep latency](sweep_latency.svg)');
    // one table row per run
    expect(md.split('\n').filter((l) => l.includes('](rate-') && l.startsWith('| '))).toHaveLength(3);
  });
});
