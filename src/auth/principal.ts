import { Role } from '../common/roles';
import type { UserSnapshot } from './token-cache';

/** Who is calling, resolved once per request from the Authorization header. */
export interface Principal {
  userId: string;
  accountId: string;
  /** Effective role: the user's current role, capped by the token's role for API-token requests. */
  role: Role;
  via: 'session' | 'apiToken';
  sessionId?: string;
  tokenId?: string;
  tokenRole?: Role;
  /** API-token requests: which of the token's secrets authenticated it (token-format.ts secretFingerprint). */
  secretFingerprint?: string;
  environment?: string | null;
  /** Scopes of the effective role (+ env:<environment> for a token): src/authz/scopes.ts. */
  scopes: string[];
  /** API-token requests: the catalog scopes the token carries and still grants (also in `scopes`). */
  catalogScopes?: string[];
  /** The API token's username (Basic auth), for introspection answers. */
  tokenUsername?: string;
  /** When the credential stops working by itself (token expiry, session access-token expiry); null = never. */
  expiresAt?: Date | null;
  /** API-token requests: the token's IP allowlist (empty = any address), for a gateway that caches verdicts. */
  allowedCidrs?: readonly string[];
  /** API-token requests: the token's own requests-per-minute limit at the gateway (null = the gateway's default). */
  rateLimitPerMinute?: number | null;
  /** The caller's user row as read while authenticating; primes the request's user loader. */
  user?: UserSnapshot;
}

/** READ_ONLY API-token requests may run queries only. */
export const isReadOnlyToken = (p: Principal | null): boolean => p?.via === 'apiToken' && p.role === Role.READ_ONLY;
