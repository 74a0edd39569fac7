import 'reflect-metadata';
import http from 'node:http';
import type { DataSource } from 'typeorm';
import type { Config } from './config';
import { RequestContext } from './context';
import { buildCore, CoreOptions } from './core';
import type { Authenticator } from './verification/authenticator';
import { parseIdentityKey } from './auth/identity-keys';
import type { Principal } from './auth/principal';
import { requestPrincipal } from './verification/request-principal';
import type { UsageRecorder } from './verification/usage-recorder';
import type { CountingQueryLogger } from './db/query-logger';
import { createLoaders } from './loaders';
import type { Logger } from './logger';
import type { Scheduler } from './modules/notification/scheduler';
import type { Services } from './services';
import { startApollo } from './http/apollo';
import { graphqlHandler, isGraphQLPath } from './http/graphql-handler';
import { listenOn } from './http/listen';
import { requestListener } from './http/request-listener';
import { httpRoutes } from './http/routes';
import { MetricsEndpoint } from './http/metrics-endpoint';
import { watchDatabase } from './common/metrics';
import { flushTracing, startTracing, traceRequests } from './http/tracing';

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
  /** /metrics (METRICS_PORT / METRICS_TOKEN); `metrics.url` is the metrics port's base URL once listening. */
  metrics: MetricsEndpoint;
  /** Listen on config.port (0 = any free port) at config.host (HOST; unset = every interface); resolves with the URL of /graphql. */
  listen(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

/** logger, and an existing initialised dataSource with its queryLogger (tests); otherwise both are made from the config. */
export type ServerOptions = Pick<CoreOptions, 'logger' | 'dataSource' | 'queryLogger'>;

/**
 * The tokens service: the core (database, services, authenticator, scheduler: core.ts), Apollo with the
 * schema behind shield (http/apollo.ts), /graphql served from node:http (http/graphql-handler.ts) with
 * request → principal from the verification layer (verification/request-principal.ts), and every other route on express
 * (http/routes.ts), behind one request listener (http/request-listener.ts).
 */
export async function createServer(config: Config, options: ServerOptions = {}): Promise<TokengateServer> {
  const core = await buildCore(config, options);
  const { logger, dataSource, services, authenticator } = core;
  const identityKeys = parseIdentityKey(config.identityPrivateKey);
  const httpServer = http.createServer(); // its request listener is set below, once Apollo has started
  // OTEL_EXPORTER_OTLP_ENDPOINT: a server span per request, continuing the caller's traceparent (http/tracing.ts).
  if (config.tracing) {
    startTracing(config.tracing);
    traceRequests(httpServer);
  }
  const apollo = await startApollo(config, logger, httpServer);

  const makeLoaders = (p: Principal | null) => createLoaders(dataSource, p);
  const graphql = graphqlHandler({
    apollo,
    config,
    logger,
    requestPrincipal: requestPrincipal({ authenticator, identityKeys, config }),
    contextOf: (requestId, ip, userAgent, principal) => new RequestContext(requestId, ip, userAgent, principal, services, logger, config.introspection, makeLoaders),
  });
  const metrics = new MetricsEndpoint(config.metrics, config.host);
  const unwatchDatabase = watchDatabase(() => dataSource.query('SELECT 1'));
  const routes = httpRoutes({ config, dataSource, authenticator, identityKeys, logger, metrics });
  httpServer.on('request', requestListener({ production: config.env === 'production', logger, graphql: { matches: isGraphQLPath, handle: graphql }, routes }));

  core.usage.start();
  core.scheduler.start();
  let stopped = false;
  return {
    httpServer,
    dataSource,
    queryLogger: core.queryLogger,
    services,
    authenticator,
    usage: core.usage,
    scheduler: core.scheduler,
    logger,
    metrics,
    async listen(port = config.port, host = config.host) {
      const url = `${await listenOn(httpServer, port, host)}/graphql`;
      await metrics.listen(host);
      return url;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      unwatchDatabase();
      await metrics.stop();
      await apollo.stop(); // drains in-flight requests and closes the HTTP server
      await core.close(); // scheduler, usage (flushed), the database if it opened it
      if (config.tracing) await flushTracing();
    },
  };
}
