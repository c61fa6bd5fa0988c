import { describe, expect, it } from 'vitest';
import { closestOption, editDistance, withSuggestions } from '../../../src/cli/did-you-mean.js';
import { decl, optionKeys } from '../../../src/cli/options.js';

const benchFlags = optionKeys('bench').map((k) => decl(k).flag);

describe('did you mean: a suggestion from the declared options for an option typed wrong', () => {
  it('edit distance counts a swap of two letters as one', () => {
    expect(editDistance('rate', 'rate')).toBe(0);
    expect(editDistance('rtae', 'rate')).toBe(1);
    expect(editDistance('duration', 'durration')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it("suggests bench's own options: a typo, a swap, a prefix; nothing for what is far from all", () => {
    expect(closestOption('batch-intervall', benchFlags)).toBe('batch-interval');
    expect(closestOption('rtae', benchFlags)).toBe('rate');
    expect(closestOption('with-sprak', benchFlags)).toBe('with-spark');
    expect(closestOption('lateness', benchFlags)).toBe('lateness-ms');
    expect(closestOption('zzzzzz', benchFlags)).toBeUndefined();
  });

  it("rewrites yargs' message: each unknown option once (not its camel-case alias), with its suggestion", () => {
    const declared = [...benchFlags, 'batchInterval', 'help', 'version'];
    const typed = new Set(['batch-intervall', 'rat']);
    expect(
      withSuggestions('Unknown arguments: batch-intervall, batchIntervall, rat', declared, (n) => typed.has(n)),
    ).toBe('Unknown arguments: --batch-intervall (did you mean --batch-interval?), --rat (did you mean --rate?)');
    // A positional word is not an option; another message passes unchanged.
    expect(withSuggestions('Unknown argument: foo', declared, () => false)).toBe('Unknown argument: foo');
    expect(withSuggestions('Missing required argument: dir', declared, () => true)).toBe(
      'Missing required argument: dir',
    );
  });
});
