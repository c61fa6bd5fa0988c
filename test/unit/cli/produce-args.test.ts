import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/args.js';
import { checkProduceArgs, produceSummary, type ProduceArgs } from '../../../src/cli/generator-commands.js';
import type { ProducerResult } from '../../../src/generators/producer.js';
import { LatencyHistogram } from '../../../src/results/histogram.js';

/** argv as yargs gives it for `produce` with its defaults. */
function argv(over: Partial<ProduceArgs> = {}): ProduceArgs {
  return {
    seed: 1,
    patients: 9,
    sources: 3,
    prevalence: 0.05,
    partitions: 3,
    topicPrefix: '',
    jitterMs: 0,
    lateByMs: 0,
    kafkaClient: 'kafkajs',
    lateFraction: 0,
    duplicateFraction: 0,
    malformedFraction: 0,
    pollMs: 1000,
    ...over,
  };
}

describe('produce: options', () => {
  it('rate and duration give the count', async () => {
    expect(await checkProduceArgs(argv({ rate: '200', duration: 2.5 }))).toEqual({
      rate: 200,
      recordedTiming: false,
      total: 500,
    });
    expect(await checkProduceArgs(argv({ rate: 'max', count: 7 }))).toEqual({
      rate: 'max',
      recordedTiming: false,
      total: 7,
    });
    expect(await checkProduceArgs(argv({ fromApi: ['http://x'], count: 3 }))).toEqual({
      rate: 'max',
      recordedTiming: false,
      total: 3,
    });
  });

  it('a replay without --rate keeps its recorded timing', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'produce-args-')), 'r.jsonl');
    writeFileSync(file, '');
    expect(await checkProduceArgs(argv({ replay: file }))).toEqual({
      rate: 'max',
      recordedTiming: true,
      total: undefined,
    });
    expect(await checkProduceArgs(argv({ replay: file, rate: 'recorded', count: 3 }))).toEqual({
      rate: 'max',
      recordedTiming: true,
      total: 3,
    });
    expect(await checkProduceArgs(argv({ replay: file, rate: '50' }))).toEqual({
      rate: 50,
      recordedTiming: false,
      total: undefined,
    });
  });

  it('refuses what cannot be sent, with the option named', async () => {
    const refused = async (over: Partial<ProduceArgs>) => {
      const err = await checkProduceArgs(argv(over)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    };
    expect(await refused({ duration: 5 })).toBe('--rate is required (readings per second, or "max")');
    expect(await refused({ rate: '0', duration: 5 })).toBe('--rate must be a positive number or "max", got 0');
    expect(await refused({ rate: 'max', duration: 5 })).toBe('--rate max needs --count or --replay');
    expect(await refused({ rate: '10' })).toBe('give --duration or --count (or --replay FILE)');
    expect(await refused({ rate: '10', count: 1.5 })).toBe('--count must be a positive integer, got 1.5');
    expect(await refused({ rate: '10', count: 5, lateFraction: 0.1 })).toBe('--late-fraction needs --late-by-ms > 0');
    expect(await refused({ rate: '10', count: 5, partitions: 0 })).toBe(
      '--partitions must be a positive integer, got 0',
    );
    expect(await refused({ replay: '/nonexistent/readings.jsonl' })).toBe(
      '--replay: cannot read /nonexistent/readings.jsonl',
    );
  });
});

describe('produce: summary', () => {
  const result = (over: Partial<ProducerResult> = {}): ProducerResult => {
    const sendDelay = new LatencyHistogram();
    for (const ms of [1, 2, 3, 4]) sendDelay.record(ms);
    return {
      complete: true,
      startMs: 1000,
      endMs: 3100,
      lastAckMs: 3000,
      planned: 400,
      sentReadings: 400,
      sentDuplicates: 0,
      sentMalformed: 0,
      acknowledged: 400,
      acknowledgedReadings: 400,
      sendDelay,
      offeredPerSecond: [],
      acknowledgedPerSecond: [],
      faults: null,
      ...over,
    };
  };

  it('achieved against offered rate, and send delay', () => {
    expect(produceSummary(result(), 250)).toBe(
      'complete: 400 readings acknowledged in 2 s\n' +
        'offered rate 250/s, achieved 200/s (-20%)\n' +
        'send delay (t_sent - t_intended, ms, n=4): p50 2 p99 4 p99.9 4 max 4\n',
    );
  });

  it("'max' has no offered rate; interrupted says so", () => {
    expect(
      produceSummary(result({ complete: false }), null)
        .split('\n')
        .slice(0, 2),
    ).toEqual(['interrupted: 400 readings acknowledged in 2 s', 'offered rate max/s, achieved 200/s']);
  });
});
