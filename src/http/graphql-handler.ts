import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap, HTTPGraphQLResponse } from '@apollo/server';
import cors from 'cors';
import express from 'express';
import type { Config } from '../config';
import type { Context } from '../context';
import { AppError, httpRefusal, toRequestError } from '../errors';
import type { Logger } from '../logger';
import type { Principal } from '../auth/principal';
import type { RequestPrincipal } from '../verification/request-principal';
import { RequestClient, requestClient } from './request-address';
import { CORS_POLICY } from './security-headers';

export interface GraphQLHandlerDeps {
  apollo: ApolloServer<Context>;
  config: Pick<Config, 'corsOrigins' | 'bodyLimitBytes' | 'trustProxy' | 'gatewaySecret'>;
  logger: Logger;
  requestPrincipal: RequestPrincipal;
  contextOf(requestId: string, ip: string | undefined, userAgent: string | undefined, principal: Principal | null): Context;
}

/** Serves /graphql (the path itself or below it, in any case, as express mounted it). */
export function isGraphQLPath(url: string | undefined): boolean {
  if (url === undefined || url.length < 8) return false;
  const head = url.slice(0, 8);
  if (head !== '/graphql' && head.toLowerCase() !== '/graphql') return false;
  const next = url.charCodeAt(8);
  return Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f; /* ? */
}

/**
 * POST/GET /graphql straight from node:http to Apollo's executeHTTPGraphQLRequest, as Apollo's own
 * standalone server does: CORS for requests with an Origin (browsers), the JSON body (BODY_LIMIT_BYTES,
 * the same parser express.json is), then Apollo (CSRF prevention, the Sandbox landing page on GET,
 * the operation). No router and no express request or response
 * objects on the way: measured in bench/RESULTS.md, they cost about half the throughput of the hot path.
 * The request id and the security headers are set by the caller, before this runs.
 */
export function graphqlHandler(deps: GraphQLHandlerDeps): (req: IncomingMessage, res: ServerResponse, requestId: string) => void {
  const { apollo, config, logger } = deps;
  const corsMiddleware = cors({ ...CORS_POLICY, origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins });
  const jsonBody = express.json({ limit: config.bodyLimitBytes }) as unknown as (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  const clientOf = requestClient(config);

  function fail(res: ServerResponse, requestId: string, err: unknown): void {
    const { status, statusCode } = (err ?? {}) as { status?: number; statusCode?: number };
    const answer = httpRefusal(status ?? statusCode ?? 500);
    if (answer.status >= 500) logger.error({ err, requestId }, 'unhandled request error');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = answer.status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(answer.body));
  }

  function execute(req: IncomingMessage & { body?: unknown }, res: ServerResponse, requestId: string, { ip, userAgent }: RequestClient): Promise<void> {
    const headers = new HeaderMap();
    for (const name in req.headers) {
      const value = req.headers[name];
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '';
    const q = url.indexOf('?');
    return apollo
      .executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: q < 0 ? '' : url.slice(q), body: req.body },
        context: async () => deps.contextOf(requestId, ip, userAgent, await authenticate(req, requestId, ip, userAgent)),
      })
      .then((answer) => send(res, answer));
  }

  async function authenticate(req: IncomingMessage, requestId: string, ip: string | undefined, userAgent: string | undefined) {
    try {
      return await deps.requestPrincipal(req.headers, ip, userAgent);
    } catch (err) {
      if (!(err instanceof AppError)) logger.error({ err, requestId }, 'authentication failed unexpectedly');
      throw toRequestError(err);
    }
  }

  return (req, res, requestId) => {
    const parse = (err?: unknown) => {
      if (err) return fail(res, requestId, err);
      jsonBody(req, res, (e?: unknown) => {
        if (e) return fail(res, requestId, e);
        void execute(req, res, requestId, clientOf(req)).catch((thrown) => fail(res, requestId, thrown));
      });
    };
    // CORS only concerns browsers, which always send Origin on cross-origin requests; the rest skip it.
    if (req.headers.origin === undefined) parse();
    else corsMiddleware(req, res, parse);
  };
}

async function send(res: ServerResponse, answer: HTTPGraphQLResponse): Promise<void> {
  for (const [key, value] of answer.headers) res.setHeader(key, value);
  res.statusCode = answer.status ?? 200;
  if (answer.body.kind === 'complete') {
    res.end(answer.body.string);
    return;
  }
  for await (const chunk of answer.body.asyncIterator) res.write(chunk);
  res.end();
}
