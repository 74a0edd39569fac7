import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, JWTPayload, SignJWT } from 'jose';
import type { ExchangeConfig } from '../config';
import type { IdentityKeys } from './identity-keys';
import type { Principal } from './principal';

/**
 * The JWTs a router can verify on its own (RFC 8693 token exchange, RFC 9068 shape):
 * ES256 with the identity key (`kid`, published at /.well-known/jwks.json), header
 * `typ: at+jwt`, claims iss aud sub acc role scope (space separated) via [tid] [env]
 * exp iat jti. They are never accepted as a gateway identity: those carry
 * iss `tokengate-gateway` and travel only with the gateway credential
 * (src/subgraph-kit), and EXCHANGE_AUDIENCES may not name this subgraph.
 */
export const EXCHANGE_TOKEN_TYP = 'at+jwt';
export const EXCHANGE_ALG = 'ES256';

/** RFC 8693 §3 token type identifiers Tokengate takes and issues. */
export const TOKEN_TYPES = {
  /** A Tokengate API token (`tgk_…`): Tokengate's own identifier, RFC 8693 allows any URI. */
  apiToken: 'urn:tokengate:params:oauth:token-type:api_token',
  /** A session access token (the `accessToken` of signUp/login/refreshSession), and what the exchange issues. */
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  /** A JWT: accepted as `requested_token_type`, echoed as `issued_token_type`. */
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;

/** What a router learns about a verified caller: the same facts the gateway's identity JWT carries. */
export interface RouterClaims {
  sub: string;
  acc: string;
  role: string;
  /** Space separated, RFC 6749 §3.3: what @requiresScopes reads in every router. */
  scope: string;
  via: 'apiToken' | 'session';
  tid?: string;
  env?: string;
}

export function routerClaims(p: Principal, scopes: readonly string[] = p.scopes): RouterClaims {
  return {
    sub: p.userId,
    acc: p.accountId,
    role: p.role,
    scope: scopes.join(' '),
    via: p.via,
    ...(p.tokenId ? { tid: p.tokenId } : {}),
    ...(p.environment ? { env: p.environment } : {}),
  };
}

export interface IssuedToken {
  jwt: string;
  /** Seconds since the epoch. */
  exp: number;
  iat: number;
  jti: string;
}

export class ExchangeTokens {
  private readonly keySet;

  constructor(
    private readonly keys: IdentityKeys,
    readonly config: ExchangeConfig,
  ) {
    this.keySet = createLocalJWKSet(keys.jwks);
  }

  /**
   * Sign a JWT for a verified principal. It lives EXCHANGE_TOKEN_TTL_S at most, and never beyond the
   * credential it was exchanged for (token expiry, grace end, session access-token expiry).
   * Null when that credential has less than a second left.
   */
  async sign(p: Principal, audience: string[], scopes: readonly string[], nowMs: number): Promise<IssuedToken | null> {
    const iat = Math.floor(nowMs / 1000);
    let exp = iat + this.config.tokenTtlSeconds;
    if (p.expiresAt) exp = Math.min(exp, Math.floor(p.expiresAt.getTime() / 1000));
    if (exp <= iat) return null;
    const jti = randomUUID();
    const jwt = await new SignJWT({ ...routerClaims(p, scopes) })
      .setProtectedHeader({ alg: EXCHANGE_ALG, kid: this.keys.kid, typ: EXCHANGE_TOKEN_TYP })
      .setIssuer(this.config.issuer)
      .setAudience(audience.length === 1 ? audience[0] : audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(this.keys.privateKey);
    return { jwt, exp, iat, jti };
  }

  /** True when a JWT claims to be one of ours (header only: nothing is verified yet). */
  looksIssuedHere(jwt: string): boolean {
    try {
      const h = decodeProtectedHeader(jwt);
      return h.typ === EXCHANGE_TOKEN_TYP && h.kid === this.keys.kid;
    } catch {
      return false;
    }
  }

  /**
   * Verify an exchanged JWT (signature, issuer, one of the configured audiences, expiry, type).
   * Its claims, or null when it does not verify. A revoked token's JWT still verifies until it
   * expires: that is the design's revocation bound (EXCHANGE_TOKEN_TTL_S).
   */
  async verify(jwt: string, nowMs: number): Promise<JWTPayload | null> {
    try {
      const { payload } = await jwtVerify(jwt, this.keySet, {
        algorithms: [EXCHANGE_ALG],
        typ: EXCHANGE_TOKEN_TYP,
        issuer: this.config.issuer,
        audience: this.config.audiences,
        requiredClaims: ['exp', 'iat', 'sub', 'scope'],
        currentDate: new Date(nowMs),
        maxTokenAge: this.config.tokenTtlSeconds + 5,
        clockTolerance: 5,
      });
      return payload;
    } catch {
      return null;
    }
  }
}
