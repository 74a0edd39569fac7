/**
 * Coprocessor payloads exactly as the routers document and send them. Neither router binary can be
 * installed on the test machine, so these fixtures stand in for them: each is copied from the cited
 * page or source, only made valid JSON (the documentation's examples carry `//` comments, "..." for
 * the elided SDL, and literal line breaks inside the RouterRequest body string). Tests add the
 * client's `authorization` (and other) headers with `withHeaders`.
 */

/**
 * Apollo GraphOS Router, external coprocessing, protocol version 1.
 * "Example requests by stage → RouterRequest" of the Coprocessor Reference:
 * https://www.apollographql.com/docs/graphos/routing/customization/coprocessor/reference#routerrequest
 * (source: apollographql/router docs/source/routing/customization/coprocessor/reference.mdx).
 * Header values are lists (apollo-router src/services/external.rs, externalize_header_map).
 */
export const APOLLO_ROUTER_REQUEST = {
  version: 1,
  stage: 'RouterRequest',
  control: 'continue',
  id: '1b19c05fdafc521016df33148ad63c1b',
  headers: {
    cookie: ['tasty_cookie=strawberry'],
    'content-type': ['application/json'],
    host: ['127.0.0.1:4000'],
    'apollo-federation-include-trace': ['ftv1'],
    'apollographql-client-name': ['manual'],
    accept: ['*/*'],
    'user-agent': ['curl/7.79.1'],
    'content-length': ['46'],
  },
  body: '{\n    "query": "query GetActiveUser {\\n  me {\\n  name\\n}\\n}"\n  }',
  context: {
    entries: {
      'accepts-json': false,
      'accepts-wildcard': true,
      'accepts-multipart': false,
    },
  },
  sdl: '...',
  path: '/',
  method: 'POST',
};

/**
 * "Adding authorization claims via coprocessor" of External Coprocessing:
 * https://www.apollographql.com/docs/graphos/routing/customization/coprocessor#adding-authorization-claims-via-coprocessor
 * The page's router.yaml sends no headers (`headers: false`), so this payload has none: Tokengate
 * cannot see a credential in it and says which setting to turn on.
 */
export const APOLLO_CLAIMS_EXAMPLE_REQUEST = {
  version: 1,
  stage: 'RouterRequest',
  control: 'continue',
  id: 'd0a8245df0efe8aa38a80dba1147fb2e',
  context: {
    entries: {
      'accepts-json': true,
    },
  },
};

/**
 * The same page's answer shape for that example: claims in the context under this key,
 * `scope` space separated (what @requiresScopes reads).
 */
export const APOLLO_CLAIMS_EXAMPLE_RESPONSE = {
  version: 1,
  stage: 'RouterRequest',
  control: 'continue',
  id: 'd0a8245df0efe8aa38a80dba1147fb2e',
  context: {
    entries: {
      'accepts-json': true,
      'apollo::authentication::jwt_claims': {
        scope: 'profile:read profile:write',
      },
    },
  },
};

/**
 * Hive Router coprocessor protocol version 1, stage router.request, with
 * `include: { headers: true, method: true, path: true }`.
 * Protocol: https://the-guild.dev/graphql/hive/docs/router/customizations/coprocessors/stages-and-protocol
 * Options: https://the-guild.dev/graphql/hive/docs/router/configuration/coprocessor
 * The page shows the answers, not a router.request payload; its fields are the router's serializer's
 * (graphql-hive/router bin/router/src/executor/coprocessor/stages/router.rs, RouterRequestPayload:
 * version, stage, id, method, path, headers, body, context), headers as lists ("Protocol requires
 * header values as arrays", stage.rs HeaderMapJsonRef).
 */
export const HIVE_ROUTER_REQUEST = {
  version: 1,
  stage: 'router.request',
  id: '6f1c0a52-7f0e-4a59-9b7e-1b9e3c4d2a10', // a UUID v4 per call (runtime.rs)
  method: 'POST',
  path: '/graphql',
  headers: {
    'content-type': ['application/json'],
    accept: ['application/graphql-response+json, application/json'],
    host: ['127.0.0.1:4000'],
    'user-agent': ['curl/8.5.0'],
  },
};

/**
 * The break answer Hive Router's docs show (docs/coprocessors/behavior.md "Short-Circuiting", and the
 * router's e2e test e2e/src/coprocessor/router_request.rs `short_circuit`): status in control.break,
 * headers as plain strings, body a JSON string.
 */
export const HIVE_BREAK_EXAMPLE = {
  version: 1,
  control: { break: 401 },
  headers: { 'content-type': 'application/json', 'x-custom-error': 'unauthorized' },
  body: '{"error": "Unauthorized from coprocessor"}',
};

/** A copy of a fixture with more client headers (lists, as both routers send them). */
export function withHeaders<T extends object>(fixture: T, headers: Record<string, string | string[]>): T & { headers: Record<string, string[]> } {
  const extra = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
  const own = (fixture as { headers?: Record<string, string[]> }).headers ?? {};
  return { ...structuredClone(fixture), headers: { ...own, ...extra } };
}
