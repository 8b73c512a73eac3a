import { and, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { PermanentError } from '../../core/errors.ts';
import type { Db } from '../../store/index.ts';
import { isStorableDateTime } from '../schemas.ts';

/** One page of a list: at most `limit` items, newest first, and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** What a list query asks for: how many items, and where the previous page ended (an opaque cursor, absent for the first page). */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

/**
 * The position of a row in a newest-first list: its sort time (UTC, microseconds, as Postgres keeps it)
 * and its id, which breaks ties. `kind` names the list, so a cursor of one list is refused by another.
 */
interface Position {
  kind: string;
  t: string;
  id: string;
}

function invalidCursor(kind: string, why: string): PermanentError {
  return new PermanentError(
    'ZEROOPS_CURSOR_INVALID',
    `querystring/cursor is not a cursor of this list (${why}); pass the nextCursor of the previous ${kind} page unchanged, or omit cursor for the first page`,
    { details: [{ path: '/cursor', message: why }] },
  );
}

/** Encodes a position as an opaque, URL-safe cursor. */
export function encodeCursor(kind: string, t: string, id: string): string {
  return Buffer.from(JSON.stringify([kind, t, id]), 'utf8').toString('base64url');
}

/** Decodes a cursor of list `kind`; 400 `ZEROOPS_CURSOR_INVALID` for anything this API did not hand out for that list. */
export function decodeCursor(kind: string, cursor: string): Position {
  if (!/^[A-Za-z0-9_-]{1,700}$/.test(cursor)) throw invalidCursor(kind, 'not base64url text of at most 700 characters');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (err) {
    throw new PermanentError('ZEROOPS_CURSOR_INVALID', invalidCursor(kind, 'does not decode').message, { cause: err });
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((x) => typeof x === 'string')) throw invalidCursor(kind, 'does not decode');
  const [k, t, id] = parsed as [string, string, string];
  if (k !== kind) throw invalidCursor(kind, `it belongs to the ${k.slice(0, 40)} list`);
  if (!isStorableDateTime(t) || id.length === 0 || id.length > 300) throw invalidCursor(kind, 'its position is malformed');
  return { kind, t, id };
}

/** How a list is ordered: by `time` then `id`, both descending (newest first); ids are unique, so the order is total. */
export interface Keyset {
  /** The list's name, written into its cursors. */
  kind: string;
  time: PgColumn;
  id: PgColumn;
  /** The row property holding the id (for single-table lists read by {@link selectPage}). */
  idKey: string;
}

/** The sort time of a row as exact UTC text with microseconds, selected beside the row to build its cursor. */
export function cursorTime(k: Keyset): SQL<string> {
  return sql<string>`to_char(${k.time} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** The condition "strictly after the cursor's row in list order", or undefined for the first page. */
export function afterCursor(k: Keyset, cursor: string | undefined): SQL | undefined {
  if (cursor === undefined) return undefined;
  const p = decodeCursor(k.kind, cursor);
  return sql`(${k.time}, ${k.id}) < (${p.t}::timestamptz, ${p.id})`;
}

/** The ORDER BY of a keyset list: newest first, ties by id. */
export function keysetOrder(k: Keyset): SQL[] {
  return [sql`${k.time} desc`, sql`${k.id} desc`];
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only tells that
 * another page exists; the cursor points at the last row returned.
 */
export function toPage<R extends { cursorT: string }, T>(k: Keyset, rows: R[], limit: number, idOf: (r: R) => string, map: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(map), nextCursor: more && last ? encodeCursor(k.kind, last.cursorT, idOf(last)) : null };
}

/**
 * One page of a single table's rows: those after `req.cursor` that match every
 * filter (undefined filters are left out), in `k`'s order, each mapped by `map`.
 */
export async function selectPage<T extends PgTable, J>(
  db: Db,
  table: T,
  k: Keyset,
  req: PageRequest,
  filters: (SQL | undefined)[],
  map: (row: T['$inferSelect']) => J,
): Promise<Page<J>> {
  type Row = T['$inferSelect'] & { cursorT: string };
  const rows = (await db
    .select({ ...getTableColumns(table), cursorT: cursorTime(k) })
    .from(table as PgTable)
    .where(and(afterCursor(k, req.cursor), ...filters))
    .orderBy(...keysetOrder(k))
    .limit(req.limit + 1)) as Row[];
  return toPage(
    k,
    rows,
    req.limit,
    (r) => String((r as Record<string, unknown>)[k.idKey]),
    ({ cursorT: _c, ...r }: Row) => map(r as T['$inferSelect']),
  );
}
