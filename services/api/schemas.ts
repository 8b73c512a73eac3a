import { type StringOptions, Type } from '@sinclair/typebox';

/** Strings stored in Postgres cannot hold NUL (U+0000); every request string is checked against this. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

/** A request string: no NUL character (Postgres text and jsonb cannot store it), at most 1000 characters unless `opts` say otherwise. */
export function Text(opts: StringOptions = {}) {
  return Type.String({ maxLength: 1000, ...opts, pattern: NO_NUL_PATTERN });
}

/** An id or name in a path: 1 to 200 characters, no NUL. */
export const IdParams = Type.Object({ id: Text({ minLength: 1, maxLength: 200 }) });

/** An RFC 3339 time between years 1 and 9999 (UTC) that names a real instant; see {@link isStorableDateTime}. */
export function Timestamp(opts: StringOptions = {}) {
  return Type.String({ ...opts, format: 'date-time' });
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The API's `date-time` format: RFC 3339 with a day that exists in its month,
 * no leap second (23:59:60 has no JavaScript or Postgres instant), and a UTC
 * year from 1 to 9999 (Postgres has no year 0; later years do not round-trip
 * through ISO strings).
 */
export function isStorableDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return false;
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(2000, month, 0)).getUTCDate()) return false;
  if (month === 2 && day === 29 && new Date(Date.UTC(year, 1, 29)).getUTCDate() !== 29) return false;
  const t = Date.parse(s);
  if (!Number.isFinite(t)) return false;
  const utcYear = new Date(t).getUTCFullYear();
  return utcYear >= 1 && utcYear <= 9999;
}

/** Registers the API's formats on fastify's Ajv instance (runs after ajv-formats, so it replaces its `date-time`). */
export function installFormats(ajv: { addFormat(name: string, format: { type: 'string'; validate: (s: string) => boolean }): unknown }): void {
  ajv.addFormat('date-time', { type: 'string', validate: isStorableDateTime });
}

/**
 * The paging parameters of a list endpoint: `limit` (1 to `max`, default `dflt`) and `cursor`
 * (the `nextCursor` of the previous page; opaque, at most 700 characters).
 */
export function pageQuery(dflt: number, max: number) {
  return {
    limit: Type.Integer({ minimum: 1, maximum: max, default: dflt, description: `Most items in the page (1 to ${max}).` }),
    cursor: Type.Optional(Text({ minLength: 1, maxLength: 700, description: 'nextCursor of the previous page; omit for the first page.' })),
  };
}

/** A query filter of one of `values`. */
export function oneOf(values: readonly string[], description?: string) {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  );
}
