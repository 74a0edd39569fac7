import { GraphQLError, GraphQLFormattedError, Kind } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from 'pino';

/** The contract's error vocabulary (API.md), plus what hardening adds. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'TOKEN_LIMIT_REACHED'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE';

/** A domain error: its message is written for the user and safe to show. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const unauthenticated = (message = 'Authentication required: send a valid session or API token') =>
  new AppError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this') => new AppError('FORBIDDEN', message);
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const badInput = (field: string, message: string) =>
  new AppError('BAD_USER_INPUT', `${field}: ${message}`, { field });
export const conflict = (message: string) => new AppError('CONFLICT', message);

/** Every code of the vocabulary above; the gateway passes exactly these (and graphql-js/Apollo's) through. */
export const APP_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'TOKEN_LIMIT_REACHED',
  'CONFLICT',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
]);

/** Codes whose messages graphql-js or Apollo wrote for the client and that are safe to pass on. */
const CLIENT_SAFE_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'ECONNRESET', 'ER_CON_COUNT_ERROR', 'SQLITE_BUSY'].includes(code)
  );
}

/** graphql-js's error for a variable value it cannot coerce (the test Apollo Server makes to answer BAD_USER_INPUT). */
export function isVariableValueError(error: GraphQLError): boolean {
  const node = error.nodes?.length === 1 ? error.nodes[0] : undefined;
  if (node?.kind !== Kind.VARIABLE_DEFINITION) return false;
  const v = `Variable "$${node.variable.name.value}" `;
  return ['got invalid value ', 'has invalid value', 'of required type ', 'of non-null type '].some((rest) => error.message.startsWith(v + rest));
}

/**
 * graphql-js reports a variable it cannot coerce with the value it got, and
 * when a field is missing or unknown that value is the whole input object:
 * `Variable "$input" got invalid value { email: "…", password: "…" }; Field
 * "name" of required type "String!" was not provided.` A password sent right
 * would come back in an error, and go on to wherever the client logs errors,
 * because another field was wrong. Keep the variable, the path and the reason;
 * drop the value. (A reason may still quote the one value it refuses, e.g. a
 * string where an Int goes: that value is the client's mistake, not a
 * bystander.)
 */
export function withoutVariableValue(message: string, error: unknown): string {
  const variable = /^Variable "\$(\w+)" got invalid value /.exec(message);
  const reason = (error as { originalError?: { message?: unknown } } | null)?.originalError?.message;
  if (!variable || typeof reason !== 'string' || !message.endsWith(`; ${reason}`)) return message;
  const at = / at "([\w.[\]]+)"$/.exec(message.slice(0, message.length - reason.length - 2));
  return `Variable "$${variable[1]}" got an invalid value${at ? ` at "${at[1]}"` : ''}; ${reason}`;
}

/**
 * graphql-js ends validation and coercion errors with "Did you mean …?", naming
 * fields, arguments, types and enum values near the one asked for: a map of
 * the schema for a stranger when introspection is closed. Dropped in production
 * here, where it costs nothing on requests without errors (Apollo's and
 * graphql-armor's suggestion plugins hook into every request to do the same).
 */
export const withoutSuggestions = (message: string): string => message.replace(/ ?Did you mean .+\?$/, '');

/**
 * The one mapper from anything thrown to what a client sees. Domain errors keep
 * their code and message; graphql-js validation errors pass through; everything
 * else becomes a generic INTERNAL_SERVER_ERROR and is logged in full here.
 */
export function createErrorFormatter(logger: Logger, opts: { exposeDetails: boolean }) {
  return (received: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const message = withoutVariableValue(received.message, error);
    const formatted = { ...received, message: opts.exposeDetails ? message : withoutSuggestions(message) };
    const original = unwrapResolverError(error);
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
    if (original instanceof AppError) {
      return { ...base, message: original.message, extensions: { ...original.extensions, code: original.code } };
    }
    if (isDatabaseUnavailable(original)) {
      logger.error({ err: original }, 'database unavailable');
      return { ...base, message: 'The service is temporarily unavailable; try again shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_SAFE_CODES.has(code)) {
      return opts.exposeDetails ? formatted : { ...base, extensions: { code } };
    }
    if (original instanceof GraphQLError && typeof code === 'string' && APP_CODES.has(code)) {
      // Raised as GraphQLError on purpose, e.g. by the context function (UNAUTHENTICATED, SERVICE_UNAVAILABLE).
      return { ...base, extensions: { code } };
    }
    if (original instanceof GraphQLError && !original.originalError && !formatted.path) {
      // A request-level error written by graphql-js or Apollo for the client (e.g. a persisted-query hash
      // mismatch): never raised by our resolvers, which always have a path.
      const status = (original.extensions?.http as { status?: number } | undefined)?.status;
      if (status === undefined || status < 500) {
        return { message: original.message, locations: formatted.locations, extensions: { code: typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR' ? code : 'BAD_REQUEST' } };
      }
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error while executing an operation');
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: opts.exposeDetails ? { ...formatted.extensions, code: 'INTERNAL_SERVER_ERROR' } : { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
