import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Encoder } from '../../../src/infra/kafkajs-encoder-fix.js';

/** Kafka's varint: zigzag, then LEB128 (computed with BigInt, independently of kafkajs). */
function varint(value: bigint, bits: 32n | 64n): number[] {
  let z = BigInt.asUintN(Number(bits), (value << 1n) ^ (value >> (bits - 1n)));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number((z & 0x7fn) | 0x80n));
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
}

const encode = (
  write: (e: InstanceType<typeof Encoder> & Record<string, (v: unknown) => unknown>) => void,
): number[] => {
  const e = new Encoder(1) as InstanceType<typeof Encoder> & Record<string, (v: unknown) => unknown>;
  write(e);
  return [...e.buffer];
};

const samples = [0, 1, -1, 63, -64, 64, -65, 127, 128, 300, -300, 8191, 8192, 2 ** 20, -(2 ** 20)];
const edges = [2 ** 30 - 1, -(2 ** 30) + 1, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31)];

describe('kafkajs encoder fix: the same bytes, fewer allocations', () => {
  it('writeVarInt writes Kafka varints (zigzag LEB128) across the int32 range', () => {
    for (const v of [...samples, ...edges])
      expect(
        encode((e) => e.writeVarInt!(v)),
        String(v),
      ).toEqual(varint(BigInt(v), 32n));
  });

  it('writeVarLong writes Kafka varlongs, small numbers on the fast path and the rest through Long', () => {
    const longs = [...samples, ...edges, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, Date.UTC(2026, 11, 6)];
    for (const v of longs) {
      expect(
        encode((e) => e.writeVarLong(v)),
        String(v),
      ).toEqual(varint(BigInt(v), 64n));
      expect(Encoder.sizeOfVarLong(v), String(v)).toBe(varint(BigInt(v), 64n).length);
    }
    const Long = createRequire(import.meta.url)('kafkajs/src/utils/long.js') as { fromValue(v: number): unknown };
    expect(encode((e) => e.writeVarLong(Long.fromValue(-5)))).toEqual(varint(-5n, 64n));
  });

  it('a new encoder allocates nothing until its first write, then the capacity kafkajs started with', () => {
    const e = new Encoder();
    expect(e.buf.length).toBe(0);
    expect([...e.buffer]).toEqual([]);
    e.writeUVarInt(300);
    expect(e.buf.length).toBe(512);
    expect([...e.buffer]).toEqual([0xac, 0x02]);
  });

  it('a growing encoder keeps every byte written, and only those', () => {
    const bytes = encode((e) => {
      for (let i = 0; i < 1000; i++) e.writeVarInt!(i * 997 - 250_000);
      e.writeInt32!(0x01020304);
    });
    const expected = Array.from({ length: 1000 }, (_, i) => varint(BigInt(i * 997 - 250_000), 32n)).flat();
    expect(bytes).toEqual([...expected, 1, 2, 3, 4]);
  });
});
