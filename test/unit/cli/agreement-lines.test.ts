import { describe, expect, it } from 'vitest';
import { agreementLines } from '../../../src/cli/bench-command.js';
import { withExternalJob } from '../harness/external-fixture.js';
import { makeRunResult } from '../harness/fixture.js';

describe("the summary's agreement lines", () => {
  it('a rule scope an external job declared no rule of reads n/a, against every party, never "Jaccard 1.0000 ... TP 0 FP 0 FN 0"', () => {
    const r = withExternalJob(makeRunResult(), 'records_only', { rules: ['hr_high', 'spo2_low'] });
    r.external!.jobs[0]!.scopes_not_evaluated = ['window'];
    r.agreement.push({
      a: 'records_only',
      b: 'ground_truth',
      scope: 'record',
      tp: 12,
      fp: 0,
      fn: 0,
      precision: 1,
      recall: 1,
      f1: 1,
      jaccard: 1,
    });
    const lines = agreementLines(r);
    expect(lines).toContain(
      'agreement records_only vs rule reference (record): Jaccard 1.0000, F1 1.0000, TP 12 FP 0 FN 0',
    );
    const na = lines.filter((l) => l.includes('n/a'));
    expect(na).toEqual([
      'agreement records_only vs rule reference (window): n/a (records_only evaluates no window rule; it declared hr_high, spo2_low)',
      'agreement records_only vs stream (window): n/a (records_only evaluates no window rule; it declared hr_high, spo2_low)',
      'agreement records_only vs batch (window): n/a (records_only evaluates no window rule; it declared hr_high, spo2_low)',
    ]);
    // The built-in modes' lines are as they were.
    expect(lines[0]).toBe('agreement stream vs batch (record): Jaccard 1.0000, F1 1.0000, TP 30 FP 0 FN 0');
    expect(agreementLines(makeRunResult()).some((l) => l.includes('n/a'))).toBe(false);
  });

  it('a scope the run has no rule of reads n/a for every pair (the seed rules: no window rule)', () => {
    const r = makeRunResult();
    r.parameters.rules_resolved = { name: 'seed', rules: [{ id: 'hr_high', kind: 'record' }] };
    r.agreement[1] = { ...r.agreement[1]!, tp: 0, fp: 0, fn: 0, precision: 1, recall: 1, f1: 1, jaccard: 1 };
    expect(agreementLines(r)).toEqual([
      'agreement stream vs batch (record): Jaccard 1.0000, F1 1.0000, TP 30 FP 0 FN 0',
      'agreement stream vs batch (window): n/a (the run has no window rule)',
    ]);
  });
});
