import { describe, expect, it } from 'vitest';
import { ConsumerGroup, withRecords } from '../../../src/infra/kafkajs-empty-batches.js';

describe('kafkajs empty-batch filter', () => {
  it('keeps the batches the broker returned records for, including ones kafkajs filters out entirely', () => {
    const empty = { rawMessages: [], messages: [] };
    const data = { rawMessages: [{ offset: '4' }], messages: [{ offset: '4' }] };
    const controlOnly = { rawMessages: [{ offset: '5', isControlRecord: true }], messages: [] };
    expect(withRecords([empty, data, empty, controlOnly])).toEqual([data, controlOnly]);
    expect(withRecords([empty, empty])).toEqual([]);
  });

  it('is installed on kafkajs’s ConsumerGroup', () => {
    expect(ConsumerGroup.prototype.fetch.name).toBe('fetchWithRecords');
  });
});
