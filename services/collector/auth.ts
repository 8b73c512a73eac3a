import { createHash, timingSafeEqual } from 'node:crypto';
import { IngestError } from './ingest.ts';

/** Checks the bearer token of an ingest request. */
export interface Authenticator {
  /** Throws a 401 {@link IngestError} unless `authorization` (`Bearer <token>`) carries an accepted token; no-op when no tokens are configured. */
  check(authorization: string | undefined): void;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Builds an {@link Authenticator} over `tokens` (config.ingestTokens); empty means ingest is open. */
export function createAuthenticator(tokens: readonly string[]): Authenticator {
  // Compare digests in constant time so that a token's length and prefix do not leak.
  const accepted = tokens.map(digest);
  return {
    check(authorization) {
      if (accepted.length === 0) return;
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!m?.[1]) throw new IngestError('unauthorized', 401, 'missing bearer token: send Authorization: Bearer <token> (one of ZEROOPS_INGEST_TOKENS)');
      const d = digest(m[1]);
      if (!accepted.some((a) => timingSafeEqual(a, d))) throw new IngestError('unauthorized', 401, 'invalid bearer token');
    },
  };
}
