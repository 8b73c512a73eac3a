import type { FieldDef, MessageDef } from './schema.ts';
import { Reader, readString, toHex, WT } from './wire.ts';

/** A decoded message in the OTLP/JSON shape. */
export type JsonObject = Record<string, unknown>;

function readScalar(f: FieldDef, r: Reader): unknown {
  switch (f.kind) {
    case 'bool':
      return r.uint32() !== 0;
    case 'int64':
      return r.int64().toString();
    case 'uint64':
      return r.uint64().toString();
    case 'fixed64':
      return r.fixed64().toString();
    case 'sfixed64':
      return r.sfixed64().toString();
    case 'double':
      return r.double();
    case 'fixed32':
      return r.fixed32();
    case 'sint32':
      return r.sint32();
    case 'enum': {
      const v = r.uint64();
      return Number(BigInt.asIntN(32, v));
    }
    default:
      return r.uint32();
  }
}

function readLen(f: FieldDef, buf: Uint8Array, s: number, e: number, depth: number): unknown {
  switch (f.kind) {
    case 'string':
      return readString(buf, s, e);
    case 'id':
      return toHex(buf, s, e);
    case 'bytes':
      return Buffer.from(buf.subarray(s, e)).toString('base64');
    default:
      return decodeToJson(f.msg as MessageDef, buf, s, e, depth + 1);
  }
}

function push(out: JsonObject, key: string, v: unknown): void {
  const cur = out[key];
  if (Array.isArray(cur)) cur.push(v);
  else out[key] = [v];
}

/**
 * Decodes protobuf message `def` from `buf[start, end)` into the OTLP/JSON
 * shape (lowerCamelCase keys, hex ids, 64-bit integers as decimal strings,
 * integer enums). Fields absent on the wire are absent in the result;
 * unknown fields are skipped. Throws on malformed input.
 */
export function decodeToJson(def: MessageDef, buf: Uint8Array, start = 0, end = buf.length, depth = 0): JsonObject {
  if (depth > 64) throw new Error('message nesting too deep');
  const out: JsonObject = {};
  const r = new Reader(buf, start, end);
  while (r.pos < end) {
    const tag = r.uint32();
    const wt = tag & 7;
    const f = def.byNo[tag >>> 3];
    if (f === undefined) {
      r.skip(wt);
      continue;
    }
    if (wt === WT.LEN && f.wireType !== WT.LEN) {
      // packed repeated scalars
      const s = r.lenStart();
      const inner = new Reader(buf, s, r.pos);
      while (inner.pos < inner.end) push(out, f.json, readScalar(f, inner));
      continue;
    }
    let v: unknown;
    if (wt === WT.LEN) {
      const s = r.lenStart();
      v = readLen(f, buf, s, r.pos, depth);
    } else v = readScalar(f, r);
    if (f.repeated) push(out, f.json, v);
    else out[f.json] = v;
  }
  return out;
}
