import { defineConfig } from 'drizzle-kit';

/**
 * drizzle-kit configuration: `npx drizzle-kit generate` diffs the schema
 * against services/store/migrations and writes the next SQL migration there.
 * See services/store/README.md.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './services/store/schema/index.ts',
  out: './services/store/migrations',
});
