/**
 * Headers on every response of the tokens service and the gateway. API answers
 * can carry a secret exactly once (createApiToken, signUp…), so nothing is ever
 * cached; nothing is meant to be framed or embedded.
 */
export function securityHeaders(production: boolean): Array<[string, string]> {
  return [
    ['Cache-Control', 'no-store'],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'no-referrer'],
    ['X-Frame-Options', 'DENY'],
    ['Content-Security-Policy', "frame-ancestors 'none'"],
    ['Cross-Origin-Resource-Policy', 'same-site'],
    ...(production ? ([['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']] as Array<[string, string]>) : []),
  ];
}

/**
 * What a listed browser origin may do at /graphql, on the tokens service and the gateway alike:
 * the methods, the headers it may send, the one it may read back, how long a preflight holds.
 * Never with credentials: callers authenticate with the Authorization header, not cookies.
 */
export const CORS_POLICY = {
  methods: ['GET', 'POST', 'OPTIONS'],
  allowedHeaders: ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id'],
  exposedHeaders: ['x-request-id'],
  maxAge: 600,
};
