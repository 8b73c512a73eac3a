import type { DenialRecorder, TokenRegistry } from '../auth/index.ts';
import { IngestError } from './ingest.ts';

/** Checks the bearer token of an ingest request. */
export interface Authenticator {
  /**
   * Throws a 401 {@link IngestError} unless `authorization` (`Bearer <token>`) carries an ingest token (from
   * ZEROOPS_INGEST_TOKENS or created through /api/v1/tokens); no-op while ingest needs no token. `where`
   * (the OTLP path or gRPC method) and `ip` are only for the count and audit of a refusal.
   */
  check(authorization: string | undefined, where: string, ip?: string): void;
}

/** Builds an {@link Authenticator} over the ingest tokens of `registry`; refusals go to `denials`. */
export function createAuthenticator(registry: TokenRegistry, denials: DenialRecorder): Authenticator {
  return {
    check(authorization, where, ip) {
      if (!registry.ingestEnforced()) return;
      const p = registry.authenticate(authorization);
      if (p !== 'missing' && p !== 'unknown' && p.role === 'ingest') return;
      const reason = p === 'missing' ? 'missing_token' : p === 'unknown' ? 'unknown_token' : 'not_an_ingest_token';
      denials.record({ actor: typeof p === 'string' ? 'anonymous' : p.actor, surface: 'ingest', route: where, reason, status: 401, ...(ip ? { ip } : {}) });
      if (p === 'missing') {
        throw new IngestError('unauthorized', 401, 'missing bearer token: send Authorization: Bearer <token> (an ingest token)');
      }
      throw new IngestError('unauthorized', 401, p === 'unknown' ? 'invalid bearer token' : 'an API token does not authorize ingest; use an ingest token');
    },
  };
}
