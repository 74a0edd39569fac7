import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { generateIdentityKeyPem, parseIdentityKey } from '../../src/auth/identity-keys';
import { Authenticator } from '../../src/verification/authenticator';
import { SessionTokens } from '../../src/auth/session-tokens';
import { TokenCache } from '../../src/auth/token-cache';
import { clock } from '../../src/common/clock';
import { ThrottleService } from '../../src/modules/throttle/throttle.service';
import { cachedVerifier, CredentialVerifier, followInvalidations, inProcessVerifier, introspectionVerifier } from '../../src/gateway/auth';
import { composeSupergraph } from '../../src/gateway/compose';
import { loadGatewayConfig } from '../../src/gateway/config';
import { GatewayAuthMode, RunningGateway, startGateway } from '../../src/gateway/gateway';
import { INVENTORY_SDL, InventoryServer, startInventory } from '../../examples/inventory/inventory';
import { IDENTITY_HEADER } from '../../src/subgraph-kit';
import { GqlResponse, post, startTestApp, TestApp } from './app';
import { registerSecret } from './secret-registry';

export { post };

export const GATEWAY_SECRET = 'test-gateway-secret-0123456789-abcdefghijklmnop';
export const IDENTITY_KEY_PEM = generateIdentityKeyPem();

export interface Supergraph {
  app: TestApp;
  inventory: InventoryServer;
  /** Headers of every request the inventory subgraph received, newest last. */
  inventoryRequests: IncomingHttpHeaders[];
  /** Headers of every request the tokens subgraph received. */
  tokensRequests: IncomingHttpHeaders[];
  gateways: Map<string, RunningGateway>;
  supergraphSdl: string;
  /**
   * `env`: gateway variables (NODE_ENV, QUERY_MAX_*, BODY_LIMIT_BYTES…) read by the real config loader for the limits.
   * `via`: 'inProcess' shares the tokens service's Authenticator and forgets its cached verdicts when
   * that service changes something (as `npm run dev:supergraph`); 'inProcessSeparate' verifies in-process
   * with its own Authenticator and no token cache, like `npm run gateway` without TOKENS_INTROSPECTION_URL
   * (another process: it hears of no change); 'introspection' calls POST /internal/introspect.
   * `verifier`: authenticate with this instead of `via` (e.g. an Authenticator built by the test).
   */
  startGateway(
    name: string,
    o?: {
      mode?: GatewayAuthMode;
      ttlMs?: number;
      via?: 'inProcess' | 'inProcessSeparate' | 'introspection' | 'none';
      verifier?: CredentialVerifier;
      perToken?: number;
      perIp?: number;
      supergraphSdl?: string;
      env?: Record<string, string>;
    },
  ): Promise<RunningGateway>;
  /** POST a GraphQL operation to a gateway. */
  gql<T = any>(gateway: RunningGateway | string, query: string, variables?: Record<string, unknown>, authorization?: string, headers?: Record<string, string>): Promise<GqlResponse<T>>;
  stop(): Promise<void>;
}

/** A gateway log entry as one JSON line, errors with their message and stack; never throws. */
function logLine(level: string, msg: string, data: unknown): string {
  const detail = data instanceof Error ? { ...data, name: data.name, message: data.message, stack: data.stack } : data;
  try {
    return JSON.stringify({ level, msg, data: detail });
  } catch {
    return JSON.stringify({ level, msg, data: String(data) });
  }
}

/** Tokens service (startTestApp, real DB) + the inventory example + gateways, all in-process on port 0. */
export async function startSupergraph(env: Record<string, string> = {}): Promise<Supergraph> {
  const app = await startTestApp({ GATEWAY_SECRET, IDENTITY_PRIVATE_KEY: IDENTITY_KEY_PEM, ...env });
  const tokensRequests: IncomingHttpHeaders[] = [];
  // The gateway calls subgraphs with its own HTTP client, which the secrets registry's fetch observer
  // does not see: the identities it signs are registered where they arrive.
  const identityArrived = (to: string, h: IncomingHttpHeaders) => registerSecret(`identity JWT the gateway sent to ${to}`, h[IDENTITY_HEADER]);
  app.server.httpServer.prependListener('request', (req) => {
    if (req.url?.startsWith('/graphql')) tokensRequests.push(req.headers);
    identityArrived('the tokens service', req.headers);
  });
  const inventoryRequests: IncomingHttpHeaders[] = [];
  const inventory = await startInventory({
    jwksUrl: `${app.base}/.well-known/jwks.json`,
    gatewaySecret: GATEWAY_SECRET,
    onRequest: (h) => {
      inventoryRequests.push(h);
      identityArrived('inventory', h);
    },
  });
  const supergraphSdl = composeSupergraph([
    { name: 'tokens', url: app.url, typeDefs: readFileSync(join(__dirname, '../../schema/subgraph.graphql'), 'utf8') },
    { name: 'inventory', url: inventory.url, typeDefs: INVENTORY_SDL },
  ]);
  const identityKeys = parseIdentityKey(IDENTITY_KEY_PEM);
  const gateways = new Map<string, RunningGateway>();
  return {
    app,
    inventory,
    inventoryRequests,
    tokensRequests,
    gateways,
    supergraphSdl,
    async startGateway(name, o = {}) {
      // Its log is scanned for secrets with the tokens service's when app.stop() runs.
      const lines: string[] = [];
      app.logSources.push({ where: `the log of gateway "${name}"`, lines });
      let verifier: CredentialVerifier | null = null;
      let unfollow = () => undefined as unknown;
      if (o.verifier) {
        verifier = cachedVerifier(o.verifier, o.ttlMs ?? 0);
      } else if (o.via === 'introspection') {
        verifier = cachedVerifier(introspectionVerifier(`${app.base}/internal/introspect`, GATEWAY_SECRET), o.ttlMs ?? 0);
      } else if (o.via === 'inProcessSeparate') {
        const s = app.server;
        const own = new Authenticator(
          s.dataSource,
          new SessionTokens(app.config.sessionSigningKey),
          new TokenCache(0, 0, clock.nowMs),
          s.usage,
          new ThrottleService(s.dataSource),
          s.logger.child({ component: `gateway ${name}` }),
        );
        verifier = cachedVerifier(inProcessVerifier(own), o.ttlMs ?? 0);
      } else if (o.via !== 'none') {
        const cached = cachedVerifier(inProcessVerifier(app.server.authenticator), o.ttlMs ?? 0);
        unfollow = followInvalidations(app.server.authenticator.cache, cached);
        verifier = cached;
      }
      // What the gateway reads from its environment (limits, CORS, TRUST_PROXY, INTROSPECTION, GATEWAY_HOST), as `npm run gateway` would.
      const fromEnv = loadGatewayConfig({ NODE_ENV: 'test', SUPERGRAPH_PATH: 'unused', GATEWAY_SECRET, IDENTITY_PRIVATE_KEY: IDENTITY_KEY_PEM, ...o.env });
      const gw = await startGateway(
        {
          supergraphSdl: o.supergraphSdl ?? supergraphSdl,
          verifier,
          identityKeys,
          gatewaySecret: GATEWAY_SECRET,
          mode: o.mode ?? 'filter',
          rateLimitPerToken: o.perToken ?? 0,
          rateLimitAnonymousPerIp: o.perIp ?? 0,
          limits: fromEnv.limits,
          corsOrigins: fromEnv.corsOrigins,
          production: fromEnv.production,
          introspection: fromEnv.introspection,
          trustProxy: fromEnv.trustProxy,
          metrics: fromEnv.metrics,
          tracing: fromEnv.tracing,
          log: (level, msg, data) => {
            // eslint-disable-next-line no-console -- opt-in debugging output (GATEWAY_TEST_LOG)
            if (process.env.GATEWAY_TEST_LOG) console.log(level, msg, data);
            lines.push(logLine(level, msg, data));
          },
        },
        0,
        fromEnv.host,
      );
      const stop = gw.stop.bind(gw);
      gw.stop = async () => {
        unfollow();
        await stop();
      };
      gateways.set(name, gw);
      return gw;
    },
    gql(gateway, query, variables, authorization, headers) {
      return post(typeof gateway === 'string' ? gateway : gateway.url, query, variables, authorization, headers);
    },
    async stop() {
      for (const gw of gateways.values()) await gw.stop();
      await inventory.stop();
      await app.stop();
    },
  };
}
