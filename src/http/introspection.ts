import express, { Router } from 'express';
import type { Authenticator } from '../verification/authenticator';
import { Credential, parseAuthorization } from '../auth/credentials';
import type { Principal } from '../auth/principal';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { GatewayIdentity, GATEWAY_SECRET_HEADER, hasGatewayCredential } from '../subgraph-kit';

/**
 * Token introspection for a gateway that does not run in the tokens service's process, shaped like
 * RFC 7662: the route (introspectionRoute, on the tokens service) and both sides of its wire format
 * (introspectionRequest and introspectionUser, used by the gateway's introspectionVerifier), in one place.
 *
 * Request, form or JSON, with the gateway credential (GATEWAY_SECRET header, compared in constant time):
 * token=<API token secret or session access token>, scheme=<APIKey|Bearer|Basic, as the client sent it>,
 * username (Basic credentials) and client_ip (recorded as the token's last-used address).
 * Answer: `{ active: false }`, or `{ active: true, sub, acc, role, via, scope, exp?, token_type, token_id?, sfp?, sid?, env?, username?, allowed_cidrs?, rate_limit_per_minute? }`.
 */
export const INTROSPECTION_PATH = '/internal/introspect';

/** The caller as the gateway resolved it; `expiresAtMs` bounds how long it may be cached. */
export interface IntrospectedUser extends GatewayIdentity {
  expiresAtMs?: number;
  /** The token's IP allowlist (canonical CIDR ranges; empty or absent = any address): a cached verdict holds only inside it. */
  allowedCidrs?: readonly string[];
  /** The token's own requests per minute; null or absent = GATEWAY_RATE_LIMIT_PER_TOKEN. */
  rateLimitPerMinute?: number | null;
}

const INTROSPECTION_SCHEMES: Record<string, 'APIKey' | 'Bearer' | 'Basic'> = { apikey: 'APIKey', bearer: 'Bearer', basic: 'Basic' };

/** Gateway side: the form that names a well-formed credential (the scheme travels with the value). */
export function introspectionRequest(credential: Exclude<Credential, { kind: 'none' } | { kind: 'malformed' }>, clientIp: string | undefined): URLSearchParams {
  const form = new URLSearchParams();
  if (credential.kind === 'session') {
    form.set('token', credential.jwt);
    form.set('scheme', 'Bearer');
  } else {
    form.set('token', credential.secret);
    form.set('scheme', credential.scheme);
    if (credential.username !== undefined) form.set('username', credential.username);
  }
  if (clientIp) form.set('client_ip', clientIp);
  return form;
}

/**
 * Tokens-service side: the credential a request names. It is rebuilt into the client's header and parsed
 * by parseAuthorization, so the verifier sees exactly what a direct request with that header would give it
 * (`APIKey <session JWT>` is an API key, and not a well-formed one). Without `scheme` (a gateway from before
 * it was sent): Basic when a username comes with the token, Bearer otherwise. `{ error }` for a request
 * that names no credential.
 */
export function credentialFromIntrospection(body: Record<string, unknown>): Credential | { error: string } {
  const { token, username, scheme } = body;
  if (typeof token !== 'string' || token === '') return { error: 'token is required' };
  if (username !== undefined && typeof username !== 'string') return { error: 'username must be a string' };
  if (scheme !== undefined && (typeof scheme !== 'string' || !INTROSPECTION_SCHEMES[scheme.toLowerCase()])) {
    return { error: 'scheme must be APIKey, Bearer or Basic' };
  }
  const used = scheme !== undefined ? INTROSPECTION_SCHEMES[(scheme as string).toLowerCase()] : username ? 'Basic' : 'Bearer';
  if (used === 'Basic') {
    if (!username) return { error: 'username is required with scheme Basic' };
    return parseAuthorization(`Basic ${Buffer.from(`${username}:${token}`, 'utf8').toString('base64')}`);
  }
  if (username !== undefined) return { error: 'username goes with scheme Basic only' };
  return parseAuthorization(`${used} ${token}`);
}

/** Tokens-service side: the answer for an active credential. */
export function introspectionAnswer(p: Principal): Record<string, unknown> {
  return {
    active: true,
    sub: p.userId,
    acc: p.accountId,
    role: p.role,
    via: p.via,
    scope: p.scopes.join(' '),
    ...(p.expiresAt ? { exp: Math.floor(p.expiresAt.getTime() / 1000) } : {}),
    ...(p.tokenId ? { token_id: p.tokenId, token_type: 'api_token', sfp: p.secretFingerprint } : { token_type: 'session', sid: p.sessionId }),
    ...(p.environment ? { env: p.environment } : {}),
    ...(p.tokenUsername ? { username: p.tokenUsername } : {}),
    ...(p.allowedCidrs?.length ? { allowed_cidrs: p.allowedCidrs } : {}),
    ...(p.rateLimitPerMinute ? { rate_limit_per_minute: p.rateLimitPerMinute } : {}),
  };
}

/** Gateway side: the user an answer describes, or null when it is not active. */
export function introspectionUser(body: Record<string, unknown>): IntrospectedUser | null {
  if (body.active !== true) return null;
  return {
    userId: String(body.sub),
    accountId: String(body.acc),
    role: body.role as IntrospectedUser['role'],
    via: body.token_type === 'api_token' ? 'apiToken' : 'session',
    tokenId: typeof body.token_id === 'string' ? body.token_id : undefined,
    secretFingerprint: typeof body.sfp === 'string' ? body.sfp : undefined,
    sessionId: typeof body.sid === 'string' ? body.sid : undefined,
    environment: typeof body.env === 'string' ? body.env : null,
    scopes: typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : [],
    expiresAtMs: typeof body.exp === 'number' ? body.exp * 1000 : undefined,
    allowedCidrs: Array.isArray(body.allowed_cidrs) ? body.allowed_cidrs.filter((c): c is string => typeof c === 'string') : [],
    rateLimitPerMinute: typeof body.rate_limit_per_minute === 'number' ? body.rate_limit_per_minute : null,
  };
}

/** Gateway side: the headers of a call, with the gateway credential. */
export function introspectionHeaders(gatewaySecret: string): Record<string, string> {
  return { 'content-type': 'application/x-www-form-urlencoded', [GATEWAY_SECRET_HEADER]: gatewaySecret };
}

export interface IntrospectionRouteDeps {
  gatewaySecret: string | undefined;
  authenticator: Authenticator;
  logger: Logger;
}

/** Tokens-service side: POST /internal/introspect. Only the gateway may call it; 401 invalid_client otherwise. */
export function introspectionRoute(deps: IntrospectionRouteDeps): Router {
  const router = express.Router();
  router.post(INTROSPECTION_PATH, express.urlencoded({ extended: false, limit: '8kb' }), express.json({ limit: '8kb' }), async (req, res) => {
    res.setHeader('cache-control', 'no-store');
    if (!deps.gatewaySecret || !hasGatewayCredential(req.headers, deps.gatewaySecret)) {
      res.status(401).json({ error: 'invalid_client' });
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const credential = credentialFromIntrospection(body);
    if ('error' in credential) {
      res.status(400).json({ error: 'invalid_request', error_description: credential.error });
      return;
    }
    const clientIp = body.client_ip;
    let p: Principal | null = null;
    try {
      p = await deps.authenticator.authenticate(credential, typeof clientIp === 'string' && clientIp.length <= 64 ? clientIp : undefined);
    } catch (err) {
      if (!(err instanceof AppError)) {
        deps.logger.error({ err }, 'introspection failed unexpectedly');
        res.status(503).json({ error: 'temporarily_unavailable' });
        return;
      }
    }
    res.json(p ? introspectionAnswer(p) : { active: false });
  });
  return router;
}
