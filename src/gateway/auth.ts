import type { Authenticator } from '../verification/authenticator';
import { parseAuthorization } from '../auth/credentials';
import type { Principal } from '../auth/principal';
import type { TokenCache } from '../auth/token-cache';
import type { InvalidationBus } from '../auth/invalidation-bus';
import { AppError, unauthenticated } from '../errors';
import { ipAllowed } from '../common/cidr';
import { sha256 } from '../common/sha256';
import { recordCacheLookup } from '../common/metrics';
import { IntrospectedUser, introspectionHeaders, introspectionRequest, introspectionUser } from '../http/introspection';

/** The caller as the gateway resolved it; `expiresAtMs` bounds how long it may be cached. */
export type GatewayUser = IntrospectedUser;

/**
 * Turns the client's Authorization header into a user: null when there is no
 * credential; throws AppError UNAUTHENTICATED when it is malformed, unknown,
 * expired or revoked (SERVICE_UNAVAILABLE when the tokens service can't answer).
 */
export type CredentialVerifier = (authorization: string | undefined, ip: string | undefined) => Promise<GatewayUser | null>;

export function userFromPrincipal(p: Principal): GatewayUser {
  return {
    userId: p.userId,
    accountId: p.accountId,
    role: p.role,
    via: p.via,
    tokenId: p.tokenId,
    secretFingerprint: p.secretFingerprint,
    sessionId: p.sessionId,
    environment: p.environment ?? null,
    scopes: p.scopes,
    expiresAtMs: p.expiresAt ? p.expiresAt.getTime() : undefined,
    allowedCidrs: p.allowedCidrs ?? [],
    rateLimitPerMinute: p.rateLimitPerMinute ?? null,
  };
}

/** For cachedVerifier's onHit with an in-process Authenticator: cached requests still count as token usage. */
export const recordUsageOnHit = (authenticator: Authenticator) => (user: GatewayUser, ip: string | undefined) => {
  if (user.tokenId) authenticator.recordUsage(user.tokenId, ip);
};

/** Co-located with the tokens service: the same Authenticator, no network hop. */
export function inProcessVerifier(authenticator: Authenticator): CredentialVerifier {
  return async (authorization, ip) => {
    const p = await authenticator.authenticate(parseAuthorization(authorization), ip);
    return p ? userFromPrincipal(p) : null;
  };
}

/**
 * Remote: the tokens service's POST /internal/introspect (RFC 7662 shape; both sides of the wire format
 * are in http/introspection.ts), called with the gateway credential.
 */
export function introspectionVerifier(url: string, gatewaySecret: string, fetchFn: typeof fetch = fetch, timeoutMs = 3000): CredentialVerifier {
  return async (authorization, ip) => {
    const credential = parseAuthorization(authorization);
    if (credential.kind === 'none') return null;
    if (credential.kind === 'malformed') throw unauthenticated(`Malformed Authorization header: ${credential.reason}`);
    // The scheme the client used travels with the value, so the tokens service parses the credential exactly
    // as it would parse the client's own header: `APIKey <session JWT>` stays an (invalid) API key.
    let body: Record<string, unknown>;
    try {
      const res = await fetchFn(url, {
        method: 'POST',
        headers: introspectionHeaders(gatewaySecret),
        body: introspectionRequest(credential, ip),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`introspection answered ${res.status}`);
      body = (await res.json()) as Record<string, unknown>;
    } catch {
      throw new AppError('SERVICE_UNAVAILABLE', 'Authentication is temporarily unavailable; try again shortly');
    }
    const user = introspectionUser(body);
    if (!user) throw unauthenticated('Invalid, expired or revoked credentials');
    return user;
  };
}

/** A verifier with a cache of verdicts that can be told to forget some of them. */
export interface CachedVerifier extends CredentialVerifier {
  /** Drop every cached verdict whose user matches (a token revoked, a user deactivated or re-roled…). */
  forget(match: (user: GatewayUser) => boolean): void;
}

/**
 * A short cache of successful verifications, keyed by a SHA-256 of the
 * Authorization header (the secret itself is never kept). This bounds
 * revocation at the gateway: a revoked or regenerated token, or a deactivated
 * or demoted user, may still pass the gateway (and reach other subgraphs with
 * its old scopes) for at most `ttlMs` after the change, plus the tokens
 * service's own TOKEN_CACHE_TTL_MS when the change happened on another replica
 * of it; the tokens service itself re-checks every identity, so nothing passes
 * there once the change has committed on its replica. In-process, with
 * followInvalidations(), a change the co-located tokens service makes is
 * forgotten at once. Failures are never cached. `ttlMs = 0` disables it.
 */
export function cachedVerifier(
  verify: CredentialVerifier,
  ttlMs: number,
  nowMs: () => number = Date.now,
  maxEntries = 10_000,
  /** Called on every cache hit, e.g. to keep counting token usage. */
  onHit?: (user: GatewayUser, ip: string | undefined) => void,
): CachedVerifier {
  if (ttlMs <= 0) return Object.assign((authorization: string | undefined, ip: string | undefined) => verify(authorization, ip), { forget: () => undefined });
  const cache = new Map<string, { user: GatewayUser; until: number }>();
  // Bumped by forget(): a verdict obtained while something was forgotten may predate that change, so it
  // answers its own request but is not cached (it would outlive the invalidation meant to remove it).
  let generation = 0;
  const verifier: CredentialVerifier = async (authorization, ip) => {
    if (!authorization) return verify(authorization, ip);
    const key = sha256(authorization, 'base64url');
    const now = nowMs();
    const hit = cache.get(key);
    if (hit) {
      // Outside the token's allowlist the cached verdict does not apply: verify again, so the tokens
      // service refuses, audits (ip_not_allowed) and counts the attempt like any other bad credential.
      if (hit.until > now && ipAllowed(hit.user.allowedCidrs, ip)) {
        recordCacheLookup('gateway_credential', true);
        onHit?.(hit.user, ip);
        return hit.user;
      }
      if (hit.until <= now) cache.delete(key);
    }
    recordCacheLookup('gateway_credential', false);
    const startedAt = generation;
    const user = await verify(authorization, ip);
    if (user && startedAt === generation) {
      if (cache.size >= maxEntries) {
        for (const [k, v] of cache) if (v.until <= now) cache.delete(k);
        if (cache.size >= maxEntries) cache.clear();
      }
      cache.set(key, { user, until: Math.min(now + ttlMs, user.expiresAtMs ?? Infinity) });
    }
    return user;
  };
  return Object.assign(verifier, {
    forget(match: (user: GatewayUser) => boolean) {
      generation++;
      for (const [key, entry] of cache) if (match(entry.user)) cache.delete(key);
    },
  });
}

/**
 * For a gateway running in the tokens service's process (the same
 * Authenticator): forget the gateway's cached verdicts the moment that tokens
 * service changes what they rest on, so a revocation, regeneration,
 * deactivation, role change or catalog change there takes effect at the
 * gateway at once, for every subgraph. Returns the unsubscribe.
 */
export function followInvalidations(cache: TokenCache, verifier: CachedVerifier): () => void {
  return forgetOnInvalidation(cache.bus, verifier);
}

/**
 * Forget the cached verdicts every invalidation on `bus` touches: this process's own changes and, with a
 * fleet transport (REDIS_URL), every other tokens replica's. Returns the unsubscribe.
 */
export function forgetOnInvalidation(bus: InvalidationBus, verifier: CachedVerifier): () => void {
  return bus.subscribe((change) => {
    if ('tokenId' in change) verifier.forget((u) => u.tokenId === change.tokenId);
    else if ('userId' in change) verifier.forget((u) => u.userId === change.userId);
    else if ('sessionId' in change) verifier.forget((u) => u.sessionId === change.sessionId);
    else if ('accountId' in change) verifier.forget((u) => u.accountId === change.accountId);
    else if ('all' in change) verifier.forget(() => true);
  });
}
