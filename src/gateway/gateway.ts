import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { createUnauthenticatedError, defaultProtectSingleValidateFn, ValidateUserFnParams } from '@envelop/generic-auth';
import httpTransport from '@graphql-mesh/transport-http';
import { GraphQLError } from 'graphql';
import type { IdentityKeys } from '../auth/identity-keys';
import { RateLimiter } from '../common/rate-limiter';
import { AppError, isVariableValueError, withoutVariableValue } from '../errors';
import { GATEWAY_SECRET_HEADER, IDENTITY_HEADER } from '../subgraph-kit';
import type { CredentialVerifier, GatewayUser } from './auth';
import { IdentitySigner } from './identity-signer';
import { APP_CODES } from '../errors';

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
  /** Surface internal errors (development). Subgraph URLs are still masked. */
  exposeErrors?: boolean;
  log?: (level: 'info' | 'warn' | 'error', msg: string, data?: unknown) => void;
}

export interface RunningGateway {
  url: string;
  server: http.Server;
  stop(): Promise<void>;
}

/** The client-facing error codes that pass through the gateway unchanged. */
const PUBLIC_CODES = new Set([
  ...APP_CODES,
  'UNAUTHORIZED_FIELD_OR_TYPE',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
]);

const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
const HOST_PORT_RE = /\b(?:\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-f:]+\])(?::\d{2,5})?\b/gi;
const scrub = (s: string) => s.replace(URL_RE, '[internal]').replace(HOST_PORT_RE, '[internal]');

/** Subgraph URLs from the supergraph's @join__graph, to name the subgraph a fetch goes to. */
export function subgraphUrls(supergraphSdl: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of supergraphSdl.matchAll(/@join__graph\(name:\s*"([^"]+)",\s*url:\s*"([^"]*)"\)/g)) map.set(m[2], m[1]);
  return map;
}

function appErrorToGraphQL(err: AppError): GraphQLError {
  const status = err.code === 'UNAUTHENTICATED' ? 401 : err.code === 'RATE_LIMITED' ? 429 : err.code === 'SERVICE_UNAVAILABLE' ? 503 : 400;
  return new GraphQLError(err.message, { extensions: { code: err.code, http: { status } } });
}

const STRIPPED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', IDENTITY_HEADER, GATEWAY_SECRET_HEADER]);

/**
 * The gateway: Hive Gateway's runtime (MIT) serving a supergraph composed
 * ahead of time, with Tokengate authentication (generic-auth's resolveUserFn),
 * @authenticated / @requiresScopes enforced by generic-auth for every
 * subgraph, a signed identity per subgraph call, and per-token / per-IP rate
 * limits.
 */
export function createGateway(opts: GatewayOptions) {
  const signer = new IdentitySigner(opts.identityKeys);
  const urlToSubgraph = subgraphUrls(opts.supergraphSdl);
  const subgraphOf = new WeakMap<object, string>();
  const perToken = opts.rateLimitPerToken > 0 ? new RateLimiter(opts.rateLimitPerToken, 60_000) : null;
  const perIp = opts.rateLimitAnonymousPerIp > 0 ? new RateLimiter(opts.rateLimitAnonymousPerIp, 60_000) : null;
  const log = opts.log ?? (() => undefined);

  const limited = (scope: string) =>
    new AppError('RATE_LIMITED', `Too many requests for this ${scope}; slow down and retry in a minute`);

  async function resolveUser(context: { request: Request; req?: http.IncomingMessage }): Promise<GatewayUser | null> {
    const ip = context.req?.socket?.remoteAddress;
    const authorization = context.request.headers.get('authorization') ?? undefined;
    try {
      if (!authorization) {
        if (perIp && !perIp.hit(`ip:${ip}`)) throw limited('address');
        return null;
      }
      let user: GatewayUser | null;
      try {
        user = await opts.verifier!(authorization, ip);
      } catch (err) {
        // Failed credentials spend the address's anonymous budget: no free guessing.
        if (perIp && err instanceof AppError && err.code === 'UNAUTHENTICATED' && !perIp.hit(`ip:${ip}`)) throw limited('address');
        throw err;
      }
      if (!user) return null;
      const key = user.tokenId ? `t:${user.tokenId}` : `u:${user.userId}`;
      if (perToken && !perToken.hit(key)) throw limited(user.tokenId ? 'token' : 'user');
      return user;
    } catch (err) {
      if (err instanceof AppError) throw appErrorToGraphQL(err);
      log('error', 'authentication failed unexpectedly', err);
      throw new GraphQLError('Authentication is temporarily unavailable; try again shortly', {
        extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
      });
    }
  }

  const forwardIdentity: GatewayPlugin = {
    onSubgraphExecute({ subgraphName, executionRequest }) {
      subgraphOf.set(executionRequest, subgraphName);
    },
    async onFetch({ url, options, setOptions, executionRequest, context }) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries((options.headers ?? {}) as Record<string, string>)) {
        if (!STRIPPED_HEADERS.has(k.toLowerCase())) headers[k] = v;
      }
      headers[GATEWAY_SECRET_HEADER] = opts.gatewaySecret;
      const user = (context as { currentUser?: GatewayUser | null } | undefined)?.currentUser;
      if (user) {
        const audience = (executionRequest && subgraphOf.get(executionRequest)) ?? urlToSubgraph.get(url);
        // No audience, no identity: the call goes out anonymous rather than with a token for the wrong service.
        if (audience) headers[IDENTITY_HEADER] = await signer.sign(user, audience);
      }
      setOptions({ ...options, headers });
    },
  };

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
    maskedErrors: {
      maskError(error: unknown, message: string) {
        const e = error as GraphQLError;
        const code = e?.extensions?.code as string | undefined;
        if (e instanceof GraphQLError && !code && isVariableValueError(e)) {
          // The client's variables did not fit the schema: say so (as the tokens service does) without the
          // value graphql-js quotes, which can be a whole input object with its password.
          return new GraphQLError(scrub(withoutVariableValue(e.message, e)), { nodes: e.nodes, extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
        }
        if (e instanceof GraphQLError && code && PUBLIC_CODES.has(code)) {
          return new GraphQLError(scrub(withoutVariableValue(e.message, e)), { nodes: e.nodes, path: e.path, extensions: { ...e.extensions, code } });
        }
        log('warn', 'masked a gateway/subgraph error', { message: e?.message, code });
        return new GraphQLError(opts.exposeErrors && e?.message ? scrub(e.message) : message, {
          path: e?.path,
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
      },
    },
    ...(opts.verifier
      ? {
          genericAuth: {
            mode: 'protect-granular' as const,
            resolveUserFn: resolveUser as never,
            extractScopes: (user: Record<string, any> | null) => ((user as GatewayUser | null)?.scopes ?? []),
            rejectUnauthenticated: opts.mode === 'reject',
            // Same checks as generic-auth's default (outer list OR, inner list AND), with clearer
            // messages and statuses: filter mode answers 200 with partial data.
            validateUser: (params: ValidateUserFnParams<Record<string, any>>) => {
              if (!defaultProtectSingleValidateFn(params)) return undefined;
              const anonymous = params.user == null;
              return createUnauthenticatedError({
                fieldNode: params.fieldNode,
                path: params.path,
                message: anonymous ? 'Authentication is required for this field' : 'Your credentials lack the scopes this field requires',
                statusCode: opts.mode === 'filter' ? 200 : anonymous ? 401 : 403,
              });
            },
          },
        }
      : {}),
    plugins: () => [forwardIdentity],
  });

  return runtime;
}

export async function startGateway(opts: GatewayOptions, port = 0): Promise<RunningGateway> {
  const runtime = createGateway(opts);
  const server = http.createServer(runtime);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://localhost:${address.port}/graphql`,
    server,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await runtime.dispose();
    },
  };
}
