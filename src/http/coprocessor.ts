import { isIP } from 'node:net';
import express, { NextFunction, Request, Response, Router } from 'express';
import type { Config } from '../config';
import type { Authenticator } from '../verification/authenticator';
import { parseAuthorization } from '../auth/credentials';
import { ExchangeTokens, routerClaims } from '../auth/exchange-tokens';
import type { IdentityKeys } from '../auth/identity-keys';
import { clock } from '../common/clock';
import { AppError, httpStatusOf } from '../errors';
import type { Logger } from '../logger';
import { secretsEqual } from '../subgraph-kit';

/**
 * Coprocessor endpoints: a router calls them with the client request's headers before it plans
 * anything, and Tokengate answers with a verdict. The credential is checked on every request,
 * exactly as /graphql checks it (the Authenticator: cache, per-IP throttle of guesses, audit of
 * refusals), so a revoked token stops at its next request (other replicas: TOKEN_CACHE_TTL_MS).
 *
 *   POST /coprocessor/apollo   Apollo GraphOS Router, external coprocessing protocol version 1,
 *                              stage RouterRequest; claims go into the router's context under
 *                              apollo::authentication::jwt_claims, so its own @authenticated /
 *                              @requiresScopes enforcement applies.
 *   POST /coprocessor/hive     Hive Router coprocessor protocol version 1, stage router.request:
 *                              continue or break (it cannot take claims from a coprocessor yet;
 *                              scopes come from its JWT plugin with exchanged JWTs).
 *
 * Verdicts: no credential → continue with no claims; a refused credential → break 401 with a
 * GraphQL error body; a locked address → break 429; the database unreachable → break 503.
 * A Tokengate-issued exchange JWT (typ at+jwt, our kid) is verified by signature instead, so a
 * router that also verifies those JWTs itself can keep its coprocessor on.
 *
 * Off (404) without COPROCESSOR_SECRET. The router must present it in the
 * x-tokengate-coprocessor-secret header or, since neither router can add a header to its
 * coprocessor calls, the `secret` query parameter of the coprocessor URL (compared in constant time).
 */
export interface CoprocessorDeps {
  config: Config;
  authenticator: Pick<Authenticator, 'authenticate'>;
  identityKeys: IdentityKeys;
  logger: Logger;
}

export const COPROCESSOR_SECRET_HEADER = 'x-tokengate-coprocessor-secret';
/** The context key Apollo Router's authorization directives read (and its JWT plugin writes). */
export const APOLLO_JWT_CLAIMS = 'apollo::authentication::jwt_claims';
const BODY_LIMIT = '256kb';

type Verdict =
  | { kind: 'anonymous' }
  | { kind: 'authenticated'; claims: Record<string, unknown> }
  | { kind: 'refused'; code: 'UNAUTHENTICATED' | 'RATE_LIMITED' | 'SERVICE_UNAVAILABLE'; message: string; retryAfterSeconds?: number };

/** A router payload that breaks the protocol: answered 400, which each router treats as a coprocessor failure. */
class ProtocolError extends Error {}

type HeaderMap = Record<string, unknown>;

type VerdictFor = (req: Request, headers: HeaderMap) => Promise<Verdict>;

export function coprocessors(deps: CoprocessorDeps): Router {
  const router = express.Router();
  const settings = deps.config.coprocessor;
  if (!settings) return router;
  const log = deps.logger.child({ component: 'coprocessor' });
  const guard = secretGuard(settings.secret, log);
  const json = express.json({ limit: BODY_LIMIT });
  const verdictFor = verdicts(deps, settings, log);
  router.post('/coprocessor/apollo', guard, json, (req: Request, res: Response, next: NextFunction) => {
    apollo(req, verdictFor).then((answer) => res.json(answer), next);
  });
  router.post('/coprocessor/hive', guard, json, (req: Request, res: Response, next: NextFunction) => {
    hive(req, verdictFor).then((answer) => res.json(answer), next);
  });
  router.use('/coprocessor', coprocessorErrors(log));
  return router;
}

/** The shared secret, before the body is even read. */
function secretGuard(secret: string, log: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('cache-control', 'no-store');
    const fromHeader = req.headers[COPROCESSOR_SECRET_HEADER];
    const fromQuery = new URL(req.originalUrl, 'http://x').searchParams.getAll('secret');
    const given = fromHeader !== undefined ? fromHeader : fromQuery.length === 1 ? fromQuery[0] : undefined;
    if (typeof given !== 'string' || !secretsEqual(given, secret)) {
      log.warn({ path: req.path, present: given !== undefined }, 'coprocessor call refused: wrong or missing secret');
      res.status(401).json({ error: 'invalid_client', error_description: 'The coprocessor secret is missing or wrong' });
      return;
    }
    next();
  };
}

/** Protocol errors answer 400 (each router treats that as a coprocessor failure); the rest 413 or 500. */
function coprocessorErrors(log: Logger) {
  return (err: { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof ProtocolError) {
      res.status(400).json({ error: 'malformed coprocessor request', error_description: err.message });
      return;
    }
    if (err.type === 'entity.parse.failed' || err.status === 400) {
      res.status(400).json({ error: 'malformed coprocessor request', error_description: 'The body is not JSON' });
      return;
    }
    if (err.status === 413 || err.type === 'entity.too.large') {
      res.status(413).json({ error: 'malformed coprocessor request', error_description: `The body is over ${BODY_LIMIT}: send headers only` });
      return;
    }
    log.error({ err }, 'coprocessor failed unexpectedly');
    res.status(500).json({ error: 'internal error' });
  };
}

/** Apollo Router, protocol version 1, RouterRequest. */
async function apollo(req: Request, verdictFor: VerdictFor) {
  const body = payloadOf(req);
  if (body.version !== 1) throw new ProtocolError('version must be 1');
  if (body.stage !== 'RouterRequest') throw new ProtocolError('stage must be RouterRequest: configure coprocessor.router.request');
  if (typeof body.id !== 'string') throw new ProtocolError('id must be a string');
  const headers = headersOf(body, 'coprocessor.router.request.headers: true');
  let entries: Record<string, unknown> | undefined;
  if (body.context !== undefined) {
    const context = body.context as { entries?: unknown } | null;
    if (!context || typeof context !== 'object' || (context.entries !== undefined && !isObject(context.entries))) {
      throw new ProtocolError('context must be an object with an entries object');
    }
    entries = context.entries as Record<string, unknown> | undefined;
  }
  const verdict = await verdictFor(req, headers);
  const control = { version: 1, stage: 'RouterRequest', id: body.id };
  switch (verdict.kind) {
    case 'anonymous':
      return { ...control, control: 'continue' };
    case 'authenticated':
      // The router upserts returned keys (its documentation also calls it a replacement): the entries
      // it sent come back untouched, with the claims added.
      return { ...control, control: 'continue', context: { entries: { ...(entries ?? {}), [APOLLO_JWT_CLAIMS]: verdict.claims } } };
    case 'refused':
      // At RouterRequest the body is a string holding the GraphQL response; headers given with a break
      // replace the response's, so they are only sent when there is one to add.
      return {
        ...control,
        control: { break: httpStatusOf(verdict.code) },
        body: JSON.stringify(graphqlError(verdict)),
        ...(verdict.retryAfterSeconds ? { headers: { 'content-type': ['application/json'], 'retry-after': [String(verdict.retryAfterSeconds)] } } : {}),
      };
  }
}

/** Hive Router, protocol version 1, router.request. */
async function hive(req: Request, verdictFor: VerdictFor) {
  const body = payloadOf(req);
  if (body.version !== 1) throw new ProtocolError('version must be 1');
  if (body.stage !== 'router.request') throw new ProtocolError('stage must be router.request: configure coprocessor.stages.router.request');
  if (body.id !== undefined && typeof body.id !== 'string') throw new ProtocolError('id must be a string');
  const headers = headersOf(body, 'coprocessor.stages.router.request.include.headers: true');
  const verdict = await verdictFor(req, headers);
  if (verdict.kind !== 'refused') return { version: 1, control: 'continue' };
  return {
    version: 1,
    control: { break: httpStatusOf(verdict.code) },
    headers: { 'content-type': 'application/json', ...(verdict.retryAfterSeconds ? { 'retry-after': String(verdict.retryAfterSeconds) } : {}) },
    body: JSON.stringify(graphqlError(verdict)),
  };
}

function payloadOf(req: Request): Record<string, unknown> {
  if (!isObject(req.body)) throw new ProtocolError('The body must be a JSON object (Content-Type: application/json)');
  return req.body;
}

/** The client request's headers, as both routers send them: name → [values] (a bare string is taken too). */
function headersOf(body: Record<string, unknown>, setting: string): HeaderMap {
  if (body.headers === undefined) throw new ProtocolError(`headers are missing: set ${setting}`);
  if (!isObject(body.headers)) throw new ProtocolError('headers must be an object of header names to value lists');
  for (const v of Object.values(body.headers)) {
    if (typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) throw new ProtocolError('every header value must be a string or a list of strings');
  }
  return body.headers;
}

/** Every value of one header, whatever the case of its name. */
function header(headers: HeaderMap, name: string): string[] {
  const values: string[] = [];
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) values.push(...(Array.isArray(v) ? (v as string[]) : [v as string]));
  return values;
}

/** The verdict on the credential in a router's copy of the client headers. */
function verdicts(deps: CoprocessorDeps, settings: NonNullable<Config['coprocessor']>, log: Logger): VerdictFor {
  const exchangeTokens = deps.config.exchange ? new ExchangeTokens(deps.identityKeys, deps.config.exchange) : null;
  const issuer = deps.config.exchange?.issuer;
  const trustsProxy = deps.config.trustProxy !== false;

  /**
   * The address failures are counted against: the configured forwarded header's rightmost entry (the
   * address the proxy in front of the router saw), else the router's own address.
   */
  function clientIp(req: Request, headers: HeaderMap): string | undefined {
    if (settings.clientIpHeader) {
      const values = header(headers, settings.clientIpHeader);
      const last = values.length ? values[values.length - 1].split(',').pop()?.trim() : undefined;
      if (last && isIP(last)) return last;
    }
    return trustsProxy ? req.ip : req.socket.remoteAddress;
  }

  return async (req, headers) => {
    const authorization = header(headers, 'authorization');
    const credential = parseAuthorization(authorization.length === 0 ? undefined : authorization.length === 1 ? authorization[0] : authorization);
    if (credential.kind === 'session' && exchangeTokens?.looksIssuedHere(credential.jwt)) {
      const claims = await exchangeTokens.verify(credential.jwt, clock.nowMs());
      if (claims) return { kind: 'authenticated', claims: { ...claims } };
      log.info({ reason: 'invalid_exchange_token', action: 'auth.failed' }, 'authentication refused');
      return { kind: 'refused', code: 'UNAUTHENTICATED', message: 'Invalid or expired token; exchange the API token again' };
    }
    const userAgent = header(headers, 'user-agent')[0];
    try {
      const principal = await deps.authenticator.authenticate(credential, clientIp(req, headers), userAgent);
      if (!principal) return { kind: 'anonymous' };
      return { kind: 'authenticated', claims: { ...(issuer ? { iss: issuer } : {}), ...routerClaims(principal) } };
    } catch (err) {
      return refusal(err, log);
    }
  };
}

/** An authentication error as a router verdict: 401, 429 with its wait, or 503. */
function refusal(err: unknown, log: Logger): Verdict {
  if (err instanceof AppError && err.code === 'UNAUTHENTICATED') return { kind: 'refused', code: 'UNAUTHENTICATED', message: err.message };
  if (err instanceof AppError && err.code === 'RATE_LIMITED') {
    const retryAfterSeconds = Number((err.extensions as { retryAfterSeconds?: number }).retryAfterSeconds) || 1;
    return { kind: 'refused', code: 'RATE_LIMITED', message: err.message, retryAfterSeconds };
  }
  if (!(err instanceof AppError)) log.error({ err }, 'coprocessor authentication failed unexpectedly');
  return { kind: 'refused', code: 'SERVICE_UNAVAILABLE', message: 'Authentication is temporarily unavailable; try again shortly' };
}

function graphqlError(v: Extract<Verdict, { kind: 'refused' }>) {
  return { errors: [{ message: v.message, extensions: { code: v.code, ...(v.retryAfterSeconds ? { retryAfterSeconds: v.retryAfterSeconds } : {}) } }] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
