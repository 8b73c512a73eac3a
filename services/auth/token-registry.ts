import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { accessTokens, type Db, type TokenRole } from '../store/index.ts';
import { bearerOf, hashToken } from './token-hash.ts';

/** API roles, weakest first: viewer reads; operator also approves, rejects, cancels and labels; admin may do everything. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
/** An API role. */
export type Role = (typeof ROLES)[number];

/** Whom a token belongs to. `actor` (`token:<name>`) is what the audit log records; never the token. */
export interface Principal {
  actor: string;
  name: string;
  role: TokenRole;
  source: 'env' | 'store';
}

/** Why a bearer header was not accepted. */
export type TokenProblem = 'missing' | 'unknown';

/** Settings of {@link createTokenRegistry}. */
export interface TokenRegistrySettings {
  /** Where API-created tokens live; without it only the environment's tokens count. */
  db?: Db;
  /** config.apiTokens: `role:token` entries (the bootstrap tokens). */
  apiTokens: readonly string[];
  /** config.ingestTokens. */
  ingestTokens: readonly string[];
  /** How often the store's tokens are re-read, in ms (config.tokenCacheSeconds * 1000). */
  refreshMs: number;
  logger: Logger;
}

/**
 * Every accepted token, by the SHA-256 of the token, kept in memory and
 * re-read from the store every `refreshMs`. Lookups are synchronous (the
 * hot paths of the API and the collector never wait on the store). When the
 * store cannot be read for three refresh periods, its tokens stop being
 * accepted (the environment's keep working), so a revocation takes effect
 * within a bounded time even then.
 */
export interface TokenRegistry {
  /** Loads the store's tokens and starts the periodic refresh (idempotent). */
  start(): Promise<void>;
  /** Stops the refresh (idempotent). */
  stop(): void;
  /** Re-reads the store's tokens now (after a create or a revoke in this process). */
  refresh(): Promise<void>;
  /** True once the API needs tokens: environment API tokens are set, or an API token was ever created in the store. */
  apiEnforced(): boolean;
  /** True once OTLP ingest needs tokens: environment ingest tokens are set, or an ingest token was ever created in the store. */
  ingestEnforced(): boolean;
  /** The principal of an `Authorization` header, or the problem with it. */
  authenticate(authorization: string | undefined): Principal | TokenProblem;
}

function envPrincipals(s: TokenRegistrySettings): Map<string, Principal> {
  const out = new Map<string, Principal>();
  for (const e of s.apiTokens) {
    const i = e.indexOf(':');
    const role = e.slice(0, i) as Role;
    if (i <= 0 || !ROLES.includes(role)) continue;
    const h = hashToken(e.slice(i + 1));
    const name = `env:${role}:${h.slice(0, 8)}`;
    out.set(h, { actor: `token:${name}`, name, role, source: 'env' });
  }
  for (const t of s.ingestTokens) {
    const h = hashToken(t);
    const name = `env:ingest:${h.slice(0, 8)}`;
    if (!out.has(h)) out.set(h, { actor: `token:${name}`, name, role: 'ingest', source: 'env' });
  }
  return out;
}

/** Creates a {@link TokenRegistry}. */
export function createTokenRegistry(s: TokenRegistrySettings): TokenRegistry {
  const env = envPrincipals(s);
  const envApi = [...env.values()].some((p) => p.role !== 'ingest');
  const envIngest = [...env.values()].some((p) => p.role === 'ingest');
  let stored = new Map<string, Principal>();
  let loadedAt = 0;
  let everApi = false;
  let everIngest = false;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  const log = s.logger.child({ component: 'tokens' });

  async function load(): Promise<void> {
    if (!s.db) return;
    const rows = await s.db
      .select({ name: accessTokens.name, role: accessTokens.role, hash: accessTokens.hash, revokedAt: accessTokens.revokedAt })
      .from(accessTokens);
    const next = new Map<string, Principal>();
    for (const r of rows) {
      if (r.role === 'ingest') everIngest = true;
      else everApi = true;
      if (!r.revokedAt) next.set(r.hash, { actor: `token:${r.name}`, name: r.name, role: r.role, source: 'store' });
    }
    stored = next;
    loadedAt = Date.now();
  }

  function schedule(): void {
    timer = setTimeout(() => {
      load()
        .catch((err: unknown) => log.warn({ err: describeError(err) }, 'could not re-read the tokens; keeping the last ones for now'))
        .finally(() => {
          if (started) schedule();
        });
    }, s.refreshMs);
    timer.unref();
  }

  function find(h: string): Principal | undefined {
    const fromEnv = env.get(h);
    if (fromEnv) return fromEnv;
    const fresh = Date.now() - loadedAt <= 3 * s.refreshMs;
    return fresh ? stored.get(h) : undefined;
  }

  return {
    async start() {
      if (started) return;
      await load();
      started = true;
      schedule();
    },
    stop() {
      started = false;
      clearTimeout(timer);
    },
    refresh: load,
    apiEnforced: () => envApi || everApi,
    ingestEnforced: () => envIngest || everIngest,
    authenticate(authorization) {
      const token = bearerOf(authorization);
      if (!token) return 'missing';
      // The maps are keyed by the SHA-256 of what the caller sent: lookup time depends on that digest, which the
      // caller cannot steer toward a stored one, so it reveals nothing about stored tokens (no byte-wise compare).
      return find(hashToken(token)) ?? 'unknown';
    },
  };
}
