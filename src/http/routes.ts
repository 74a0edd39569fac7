import express, { Express, NextFunction, Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import type { Authenticator } from '../verification/authenticator';
import type { IdentityKeys } from '../auth/identity-keys';
import type { Config } from '../config';
import { httpRefusal } from '../errors';
import type { Logger } from '../logger';
import { consoleRoutes } from './console';
import { coprocessors } from './coprocessor';
import { introspectionRoute } from './introspection';
import { tokenExchange } from './token-exchange';
import type { MetricsEndpoint } from './metrics-endpoint';

export interface RoutesDeps {
  config: Config;
  dataSource: DataSource;
  authenticator: Authenticator;
  identityKeys: IdentityKeys;
  logger: Logger;
  /** /metrics on this port when METRICS_TOKEN is set without METRICS_PORT (it answers nothing otherwise). */
  metrics: MetricsEndpoint;
}

/**
 * Every route but /graphql, on express: health and readiness, the identity JWKS, token introspection
 * for a remote gateway, RFC 8693 token exchange with its discovery metadata, the router coprocessors,
 * the console at /console/, a JSON 404, and the error handler (anything thrown before a handler
 * answers JSON in the error table's shape, errors.ts httpRefusal, never a stack). A new route is one
 * more line here, before the 404: none of these is on the hot path, so the router costs nothing that
 * matters, and the request listener has already set the request id and the security headers.
 */
export function httpRoutes(deps: RoutesDeps): Express {
  const { config, dataSource, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  // No answer here is cacheable: an ETag would only cost a SHA-1 of each body.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);

  // Prometheus metrics: on METRICS_PORT, or here with METRICS_TOKEN, or off (http/metrics-endpoint.ts).
  app.get('/metrics', (req, res, next) => {
    if (!deps.metrics.handle(req, res)) next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await withTimeout(dataSource.query('SELECT 1'), 2000);
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database' });
    }
  });
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.setHeader('cache-control', 'public, max-age=300');
    res.json(deps.identityKeys.jwks);
  });
  app.use(introspectionRoute({ gatewaySecret: config.gatewaySecret, authenticator: deps.authenticator, logger }));
  // Routers other than Tokengate's gateway: RFC 8693 token exchange + discovery metadata, and coprocessors.
  app.use(tokenExchange(deps));
  app.use(coprocessors(deps));
  app.use(consoleRoutes({ enabled: config.console, logger }));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use((err: { status?: number; statusCode?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const answer = httpRefusal(err.status ?? err.statusCode ?? 500);
    if (answer.status >= 500) logger.error({ err, requestId: res.locals.requestId }, 'unhandled request error');
    if (res.headersSent) return;
    res.status(answer.status).json(answer.body);
  });
  return app;
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
