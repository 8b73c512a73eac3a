/** A row with its Date columns as ISO strings (the API's JSON form); other values unchanged. */
export type JsonRow<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/** Converts every Date of a row to its ISO string, as the API answers it. */
export function jsonRow<T extends Record<string, unknown>>(row: T): JsonRow<T> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])) as JsonRow<T>;
}
