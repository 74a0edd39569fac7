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

/** Headers a browser may send cross-origin to /graphql, and the one it may read back. */
export const CORS_ALLOWED_HEADERS = ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id'];
export const CORS_EXPOSED_HEADERS = ['x-request-id'];
