import { SignJWT } from 'jose';
import type { IdentityKeys } from '../auth/identity-keys';
import { GatewayIdentity, IDENTITY_ALG, IDENTITY_ISSUER, identityClaims } from '../subgraph-kit';

/**
 * Signs the short-lived identity the gateway forwards to each subgraph:
 * ES256, audience = subgraph name, 60 s lifetime. A signed JWT is reused for
 * the same caller and subgraph while it has more than half its life left, so
 * a busy token costs one signature per subgraph per 30 s, not one per request.
 */
export class IdentitySigner {
  private readonly cache = new Map<string, { jwt: string; reuseUntil: number }>();

  constructor(
    private readonly keys: IdentityKeys,
    private readonly lifetimeSeconds = 60,
    private readonly nowMs: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {
    if (lifetimeSeconds > 60 || lifetimeSeconds < 1) throw new Error('identity lifetime must be 1..60 s');
  }

  async sign(identity: GatewayIdentity, audience: string): Promise<string> {
    const claims = identityClaims(identity);
    const key = `${audience}\n${JSON.stringify(claims)}`;
    const now = this.nowMs();
    const hit = this.cache.get(key);
    if (hit && hit.reuseUntil > now) return hit.jwt;
    const iat = Math.floor(now / 1000);
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: IDENTITY_ALG, kid: this.keys.kid, typ: 'JWT' })
      .setIssuer(IDENTITY_ISSUER)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.lifetimeSeconds)
      .sign(this.keys.privateKey);
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(key, { jwt, reuseUntil: now + (this.lifetimeSeconds * 1000) / 2 });
    return jwt;
  }
}
