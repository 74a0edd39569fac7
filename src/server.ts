import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import cors from 'cors';
import express, { NextFunction, Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import { DataSource } from 'typeorm';
import type { Config } from './config';
import { Context, RequestContext } from './context';
import { Authenticator } from './verification/authenticator';
import { credentialFromIntrospection, parseAuthorization } from './auth/credentials';
import { SessionTokens } from './auth/session-tokens';
import { TokenCache } from './auth/token-cache';
import { InvalidationBus } from './auth/invalidation-bus';
import { startFleet } from './fleet';
import { UsageRecorder } from './verification/usage-recorder';
import { clock } from './common/clock';
import { createDataSource, initializeDatabase } from './db/data-source';
import { CountingQueryLogger } from './db/query-logger';
import { MaybePromise } from './common/maybe-promise';
import { AppError, createErrorFormatter, executionStatusPlugin, httpRefusal, toRequestError, unauthenticated } from './errors';
import { createLoaders } from './loaders';
import { createLogger, Logger } from './logger';
import { buildSchema } from './schema';
import { ThrottleService } from './modules/throttle/throttle.service';
import { introspectionPolicy } from './http/introspection-policy';
import { listenOn } from './http/listen';
import { CORS_POLICY, securityHeaders } from './http/security-headers';
import { consoleRoutes } from './http/console';
import { createServices, Services } from './services';
import { requestMeta } from './common/request-meta';
import { createMailer } from './modules/notification/mailer';
import { ExpiryNotifier } from './modules/notification/expiry-notifier';
import { Scheduler } from './modules/notification/scheduler';
import { parseIdentityKey } from './auth/identity-keys';
import type { Principal } from './auth/principal';
import { GatewayIdentity, GatewayIdentityError, hasGatewayCredential, IDENTITY_HEADER, GATEWAY_SECRET_HEADER, verifyGatewayIdentity } from './subgraph-kit';
import { tokenExchange } from './http/token-exchange';
import { coprocessors } from './http/coprocessor';

export interface TokengateServer {
  httpServer: http.Server;
  dataSource: DataSource;
  queryLogger: CountingQueryLogger;
  services: Services;
  authenticator: Authenticator;
  usage: UsageRecorder;
  /** Expiry notices, e-mails, webhook deliveries, pruning: tests drive it with runOnce(). */
  scheduler: Scheduler;
  logger: Logger;
  /** Listen on config.port (0 = any free port) at config.host (HOST; unset = every interface); resolves with the URL of /graphql. */
  listen(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  logger?: Logger;
  /** An existing, initialised DataSource (tests); otherwise one is made from the config. */
  dataSource?: DataSource;
  queryLogger?: CountingQueryLogger;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

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
  // Fleet mode (REDIS_URL): invalidations reach every replica and gateway; without it, this process only.
  const invalidations = new InvalidationBus();
  const fleet = startFleet(config.redis, invalidations, logger);
  const tokenCache = new TokenCache(config.tokenCacheTtlMs, config.tokenCacheMaxEntries, clock.nowMs, invalidations);
  const usage = new UsageRecorder(ds, logger.child({ component: 'usage' }), config.usageFlushIntervalMs);
  const throttle = new ThrottleService(ds);
  const authenticator = new Authenticator(ds, sessionTokens, tokenCache, usage, throttle, logger.child({ component: 'auth' }));
  const services = createServices(ds, config, { sessionTokens, tokenCache, throttle, knownSecrets: authenticator.knownSecrets, logger });
  const scheduler = createScheduler(ds, config, services, logger);

  const identityKeys = parseIdentityKey(config.identityPrivateKey);

  /**
   * Who is calling. Through the gateway (credential + signed identity) the
   * identity says who, with which token or session; what they may do now is
   * decided here, as for a direct request (Authenticator.authenticateIdentity).
   * A forged or incomplete gateway header is refused, never read as anonymous.
   * Otherwise the Authorization header, unless TOKENS_REQUIRE_GATEWAY refuses direct calls.
   */
  function principalOf(req: Request, ip: string | undefined, userAgent: string | undefined): MaybePromise<Principal | null> {
    if (!config.gatewaySecret) {
      if (req.headers[IDENTITY_HEADER] !== undefined || req.headers[GATEWAY_SECRET_HEADER] !== undefined) {
        throw unauthenticated('Gateway identity is not accepted by this service');
      }
      return authenticator.authenticate(parseAuthorization(req.headers.authorization), ip, userAgent);
    }
    return principalViaGateway(req, config.gatewaySecret, ip, userAgent);
  }

  async function principalViaGateway(req: Request, gatewaySecret: string, ip: string | undefined, userAgent: string | undefined): Promise<Principal | null> {
    let identity: GatewayIdentity | null;
    try {
      identity = await verifyGatewayIdentity(req.headers, {
        keys: identityKeys.jwks,
        audience: config.subgraphName,
        gatewaySecret,
        requireGateway: config.requireGateway,
      });
    } catch (err) {
      if (err instanceof GatewayIdentityError) throw unauthenticated(err.message);
      throw err;
    }
    if (identity) return authenticator.authenticateIdentity(identity, ip, userAgent);
    // The gateway's own calls without an identity are anonymous: it never forwards client credentials.
    if (hasGatewayCredential(req.headers, gatewaySecret)) return null;
    return authenticator.authenticate(parseAuthorization(req.headers.authorization), ip, userAgent);
  }

  const app = express();
  app.disable('x-powered-by');
  // Every GraphQL answer is no-store: an ETag would only cost a SHA-1 of each body.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  const httpServer = http.createServer(); // its request listener is below, after Apollo has started
  const production = config.env === 'production';
  const trustsProxy = config.trustProxy !== false;

  // Query limits: depth, cost, aliases, directives (tokens: parseOptions below).
  const exposeLimits = !production;
  const armor = new ApolloArmor({
    maxDepth: { n: config.queryLimits.maxDepth, ignoreIntrospection: true, flattenFragments: true, exposeLimits },
    costLimit: { maxCost: config.queryLimits.maxCost, ignoreIntrospection: true, exposeLimits },
    maxAliases: { n: config.queryLimits.maxAliases, exposeLimits },
    maxDirectives: { n: config.queryLimits.maxDirectives, exposeLimits },
    // graphql-armor's max-tokens plugin re-parses in parsingDidStart and turns any syntax error it meets
    // into an HTTP 500; graphql-js enforces the same limit natively through parseOptions below.
    maxTokens: { enabled: false },
    // "Did you mean …?" suggestions are dropped by formatError in production (no per-request plugin).
    blockFieldSuggestion: { enabled: false },
  }).protect();

  const apollo = new ApolloServer<Context>({
    schema: buildSchema(),
    validationRules: armor.validationRules,
    parseOptions: { maxTokens: config.queryLimits.maxTokens },
    // Always on for Apollo: introspectionPolicy() decides per caller (OWNER/ADMIN only unless INTROSPECTION is on).
    introspection: true,
    includeStacktraceInErrorResponses: !production && config.env !== 'test',
    formatError: createErrorFormatter(logger, { exposeDetails: !production }),
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM/SIGINT: drain, flush usage, close the pool, exit 0.
    stopOnTerminationSignals: false,
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
    plugins: [
      introspectionPolicy(config.introspection),
      executionStatusPlugin,
      // Apollo turns on federated inline tracing for subgraph schemas: any client sending
      // apollo-federation-include-trace would get resolver timings. The Hive gateway does not use them.
      ApolloServerPluginInlineTraceDisabled(),
      // Nothing here is cacheable (Cache-Control: no-store on every response), so Apollo's cache-control
      // plugin would only add a willResolveField hook to every field of every response.
      ApolloServerPluginCacheControlDisabled(),
      ...armor.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.sandbox ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  // What every response gets, written by the HTTP server before express routes the request (a router
  // layer would cost every request more than the work itself): a request id, the security headers, and
  // an access-log line when info is enabled.
  const headers = securityHeaders(production);
  const accessLog = logger.isLevelEnabled('info');
  httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse & { locals?: Record<string, unknown> }) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    res.locals = { requestId }; // express keeps an existing res.locals
    res.setHeader('x-request-id', requestId);
    for (const [name, value] of headers) res.setHeader(name, value);
    if (accessLog) {
      const started = process.hrtime.bigint();
      const path = (req.url ?? '/').split('?', 1)[0];
      res.on('finish', () => {
        logger.info(
          { requestId, method: req.method, path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
          'request',
        );
      });
    }
    app(req, res);
  });

  // GraphQL first: nearly every request is a POST to /graphql, so it passes no other route on the way.
  // CORS only concerns browsers, which always send Origin on cross-origin requests; the rest skip it.
  const makeLoaders = (p: Principal | null) => createLoaders(ds, p);
  const corsMiddleware = cors({ ...CORS_POLICY, origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins });
  const jsonBody = express.json({ limit: config.bodyLimitBytes });
  // Client address and user agent for the audit events mutations write, without threading them through
  // every service call. Only mutations write events (failed authentication passes its own metadata);
  // the storage is switched off whenever no mutation is in flight (see request-meta.ts).
  const withAuditMeta = (req: Request, res: Response, next: NextFunction) => {
    const query = (req.body as { query?: unknown } | undefined)?.query;
    if (typeof query === 'string' && !/\bmutation\b/.test(query)) return next();
    res.once('close', requestMeta.end);
    requestMeta.run({ ip: req.ip, userAgent: req.headers['user-agent'], requestId: String(res.locals.requestId) }, next);
  };
  app.use(
    '/graphql',
    // CORS (browsers only), the JSON body, the audit metadata: one router layer, as each layer costs every request.
    (req: Request, res: Response, next: NextFunction) => {
      const parse = (err?: unknown) => (err ? next(err) : jsonBody(req, res, (e?: unknown) => (e ? next(e) : withAuditMeta(req, res, next))));
      if (req.headers.origin === undefined) parse();
      else corsMiddleware(req, res, parse);
    },
    expressMiddleware(apollo, {
      context: async ({ req, res }: { req: Request; res: Response }): Promise<Context> => {
        const requestId = String(res.locals.requestId);
        // Behind a trusted proxy express derives it from X-Forwarded-For on every read; otherwise it is the socket's.
        const ip = trustsProxy ? req.ip : req.socket.remoteAddress;
        const userAgent = req.headers['user-agent'];
        let principal;
        try {
          principal = await principalOf(req, ip, userAgent);
        } catch (err) {
          if (!(err instanceof AppError)) logger.error({ err, requestId }, 'authentication failed unexpectedly');
          throw toRequestError(err);
        }
        return new RequestContext(requestId, ip, userAgent, principal, services, logger, config.introspection, makeLoaders);
      },
    }),
  );

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
   * session access token>, scheme=<APIKey|Bearer|Basic, as the client sent it>,
   * username (Basic credentials) and client_ip (recorded as the token's last-used
   * address). The credential is parsed exactly as the client's own header would
   * be (credentialFromIntrospection); without scheme, as before it existed.
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
      const credential = credentialFromIntrospection(body);
      if ('error' in credential) {
        res.status(400).json({ error: 'invalid_request', error_description: credential.error });
        return;
      }
      const clientIp = body.client_ip;
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
        ...(p.tokenId ? { token_id: p.tokenId, token_type: 'api_token', sfp: p.secretFingerprint } : { token_type: 'session', sid: p.sessionId }),
        ...(p.environment ? { env: p.environment } : {}),
        ...(p.tokenUsername ? { username: p.tokenUsername } : {}),
      });
    },
  );

  // Routers other than Tokengate's gateway: RFC 8693 token exchange + discovery metadata, and coprocessors.
  app.use(tokenExchange({ config, authenticator, identityKeys, logger }));
  app.use(coprocessors({ config, authenticator, identityKeys, logger }));
  app.use(consoleRoutes({ enabled: config.console, logger }));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  // Anything thrown before GraphQL (malformed JSON, oversized body, bad encoding) answers JSON, never a stack.
  app.use((err: { status?: number; statusCode?: number; type?: string; message?: string }, req: Request, res: Response, _next: NextFunction) => {
    const refusal = httpRefusal(err.status ?? err.statusCode ?? 500);
    if (refusal.status >= 500) logger.error({ err, requestId: res.locals.requestId }, 'unhandled request error');
    if (res.headersSent) return;
    res.status(refusal.status).json(refusal.body);
    void req;
  });

  usage.start();
  scheduler.start();
  let stopped = false;

  return {
    httpServer,
    dataSource: ds,
    queryLogger,
    services,
    authenticator,
    usage,
    scheduler,
    logger,
    async listen(port = config.port, host = config.host) {
      return `${await listenOn(httpServer, port, host)}/graphql`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await apollo.stop(); // drains in-flight requests and closes the HTTP server
      await scheduler.stop();
      await usage.stop();
      await fleet.close();
      if (!options.dataSource && ds.isInitialized) await ds.destroy();
    },
  };
}

/** The background worker; `npm run notify` builds the same one (src/scripts/notify.ts). */
export function createScheduler(ds: DataSource, config: Config, services: Services, logger: Logger): Scheduler {
  const log = logger.child({ component: 'scheduler' });
  const mailer = createMailer(config.smtpUrl, config.smtpFrom, log);
  return new Scheduler(ds, new ExpiryNotifier(ds, mailer, log), services.webhooks, services.usage, mailer, {
    notifyIntervalMs: config.notifyIntervalMs,
    webhookDeliveryIntervalMs: config.webhookDeliveryIntervalMs,
    usageRetentionDays: config.usageRetentionDays,
  }, log);
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
