import { describe, expect, it } from 'vitest';
import mysql from 'mysql2';
import {
  chunkRows,
  DEFAULT_STATEMENT_BYTES,
  readMaxAllowedPacket,
  rowBytes,
  statementBudget,
  valueBytes,
} from '../../../src/infra/statement-size.js';

describe('statement size: no INSERT larger than the server takes', () => {
  it("bounds each value's bytes as mysql2 writes it (a Buffer as hex, a string escaped)", () => {
    const samples: Array<Parameters<typeof mysql.escape>[0]> = [
      Buffer.from([0, 1, 2, 255]),
      'it\'s \\ a "quoted"\n string: é',
      'x'.repeat(1000),
      1_700_000_000_123,
      36.6,
      -1,
      null,
      true,
    ];
    for (const v of samples) {
      const written = mysql.escape(v).length;
      expect(valueBytes(v), mysql.escape(v)).toBeGreaterThanOrEqual(Buffer.byteLength(mysql.escape(v)));
      expect(valueBytes(v)).toBeLessThanOrEqual(2 * written + 8);
    }
    const row = ['run', 'topic', 0, 17, 'ingest', 'reason', Buffer.alloc(4096)];
    expect(rowBytes(row)).toBeGreaterThanOrEqual(Buffer.byteLength(mysql.format('(?)', [row])));
  });

  it('cuts rows by count and by bytes, in order; a row larger than the limit goes alone', () => {
    const small = (i: number): unknown[] => [i, Buffer.alloc(10)];
    const big = (i: number): unknown[] => [i, Buffer.alloc(1000)];
    const rows = [small(0), small(1), big(2), small(3), small(4), small(5)];
    const chunks = chunkRows(rows, 2, 600);
    expect(chunks.map((c) => c.map((r) => r[0]))).toEqual([[0, 1], [2], [3, 4], [5]]);
    for (const c of chunks) if (c.length > 1) expect(c.reduce((n, r) => n + rowBytes(r), 0)).toBeLessThanOrEqual(600);
    expect(chunkRows([], 10, 100)).toEqual([]);
  });

  it('forty 1 MB payloads never share a statement beyond the budget of a 16 MiB server', () => {
    const budget = statementBudget(16 * 1024 * 1024);
    const rows = Array.from({ length: 40 }, (_, i) => [i, Buffer.alloc(1_000_000)]);
    const chunks = chunkRows(rows, 2000, budget);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.reduce((n, r) => n + rowBytes(r), 0)).toBeLessThanOrEqual(budget);
  });

  it('the budget stays under max_allowed_packet, with a floor and a ceiling', () => {
    expect(statementBudget(16 * 1024 * 1024)).toBeLessThan(16 * 1024 * 1024);
    expect(statementBudget(1024 * 1024)).toBeLessThan(1024 * 1024);
    expect(statementBudget(1024 * 1024 * 1024)).toBe(8 * 1024 * 1024);
    expect(statementBudget(100)).toBe(1024);
    expect(DEFAULT_STATEMENT_BYTES).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it("reads the server's max_allowed_packet, and refuses an answer that is not a size", async () => {
    const answering = (value: unknown) => ({
      query: () => Promise.resolve([[{ max_allowed_packet: value }], []] as [unknown, unknown]),
    });
    expect(await readMaxAllowedPacket(answering('16777216'))).toBe(16_777_216);
    await expect(readMaxAllowedPacket(answering(null))).rejects.toThrow(/max_allowed_packet/);
  });
});
