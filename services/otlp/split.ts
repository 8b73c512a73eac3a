import { UNKNOWN_SERVICE } from '../bus/topics.ts';
import { type MessageDef, SIGNALS, type Signal } from './schema.ts';
import { MAX_DEPTH, ProtoError, type WalkResult, walk, walkTop } from './validate.ts';
import { Reader, readString, WT } from './wire.ts';
import { Writer } from './writer.ts';

/** One resource of an export request, ready to publish. */
export interface ResourceSlice {
  /** `service.name` of the resource, or `unknown_service`. */
  service: string;
  /** The resource's OTLP protobuf (ResourceSpans / ResourceMetrics / ResourceLogs), invalid items removed. May view the request's buffer. */
  bytes: Uint8Array;
  /** Valid items it holds. */
  items: number;
}

/** An export request split by resource. */
export interface SplitRequest {
  /** Resources with at least one valid item. */
  resources: ResourceSlice[];
  /** Every item in the request, valid or not. */
  items: number;
  /** Items refused as invalid (reported as partial success). */
  rejected: number;
  /** Why the first refused item was refused. */
  problem?: string;
}

const SERVICE_NAME = new TextEncoder().encode('service.name');

/**
 * Validates an OTLP export request (protobuf) and splits it by resource
 * without decoding it: each resource's bytes are sliced from `body` (or
 * rebuilt without its invalid items). Throws a {@link ProtoError} (bad
 * input) when the request is not valid protobuf for `signal`.
 */
export function splitExportRequest(signal: Signal, body: Uint8Array): SplitRequest {
  const resDef = SIGNALS[signal].resource;
  const out: SplitRequest = { resources: [], items: 0, rejected: 0 };
  walkTop(() => {
    const r = new Reader(body);
    while (r.pos < r.end) {
      const tag = r.uint32();
      const no = tag >>> 3;
      if (no === 0) throw new ProtoError('field number 0', r.pos);
      if (no !== 1) {
        r.skip(tag & 7);
        continue;
      }
      if ((tag & 7) !== WT.LEN) throw new ProtoError(`field 1 has wire type ${tag & 7}, expected 2`, r.pos);
      const s = r.lenStart();
      addResource(resDef, body, s, r.pos, out);
    }
  });
  return out;
}

function addResource(def: MessageDef, body: Uint8Array, start: number, end: number, out: SplitRequest): void {
  const res: WalkResult = { items: 0, drops: [] };
  try {
    walk(def, body, start, end, 1, res);
  } catch (err) {
    if (err instanceof ProtoError) err.within(`${def.name}[${out.resources.length}]`);
    throw err;
  }
  out.items += res.items;
  out.rejected += res.drops.length;
  if (res.firstProblem !== undefined) out.problem ??= res.firstProblem;
  const valid = res.items - res.drops.length;
  if (valid === 0) return;
  const bytes = res.drops.length === 0 ? body.subarray(start, end) : rebuild(def, body, start, end, res.drops);
  out.resources.push({ service: serviceName(body, start, end), bytes, items: valid });
}

/** Copies message `def` from `buf[start, end)` leaving out the field ranges in `drops`. */
function rebuild(def: MessageDef, buf: Uint8Array, start: number, end: number, drops: Array<[number, number]>): Uint8Array {
  const w = new Writer(end - start + 16);
  copyWithout(def, buf, start, end, drops, w);
  return w.finish().slice();
}

function copyWithout(def: MessageDef, buf: Uint8Array, start: number, end: number, drops: Array<[number, number]>, w: Writer): void {
  const r = new Reader(buf, start, end);
  while (r.pos < end) {
    const tagStart = r.pos;
    const tag = r.uint32();
    const f = def.byNo[tag >>> 3];
    r.skip(tag & 7);
    const fieldEnd = r.pos;
    if (drops.some(([s, e]) => s === tagStart && e === fieldEnd)) continue;
    const inside = f?.msg !== undefined && (tag & 7) === WT.LEN && drops.some(([s, e]) => s > tagStart && e <= fieldEnd);
    if (!inside || f?.msg === undefined) {
      w.raw(buf.subarray(tagStart, fieldEnd));
      continue;
    }
    const inner = new Reader(buf, tagStart, fieldEnd);
    inner.uint32();
    const vs = inner.lenStart();
    w.tag(f.no, WT.LEN).fork();
    copyWithout(f.msg, buf, vs, fieldEnd, drops, w);
    w.join();
  }
}

/**
 * Reads `service.name` from a ResourceX message in `buf[start, end)`:
 * field 1 (Resource), its attributes (field 1), the KeyValue whose key is
 * `service.name` and whose value is a string. Assumes a validated message.
 */
export function serviceName(buf: Uint8Array, start: number, end: number): string {
  return firstInField1(buf, start, end, serviceInResource) ?? UNKNOWN_SERVICE;
}

/** The non-empty `service.name` of a Resource in `buf[start, end)`: the first such attribute decides. */
function serviceInResource(buf: Uint8Array, start: number, end: number): string | undefined {
  return firstInField1(buf, start, end, keyValueString) || undefined;
}

/**
 * Calls `read` on each occurrence of field 1 (length-delimited) of the
 * message in `buf[start, end)`, in order, and returns the first answer that
 * is not undefined.
 */
function firstInField1<T>(buf: Uint8Array, start: number, end: number, read: (buf: Uint8Array, start: number, end: number) => T | undefined): T | undefined {
  const r = new Reader(buf, start, end);
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag !== ((1 << 3) | WT.LEN)) {
      r.skip(tag & 7);
      continue;
    }
    const fieldStart = r.lenStart();
    const found = read(buf, fieldStart, r.pos);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Returns the string value of a KeyValue whose key is `service.name`; undefined otherwise. */
function keyValueString(buf: Uint8Array, start: number, end: number): string | undefined {
  const r = new Reader(buf, start, end);
  let isService = false;
  let value: string | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WT.LEN)) {
      const s = r.lenStart();
      isService = r.pos - s === SERVICE_NAME.length && SERVICE_NAME.every((b, i) => buf[s + i] === b);
    } else if (tag === ((2 << 3) | WT.LEN)) {
      const s = r.lenStart();
      value = anyValueString(buf, s, r.pos);
    } else r.skip(tag & 7);
  }
  return isService ? (value ?? '') : undefined;
}

function anyValueString(buf: Uint8Array, start: number, end: number): string | undefined {
  const r = new Reader(buf, start, end);
  let out: string | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WT.LEN)) {
      const s = r.lenStart();
      out = readString(buf, s, r.pos);
    } else r.skip(tag & 7);
  }
  return out;
}

export { MAX_DEPTH };
