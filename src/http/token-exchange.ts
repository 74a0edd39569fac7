import express, { NextFunction, Request, Response, Router } from 'express';
import type { Config } from '../config';
import type { Authenticator } from '../verification/authenticator';
import type { Credential } from '../auth/credentials';
import { ExchangeTokens, TOKEN_TYPES } from '../auth/exchange-tokens';
import type { IdentityKeys } from '../auth/identity-keys';
import type { Principal } from '../auth/principal';
import { ROLE_SCOPES } from '../authz/scopes';
import { clock } from '../common/clock';
import { RateLimiter } from '../common/rate-limiter';
import { AppError } from '../errors';
import type { Logger } from '../logger';

/**
 * OAuth 2.0 Token Exchange (RFC 8693) for routers that verify JWTs against a JWKS (Apollo Router,
 * Cosmo Router, Hive Router, Hive Gateway): an API token or a session access token goes in, a JWT
 * of at most EXCHANGE_TOKEN_TTL_S comes out, signed with the identity key and carrying the token's
 * effective scopes (or the subset asked for) in `scope`.
 *
 *   POST /oauth/token                          the exchange (form-encoded, JSON accepted too)
 *   GET  /.well-known/oauth-authorization-server   RFC 8414 metadata
 *   GET  /.well-known/openid-configuration         the same document, for tools that only know OIDC discovery
 *
 * The subject token is verified by the Authenticator exactly as /graphql verifies it (same cache,
 * same per-IP throttle on guesses, same audit event for a refusal). Refusals are RFC 6749 §5.2 JSON.
 * Unknown parameters are ignored (RFC 6749 §3.2); a parameter given twice is refused (except
 * `audience`, which RFC 8693 §2.1 lets a client repeat). A refused subject token is `invalid_grant`
 * (RFC 6749 §5.2: "invalid, expired, revoked"), where RFC 8693 §2.2.2 would say `invalid_request`:
 * a client can then tell a request to fix from a credential that is dead.
 */
export interface TokenExchangeDeps {
  config: Config;
  authenticator: Pick<Authenticator, 'authenticate'>;
  identityKeys: IdentityKeys;
  logger: Logger;
}

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TOKEN_ENDPOINT_PATH = '/oauth/token';
const MAX_SUBJECT_TOKEN_LENGTH = 4096;

type OAuthError = 'invalid_request' | 'invalid_grant' | 'invalid_target' | 'invalid_scope' | 'unsupported_grant_type' | 'slow_down' | 'temporarily_unavailable';

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly error: OAuthError,
    readonly description: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
  }
}

const refuse = (error: OAuthError, description: string, status = 400) => new Refusal(status, error, description);

/** The RFC 8414 / OIDC discovery document: where the keys and the token endpoint are. */
export function authorizationServerMetadata(issuer: string) {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    token_endpoint: `${issuer}${TOKEN_ENDPOINT_PATH}`,
    grant_types_supported: [TOKEN_EXCHANGE_GRANT],
    // No client authentication: the subject token is the credential.
    token_endpoint_auth_methods_supported: ['none'],
    // No authorization endpoint, so no response types.
    response_types_supported: [],
    // The role scopes; a token's env:<name> and its account's catalog scopes come on top.
    scopes_supported: [...new Set(Object.values(ROLE_SCOPES).flat())],
  };
}

type ExchangeConfig = NonNullable<Config['exchange']>;

export function tokenExchange(deps: TokenExchangeDeps): Router {
  const router = express.Router();
  const exchangeConfig = deps.config.exchange;
  if (!exchangeConfig) return router; // off: every path falls through to the 404
  const trustsProxy = deps.config.trustProxy !== false;
  const log = deps.logger.child({ component: 'token-exchange' });
  const exchange = exchanger(deps, exchangeConfig, log);

  const metadata = JSON.stringify(authorizationServerMetadata(exchangeConfig.issuer));
  const serveMetadata = (_req: Request, res: Response) => {
    res.setHeader('cache-control', 'public, max-age=300');
    res.type('application/json').send(metadata);
  };
  router.get('/.well-known/oauth-authorization-server', serveMetadata);
  router.get('/.well-known/openid-configuration', serveMetadata);

  router.post(TOKEN_ENDPOINT_PATH, express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 }), express.json({ limit: '8kb' }), async (req: Request, res: Response) => {
    res.setHeader('cache-control', 'no-store');
    res.setHeader('pragma', 'no-cache');
    try {
      const ip = trustsProxy ? req.ip : req.socket.remoteAddress;
      const answer = await exchange(req.body, ip, req.headers['user-agent']);
      res.json(answer);
    } catch (err) {
      sendRefusal(res, err, log);
    }
  });
  router.all(TOKEN_ENDPOINT_PATH, (_req: Request, res: Response) => {
    res.setHeader('allow', 'POST');
    res.status(405).json({ error: 'invalid_request', error_description: 'The token endpoint takes POST requests' });
  });
  router.use(TOKEN_ENDPOINT_PATH, bodyErrors);
  return router;
}

/** A body that is not form-encoded or JSON, or too large: the RFC 6749 error, never the input. */
function bodyErrors(err: { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) {
  if (res.headersSent) return next(err);
  res.setHeader('cache-control', 'no-store');
  const tooLarge = err.status === 413 || err.type === 'entity.too.large';
  res.status(tooLarge ? 413 : 400).json({
    error: 'invalid_request',
    error_description: tooLarge ? 'The request body is too large' : 'The request body must be application/x-www-form-urlencoded (or JSON)',
  });
}

function sendRefusal(res: Response, err: unknown, log: Logger): void {
  let refusal: Refusal;
  if (err instanceof Refusal) refusal = err;
  else {
    log.error({ err }, 'token exchange failed unexpectedly');
    refusal = new Refusal(503, 'temporarily_unavailable', 'The service is temporarily unavailable; try again shortly');
  }
  if (refusal.retryAfterSeconds) res.setHeader('retry-after', String(refusal.retryAfterSeconds));
  res.status(refusal.status).json({ error: refusal.error, error_description: refusal.description });
}

/** The exchange itself: a request body in, the token response out, or a Refusal thrown. */
function exchanger(deps: TokenExchangeDeps, exchangeConfig: ExchangeConfig, log: Logger) {
  const tokens = new ExchangeTokens(deps.identityKeys, exchangeConfig);
  const perToken = exchangeConfig.perTokenPerMinute > 0 ? new RateLimiter(exchangeConfig.perTokenPerMinute, 60_000, clock.nowMs) : null;
  return async (body: unknown, ip: string | undefined, userAgent: string | undefined) => {
    const asked = exchangeRequest(body, exchangeConfig);
    const principal = await authenticateSubject(deps.authenticator, asked.subjectType, asked.subjectToken, ip, userAgent);
    if (perToken && !perToken.hit(principal.tokenId ? `t:${principal.tokenId}` : `s:${principal.sessionId ?? principal.userId}`)) {
      throw new Refusal(429, 'slow_down', `More than ${exchangeConfig.perTokenPerMinute} exchanges a minute for this token; reuse the JWT until it expires`, 60);
    }
    const scopes = scopesAsked(principal, asked.scope);
    const issued = await tokens.sign(principal, asked.audience, scopes, clock.nowMs());
    if (!issued) throw refuse('invalid_grant', 'The subject token expires within a second');
    log.info(
      { action: 'token.exchanged', userId: principal.userId, tokenId: principal.tokenId, via: principal.via, aud: asked.audience, jti: issued.jti, exp: issued.exp },
      'token exchanged',
    );
    return {
      access_token: issued.jwt,
      issued_token_type: asked.requested === TOKEN_TYPES.jwt ? TOKEN_TYPES.jwt : TOKEN_TYPES.accessToken,
      token_type: 'Bearer',
      expires_in: issued.exp - issued.iat,
      scope: scopes.join(' '),
    };
  };
}

/** The request's parameters, checked in the order RFC 8693 lists them. */
function exchangeRequest(body: unknown, exchangeConfig: ExchangeConfig) {
  const params = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const one = (name: string): string | undefined => {
    const v = params[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw refuse('invalid_request', `${name} must be given once, as a string`);
    return v;
  };
  const grantType = one('grant_type');
  if (!grantType) throw refuse('invalid_request', 'grant_type is required');
  if (grantType !== TOKEN_EXCHANGE_GRANT) throw refuse('unsupported_grant_type', `grant_type must be ${TOKEN_EXCHANGE_GRANT}`);
  const subjectToken = one('subject_token');
  if (!subjectToken) throw refuse('invalid_request', 'subject_token is required');
  if (subjectToken.length > MAX_SUBJECT_TOKEN_LENGTH) throw refuse('invalid_request', 'subject_token is too long');
  const subjectType = one('subject_token_type');
  if (!subjectType) throw refuse('invalid_request', 'subject_token_type is required');
  if (subjectType !== TOKEN_TYPES.apiToken && subjectType !== TOKEN_TYPES.accessToken) {
    throw refuse('invalid_request', `subject_token_type must be ${TOKEN_TYPES.apiToken} (an API token) or ${TOKEN_TYPES.accessToken} (a session access token)`);
  }
  if (params.actor_token !== undefined || params.actor_token_type !== undefined) {
    throw refuse('invalid_request', 'Delegation (actor_token) is not supported: exchange the token of the caller itself');
  }
  const requested = one('requested_token_type');
  if (requested !== undefined && requested !== TOKEN_TYPES.accessToken && requested !== TOKEN_TYPES.jwt) {
    throw refuse('invalid_request', `requested_token_type must be ${TOKEN_TYPES.accessToken} or ${TOKEN_TYPES.jwt}`);
  }
  if (params.resource !== undefined) throw refuse('invalid_target', 'resource is not supported: name the router with audience');
  const audience = audiencesOf(params.audience, exchangeConfig.audiences);
  return { subjectToken, subjectType, requested, audience, scope: one('scope') };
}

/** The subject token verified as /graphql verifies a credential; a refusal as the OAuth error it is. */
async function authenticateSubject(
  authenticator: TokenExchangeDeps['authenticator'],
  subjectType: string,
  subjectToken: string,
  ip: string | undefined,
  userAgent: string | undefined,
): Promise<Principal> {
  const credential: Credential = subjectType === TOKEN_TYPES.apiToken ? { kind: 'apiToken', secret: subjectToken, scheme: 'Bearer' } : { kind: 'session', jwt: subjectToken };
  let principal: Principal | null;
  try {
    principal = await authenticator.authenticate(credential, ip, userAgent);
  } catch (err) {
    if (err instanceof AppError && err.code === 'UNAUTHENTICATED') {
      throw refuse('invalid_grant', subjectType === TOKEN_TYPES.apiToken ? 'The API token is invalid, expired or revoked' : 'The session token is invalid or expired; log in again');
    }
    if (err instanceof AppError && err.code === 'RATE_LIMITED') {
      const retry = Number((err.extensions as { retryAfterSeconds?: number }).retryAfterSeconds) || 1;
      throw new Refusal(429, 'slow_down', err.message, retry);
    }
    throw err;
  }
  if (!principal) throw refuse('invalid_grant', 'The subject token is invalid');
  return principal;
}

/** Every scope the principal has, or the subset `scope` asks for (all of which it must have). */
function scopesAsked(principal: Principal, scopeParam: string | undefined): string[] {
  if (scopeParam === undefined) return principal.scopes;
  const asked = [...new Set(scopeParam.split(' ').filter(Boolean))];
  if (asked.length === 0) throw refuse('invalid_scope', 'scope is empty: omit it to receive every scope the subject token grants');
  const granted = new Set(principal.scopes);
  if (asked.some((s) => !granted.has(s))) throw refuse('invalid_scope', 'scope asks for a scope the subject token does not grant');
  const wanted = new Set(asked);
  return principal.scopes.filter((s) => wanted.has(s));
}

function audiencesOf(value: unknown, audiences: string[]): string[] {
  if (value === undefined) return [audiences[0]];
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.length > 10 || list.some((a) => typeof a !== 'string' || a === '')) {
    throw refuse('invalid_request', 'audience must be one or more router names');
  }
  const allowed = new Set(audiences);
  if (list.some((a) => !allowed.has(a as string))) {
    throw refuse('invalid_target', `audience must be one of the routers this service issues tokens for: ${audiences.join(', ')}`);
  }
  return [...new Set(list as string[])];
}
