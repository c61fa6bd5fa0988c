import { describe, expect, it } from 'vitest';
import {
  BENCH_NUMERIC_OPTIONS,
  numericOption,
  parseBenchNumbers,
  parseNumberList,
} from '../../../src/cli/option-list.js';
import { UsageError } from '../../../src/cli/args.js';

const opt = (flag: string) => numericOption(flag)!;

describe('parseNumberList', () => {
  it('reads one value, from text or a number', () => {
    expect(parseNumberList(opt('batch-interval'), '10')).toEqual([10]);
    expect(parseNumberList(opt('batch-interval'), 2.5)).toEqual([2.5]);
    expect(parseNumberList(opt('rate'), '1e3')).toEqual([1000]);
    expect(parseNumberList(opt('patients'), undefined)).toEqual([]);
  });

  it('reads a comma list in the order typed, spaces allowed', () => {
    expect(parseNumberList(opt('batch-interval'), '2,10,30')).toEqual([2, 10, 30]);
    expect(parseNumberList(opt('prevalence'), '0.1, 0.05')).toEqual([0.1, 0.05]);
    expect(parseNumberList(opt('seed'), '1,-2,3')).toEqual([1, -2, 3]);
  });

  it('shows what was typed, not NaN', () => {
    expect(() => parseNumberList(opt('batch-interval'), 'abc')).toThrow(
      '--batch-interval must be a positive number, got "abc"',
    );
    expect(() => parseNumberList(opt('batch-interval'), '2,x,30')).toThrow(
      '--batch-interval must be a positive number, got "x" (in "2,x,30")',
    );
    expect(() => parseNumberList(opt('threads'), '2,1.5')).toThrow(
      '--threads must be a positive integer, got "1.5" (in "2,1.5")',
    );
    expect(() => parseNumberList(opt('duration'), '0x10')).toThrow('--duration must be a positive number, got "0x10"');
    expect(() => parseNumberList(opt('warmup'), '-1')).toThrow('--warmup must be >= 0, got "-1"');
    expect(() => parseNumberList(opt('prevalence'), '2')).toThrow('--prevalence must be between 0 and 1, got "2"');
    expect(() => parseNumberList(opt('seed'), '1.5')).toThrow('--seed must be an integer, got "1.5"');
    expect(() => parseNumberList(opt('max-restarts'), '-1')).toThrow(
      '--max-restarts must be a whole number >= 0, got "-1"',
    );
    expect(() => parseNumberList(opt('rate'), '500,1e9')).toThrow(
      /--rate must be at most 200000 readings\/s .*got "1e9" \(in "500,1e9"\)/,
    );
    expect(() => parseNumberList(opt('partitions'), '65')).toThrow('--partitions must be at most 64, got "65"');
    for (const text of ['abc', '2,x']) expect(() => parseNumberList(opt('batch-interval'), text)).not.toThrow(/NaN/);
  });

  it('refuses empty values, repeated values, and lists of options that do not sweep', () => {
    expect(() => parseNumberList(opt('batch-interval'), '')).toThrow('--batch-interval needs a value');
    expect(() => parseNumberList(opt('batch-interval'), '2,,30')).toThrow(
      '--batch-interval has an empty value in "2,,30"',
    );
    expect(() => parseNumberList(opt('batch-interval'), '2,')).toThrow('--batch-interval has an empty value in "2,"');
    expect(() => parseNumberList(opt('batch-interval'), '2,10,2')).toThrow(/lists 2 twice in "2,10,2".*--repeat/);
    expect(() => parseNumberList(opt('sources'), '2,3')).toThrow(
      /--sources takes one value, got "2,3" \(a comma list runs a sweep only for --rate, --duration, --warmup/,
    );
    expect(() => parseNumberList(opt('repeat'), '2,3')).toThrow(/--repeat takes one value/);
    expect(() => parseNumberList(opt('duration'), ['5', '6'])).toThrow(
      '--duration given more than once (5 and 6): give it once, with a comma list to sweep it (--duration 5,6)',
    );
  });

  it('throws UsageErrors (exit code 2)', () => {
    expect(() => parseNumberList(opt('threads'), 'x')).toThrow(UsageError);
  });
});

describe('parseBenchNumbers', () => {
  it('every option the issue names can sweep; sources, repeat and max-restarts cannot', () => {
    const sweepable = BENCH_NUMERIC_OPTIONS.filter((o) => o.sweep)
      .map((o) => o.flag)
      .sort();
    expect(sweepable).toEqual([
      'batch-interval',
      'duration',
      'fetch-interval-ms',
      'generators',
      'idle-ms',
      'inject-delay-ms',
      'lateness-ms',
      'partitions',
      'patients',
      'prevalence',
      'rate',
      'seed',
      'threads',
      'warmup',
    ]);
  });

  it('returns single values by key and the one list', () => {
    const p = parseBenchNumbers({ rate: '200', batchInterval: '2,4', duration: 6, warmup: '1', sources: '3' });
    expect(p.values).toEqual({ rate: 200, batchInterval: 2, duration: 6, warmup: 1, sources: 3 });
    expect(p.list?.option.flag).toBe('batch-interval');
    expect(p.list?.option.key).toBe('batchInterval');
    expect(p.list?.values).toEqual([2, 4]);
    expect(parseBenchNumbers({ rate: '500' }).list).toBeUndefined();
  });

  it('two lists make a grid; three are refused, naming them as typed', () => {
    const p = parseBenchNumbers({ rate: '200,500,2000', batchInterval: '2,10,30' });
    expect(p.list).toMatchObject({ option: { flag: 'rate' }, values: [200, 500, 2000] });
    expect(p.grid).toMatchObject({ option: { flag: 'batch-interval' }, values: [2, 10, 30] });
    expect(parseBenchNumbers({ batchInterval: '2,4' }).grid).toBeUndefined();
    expect(() => parseBenchNumbers({ rate: '500,2000', batchInterval: '2,30', threads: '1,2' })).toThrow(
      'at most two options can be comma lists (one is a sweep, two a grid of every pair), got --rate 500,2000, --batch-interval 2,30, --threads 1,2: fix all but two (--repeat N repeats each value)',
    );
    expect(() => parseBenchNumbers({ threads: '1,2', seed: '1,2', prevalence: '0.1,0.2' })).toThrow(UsageError);
  });
});
