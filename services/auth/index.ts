/**
 * Bearer tokens shared by the API and the collector: the registry of
 * accepted tokens (environment and store, kept only as SHA-256), the token
 * repository behind /api/v1/tokens, and the recorder of refused requests.
 */

export { createDenialRecorder, type Denial, type DenialRecorder, MAX_PENDING_DENIAL_AUDITS } from './denials.ts';
export { bearerOf, hashToken, newToken, TOKEN_PREFIX } from './token-hash.ts';
export { createTokenRegistry, type Principal, ROLES, type Role, type TokenProblem, type TokenRegistry, type TokenRegistrySettings } from './token-registry.ts';
export { createToken, listTokens, revokeToken, TOKEN_NAME_PATTERN, type TokenInfo } from './token-repo.ts';
