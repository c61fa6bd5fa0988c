import { describe, expect, it } from 'vitest';
import {
  comparisonLines,
  renderMarkdown,
  renderSweepMarkdown,
  summaryParagraph,
  sweepSummary,
} from '../../../../src/harness/report/markdown.js';
import { fmtMs } from '../../../../src/harness/report/format.js';
import type { RunResult } from '../../../../src/results/schema.js';
import { makeRunResult, makeSweep } from '../fixture.js';

describe('renderMarkdown', () => {
  const md = renderMarkdown(makeRunResult(), [{ name: 'Latency chart', file: 'latency_percentiles.svg' }]);

  it('has the key sections', () => {
    expect(md).toMatch(/^# vitals-bench run FAKE-run-0001/);
    for (const h of [
      '## Set-up',
      '## Environment',
      '## Input',
      '## Latency',
      '### stream',
      '### batch',
      '## Throughput',
      '## Alert agreement',
      '## Late readings',
      '## Storage',
      '## Stream vs batch',
      '## Charts',
      '## Definitions',
    ]) {
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
    expect(md).toMatch(/\| Event-time latency \[1\] \| 1000 \|/); // stream event-time: 1000 samples, in ms
    expect(md).toContain('All latencies are in milliseconds.');
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
    expect(batch).toContain('| Event-time latency [1] | 0 | n/a | n/a |');
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

  it('a vacuous run: the warning beside the verdict, each reason listed', () => {
    const r = makeRunResult();
    r.vacuous = [
      'agreement on nothing: no mode raised an alert (the rule reference expects 0): the rules never fired on this data',
      'agreement on nothing: 15000 readings for 20000 patients: most patients have one reading or none',
    ];
    const m = renderMarkdown(r, []);
    const header = m.slice(0, m.indexOf('## Summary'));
    expect(header).toContain(
      '**Verdict: PASSED**\n\n**Warning: agreement on nothing.**\n\n' +
        '- no mode raised an alert (the rule reference expects 0): the rules never fired on this data\n' +
        '- 15000 readings for 20000 patients: most patients have one reading or none',
    );
    expect(renderMarkdown(makeRunResult(), [])).not.toContain('agreement on nothing');
  });

  it('the summary does not call zero alerts on both sides "the same 0 alerts"', () => {
    const r = makeRunResult();
    for (const a of r.agreement) Object.assign(a, { tp: 0, fp: 0, fn: 0, jaccard: 1 });
    expect(summaryParagraph(r)).toContain('Neither raised an alert: their agreement is agreement on nothing.');
    expect(summaryParagraph(r)).not.toContain('the same 0 alerts');
  });

  it('substituted readings and the stream rejections in the Storage table', () => {
    const r = makeRunResult();
    Object.assign(r.storage, { substituted: 3, no_run_id: 1, stream_rejected: 4, stream_conflicting_duplicates: 3 });
    const m = renderMarkdown(r, []);
    expect(m).toContain('| substituted (stored with other content than the generator sent) | 3 |');
    expect(m).toContain('| of which without a run id (counted as foreign) | 1 |');
    expect(m).toContain('| rejected by the stream | 4 |');
    expect(m).toContain('| of which duplicates with different content (first processed copy kept) | 3 |');
    expect(m).toContain('**3 stored readings are not what the generator sent: another message took their place.**');
  });
});

describe('renderMarkdown: a report that pastes and cannot mislead', () => {
  const withCost = (): RunResult => {
    const r = makeRunResult();
    r.parameters = {
      ...r.parameters,
      rules_resolved: {
        name: 'clinical',
        rules: [
          { kind: 'record', id: 'hr_high', vital: 'heart_rate', op: '>=', value: 111, severity: 'medium' },
          {
            kind: 'window',
            id: 'sustained_spo2_low',
            vital: 'spo2_level',
            agg: 'avg',
            window_s: 30,
            op: '<',
            value: 92,
            severity: 'high',
          },
        ],
      },
    };
    r.modes[0]!.processing_rate_while_busy = 6000;
    r.modes[1]!.processing_rate_while_busy = 25000;
    r.agreement.push({
      a: 'stream',
      b: 'ground_truth',
      scope: 'record',
      tp: 30,
      fp: 0,
      fn: 0,
      precision: 1,
      recall: 1,
      f1: 1,
      jaccard: 1,
    });
    r.cost = {
      modes: {
        stream: {
          cpu_s: 6,
          peak_rss_mib: 110,
          busy_s: 9,
          db_rows: 4300,
          db_transactions: 3000,
          readings: 60000,
          cpu_ms_per_1000_readings: 100,
        },
        batch: {
          cpu_s: 1.5,
          peak_rss_mib: 150,
          busy_s: 2.4,
          db_rows: 4300,
          db_transactions: 40,
          readings: 60000,
          cpu_ms_per_1000_readings: 25,
        },
      },
      ingest: {
        cpu_s: 9,
        peak_rss_mib: 120,
        busy_s: 5,
        db_rows: 60000,
        db_transactions: 3000,
        readings: 60000,
        cpu_ms_per_1000_readings: 150,
      },
      broker_cpu_s: 12.5,
      database_cpu_s: 20,
      sampled_s: 50,
    };
    r.warnings = [
      'the measured phase (20 s) is shorter than 3 batch intervals (3 x 30 s): measure at least 90 s (--duration)',
    ];
    return r;
  };
  const md = renderMarkdown(withCost(), []);

  it('opens with a plain-words summary: faster by how much, cheaper by how much, agreement, what limited the run', () => {
    const summary = md.slice(md.indexOf('## Summary'), md.indexOf('## Set-up'));
    const sp = summaryParagraph(withCost());
    expect(summary).toContain(sp);
    expect(sp).toMatch(/^Stream committed each reading's result \d+(\.\d+)? ms after its intended time at the median/);
    expect(sp).toMatch(/stream was \d[\d,.]* times faster at the median\./);
    expect(sp).toContain(
      'Batch was cheaper: 25 CPU ms per 1,000 readings against 100 for stream (4.0 times less), in 40 database transactions against 3,000',
    );
    expect(sp).toContain(
      'Their alerts differ (record rules: 0 only in stream, 0 only in batch; window rules: 2 only in stream, 1 only in batch).',
    );
    expect(sp).toContain('Every mode matched the rule reference');
    expect(sp).toContain('so the figures describe the pipelines.');
    expect(summary).toContain('**Warnings about this run:**');
  });

  it('a narrow headline table, the rules as a table, no JSON blob, each definition cited once', () => {
    const headline = md.slice(md.indexOf('| mode | event-time p50 [1]'), md.indexOf('## Set-up')).split('\n')[0]!;
    expect(headline.split('|').length - 2).toBe(6);
    expect(md).toContain('| hr_high | heart_rate >= 111 | medium |');
    expect(md).toContain('| sustained_spo2_low | avg(spo2_level) over 30 s < 92 | high |');
    expect(md).not.toContain('rules_resolved');
    expect(md.split('Event-time latency = t_committed − t_intended').length - 1).toBe(1);
    expect(md).not.toContain('ground_truth');
    expect(md).toContain('| stream | rule reference | record |');
  });

  it('the cost side and the processing rate while busy, with what they divide by', () => {
    expect(md).toContain('## Cost');
    expect(md).toContain('| batch | 1.50 | 25 | 150 | 2.40 | 40 | 4,300 |');
    expect(md).toContain('| ingest (shared) | 9 | 150 | 120 | 5 | 3,000 | 60,000 |');
    expect(md).toContain('the Kafka broker used 12.50 CPU s and the database 20 CPU s');
    expect(md).toContain('While busy, stream processed 6000 and batch 25000 readings/s');
    expect(md).toMatch(/The trade-off: stream spent 100 CPU ms and 50 database transactions per 1,000 readings/);
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

describe('sweepSummary', () => {
  it('says in plain words how each mode moved from the first swept value to the last', () => {
    const sweep = makeSweep();
    const text = sweepSummary(sweep, 'rate', 'readings/s')!;
    const first = sweep.runs[0]!.result.modes.find((m) => m.mode === 'stream')!.event_time_latency.p50;
    const last = sweep.runs[2]!.result.modes.find((m) => m.mode === 'stream')!.event_time_latency.p50;
    expect(text.startsWith('From --rate 1000 readings/s to 4000 readings/s:')).toBe(true);
    expect(text).toContain(`Stream event-time p50 went from ${fmtMs(first)} ms to ${fmtMs(last)} ms`);
    expect(text).toContain('The load generator kept to its schedule in every run.');
    expect(text).toContain('Every run passed');
    expect(renderSweepMarkdown(sweep, [])).toContain(`## Summary\n\n${text}`);
  });

  it('has nothing to say about a single value', () => {
    const sweep = makeSweep();
    sweep.runs = sweep.runs.slice(0, 1);
    expect(sweepSummary(sweep, 'rate')).toBeNull();
  });
});
