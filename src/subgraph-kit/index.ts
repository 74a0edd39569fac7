import { createHash, timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, JSONWebKeySet, jwtVerify, JWTPayload } from 'jose';

/**
 * The subgraph kit: how any subgraph (and the tokens service itself) accepts
 * traffic from the Tokengate gateway.
 *
 * The gateway authenticates the client, then calls each subgraph with
 *  - `x-tokengate-gateway-secret: <GATEWAY_SECRET>`: proves the call comes from the gateway;
 *  - `x-tokengate-identity: <JWT>`: who the caller is, ES256-signed by the gateway,
 *    audience = the subgraph's name, valid ≤ 60 s. Absent for anonymous callers.
 *    It says who, at signing time (and with which credential); its role and scopes
 *    are what the gateway last verified, at most GATEWAY_AUTH_CACHE_TTL_MS old. The
 *    tokens service re-checks the credential on every request; a subgraph that must
 *    not act on a just-revoked credential should do the same through the gateway.
 * The client's own Authorization header is never forwarded.
 *
 * A subgraph trusts the identity only when both check out. Either header present
 * but wrong is an attack or a misconfiguration: refused (GatewayIdentityError,
 * code UNAUTHENTICATED), never treated as anonymous.
 */

export const IDENTITY_HEADER = 'x-tokengate-identity';
export const GATEWAY_SECRET_HEADER = 'x-tokengate-gateway-secret';
/**
 * The client the gateway calls for: its address (as the gateway's TRUST_PROXY resolves it) and its user
 * agent. The gateway strips any copy a client sends and writes its own on every subgraph call; a subgraph
 * believes them only from a request that carries the gateway credential (forwardedClient).
 */
export const CLIENT_ADDRESS_HEADER = 'x-tokengate-client-address';
export const CLIENT_AGENT_HEADER = 'x-tokengate-client-agent';

export const IDENTITY_ISSUER = 'tokengate-gateway';
export const IDENTITY_ALG = 'ES256';
/** Longest lifetime a subgraph accepts for an identity JWT. */
export const IDENTITY_MAX_LIFETIME_SECONDS = 60;

export type GatewayRole = 'OWNER' | 'ADMIN' | 'MEMBER' | 'READ_ONLY';

/** The caller as the gateway vouches for it. */
export interface GatewayIdentity {
  /** User id (JWT `sub`). */
  userId: string;
  /** Account id (`acc`). */
  accountId: string;
  /** Effective role (`role`). */
  role: GatewayRole;
  /** `apiToken` or `session` (`via`). */
  via: 'apiToken' | 'session';
  /** API token id (`tid`), when authenticated by a token. */
  tokenId?: string;
  /**
   * Which secret of that token the gateway verified (`sfp`): a fingerprint, never the secret. The
   * tokens service uses it to re-check the secret (regenerated since? past its grace?).
   */
  secretFingerprint?: string;
  /** Session id (`sid`), when authenticated by a session: the tokens service checks it is still live. */
  sessionId?: string;
  /** The token's environment (`env`). */
  environment?: string | null;
  /** Granted scopes (`scope`, space separated in the JWT). */
  scopes: string[];
}

export class GatewayIdentityError extends Error {
  override name = 'GatewayIdentityError';
  readonly code = 'UNAUTHENTICATED';
}

export interface VerifyGatewayIdentityOptions {
  /** The tokens service's `/.well-known/jwks.json`; fetched once and cached (jose createRemoteJWKSet). */
  jwksUrl?: string | URL;
  /** Or the keys themselves (a JWK Set), e.g. when the subgraph holds them locally. */
  keys?: JSONWebKeySet;
  /** This subgraph's name in the supergraph: the JWT audience. */
  audience: string;
  /** GATEWAY_SECRET, the credential the gateway sends on every subgraph call. */
  gatewaySecret: string;
  /** Refuse requests without the gateway credential (true for a subgraph clients must not reach). Default false. */
  requireGateway?: boolean;
  /** Allowed clock skew, seconds. Default 5. */
  clockToleranceSeconds?: number;
}

type HeaderBag = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  if (Array.isArray(v)) return v.length === 1 ? v[0] : v.join(','); // several values never match a secret or a JWT
  return v;
}

/** Constant-time comparison of two secrets of any length (compares their SHA-256). */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), expectedDigest(expected)) && given.length === expected.length;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
/** The configured secret's digest, computed once (it is compared on every subgraph call). */
const expectedDigests = new Map<string, Buffer>();
function expectedDigest(expected: string): Buffer {
  let d = expectedDigests.get(expected);
  if (!d) {
    if (expectedDigests.size > 16) expectedDigests.clear();
    expectedDigests.set(expected, (d = sha256(expected)));
  }
  return d;
}

/** Identity JWTs that verified (a JWT is immutable: caching one only ever skips re-checking the same bytes). */
const verified = new Map<string, { identity: GatewayIdentity; expMs: number }>();
const remoteSets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
const localSets = new WeakMap<JSONWebKeySet, ReturnType<typeof createLocalJWKSet>>();

function keySet(opts: VerifyGatewayIdentityOptions) {
  if (opts.keys) {
    let set = localSets.get(opts.keys);
    if (!set) localSets.set(opts.keys, (set = createLocalJWKSet(opts.keys)));
    return set;
  }
  if (!opts.jwksUrl) throw new Error('verifyGatewayIdentity: pass jwksUrl or keys');
  const url = String(opts.jwksUrl);
  let set = remoteSets.get(url);
  if (!set) remoteSets.set(url, (set = createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 })));
  return set;
}

const ROLES = new Set(['OWNER', 'ADMIN', 'MEMBER', 'READ_ONLY']);

/** The JWT claims the gateway signs for a principal. */
export function identityClaims(p: GatewayIdentity): JWTPayload {
  return {
    sub: p.userId,
    acc: p.accountId,
    role: p.role,
    via: p.via,
    ...(p.tokenId ? { tid: p.tokenId } : {}),
    ...(p.secretFingerprint ? { sfp: p.secretFingerprint } : {}),
    ...(p.sessionId ? { sid: p.sessionId } : {}),
    ...(p.environment ? { env: p.environment } : {}),
    scope: p.scopes.join(' '),
  };
}

/** Parse verified claims; null when they do not describe a principal. */
export function identityFromClaims(c: JWTPayload): GatewayIdentity | null {
  if (typeof c.sub !== 'string' || typeof c.acc !== 'string' || typeof c.role !== 'string' || !ROLES.has(c.role)) return null;
  if (c.via !== 'apiToken' && c.via !== 'session') return null;
  if (typeof c.scope !== 'string') return null;
  return {
    userId: c.sub,
    accountId: c.acc,
    role: c.role as GatewayRole,
    via: c.via,
    tokenId: typeof c.tid === 'string' ? c.tid : undefined,
    secretFingerprint: typeof c.sfp === 'string' ? c.sfp : undefined,
    sessionId: typeof c.sid === 'string' ? c.sid : undefined,
    environment: typeof c.env === 'string' ? c.env : null,
    scopes: c.scope.split(' ').filter(Boolean),
  };
}

/** The client the gateway says it calls for, or null when the request does not carry the right gateway credential. */
export function forwardedClient(headers: HeaderBag, gatewaySecret: string): { ip?: string; userAgent?: string } | null {
  if (!hasGatewayCredential(headers, gatewaySecret)) return null;
  return { ip: header(headers, CLIENT_ADDRESS_HEADER), userAgent: header(headers, CLIENT_AGENT_HEADER) };
}

/** True when the request carries the right gateway credential. */
export function hasGatewayCredential(headers: HeaderBag, gatewaySecret: string): boolean {
  const given = header(headers, GATEWAY_SECRET_HEADER);
  return given !== undefined && gatewaySecret !== '' && secretsEqual(given, gatewaySecret);
}

/**
 * Verify a request that may come from the gateway.
 *  - identity header + valid credential + valid JWT → the identity;
 *  - no identity header (anonymous through the gateway, or a direct client when
 *    `requireGateway` is false) → null;
 *  - anything forged or incomplete → throws GatewayIdentityError.
 */
export async function verifyGatewayIdentity(headers: HeaderBag, opts: VerifyGatewayIdentityOptions): Promise<GatewayIdentity | null> {
  const credential = header(headers, GATEWAY_SECRET_HEADER);
  const jwt = header(headers, IDENTITY_HEADER);
  const fromGateway = credential !== undefined && opts.gatewaySecret !== '' && secretsEqual(credential, opts.gatewaySecret);
  if (credential !== undefined && !fromGateway) throw new GatewayIdentityError('Invalid gateway credential');
  if (jwt === undefined) {
    if (opts.requireGateway && !fromGateway) throw new GatewayIdentityError('This subgraph is reachable only through the gateway');
    return null;
  }
  if (!fromGateway) throw new GatewayIdentityError('An identity header is accepted only from the gateway');
  // The gateway reuses a signed identity for up to half its life: remember verified ones until they expire.
  const cacheKey = `${opts.audience}\n${jwt}`;
  const cached = verified.get(cacheKey);
  if (cached && cached.expMs > Date.now()) return cached.identity;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, keySet(opts), {
      algorithms: [IDENTITY_ALG],
      issuer: IDENTITY_ISSUER,
      audience: opts.audience,
      requiredClaims: ['exp', 'iat', 'sub'],
      maxTokenAge: IDENTITY_MAX_LIFETIME_SECONDS + (opts.clockToleranceSeconds ?? 5),
      clockTolerance: opts.clockToleranceSeconds ?? 5,
    }));
  } catch (err) {
    const why = err instanceof joseErrors.JOSEError ? err.code : 'invalid';
    throw new GatewayIdentityError(`Invalid gateway identity (${why})`);
  }
  if ((payload.exp ?? 0) - (payload.iat ?? 0) > IDENTITY_MAX_LIFETIME_SECONDS) throw new GatewayIdentityError('Gateway identity lives too long');
  const identity = identityFromClaims(payload);
  if (!identity) throw new GatewayIdentityError('Gateway identity lacks required claims');
  if (verified.size >= 10_000) verified.clear();
  verified.set(cacheKey, { identity, expMs: (payload.exp as number) * 1000 });
  return identity;
}
