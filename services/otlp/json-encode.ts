import type { FieldDef, MessageDef } from './schema.ts';
import { MAX_DEPTH } from './validate.ts';
import { WT } from './wire.ts';
import { Writer } from './writer.ts';

/** An OTLP/JSON value that cannot be encoded; `path` names the field, e.g. `resourceSpans[0].scopeSpans[0].spans[3].traceId`. */
export class JsonShapeError extends Error {
  readonly path: string[] = [];
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'JsonShapeError';
  }

  /** Prepends an enclosing field (or `[i]` index) and refreshes the message. */
  within(part: string): this {
    this.path.unshift(part);
    this.message = `${this.path.join('').replace(/^\./, '')}: ${this.reason}`;
    return this;
  }
}

type Json = unknown;

const HEX_RE = /^[0-9a-fA-F]*$/;
const INT_RE = /^-?[0-9]+$/;
const B64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

function fail(reason: string): never {
  throw new JsonShapeError(reason);
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toBigInt(v: Json, what: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && INT_RE.test(v)) return BigInt(v);
  return fail(`expected ${what} (an integer or a decimal string), got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function toInt32(v: Json, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 0xffffffff) return v;
  return fail(`expected ${what}, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function toDouble(v: Json): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return fail(`expected a number, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function asString(v: Json): string {
  if (typeof v !== 'string') fail(`expected a string, got ${typeof v}`);
  if (!(v as unknown as { isWellFormed(): boolean }).isWellFormed()) fail('string holds an unpaired UTF-16 surrogate (not valid UTF-8)');
  return v;
}

function hexBytes(v: Json): Uint8Array {
  if (typeof v !== 'string' || !HEX_RE.test(v) || v.length % 2 !== 0) fail(`expected an even number of hex digits, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return Buffer.from(v, 'hex');
}

function base64Bytes(v: Json): Uint8Array {
  if (typeof v !== 'string' || !B64_RE.test(v)) fail('expected base64 bytes');
  return Buffer.from(v, 'base64');
}

/** Writes one non-message value of field `f` (with its tag unless `packed`). */
function writeScalar(f: FieldDef, v: Json, w: Writer, packed: boolean): void {
  if (!packed) w.tag(f.no, f.wireType);
  switch (f.kind) {
    case 'string':
      w.string(asString(v));
      return;
    case 'id':
      w.bytes(hexBytes(v));
      return;
    case 'bytes':
      w.bytes(base64Bytes(v));
      return;
    case 'bool':
      if (typeof v !== 'boolean') fail(`expected true or false, got ${JSON.stringify(v)?.slice(0, 40)}`);
      w.uint32(v ? 1 : 0);
      return;
    case 'int64':
    case 'uint64':
      w.uint64(toBigInt(v, 'a 64-bit integer'));
      return;
    case 'fixed64':
    case 'sfixed64':
      w.fixed64(toBigInt(v, 'a 64-bit integer'));
      return;
    case 'double':
      w.double(toDouble(v));
      return;
    case 'fixed32':
      w.fixed32(toInt32(v, 'a 32-bit integer'));
      return;
    case 'sint32':
      w.sint32(toInt32(v, 'a 32-bit integer'));
      return;
    case 'enum':
      if (typeof v === 'number' && v < 0) w.uint64(BigInt(v));
      else w.uint32(toInt32(v, 'an integer enum value'));
      return;
    default:
      w.uint32(toInt32(v, 'a 32-bit integer'));
  }
}

function writeField(f: FieldDef, v: Json, w: Writer, depth: number): void {
  if (f.msg !== undefined) {
    w.tag(f.no, WT.LEN).fork();
    writeMessage(f.msg, v, w, depth + 1);
    w.join();
    return;
  }
  writeScalar(f, v, w, false);
}

function writeRepeated(f: FieldDef, v: Json, w: Writer, depth: number): void {
  if (!Array.isArray(v)) fail(`expected an array, got ${typeof v}`);
  const packable = f.msg === undefined && f.wireType !== WT.LEN;
  if (packable && v.length > 0) {
    w.tag(f.no, WT.LEN).fork();
    for (let i = 0; i < v.length; i++) withPath(`[${i}]`, () => writeScalar(f, v[i], w, true));
    w.join();
    return;
  }
  for (let i = 0; i < v.length; i++) withPath(`[${i}]`, () => writeField(f, v[i], w, depth));
}

function withPath(part: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof JsonShapeError) err.within(part);
    throw err;
  }
}

/**
 * Encodes the OTLP/JSON object `obj` as protobuf message `def` into `w`.
 * Accepts lowerCamelCase and snake_case keys, ignores unknown keys and
 * nulls (as OTLP/JSON requires), hex trace/span ids, integer enums, 64-bit
 * integers as numbers or strings. Throws {@link JsonShapeError} naming the
 * field on a wrongly typed value.
 */
export function writeMessage(def: MessageDef, obj: Json, w: Writer, depth = 0): void {
  if (depth > MAX_DEPTH) fail(`values nested deeper than ${MAX_DEPTH} levels`);
  if (!isObject(obj)) fail(`expected an object for ${def.name}, got ${Array.isArray(obj) ? 'an array' : typeof obj}`);
  for (const key in obj) {
    const f = def.byJson.get(key);
    const v = obj[key];
    if (f === undefined || v === null || v === undefined) continue;
    try {
      if (f.repeated) writeRepeated(f, v, w, depth);
      else writeField(f, v, w, depth);
    } catch (err) {
      if (err instanceof JsonShapeError) err.within(`.${key}`);
      throw err;
    }
  }
}

/** Encodes an OTLP/JSON object as protobuf message `def`; returns a fresh buffer. */
export function encodeJson(def: MessageDef, obj: Json, sizeHint = 4096): Uint8Array {
  const w = new Writer(sizeHint);
  writeMessage(def, obj, w);
  return w.finish();
}
