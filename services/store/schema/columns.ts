import { customType, timestamp } from 'drizzle-orm/pg-core';

/**
 * A `timestamp with time zone` column read and written as a JS `Date`.
 * Every zeroops timestamp uses this so that both drivers agree on the type.
 */
export function timestamptz(name: string) {
  return timestamp(name, { withTimezone: true, mode: 'date' });
}

/**
 * A `bytea` column holding raw bytes. node-postgres returns a `Buffer` and
 * PGlite a `Uint8Array`; both are `Uint8Array`s, which is the declared type.
 */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType() {
    return 'bytea';
  },
  toDriver(value: Uint8Array): Uint8Array {
    // pg serializes Buffers as bytea but plain Uint8Arrays as text arrays: hand it a Buffer view.
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  },
  fromDriver(value: Uint8Array): Uint8Array {
    return value;
  },
});

/** Renders a list of literals as a SQL `IN (...)` list for CHECK constraints (values are constants, never user input). */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');
}
