import { EnvelopArmor } from '@escape.tech/graphql-armor';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError, ValidationContext } from 'graphql';
import type { QueryLimits } from '../config';

/**
 * What the gateway refuses before planning or calling any subgraph. The values
 * come from the same variables as the tokens service (QUERY_MAX_*,
 * BODY_LIMIT_BYTES), so one setting tunes both layers.
 */
export interface GatewayLimits extends QueryLimits {
  /** Largest request body, in bytes (413 beyond it). */
  bodyLimitBytes: number;
  /** Say which limit was hit and its value (development); production answers "Query validation error." */
  exposeLimits: boolean;
  /** Strip "Did you mean …?" from validation errors (production): they map the schema for a stranger. */
  blockFieldSuggestions: boolean;
}

/**
 * graphql-armor throws its rejection out of parse() or validate(); Yoga hands
 * such a throw to the masked-errors function with no code, where it would
 * become an INTERNAL_SERVER_ERROR, and would answer a parse failure with HTTP
 * 200 to `Accept: application/json` clients. The gateway's maskError asks
 * limitRejectionCode() and answers a rejection as the client error it is: this
 * code, HTTP 400, whatever the Accept header (as the tokens service does).
 */
const rejections = new WeakMap<GraphQLError, 'GRAPHQL_VALIDATION_FAILED' | 'GRAPHQL_PARSE_FAILED'>();
const remember = (code: 'GRAPHQL_VALIDATION_FAILED' | 'GRAPHQL_PARSE_FAILED') => (_ctx: ValidationContext | null, err: GraphQLError) => {
  rejections.set(err, code);
};

/** The public code of an error raised by one of the query limits; undefined for any other error. */
export function limitRejectionCode(err: unknown): 'GRAPHQL_VALIDATION_FAILED' | 'GRAPHQL_PARSE_FAILED' | undefined {
  return err instanceof GraphQLError ? rejections.get(err) : undefined;
}

/**
 * Hive Gateway's runtime has no option for depth, cost, aliases, directives or
 * tokens (the `maxDepth`/`maxTokens`/`blockFieldSuggestions` shorthands belong to
 * the `@graphql-hive/gateway` CLI package, which installs these same graphql-armor
 * plugins), and it does not pass `maxRequestBodySize` through to Yoga (25 MB
 * default). These plugins supply both.
 */
export function limitPlugins(limits: GatewayLimits): GatewayPlugin[] {
  const { exposeLimits } = limits;
  const validation = { onReject: [remember('GRAPHQL_VALIDATION_FAILED')] };
  const armor = new EnvelopArmor({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, exposeLimits, ...validation },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, exposeLimits, ...validation },
    maxAliases: { n: limits.maxAliases, exposeLimits, ...validation },
    maxDirectives: { n: limits.maxDirectives, exposeLimits, ...validation },
    // Counted by the lexer while parsing, so a huge document is abandoned early.
    maxTokens: { n: limits.maxTokens, exposeLimits, onReject: [remember('GRAPHQL_PARSE_FAILED')] },
    blockFieldSuggestion: { enabled: limits.blockFieldSuggestions },
  }).protect();
  return [requestBodyLimit(limits.bodyLimitBytes), ...(armor.plugins as GatewayPlugin[])];
}

const tooLarge = () => new GraphQLError('Request body too large', { extensions: { code: 'BAD_REQUEST', http: { status: 413 } } });

/**
 * Refuse a body over `limit` bytes: at once when Content-Length says so, and
 * while reading otherwise (chunked uploads, or a Content-Length that lies), so
 * an oversized body is never buffered whole. Same answer as the tokens service:
 * 413, code BAD_REQUEST.
 */
export function requestBodyLimit(limit: number): GatewayPlugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared != null && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge();
      if (!requestParser || !request.body) return;
      setRequestParser((req) => requestParser(countingBody(req, limit, fetchAPI)));
    },
  };
}

function countingBody(request: Request, limit: number, fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream }): Request {
  const body = request.body;
  if (!body) return request;
  // The body may be a native stream or @whatwg-node's ponyfill; the transform must match it (as in Yoga).
  const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let read = 0;
  const limited = body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        read += chunk.byteLength;
        if (read > limit) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: limited,
    duplex: 'half',
  } as RequestInit);
}
