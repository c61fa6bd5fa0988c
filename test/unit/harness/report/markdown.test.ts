import { describe, expect, it } from 'vitest';
import { comparisonLines, summaryParagraph } from '../../../../src/harness/report/markdown.js';
import { renderMarkdown } from '../../../../src/harness/report/sections/index.js';
import { renderSweepMarkdown, sweepSummary } from '../../../../src/harness/report/sweep-markdown.js';
import type { RunResult } from '../../../../src/results/schema.js';
import { makeExternalRunResult, makeRunResult, makeSweep } from '../fixture.js';

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
    expect(md).toMatch(/\| Event-time latency \[1\] \| 1,000 \|/); // stream event-time: 1000 samples, in ms
    expect(md).toContain('All latencies are in milliseconds.');
  });

  it('late readings: count and largest', () => {
    expect(md).toContain('2 late readings; largest lateness 98,765 ms (patient 4, seq 99)');
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
    expect(summaryParagraph(r)).toContain('No mode raised an alert: their agreement is agreement on nothing.');
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
    expect(sp).toMatch(
      /^Stream answered fastest: \d+(\.\d+)? ms from a reading's intended time to its result at the median \(p99 [\d,.]+ ms\)/,
    );
    expect(sp).toMatch(
      /batch \(a pass every 5 s\) took [\d,]+ ms \(p99 [\d,]+ ms\): [\d,.]+ times longer at the median/,
    );
    // No idle baseline here: the cost over the run, batch with the ingest only it needs (25 + 150).
    expect(sp).toContain(
      'CPU per 1,000 readings over the run (idle included; this run timed no idle baseline), in ms: stream 100 and batch 175 (its passes 25 and ingest 150, which only batch needs); stream was cheapest, 1.8 times less than batch.',
    );
    expect(sp).toContain("Database transactions: stream 3,000 and batch 3,040 (ingest's included).");
    expect(sp).toContain('Their alerts differ: stream vs batch, window rules: 2 only in stream, 1 only in batch.');
    expect(sp).toContain('Every mode matched the rule reference');
    expect(sp).toContain('so the figures describe the pipelines.');
    expect(summary).toContain('**Warnings about this run:**');
  });

  it('a narrow headline table, the rules as a table, no JSON blob, each definition cited once', () => {
    const headline = md.slice(md.indexOf('| mode | p50 [1]'), md.indexOf('## Set-up')).split('\n')[0]!;
    expect(headline.split('|').length - 2).toBe(6);
    expect(headline).not.toContain('busy');
    expect(md).toContain('| hr_high | heart_rate >= 111 | medium |');
    expect(md).toContain('| sustained_spo2_low | avg(spo2_level) over 30 s < 92 | high |');
    expect(md).not.toContain('rules_resolved');
    expect(md.split('Event-time latency = t_committed − t_intended').length - 1).toBe(1);
    expect(md).not.toContain('ground_truth');
    expect(md).toContain('| stream | rule reference | record |');
  });

  it("the cost side (batch charged its ingest) and the batch pass rate as a capacity, the stream's busy rate not one", () => {
    expect(md).toContain('## Cost');
    expect(md).toContain(
      '| batch (a pass every 5 s) | batch + ingest | n/a | n/a | n/a | 10.5 | 175 | 270 | 3,040 | 64,300 |',
    );
    expect(md).toContain(
      '| ingest | batch (it lands the readings only batch reads) | n/a | 9 | n/a | 120 | 5 | 3,000 | 60,000 |',
    );
    expect(md).toContain('| Kafka broker | every mode (shared) | n/a | 12.5 | n/a |');
    expect(md).toContain(
      "Batch's passes worked through 25,000 readings per second of pass time: how fast a pass clears its backlog, a capacity.",
    );
    expect(md).toContain(
      "The stream's 6,000 readings per second of write time is not one: it follows the offered rate",
    );
    expect(md).not.toContain('While busy');
    expect(md).toMatch(
      /The trade-off: stream spent 100 CPU ms \(over the run\) and 50 database transactions per 1,000 readings/,
    );
  });
});

describe("cost attribution on a hand-made run (the issue's figures)", () => {
  // Per 1,000 readings above idle: stream 700; batch's passes 35.5 and ingest 653.5 = 689.
  const r = (): RunResult => {
    const x = makeExternalRunResult();
    delete x.external;
    delete x.cost!.external;
    delete x.cost!.attributed!.spark;
    x.agreement = x.agreement.filter((a) => a.a !== 'spark');
    return x;
  };
  const md = renderMarkdown(r(), []);

  it('the cost table charges ingest to batch, shows idle and above idle apart, and the shared servers apart', () => {
    expect(md).toContain(
      '| mode | processes counted | idle CPU (ms/s) | CPU ms per 1,000 readings above idle | at 1,234 readings/s | CPU s over the run | CPU ms per 1,000 readings over the run | peak memory (MiB) | database transactions | database rows |',
    );
    // at 1,234 readings/s: 700 + 10 * 1000 / 1234 = 708.1; batch 689 + 6 * 1000 / 1234 = 693.9
    expect(md).toContain('| stream | stream | 10 | 700 | 708 | 14.4 | 720 | 110 | 3,000 | 1,700 |');
    expect(md).toContain(
      '| batch (a pass every 5 s) | batch + ingest | 6 | 689 | 694 | 14 | 701 | 270 | 340 | 21,700 |',
    );
    expect(md).toContain('| batch | batch | 1 | 0.75 | 35.5 | 150 | 2 | 40 | 1,700 |');
    expect(md).toContain(
      '| ingest | batch (it lands the readings only batch reads) | 5 | 13.3 | 654 | 120 | 5 | 300 | 20,000 |',
    );
    expect(md).toContain('| database | every mode (shared) | 20 | 12 | 560 |');
    expect(md).toContain('Comparisons (Summary, headline table) use the cost above idle.');
  });

  it('the summary claims what the table shows: about the same, not batch 20 times cheaper', () => {
    const sp = summaryParagraph(r());
    expect(sp).toContain(
      'CPU per 1,000 readings above idle (what the readings cost; the comparison this report makes), in ms: batch 689 (its passes 35.5 and ingest 654, which only batch needs) and stream 700; batch and stream cost about the same (within 20%).',
    );
    expect(sp).toContain(
      "With nothing to process, their processes idled at stream 10 and batch 6 CPU ms per second, which this run's 1,234 readings/s spread as 8.1 and 4.86 ms per 1,000 readings.",
    );
    expect(sp).toContain('The broker and the database serve every mode and are counted apart (Cost).');
    expect(sp).not.toMatch(/times less/);
    const headline = md.slice(md.indexOf('| mode | p50 [1]'), md.indexOf('## Set-up'));
    expect(headline).toContain('| stream | ');
    expect(headline).toMatch(/\| 500 ms \| 990 ms \| 1,230 \| 700 \| 10 \|/);
    expect(headline).toMatch(/\| 689 \| 6 \|/);
  });
});

describe('a cost the CPU counters cannot resolve is not ranked', () => {
  it("says the modes cannot be told apart, with each figure's resolution, and shows ± in the headline", () => {
    const r = makeExternalRunResult();
    delete r.external;
    delete r.cost!.attributed!.spark;
    r.agreement = r.agreement.filter((a) => a.a !== 'spark');
    // A run of a reading a second: 65 readings, so a tick of idle rate error moves each figure by thousands.
    r.cost!.attributed!.stream = {
      ...r.cost!.attributed!.stream!,
      cpu_ms_per_1000_above_idle: 900,
      cpu_ms_per_1000_above_idle_resolution: 3385,
    };
    r.cost!.attributed!.batch = {
      ...r.cost!.attributed!.batch!,
      cpu_ms_per_1000_above_idle: 40,
      cpu_ms_per_1000_above_idle_resolution: 6770,
    };
    const sp = summaryParagraph(r);
    expect(sp).toContain(
      "batch and stream cannot be told apart: the CPU counters' resolution alone makes each figure uncertain by batch ±6,770 and stream ±3,385 ms",
    );
    expect(sp).not.toMatch(/times less|about the same/);
    expect(renderMarkdown(r, [])).toMatch(/\| stream \| [\d,]+ ms \| [\d,]+ ms \| [\d,]+ \| 900 ± 3,385 \| 10 \|/);
  });
});

describe('an external mode is a full mode', () => {
  const r = makeExternalRunResult();
  const md = renderMarkdown(r, []);

  it('is in the set-up modes, the headline table and the summary (fastest and cheapest of all, agreement across all)', () => {
    expect(md).toContain('| modes | stream, batch, spark (external: bash examples/spark/run.sh) |');
    const headline = md.slice(md.indexOf('| mode | p50 [6]'), md.indexOf('## Set-up'));
    expect(headline).toMatch(/\| spark \(external\) \| [\d,]+ ms \| [\d,]+ ms \| n\/a \| 2,000 \| 500 \|/);
    expect(headline).toContain("An external job's output is counted in results, not readings");
    const sp = summaryParagraph(r);
    expect(sp).toMatch(/^Stream answered fastest: /);
    expect(sp).toMatch(/spark \(external\) took [\d,]+ ms \(p99 [\d,]+ ms\): [\d,.]+ times longer at the median/);
    expect(sp).toContain("Latency here is to a reading's first alert in the database");
    expect(sp).toMatch(/in ms: batch 689 \(.*\), stream 700 and spark 2,000; batch and stream cost about the same/);
    expect(sp).toContain(
      'All 3 modes raised the same 30 record-rule alerts and the same 10 window alerts (spark evaluates no window rule: those comparisons are n/a).',
    );
    expect(sp).not.toMatch(/^Both/);
  });

  it('n/a, not 1.0000, for the rules it skipped; one resolution figure everywhere', () => {
    expect(md).toContain(
      '| spark | rule reference | window | n/a | n/a | n/a | n/a | n/a | n/a | n/a (spark evaluates no window rule) |',
    );
    expect(md).toContain('| spark | rule reference | record | 30 | 0 | 0 | 1.0000 |');
    expect(md).toContain('first poll that saw it (resolution 196 ms)');
    expect(md).not.toContain('every 100 ms');
    expect(md).toMatch(/\| spark \| per-rule alerts \| 9.6 \| 30 \| 30 \| 0 \| 0 \| 0 \| 0.66 \| 0.66 \| 196 \|/);
  });

  it('has its row in the seed side-by-side table', () => {
    const seed = makeExternalRunResult();
    seed.parameters.label = 'profile-seed';
    const m = renderMarkdown(seed, []);
    const section = m.slice(m.indexOf('## The seed project, side by side'));
    expect(section).toMatch(
      /\| vitals-bench: spark \(Spark Structured Streaming example\) \(measured, external\) \| latency to a reading's first alert p50 [\d.]+ s, p99 [\d.]+ s, max [\d.]+ s \(n=\d+\), resolution 196 ms; start-up 9.6 s \|/,
    );
  });
});

describe('validity before verdict', () => {
  it('a run that passed while its generator fell behind says so in its verdict line and first in its summary', () => {
    const r = makeRunResult();
    r.input.generator_fell_behind = true;
    r.input.send_delay = { ...r.input.send_delay, p99: 554 };
    const md = renderMarkdown(r, []);
    expect(md).toContain('**Verdict: PASSED, but measured the machine, not the pipelines**');
    expect(md).toContain('- the load generator fell behind its schedule (send delay p99 554 ms');
    expect(summaryParagraph(r)).toMatch(
      /^\*\*This run measured the machine, not the pipelines\*\*: the load generator fell behind/,
    );
    expect(md).not.toContain('**Verdict: PASSED**');
  });
});

describe('renderSweepMarkdown', () => {
  it('table across rates and find-max with runs either side', () => {
    const md = renderSweepMarkdown(makeSweep(), [{ name: 'sweep latency', file: 'sweep_latency.svg' }]);
    expect(md).toContain('# vitals-bench rate sweep');
    expect(md).toContain('| stream p99 |');
    expect(md).toContain('**Sustainable throughput: 2,000 readings/s.**');
    expect(md).toContain('fake criteria: backlog flat');
    expect(md).toContain('Run below (sustained): 2,000 readings/s — [FAKE-sweep-1](rate-2000/report.md)');
    expect(md).toContain('Run above (not sustained): 4,000 readings/s — [FAKE-sweep-2](rate-4000/report.md)');
    expect(md).toContain('![sweep latency](sweep_latency.svg)');
    // one table row per run, its verdict before any figure
    const rows = md.split('\n').filter((l) => l.includes('](rate-') && l.startsWith('| '));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^\| PASSED \| 1,000 \|/);
  });
});

describe('sweepSummary', () => {
  it('with one run per value states no trend: nothing can be told from noise', () => {
    const sweep = makeSweep();
    const text = sweepSummary(sweep)!;
    expect(text).toContain('3 settings, 1 run each.');
    expect(text).toContain('Not tested, too few runs');
    expect(text).toContain('no measurable change can be claimed for stream p50 event-time');
    expect(text).not.toMatch(/went from|rose from|fell from/);
    expect(text).toContain('The load generator kept to its schedule in every run.');
    expect(text).toContain('Every run passed');
    expect(renderSweepMarkdown(sweep, [])).toContain(`## Summary\n\n${text}`);
  });

  it('has nothing to say about a single value', () => {
    const sweep = makeSweep();
    sweep.runs = sweep.runs.slice(0, 1);
    expect(sweepSummary(sweep)).toBeNull();
  });
});
