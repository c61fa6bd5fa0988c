/**
 * kafkajs 2.2.4, its last release, encodes every record of a produce request through its
 * Encoder, whose varint writers build a JavaScript array and copy it through Buffer.from, and
 * whose growth allocates zero-filled buffers that are overwritten at once. On the load generator
 * (tens of thousands of records a second) these allocations were a large share of its CPU
 * (V8 profile: Buffer construction, copies and garbage collection about a third of it).
 *
 * Here the same bytes are written directly into the encoder's buffer, and its memory comes from
 * Buffer.allocUnsafe (Node's pool below 4 KiB), not from a zero-filled Buffer.alloc of 512 bytes per
 * encoder (kafkajs makes two per record, record and header: about a microsecond each here). The
 * encoder exposes only its first `offset` bytes (its `buffer` getter and size()), every one of
 * which it wrote (each write method makes room through ensureAvailable first), so the bytes left
 * uninitialised are never read or sent. A new encoder starts with an empty buffer: kafkajs calls
 * Encoder.nextPowerOfTwo for the constructor's allocation and in ensureAvailable only, and the
 * latter is replaced here, so the static returns 0 and the first write allocates.
 * Imported for its effect by ./kafka.ts, which every kafkajs client of the project comes from.
 */
import { createRequire } from 'node:module';

interface EncoderInternals {
  buf: Buffer;
  offset: number;
  ensureAvailable: (this: EncoderInternals, length: number) => void;
  writeUVarInt: (this: EncoderInternals, value: number) => EncoderInternals;
  writeVarLong: (this: EncoderInternals, value: unknown) => EncoderInternals;
}

const requireCjs = createRequire(import.meta.url);

/** kafkajs's Encoder class (internal: not in its typings). */
export const Encoder = requireCjs('kafkajs/src/protocol/encoder.js') as {
  new (initialSize?: number): EncoderInternals & { buffer: Buffer };
  nextPowerOfTwo(value: number): number;
  encodeZigZag(value: number): number;
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: unknown): number;
  prototype: EncoderInternals;
};

const proto = Encoder.prototype;
for (const name of ['ensureAvailable', 'writeUVarInt', 'writeVarLong'] as const) {
  if (typeof proto[name] !== 'function')
    throw new Error(`kafkajs changed: Encoder.${name} is gone; review src/infra/kafkajs-encoder-fix.ts`);
}
if (typeof Encoder.sizeOfVarLong !== 'function')
  throw new Error('kafkajs changed: Encoder.sizeOfVarLong is gone; review src/infra/kafkajs-encoder-fix.ts');
const writeVarLong = proto.writeVarLong;
const sizeOfVarLong = Encoder.sizeOfVarLong.bind(Encoder);
const nextPowerOfTwo = Encoder.nextPowerOfTwo.bind(Encoder);
/** kafkajs's initial capacity (512 bytes), now taken at the first write. */
const MIN_CAPACITY = 512;

Encoder.nextPowerOfTwo = (): number => 0;

proto.ensureAvailable = function ensureAvailable(this: EncoderInternals, length: number): void {
  if (this.offset + length <= this.buf.length) return;
  const grown = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, nextPowerOfTwo(this.offset + length)));
  this.buf.copy(grown, 0, 0, this.offset);
  this.buf = grown;
};

/** LEB128 of an unsigned 32-bit value, as kafkajs writes it (its loop's mask: 0xffffff80). */
proto.writeUVarInt = function writeUVarInt(this: EncoderInternals, value: number): EncoderInternals {
  let v = value;
  let bytes = 1;
  for (let rest = v; (rest & 0xffffff80) !== 0; rest >>>= 7) bytes++;
  this.ensureAvailable(bytes);
  const buf = this.buf;
  let at = this.offset;
  while ((v & 0xffffff80) !== 0) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v & 0x7f;
  this.offset = at;
  return this;
};

/** Below 2^30 in magnitude a varlong's zigzag fits in 31 bits: the varint path, without Long arithmetic. */
const SMALL = 0x40000000;
const isSmall = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > -SMALL && value < SMALL;

Encoder.sizeOfVarLong = (value: unknown): number =>
  isSmall(value) ? Encoder.sizeOfVarInt(value) : sizeOfVarLong(value);

proto.writeVarLong = function writeVarLongFast(this: EncoderInternals, value: unknown): EncoderInternals {
  if (isSmall(value)) return this.writeUVarInt(Encoder.encodeZigZag(value));
  return writeVarLong.call(this, value);
};
