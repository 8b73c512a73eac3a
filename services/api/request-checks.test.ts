import { describe, expect, it } from 'vitest';
import { assertFiniteQuery, assertPlainData, MAX_ARRAY_ITEMS, MAX_BODY_DEPTH } from '../core/plain-data.ts';
import { decodeCursor, encodeCursor } from './repositories/index.ts';
import { isStorableDateTime } from './schemas.ts';

describe('isStorableDateTime', () => {
  it.each(['2026-01-01T00:00:00Z', '2024-02-29T12:30:59.123456+01:00', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-06-30t10:00:00z'])(
    'accepts %s',
    (s) => expect(isStorableDateTime(s)).toBe(true),
  );
  it.each([
    '2016-12-31T23:59:60Z',
    '0000-01-01T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:60:00Z',
    '9999-12-31T23:59:59-01:00',
    '2026-01-01',
    '2026-01-01T00:00:00',
    '',
  ])('refuses %s', (s) => expect(isStorableDateTime(s)).toBe(false));
});

describe('assertPlainData', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return [(err as { code: string }).code, (err as Error).message];
    }
    return undefined;
  };
  it('passes plain data through', () => {
    const v = { a: [1, 'x', { b: null }] };
    expect(assertPlainData(v)).toBe(v);
  });
  it('names the path of a NUL in a value or a key', () => {
    expect(code(() => assertPlainData({ a: [{ b: 'x\u0000' }] }))?.[1]).toContain('body/a/0/b');
    expect(code(() => assertPlainData({ a: { 'k\u0000': 1 } }))?.[1]).toContain('body/a ');
  });
  it('refuses nesting past the limit without recursing (a million levels)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(code(() => assertPlainData(deep))?.[0]).toBe('ZEROOPS_REQUEST_INVALID');
    let ok: unknown = 1;
    for (let i = 0; i < MAX_BODY_DEPTH - 1; i++) ok = { n: ok };
    expect(code(() => assertPlainData(ok))).toBeUndefined();
  });
  it('refuses arrays over the limit', () => {
    expect(code(() => assertPlainData({ xs: Array(MAX_ARRAY_ITEMS + 1).fill(0) }))?.[1]).toContain('body/xs');
  });
  it('refuses non-finite query numbers', () => {
    expect(code(() => assertFiniteQuery({ limit: Number.POSITIVE_INFINITY }))?.[1]).toContain('querystring/limit');
    expect(code(() => assertFiniteQuery({ limit: 5 }))).toBeUndefined();
  });
});

describe('cursors', () => {
  it('round-trip for their own list only', () => {
    const c = encodeCursor('incidents', '2026-01-01T00:00:00.123456Z', 'inc-1');
    expect(decodeCursor('incidents', c)).toEqual({ kind: 'incidents', t: '2026-01-01T00:00:00.123456Z', id: 'inc-1' });
    expect(() => decodeCursor('anomalies', c)).toThrow(/incidents list/);
  });
  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['not a triple', Buffer.from('["incidents","x"]').toString('base64url')],
    ['a time that is not one', Buffer.from('["incidents","2026-02-30T00:00:00Z","x"]').toString('base64url')],
    ['an empty id', Buffer.from('["incidents","2026-01-01T00:00:00Z",""]').toString('base64url')],
  ])('refuses %s with ZEROOPS_CURSOR_INVALID', (_name, c) => {
    expect(() => decodeCursor('incidents', c)).toThrow(expect.objectContaining({ code: 'ZEROOPS_CURSOR_INVALID', statusCode: 400 }));
  });
});
