import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Logger } from '../logger';
import { securityHeaders } from './security-headers';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

export interface RequestListenerParts {
  production: boolean;
  logger: Logger;
  /** POST/GET /graphql: nearly every request, served without a router. */
  graphql: { matches(url: string | undefined): boolean; handle(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): void };
  /** Every other route (express). */
  routes: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

/**
 * What every response gets, written before the request is routed (a router layer would cost every
 * request more than the work itself): a request id (the client's X-Request-Id when well-formed, else a
 * new UUID), the security headers, and an access-log line when info is enabled. Then /graphql goes
 * straight to its handler and everything else to express.
 */
export function requestListener({ production, logger, graphql, routes }: RequestListenerParts) {
  const headers = securityHeaders(production);
  const accessLog = logger.isLevelEnabled('info');
  return (req: http.IncomingMessage, res: http.ServerResponse & { locals?: Record<string, unknown> }): void => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    for (const [name, value] of headers) res.setHeader(name, value);
    if (accessLog) {
      const started = process.hrtime.bigint();
      const path = (req.url ?? '/').split('?', 1)[0];
      res.on('finish', () => {
        logger.info({ requestId, method: req.method, path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
      });
    }
    if (graphql.matches(req.url)) return graphql.handle(req, res, requestId);
    res.locals = { requestId }; // express keeps an existing res.locals
    routes(req, res);
  };
}
