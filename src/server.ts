import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express, { Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import { DataSource } from 'typeorm';
import type { Config } from './config';
import type { Context } from './context';
import { Authenticator } from './auth/authenticator';
import { parseAuthorization } from './auth/credentials';
import { SessionTokens } from './auth/session-tokens';
import { TokenCache } from './auth/token-cache';
import { UsageRecorder } from './auth/usage-recorder';
import { clock } from './common/clock';
import { createDataSource, initializeDatabase } from './db/data-source';
import { CountingQueryLogger } from './db/query-logger';
import { AppError, createErrorFormatter, unauthenticated } from './errors';
import { createLoaders } from './loaders';
import { createLogger, Logger } from './logger';
import { buildSchema } from './schema';
import { createServices, Services } from './services';
import { parseIdentityKey } from './auth/identity-keys';
import type { Principal } from './auth/principal';
import { GatewayIdentity, GatewayIdentityError, hasGatewayCredential, IDENTITY_HEADER, GATEWAY_SECRET_HEADER, verifyGatewayIdentity } from './subgraph-kit';

export interface TokengateServer {
  app: express.Express;
  httpServer: http.Server;
  dataSource: DataSource;
  queryLogger: CountingQueryLogger;
  services: Services;
  authenticator: Authenticator;
  usage: UsageRecorder;
  logger: Logger;
  /** Listen on config.port (0 = any free port); resolves with the URL of /graphql. */
  listen(port?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  logger?: Logger;
  /** An existing, initialised DataSource (tests); otherwise one is made from the config. */
  dataSource?: DataSource;
  queryLogger?: CountingQueryLogger;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

function toGraphQLError(err: unknown): GraphQLError {
  if (err instanceof AppError) {
    const status = err.code === 'UNAUTHENTICATED' ? 401 : err.code === 'RATE_LIMITED' ? 429 : 400;
    return new GraphQLError(err.message, { extensions: { code: err.code, http: { status } } });
  }
  return new GraphQLError('The service is temporarily unavailable; try again shortly', {
    extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
  });
}

/** Build the whole tokens service: database, services, schema behind shield, Apollo, HTTP routes. */
export async function createServer(config: Config, options: ServerOptions = {}): Promise<TokengateServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  let dataSource = options.dataSource;
  let queryLogger = options.queryLogger;
  if (!dataSource) {
    const created = createDataSource(config, logger);
    dataSource = created.dataSource;
    queryLogger = created.queryLogger;
    await initializeDatabase(dataSource, config.runMigrations, logger);
  }
  if (!queryLogger) throw new Error('createServer: a queryLogger must accompany an external dataSource');
  const ds = dataSource;

  const sessionTokens = new SessionTokens(config.sessionSigningKey);
  const tokenCache = new TokenCache(config.tokenCacheTtlMs, config.tokenCacheMaxEntries, clock.nowMs);
  const usage = new UsageRecorder(ds, logger.child({ component: 'usage' }), config.usageFlushIntervalMs);
  const authenticator = new Authenticator(ds, sessionTokens, tokenCache, usage);
  const services = createServices(ds, config, { sessionTokens, tokenCache });

  const identityKeys = parseIdentityKey(config.identityPrivateKey);

  /**
   * Who is calling. Through the gateway (credential + signed identity) the
   * principal is the gateway's word, not re-checked here; a forged or
   * incomplete gateway header is refused, never read as anonymous. Otherwise
   * the Authorization header, unless TOKENS_REQUIRE_GATEWAY refuses direct calls.
   */
  async function principalOf(req: Request): Promise<Principal | null> {
    if (!config.gatewaySecret) {
      if (req.headers[IDENTITY_HEADER] !== undefined || req.headers[GATEWAY_SECRET_HEADER] !== undefined) {
        throw unauthenticated('Gateway identity is not accepted by this service');
      }
      return authenticator.authenticate(parseAuthorization(req.headers.authorization), req.ip);
    }
    let identity: GatewayIdentity | null;
    try {
      identity = await verifyGatewayIdentity(req.headers, {
        keys: identityKeys.jwks,
        audience: config.subgraphName,
        gatewaySecret: config.gatewaySecret,
        requireGateway: config.requireGateway,
      });
    } catch (err) {
      if (err instanceof GatewayIdentityError) throw unauthenticated(err.message);
      throw err;
    }
    if (identity) return principalFromIdentity(identity);
    // The gateway's own calls without an identity are anonymous: it never forwards client credentials.
    if (hasGatewayCredential(req.headers, config.gatewaySecret)) return null;
    return authenticator.authenticate(parseAuthorization(req.headers.authorization), req.ip);
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  const httpServer = http.createServer(app);
  const production = config.env === 'production';

  const apollo = new ApolloServer<Context>({
    schema: buildSchema(),
    introspection: config.introspection,
    includeStacktraceInErrorResponses: !production && config.env !== 'test',
    hideSchemaDetailsFromClientErrors: production,
    formatError: createErrorFormatter(logger, { exposeDetails: !production }),
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.sandbox ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  app.use((req, res, next) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        { requestId, method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'request',
      );
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await withTimeout(ds.query('SELECT 1'), 2000);
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database' });
    }
  });

  app.get('/.well-known/jwks.json', (_req, res) => {
    res.setHeader('cache-control', 'public, max-age=300');
    res.json(identityKeys.jwks);
  });

  /**
   * Token introspection for a gateway that does not run in this process,
   * shaped like RFC 7662. Only the gateway may call it (GATEWAY_SECRET header,
   * compared in constant time). Body, form or JSON: token=<API token secret or
   * session access token>, optional username (Basic credentials) and client_ip
   * (recorded as the token's last-used address).
   */
  app.post(
    '/internal/introspect',
    express.urlencoded({ extended: false, limit: '8kb' }),
    express.json({ limit: '8kb' }),
    async (req, res) => {
      res.setHeader('cache-control', 'no-store');
      if (!config.gatewaySecret || !hasGatewayCredential(req.headers, config.gatewaySecret)) {
        res.status(401).json({ error: 'invalid_client' });
        return;
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const { token, username, client_ip: clientIp } = body;
      if (typeof token !== 'string' || token === '' || (username !== undefined && typeof username !== 'string')) {
        res.status(400).json({ error: 'invalid_request', error_description: 'token is required' });
        return;
      }
      const credential = username
        ? ({ kind: 'apiToken', secret: token, username, scheme: 'Basic' } as const)
        : parseAuthorization(`Bearer ${token}`);
      let p: Principal | null = null;
      try {
        p = await authenticator.authenticate(credential, typeof clientIp === 'string' && clientIp.length <= 64 ? clientIp : undefined);
      } catch (err) {
        if (!(err instanceof AppError)) {
          logger.error({ err }, 'introspection failed unexpectedly');
          res.status(503).json({ error: 'temporarily_unavailable' });
          return;
        }
      }
      if (!p) {
        res.json({ active: false });
        return;
      }
      res.json({
        active: true,
        sub: p.userId,
        acc: p.accountId,
        role: p.role,
        via: p.via,
        scope: p.scopes.join(' '),
        ...(p.expiresAt ? { exp: Math.floor(p.expiresAt.getTime() / 1000) } : {}),
        ...(p.tokenId ? { token_id: p.tokenId, token_type: 'api_token' } : { token_type: 'session' }),
        ...(p.environment ? { env: p.environment } : {}),
        ...(p.tokenUsername ? { username: p.tokenUsername } : {}),
      });
    },
  );

  app.use(
    '/graphql',
    express.json({ limit: '100kb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }: { req: Request; res: Response }): Promise<Context> => {
        const requestId = String(res.locals.requestId);
        const ip = req.ip;
        let principal;
        try {
          principal = await principalOf(req);
        } catch (err) {
          if (!(err instanceof AppError)) logger.error({ err, requestId }, 'authentication failed unexpectedly');
          throw toGraphQLError(err);
        }
        const ctx: Context = {
          requestId,
          ip,
          userAgent: req.header('user-agent'),
          principal,
          loaders: createLoaders(ds, principal),
          services,
          logger: logger.child({ requestId }),
          schemaIsPublic: config.introspection,
          // Apollo shallow-copies the context per operation: mutate the copy the resolvers hold (`this`).
          actAs(this: Context, next) {
            this.principal = next;
            this.loaders = createLoaders(ds, next);
          },
        };
        return ctx;
      },
    }),
  );

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  usage.start();
  let stopped = false;

  return {
    app,
    httpServer,
    dataSource: ds,
    queryLogger,
    services,
    authenticator,
    usage,
    logger,
    listen(port = config.port) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, () => {
          const address = httpServer.address() as AddressInfo;
          resolve(`http://localhost:${address.port}/graphql`);
        });
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await apollo.stop(); // drains in-flight requests and closes the HTTP server
      await usage.stop();
      if (!options.dataSource && ds.isInitialized) await ds.destroy();
    },
  };
}

function principalFromIdentity(id: GatewayIdentity): Principal {
  return {
    userId: id.userId,
    accountId: id.accountId,
    role: id.role as Principal['role'],
    via: id.via,
    tokenId: id.tokenId,
    environment: id.environment ?? null,
    scopes: id.scopes,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
