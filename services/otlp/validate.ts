import { isUtf8 } from 'node:buffer';
import type { MessageDef } from './schema.ts';
import { Reader, WireError, WT } from './wire.ts';

/** Deepest message nesting accepted (AnyValue arrays inside arrays count one level each). */
export const MAX_DEPTH = 32;

/** What a walk over one resource found. */
export interface WalkResult {
  /** Items (spans, data points, log records) seen, valid or not. */
  items: number;
  /** Byte ranges [tagStart, end) of invalid items, in order. */
  drops: Array<[number, number]>;
  /** Why the first invalid item is invalid. */
  firstProblem?: string;
}

/** A protobuf problem with the path of field names leading to it. */
export class ProtoError extends WireError {
  /** Field names from the request down to the problem. */
  readonly path: string[] = [];
  constructor(
    readonly reason: string,
    offset: number,
  ) {
    super(`${reason} (byte ${offset})`, offset);
    this.name = 'ProtoError';
  }

  /** Prepends the name of the enclosing field and refreshes the message. */
  within(field: string): this {
    this.path.unshift(field);
    this.message = `${this.reason} in ${this.path.join('.')} (byte ${this.offset})`;
    return this;
  }
}

function asProtoError(err: unknown): unknown {
  if (err instanceof ProtoError || !(err instanceof WireError)) return err;
  return new ProtoError(err.message, err.offset);
}

function isAscii(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((buf[i] as number) >= 0x80) return false;
  return true;
}

function checkUtf8(buf: Uint8Array, start: number, end: number, field: string): void {
  if (isAscii(buf, start, end)) return;
  if (!isUtf8(buf.subarray(start, end))) throw new ProtoError(`string field ${field} is not valid UTF-8`, start);
}

/**
 * Validates message `def` in `buf[start, end)`: wire types of known fields,
 * lengths, UTF-8 of strings, nesting depth. Unknown fields are skipped (as
 * protobuf requires). Returns why the message is semantically invalid (a bad
 * id, a missing required field) or undefined; invalid items are recorded in
 * `out` and not reported upward.
 */
export function walk(def: MessageDef, buf: Uint8Array, start: number, end: number, depth: number, out: WalkResult): string | undefined {
  if (depth > MAX_DEPTH) throw new ProtoError(`messages nested deeper than ${MAX_DEPTH} levels`, start);
  const r = new Reader(buf, start, end);
  let seen = 0;
  let problem: string | undefined;
  while (r.pos < end) {
    const tagStart = r.pos;
    const tag = r.uint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 0) throw new ProtoError('field number 0', tagStart);
    const f = def.byNo[no];
    if (f === undefined) {
      r.skip(wt);
      continue;
    }
    if (wt !== f.wireType) {
      // Repeated numeric fields may be packed into one length-delimited run.
      if (f.repeated && wt === WT.LEN && f.wireType !== WT.LEN) {
        checkPacked(r, f.wireType, f.name);
        continue;
      }
      throw new ProtoError(`field ${f.name} (${no}) has wire type ${wt}, expected ${f.wireType}`, tagStart);
    }
    if (wt !== WT.LEN) {
      r.skip(wt);
      continue;
    }
    const vs = r.lenStart();
    const ve = r.pos;
    if (f.kind === 'string') {
      checkUtf8(buf, vs, ve, f.name);
    } else if (f.kind === 'id') {
      if (ve > vs) seen |= 1 << no;
      if (ve > vs && ve - vs !== f.idLength) problem ??= `${def.name}.${f.name} has ${ve - vs} bytes, expected ${f.idLength}`;
    } else if (f.msg !== undefined) {
      let sub: string | undefined;
      try {
        sub = walk(f.msg, buf, vs, ve, depth + 1, out);
      } catch (err) {
        const e = asProtoError(err);
        if (e instanceof ProtoError) e.within(f.name);
        throw e;
      }
      if (f.msg.item) {
        out.items++;
        if (sub !== undefined) {
          out.drops.push([tagStart, ve]);
          out.firstProblem ??= sub;
        }
      } else if (sub !== undefined) problem ??= sub;
    }
  }
  if ((seen & def.requiredMask) !== def.requiredMask) {
    problem ??= `${def.name} lacks ${def.fields
      .filter((f) => f.required && (seen & (1 << f.no)) === 0)
      .map((f) => f.name)
      .join(', ')}`;
  }
  return problem;
}

function checkPacked(r: Reader, wireType: number, name: string): void {
  const s = r.lenStart();
  const e = r.pos;
  const size = wireType === WT.I64 ? 8 : wireType === WT.I32 ? 4 : 0;
  if (size > 0) {
    if ((e - s) % size !== 0) throw new ProtoError(`packed ${name} is ${e - s} bytes, not a multiple of ${size}`, s);
    return;
  }
  const inner = new Reader(r.buf, s, e);
  while (inner.pos < e) inner.uint32();
}

/** Wraps wire errors met while walking the top level into {@link ProtoError}s. */
export function walkTop<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asProtoError(err);
  }
}
