import http from 'node:http';
import { createGatewayRuntime, GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { createUnauthenticatedError, defaultProtectSingleValidateFn, ValidateUserFnParams } from '@envelop/generic-auth';
import httpTransport from '@graphql-mesh/transport-http';
import { GraphQLError } from 'graphql';
import type { IdentityKeys } from '../auth/identity-keys';
import { HitLimiter, RateLimiter } from '../common/rate-limiter';
import { rateLimitDecisions } from '../fleet/metrics';
import { AppError, isVariableValueError, MALFORMED_BODY_MESSAGE, PUBLIC_CODES, toRequestError, withoutVariableValue } from '../errors';
import { CLIENT_ADDRESS_HEADER, CLIENT_AGENT_HEADER, GATEWAY_SECRET_HEADER, IDENTITY_HEADER } from '../subgraph-kit';
import type { CredentialVerifier, GatewayUser } from './auth';
import { IdentitySigner } from './identity-signer';
import { useMemoisedGenericAuth } from './memoised-auth';
import { useOperationPolicy } from './operation-policy';
import { CORS_POLICY, securityHeaders } from '../http/security-headers';
import { listenOn } from '../http/listen';
import { requestAddress } from '../http/request-address';
import { GatewayLimits, limitPlugins, limitRejectionCode } from './limits';
import { gatewayMetricsPlugin } from './metrics';
import { MetricsEndpoint } from '../http/metrics-endpoint';
import type { MetricsConfig, TracingConfig } from '../config';
import { useOpenTelemetry } from '@graphql-hive/plugin-opentelemetry';
import { startTracing } from '../http/tracing';

export type GatewayAuthMode = 'filter' | 'reject';

export interface GatewayOptions {
  /** The composed supergraph SDL (subgraph URLs inside). */
  supergraphSdl: string;
  /**
   * How clients are authenticated; null runs the same runtime with no
   * authentication, no directive enforcement and no identity (benchmarks only).
   */
  verifier: CredentialVerifier | null;
  identityKeys: IdentityKeys;
  /** Sent to every subgraph on every call (GATEWAY_SECRET). */
  gatewaySecret: string;
  /** filter: unauthorized fields become null with UNAUTHORIZED_FIELD_OR_TYPE errors; reject: the whole operation is refused. */
  mode: GatewayAuthMode;
  /** Requests per minute per API token (or session user); 0 = unlimited. */
  rateLimitPerToken: number;
  /** Requests per minute per client IP without a valid credential; 0 = unlimited. */
  rateLimitAnonymousPerIp: number;
  /**
   * Where the two budgets are counted: by default in memory, per instance; with REDIS_URL shared by
   * every gateway (src/fleet/shared-rate-limiter.ts). Called with the limit (per minute) and the name.
   */
  rateLimiter?: (limit: number, name: 'token' | 'address') => HitLimiter;
  /** Query and request limits (QUERY_MAX_*, BODY_LIMIT_BYTES; see limits.ts). */
  limits: GatewayLimits;
  /** Browser origins allowed to call the gateway (CORS_ORIGINS; '*' = any, without credentials). Default: none. */
  corsOrigins?: string[];
  /** Production adds Strict-Transport-Security to the security headers. */
  production?: boolean;
  /**
   * TRUST_PROXY: which proxies' X-Forwarded-For to believe for the client address (per-IP rate
   * limit, token usage). Default false: the socket's peer, which behind a load balancer is the balancer.
   */
  trustProxy?: boolean | number | string;
  /**
   * INTROSPECTION: anyone may introspect the supergraph. Default false: OWNER and ADMIN only (anonymous
   * callers UNAUTHENTICATED, others FORBIDDEN), the tokens service's production policy.
   */
  introspection?: boolean;
  /** Surface internal errors (development). Subgraph URLs are still masked. */
  exposeErrors?: boolean;
  /** METRICS_PORT / METRICS_TOKEN: where /metrics is served (off when neither is set; http/metrics-endpoint.ts). */
  metrics?: MetricsConfig;
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT: traces through Hive Gateway's OpenTelemetry plugin (the request, its
   * GraphQL phases, every subgraph call, with `traceparent` sent to the subgraph); null/undefined = none.
   */
  tracing?: TracingConfig | null;
  log?: (level: 'info' | 'warn' | 'error', msg: string, data?: unknown) => void;
}

export interface RunningGateway {
  url: string;
  server: http.Server;
  /** /metrics; `metrics.url` is the metrics port's base URL (METRICS_PORT). */
  metrics: MetricsEndpoint;
  stop(): Promise<void>;
}

/**
 * A refusal the gateway's own HTTP layer raised before any execution: an
 * original GraphQLError with a 4xx status, no code and no path. Yoga's CSRF
 * check is one (403, "Required CSRF header(s) not present"). It reaches the
 * client as BAD_REQUEST with its status instead of being masked into a 500.
 */
function isRequestRefusal(e: GraphQLError): boolean {
  const status = (e.extensions?.http as { status?: unknown } | undefined)?.status;
  return !e.extensions?.code && !e.originalError && !e.path && typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Fixed words for Yoga's refusals of a request body it could not read, in every mode: the JSON parser's
 * message quotes the body (a password with it), and the others name what the client sent.
 */
function unreadableRequestMessage(message: string): string | undefined {
  if (message === 'POST body sent invalid JSON.' || message.startsWith('POST body is expected to be object')) return MALFORMED_BODY_MESSAGE;
  if (/^Unexpected parameter "[\s\S]*" in the request body\.$/.test(message)) {
    return 'Malformed request: unexpected parameter in the request body (expected query, variables, operationName, extensions)';
  }
  if (message.startsWith('POST body sent invalid multipart data')) return 'Malformed request: the multipart body could not be read';
  return undefined;
}

const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
const HOST_PORT_RE = /\b(?:\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-f:]+\])(?::\d{2,5})?\b/gi;
const scrub = (s: string) => s.replace(URL_RE, '[internal]').replace(HOST_PORT_RE, '[internal]');

/** Subgraph URLs from the supergraph's @join__graph, to name the subgraph a fetch goes to. */
export function subgraphUrls(supergraphSdl: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of supergraphSdl.matchAll(/@join__graph\(name:\s*"([^"]+)",\s*url:\s*"([^"]*)"\)/g)) map.set(m[2], m[1]);
  return map;
}

const STRIPPED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', IDENTITY_HEADER, GATEWAY_SECRET_HEADER, CLIENT_ADDRESS_HEADER, CLIENT_AGENT_HEADER]);
/** Longest user agent passed on (the tokens service stores 300 characters of it). */
const MAX_AGENT_LENGTH = 512;

/**
 * Every subgraph call: the client's credentials and any gateway headers it sent are stripped, the
 * gateway credential is added with the client's address (as TRUST_PROXY resolves it) and user agent,
 * and the caller's identity is signed for that subgraph (its audience). The tokens service stamps its
 * audit rows with that client, checks a token's IP allowlist against it and counts its throttles by it.
 */
function forwardIdentityPlugin(
  opts: Pick<GatewayOptions, 'gatewaySecret' | 'supergraphSdl'>,
  signer: IdentitySigner,
  clientIp: (req: http.IncomingMessage) => string | undefined,
): GatewayPlugin {
  const urlToSubgraph = subgraphUrls(opts.supergraphSdl);
  const subgraphOf = new WeakMap<object, string>();
  return {
    onSubgraphExecute({ subgraphName, executionRequest }) {
      subgraphOf.set(executionRequest, subgraphName);
    },
    async onFetch({ url, options, setOptions, executionRequest, context }) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries((options.headers ?? {}) as Record<string, string>)) {
        if (!STRIPPED_HEADERS.has(k.toLowerCase())) headers[k] = v;
      }
      headers[GATEWAY_SECRET_HEADER] = opts.gatewaySecret;
      const client = context as { req?: http.IncomingMessage; request?: Request; currentUser?: GatewayUser | null } | undefined;
      const ip = client?.req ? clientIp(client.req) : undefined;
      if (ip) headers[CLIENT_ADDRESS_HEADER] = ip;
      const agent = client?.request?.headers.get('user-agent');
      if (agent) headers[CLIENT_AGENT_HEADER] = agent.slice(0, MAX_AGENT_LENGTH);
      const user = client?.currentUser;
      if (user) {
        const audience = (executionRequest && subgraphOf.get(executionRequest)) ?? urlToSubgraph.get(url);
        // No audience, no identity: the call goes out anonymous rather than with a token for the wrong service.
        if (audience) headers[IDENTITY_HEADER] = await signer.sign(user, audience);
      }
      setOptions({ ...options, headers });
    },
  };
}

/**
 * generic-auth (what the runtime's `genericAuth` option installs) with `resolveUser`, its verdict memoised
 * per operation and scope set: @authenticated and @requiresScopes for every subgraph.
 */
function authorizationPlugin(mode: GatewayAuthMode, resolveUser: (context: never) => Promise<GatewayUser | null>) {
  return useMemoisedGenericAuth(
    {
      mode: 'protect-granular',
      resolveUserFn: resolveUser as never,
      extractScopes: (user: Record<string, any> | null) => (user as GatewayUser | null)?.scopes ?? [],
      rejectUnauthenticated: mode === 'reject',
      // Same checks as generic-auth's default (outer list OR, inner list AND), with clearer
      // messages and statuses: filter mode answers 200 with partial data.
      validateUser: (params: ValidateUserFnParams<Record<string, any>>) => {
        if (!defaultProtectSingleValidateFn(params)) return undefined;
        const anonymous = params.user == null;
        return createUnauthenticatedError({
          fieldNode: params.fieldNode,
          path: params.path,
          message: anonymous ? 'Authentication is required for this field' : 'Your credentials lack the scopes this field requires',
          statusCode: mode === 'filter' ? 200 : anonymous ? 401 : 403,
        });
      },
    },
    { scopesOf: (user) => (user ? (user as GatewayUser).scopes : null) },
  );
}

/**
 * What a client of the gateway sees of an error (Yoga's maskError): limit refusals, variables that do
 * not fit, public codes and request refusals keep their meaning without quoting the body, a value or an
 * internal address; anything else is INTERNAL_SERVER_ERROR (with its message only when exposeErrors, in development).
 */
function gatewayErrorMask(exposeErrors: boolean, log: NonNullable<GatewayOptions['log']>) {
  return (error: unknown, message: string): Error => {
    const e = error as GraphQLError;
    const limit = limitRejectionCode(e);
    if (limit) return new GraphQLError(e.message, { extensions: { code: limit, http: { status: 400 } } });
    const code = e?.extensions?.code as string | undefined;
    if (e instanceof GraphQLError && !code && isVariableValueError(e)) {
      // The client's variables did not fit the schema: say so (as the tokens service does) without the
      // value graphql-js quotes, which can be a whole input object with its password.
      return new GraphQLError(scrub(withoutVariableValue(e.message, e)), { nodes: e.nodes, extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
    }
    if (e instanceof GraphQLError && code && PUBLIC_CODES.has(code)) {
      // Never another error's text: Yoga attaches the JSON parser's, which quotes the body.
      const { originalError: _internal, ...extensions } = e.extensions ?? {};
      const unreadable = code === 'BAD_REQUEST' ? unreadableRequestMessage(e.message) : undefined;
      // 400 whatever the Accept header, as the tokens service answers an unreadable body.
      if (unreadable) return new GraphQLError(unreadable, { extensions: { code, http: { status: 400 } } });
      return new GraphQLError(scrub(withoutVariableValue(e.message, e)), { nodes: e.nodes, path: e.path, extensions: { ...extensions, code } });
    }
    if (e instanceof GraphQLError && isRequestRefusal(e)) {
      return new GraphQLError(scrub(e.message), { extensions: { ...e.extensions, code: 'BAD_REQUEST' } });
    }
    log('warn', 'masked a gateway/subgraph error', { message: e?.message, code });
    return new GraphQLError(exposeErrors && e?.message ? scrub(e.message) : message, {
      path: e?.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}

/**
 * The gateway: Hive Gateway's runtime (MIT) serving a supergraph composed
 * ahead of time, with Tokengate authentication (generic-auth's resolveUserFn),
 * @authenticated / @requiresScopes enforced by generic-auth for every
 * subgraph, a signed identity per subgraph call, per-token / per-IP rate
 * limits, and the same query and request limits as the tokens service.
 */
export function createGateway(opts: GatewayOptions) {
  const signer = new IdentitySigner(opts.identityKeys);
  const makeLimiter = opts.rateLimiter ?? ((limit: number) => new RateLimiter(limit, 60_000));
  // Always there: a token's own rateLimitPerMinute applies even when the default (GATEWAY_RATE_LIMIT_PER_TOKEN) is 0 = off.
  const perToken = countedLimiter(makeLimiter(opts.rateLimitPerToken, 'token'), 'token');
  const perIp = opts.rateLimitAnonymousPerIp > 0 ? countedLimiter(makeLimiter(opts.rateLimitAnonymousPerIp, 'address'), 'address') : null;
  const log = opts.log ?? (() => undefined);
  const clientIp = requestAddress(opts.trustProxy ?? false);

  const limited = (scope: string) => new AppError('RATE_LIMITED', `Too many requests for this ${scope}; slow down and retry in a minute`);

  async function resolveUser(context: { request: Request; req?: http.IncomingMessage }): Promise<GatewayUser | null> {
    const ip = context.req ? clientIp(context.req) : undefined;
    const authorization = context.request.headers.get('authorization') ?? undefined;
    try {
      if (!authorization) {
        if (perIp && !(await perIp.hit(`ip:${ip}`))) throw limited('address');
        return null;
      }
      let user: GatewayUser | null;
      try {
        user = await opts.verifier!(authorization, ip);
      } catch (err) {
        // Failed credentials spend the address's anonymous budget: no free guessing.
        if (perIp && err instanceof AppError && err.code === 'UNAUTHENTICATED' && !(await perIp.hit(`ip:${ip}`))) throw limited('address');
        throw err;
      }
      if (!user) return null;
      const key = user.tokenId ? `t:${user.tokenId}` : `u:${user.userId}`;
      const limit = user.rateLimitPerMinute ?? opts.rateLimitPerToken;
      if (limit > 0 && !(await perToken.hit(key, limit))) throw limited(user.tokenId ? 'token' : 'user');
      return user;
    } catch (err) {
      if (!(err instanceof AppError)) log('error', 'authentication failed unexpectedly', err);
      throw toRequestError(err, 'Authentication is temporarily unavailable; try again shortly');
    }
  }

  const forwardIdentity = forwardIdentityPlugin(opts, signer, clientIp);
  const authorization = opts.verifier ? authorizationPlugin(opts.mode, resolveUser) : null;

  if (opts.tracing) startTracing(opts.tracing);
  const runtime = createGatewayRuntime({
    supergraph: opts.supergraphSdl,
    // The HTTP transport, bundled rather than imported by name at run time.
    transports: { http: httpTransport } as never,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    readinessCheckEndpoint: '/readyz',
    landingPage: false,
    graphiql: false,
    logging: false,
    requestId: true,
    // HTTP hygiene, as on the tokens service: one operation per request (an array body is refused
    // with BAD_REQUEST), and no simple (non-preflighted) browser request runs an operation unless it
    // carries one of these headers: Apollo's two, so clients of the tokens service work unchanged,
    // and Yoga's own. Mutations over GET are always refused by Yoga (405).
    batching: false,
    csrfPrevention: { requestHeaders: ['apollo-require-preflight', 'x-apollo-operation-name', 'x-graphql-yoga-csrf'] },
    maskedErrors: { maskError: gatewayErrorMask(opts.exposeErrors ?? false, log) },
    // Yoga's default reflects any Origin with credentials allowed: here only the configured origins get CORS headers.
    cors: corsPolicy(opts.corsOrigins ?? []),
    plugins: () => [
      // First, so that its request span encloses every other plugin's work. No operation hash: it would
      // cost every request a print and a hash of the document for an attribute nobody here reads.
      ...(opts.tracing ? [useOpenTelemetry({ traces: true, hashOperation: null }) as GatewayPlugin] : []),
      gatewayMetricsPlugin('/graphql'),
      ...limitPlugins(opts.limits),
      forwardIdentity,
      securityHeadersPlugin(opts.production ?? false),
      // Whole-operation decisions first (READ_ONLY tokens, introspection), then generic-auth's field walk.
      ...(authorization ? [useOperationPolicy({ introspection: opts.introspection ?? false }), authorization] : []),
    ],
  });

  return runtime;
}

/** A limiter whose decisions are counted (tokengate_rate_limit_decisions_total). */
function countedLimiter(inner: HitLimiter, name: string): { hit(key: string, limit?: number): Promise<boolean> } {
  return {
    async hit(key: string, limit?: number) {
      const allowed = await inner.hit(key, limit);
      rateLimitDecisions.inc({ limit: name, outcome: allowed ? 'allowed' : 'limited' });
      return allowed;
    },
  };
}

/** CORS for the gateway, as for the tokens service: only listed origins, '*' for any (never with credentials), none when empty. */
export function corsPolicy(origins: string[]) {
  if (origins.length === 0) return false as const;
  const common = { ...CORS_POLICY, credentials: false };
  if (origins.includes('*')) return { ...common, origin: '*' };
  const allowed = new Set(origins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    return origin && allowed.has(origin) ? { ...common, origin } : false;
  };
}

/** The tokens service's security headers on every gateway response. */
function securityHeadersPlugin(production: boolean): GatewayPlugin {
  const headers = securityHeaders(production);
  return {
    onResponse({ response }) {
      for (const [name, value] of headers) response.headers.set(name, value);
    },
  };
}

/** Serve the gateway on `port` (0 = any free port) at `host` (GATEWAY_HOST; undefined = every interface). */
export async function startGateway(opts: GatewayOptions, port = 0, host?: string): Promise<RunningGateway> {
  const runtime = createGateway(opts);
  const metrics = new MetricsEndpoint(opts.metrics ?? {}, host);
  const server = http.createServer((req, res) => {
    if (!metrics.handle(req, res)) void runtime(req, res);
  });
  const base = await listenOn(server, port, host);
  await metrics.listen();
  return {
    url: `${base}/graphql`,
    server,
    metrics,
    async stop() {
      await metrics.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await runtime.dispose();
    },
  };
}
