/**
 * A growable protobuf writer. Submessages are written in place: `fork()`
 * reserves one byte for the length, `join()` fills it in and shifts the body
 * when the length needs more bytes, so encoding is a single pass.
 */
export class Writer {
  buf: Uint8Array;
  pos = 0;
  private readonly stack: number[] = [];
  private readonly enc = new TextEncoder();

  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
  }

  /** The bytes written so far (a view: valid until the next write). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Writes a tag for field `no` with wire type `wt`. */
  tag(no: number, wt: number): this {
    return this.uint32(((no << 3) | wt) >>> 0);
  }

  /** Writes an unsigned varint of up to 32 bits. */
  uint32(v: number): this {
    this.ensure(5);
    let x = v >>> 0;
    while (x > 0x7f) {
      this.buf[this.pos++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[this.pos++] = x;
    return this;
  }

  /** Writes a varint from a 64-bit value (negative int64 takes ten bytes, as protobuf requires). */
  uint64(v: bigint): this {
    this.ensure(10);
    let x = BigInt.asUintN(64, v);
    while (x > 0x7fn) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
    return this;
  }

  /** Writes a zigzag varint (sint32). */
  sint32(v: number): this {
    return this.uint32(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Writes 8 little-endian bytes (fixed64 / sfixed64). */
  fixed64(v: bigint): this {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.pos += 8;
    return this;
  }

  /** Writes 4 little-endian bytes (fixed32). */
  fixed32(v: number): this {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v & 0xff;
    b[p + 1] = (v >>> 8) & 0xff;
    b[p + 2] = (v >>> 16) & 0xff;
    b[p + 3] = (v >>> 24) & 0xff;
    this.pos += 4;
    return this;
  }

  /** Writes a little-endian double. */
  double(v: number): this {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).setFloat64(0, v, true);
    this.pos += 8;
    return this;
  }

  /** Writes length-prefixed raw bytes. */
  bytes(v: Uint8Array): this {
    this.uint32(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  /** Writes raw bytes without a prefix (already-encoded fields). */
  raw(v: Uint8Array): this {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  /** Writes a length-prefixed UTF-8 string. */
  string(s: string): this {
    if (s.length < 64) {
      let ascii = true;
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.uint32(s.length);
        this.ensure(s.length);
        for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
        return this;
      }
    }
    this.ensure(s.length * 3 + 5);
    // Reserve the worst-case prefix, encode, then move the body if the prefix is shorter.
    const prefix = varintSize(s.length * 3);
    const start = this.pos + prefix;
    const { written } = this.enc.encodeInto(s, this.buf.subarray(start));
    const need = varintSize(written);
    if (need !== prefix) this.buf.copyWithin(this.pos + need, start, start + written);
    this.uint32(written);
    this.pos += written;
    return this;
  }

  /** Starts a length-delimited submessage; close it with {@link join}. */
  fork(): this {
    this.ensure(1);
    this.stack.push(this.pos);
    this.pos += 1;
    return this;
  }

  /** Ends the submessage opened by the matching {@link fork}, writing its length. */
  join(): this {
    const at = this.stack.pop();
    if (at === undefined) throw new Error('Writer.join() without fork()');
    const len = this.pos - at - 1;
    const size = varintSize(len);
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(at + size, at + 1, this.pos);
      this.pos += size - 1;
    }
    let x = len;
    let p = at;
    while (x > 0x7f) {
      this.buf[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[p] = x;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}

/** Bytes a varint of `v` (< 2^32) takes. */
export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}
