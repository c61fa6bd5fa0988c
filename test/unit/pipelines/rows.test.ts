import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { REJECT_COLUMNS, REJECTED_PAYLOAD_MAX_BYTES, rejectedRow } from '../../../src/pipelines/rows.js';

const where = (payload: Buffer | null) => ({ topic: 'health_data_source1', partition: 2, offset: 41, payload });

describe('rejected_readings rows keep what explains a message, never more than a bounded payload', () => {
  it('keeps a small payload whole, with its size and SHA-256', () => {
    const payload = Buffer.from('{"patient_id": 1001, "seq": ');
    const row = rejectedRow('run', where(payload), 'ingest', 'invalid JSON: Unexpected end');
    expect(REJECT_COLUMNS).toMatch(/payload, payload_bytes, payload_sha256\)$/);
    expect(row).toEqual([
      'run',
      'health_data_source1',
      2,
      41,
      'ingest',
      'invalid JSON: Unexpected end',
      payload,
      payload.length,
      createHash('sha256').update(payload).digest('hex'),
    ]);
  });

  it('truncates a 1 MB payload to the stated limit and keeps its original size and digest', () => {
    const payload = Buffer.alloc(1_048_000, 0x7b);
    const row = rejectedRow('run', where(payload), 'stream', 'invalid JSON: x');
    expect((row[6] as Buffer).length).toBe(REJECTED_PAYLOAD_MAX_BYTES);
    expect((row[6] as Buffer).equals(payload.subarray(0, REJECTED_PAYLOAD_MAX_BYTES))).toBe(true);
    expect(row[7]).toBe(1_048_000);
    expect(row[8]).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('a null value (a tombstone) has no payload, size or digest; a reason is cut at 512 characters', () => {
    const row = rejectedRow('run', where(null), 'ingest', `empty message value ${'é'.repeat(600)}`);
    expect(row.slice(6)).toEqual([null, null, null]);
    expect(Array.from(row[5] as string)).toHaveLength(512);
  });
});
