import { sql } from 'drizzle-orm';
import { check, pgTable, text } from 'drizzle-orm/pg-core';
import { sqlList, timestamptz } from './columns.ts';

/** What a token may do: an API role (viewer < operator < admin) or OTLP ingest only. */
export const TOKEN_ROLES = ['viewer', 'operator', 'admin', 'ingest'] as const;
/** One of {@link TOKEN_ROLES}. */
export type TokenRole = (typeof TOKEN_ROLES)[number];

/**
 * Bearer tokens created through the API (`/api/v1/tokens`). Only the SHA-256
 * of a token is stored (hex, unique); the token itself is shown once, when it
 * is created. A revoked token keeps its row (`revokedAt`) so that the audit
 * trail can name it; names are unique for ever, so `token:<name>` identifies
 * one token in the audit log.
 */
export const accessTokens = pgTable(
  'access_tokens',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull().unique('access_tokens_name_unique'),
    role: text('role').$type<TokenRole>().notNull(),
    /** Hex SHA-256 of the token. */
    hash: text('hash').notNull().unique('access_tokens_hash_unique'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    createdBy: text('created_by').notNull(),
    revokedAt: timestamptz('revoked_at'),
    revokedBy: text('revoked_by'),
  },
  () => [check('access_tokens_role_check', sql.raw(`"role" IN (${sqlList(TOKEN_ROLES)})`))],
);

/** A row of {@link accessTokens} as read. */
export type AccessTokenRow = typeof accessTokens.$inferSelect;
