/**
 * Protobuf wire format primitives: a bounds-checked reader over a byte range
 * and a growable writer. Hand-written because the collector's hot path only
 * needs to walk and slice messages, not to materialise objects.
 */

/** Protobuf wire types. */
export const WT = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** Malformed protobuf: answered 400 by the collector. `offset` is the byte position the problem was found at. */
export class WireError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

/**
 * A cursor over `buf[pos, end)`. Every read checks bounds and throws a
 * {@link WireError} rather than reading past `end`.
 */
export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    public end = buf.length,
  ) {
    this.pos = start;
  }

  /** Reads a varint of up to 32 significant bits (tags, lengths, enums, uint32). Larger values keep their low 32 bits. */
  uint32(): number {
    const b = this.buf;
    let p = this.pos;
    let v = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (p >= this.end) throw new WireError('truncated varint', p);
      const c = b[p++] as number;
      if (shift < 32) v |= (c & 0x7f) << shift;
      if (c < 0x80) {
        this.pos = p;
        return v >>> 0;
      }
    }
    throw new WireError('varint longer than 10 bytes', this.pos);
  }

  /** Reads a varint as an unsigned 64-bit bigint. */
  uint64(): bigint {
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= this.end) throw new WireError('truncated varint', p);
      const c = this.buf[p++] as number;
      if (i < 4) lo |= (c & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (c & 0x0f) << 28;
        hi |= (c & 0x7f) >> 4;
      } else hi |= (c & 0x7f) << (7 * i - 32);
      if (c < 0x80) {
        this.pos = p;
        return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
      }
    }
    throw new WireError('varint longer than 10 bytes', this.pos);
  }

  /** Reads a varint as a signed 64-bit bigint (int64). */
  int64(): bigint {
    return BigInt.asIntN(64, this.uint64());
  }

  /** Reads a zigzag varint (sint32). */
  sint32(): number {
    const v = this.uint32();
    return (v >>> 1) ^ -(v & 1);
  }

  /** Reads 8 little-endian bytes as an unsigned bigint (fixed64). */
  fixed64(): bigint {
    const p = this.need(8);
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + p, 8);
    return dv.getBigUint64(0, true);
  }

  /** Reads 8 little-endian bytes as a signed bigint (sfixed64). */
  sfixed64(): bigint {
    return BigInt.asIntN(64, this.fixed64());
  }

  /** Reads a little-endian double. */
  double(): number {
    const p = this.need(8);
    return new DataView(this.buf.buffer, this.buf.byteOffset + p, 8).getFloat64(0, true);
  }

  /** Reads 4 little-endian bytes (fixed32). */
  fixed32(): number {
    const p = this.need(4);
    const b = this.buf;
    return ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>> 0;
  }

  /** Reads a length prefix and returns the start of the `len` bytes that follow, advancing past them. */
  lenStart(): number {
    const len = this.uint32();
    const start = this.pos;
    if (len > this.end - start) throw new WireError(`length ${len} runs past the end of its message`, start);
    this.pos = start + len;
    return start;
  }

  /** Skips a value of wire type `wt`. Groups are refused: OTLP never uses them. */
  skip(wt: number): void {
    switch (wt) {
      case WT.VARINT:
        this.uint32();
        return;
      case WT.I64:
        this.need(8);
        return;
      case WT.LEN:
        this.lenStart();
        return;
      case WT.I32:
        this.need(4);
        return;
      default:
        throw new WireError(`invalid wire type ${wt}`, this.pos);
    }
  }

  private need(n: number): number {
    const p = this.pos;
    if (this.end - p < n) throw new WireError(`truncated ${n}-byte value`, p);
    this.pos = p + n;
    return p;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Decodes UTF-8 bytes `buf[start, end)` (callers validate first where it matters). */
export function readString(buf: Uint8Array, start: number, end: number): string {
  if (end - start < 16) {
    // Short ASCII strings (most attribute keys) are faster without TextDecoder.
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i] as number;
      if (c >= 0x80) return utf8.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(buf.subarray(start, end));
}

/** Lowercase hex of `buf[start, end)`. */
export function toHex(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[buf[i] as number];
  return s;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
