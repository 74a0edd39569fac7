import { GraphQLError, GraphQLFormattedError, Kind } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import type { Logger } from 'pino';

/**
 * The error table: every code Tokengate raises (the contract's vocabulary,
 * API.md, plus what hardening adds) with the HTTP status of a request refused
 * with it. The one list of codes: the type, the statuses, the public codes and
 * the conversions below all come from it, and both servers use them.
 *
 * `status` applies when the error refuses the whole request (authentication,
 * the gateway's rate limits, the HTTP layer). Raised while an operation runs,
 * an error is a GraphQL error in a 200 answer, as partial data may come with
 * it, unless `duringExecution` is set: SERVICE_UNAVAILABLE is 503 wherever it
 * is raised, so that clients, proxies and the gateway know to retry.
 */
export const ERROR_TABLE = {
  UNAUTHENTICATED: { status: 401 },
  FORBIDDEN: { status: 403 },
  BAD_USER_INPUT: { status: 400 },
  NOT_FOUND: { status: 404 },
  TOKEN_LIMIT_REACHED: { status: 409 },
  CONFLICT: { status: 409 },
  RATE_LIMITED: { status: 429 },
  SERVICE_UNAVAILABLE: { status: 503, duringExecution: true },
} as const satisfies Record<string, { status: number; duringExecution?: true }>;

/** Every code of the table, in its order. */
export const ERROR_CODES = Object.keys(ERROR_TABLE) as readonly ErrorCode[];
export type ErrorCode = keyof typeof ERROR_TABLE;

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(ERROR_TABLE, code);

/** The HTTP status of a request refused with this code. */
export const httpStatusOf = (code: ErrorCode): number => ERROR_TABLE[code].status;

/**
 * Codes graphql-js, Apollo, Yoga and Hive Gateway write for the client, with
 * messages safe to pass on (the tokens service and the gateway strip the
 * variable values and suggestions they may quote).
 */
export const FRAMEWORK_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  // Request checks: batched bodies, mutations over GET, malformed bodies.
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  // The gateway's body size limit and its directive enforcement in filter mode.
  'REQUEST_ENTITY_TOO_LARGE',
  'UNAUTHORIZED_FIELD_OR_TYPE',
]);

/** The codes a client may see besides INTERNAL_SERVER_ERROR: Tokengate's own and the frameworks'. */
export const PUBLIC_CODES: ReadonlySet<string> = new Set([...ERROR_CODES, ...FRAMEWORK_CODES]);

/** What both servers answer to a request body they cannot read. */
export const MALFORMED_BODY_MESSAGE = 'Malformed request: the body must be JSON';

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

export const unauthenticated = (message = 'Authentication required: send a valid session or API token') => new AppError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this') => new AppError('FORBIDDEN', message);
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const badInput = (field: string, message: string) => new AppError('BAD_USER_INPUT', `${field}: ${message}`, { field });
/** A clash with what exists; with `field`, said like a bad input (`field: message`, extensions.field) so forms can place it. */
export const conflict = (message: string, field?: string) => (field ? new AppError('CONFLICT', `${field}: ${message}`, { field }) : new AppError('CONFLICT', message));

/** A driver's refusal that means the database cannot answer now (answered SERVICE_UNAVAILABLE). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return typeof code === 'string' && ['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'ECONNRESET', 'ER_CON_COUNT_ERROR', 'SQLITE_BUSY'].includes(code);
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
    // BAD_USER_INPUT without an AppError is Apollo's, for a variable it could not coerce.
    if (typeof code === 'string' && (FRAMEWORK_CODES.has(code) || code === 'BAD_USER_INPUT')) {
      return opts.exposeDetails ? formatted : { ...base, extensions: { code } };
    }
    if (original instanceof GraphQLError && isErrorCode(code)) {
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

/**
 * An error that refuses the whole request before any operation runs (the
 * context function's authentication, the gateway's resolveUserFn), as a client
 * sees it: a domain error keeps its code and message with the table's status;
 * anything else means the service cannot answer now (503). The caller logs
 * what is not an AppError.
 */
export function toRequestError(err: unknown, unavailableMessage = 'The service is temporarily unavailable; try again shortly'): GraphQLError {
  if (err instanceof AppError) {
    return new GraphQLError(err.message, { extensions: { code: err.code, http: { status: httpStatusOf(err.code) } } });
  }
  return new GraphQLError(unavailableMessage, { extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: httpStatusOf('SERVICE_UNAVAILABLE') } } });
}

/** The code a client sees for an error raised while an operation ran, when the table knows it. */
function executionCodeOf(error: unknown): ErrorCode | undefined {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) return original.code;
  if (isDatabaseUnavailable(original)) return 'SERVICE_UNAVAILABLE';
  const code = (original as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return isErrorCode(code) ? code : undefined;
}

/**
 * The HTTP status an answer with these errors gets from the table's
 * `duringExecution` codes (SERVICE_UNAVAILABLE: 503), or undefined to leave
 * it to Apollo (200 with errors, or what a request-level error says).
 */
export function executionStatusOf(errors: readonly unknown[]): number | undefined {
  for (const error of errors) {
    const code = executionCodeOf(error);
    if (code && 'duringExecution' in ERROR_TABLE[code]) return ERROR_TABLE[code].status;
  }
  return undefined;
}

/**
 * The Apollo plugin that applies executionStatusOf. Its only hook runs on
 * answers with errors, so an answer without errors pays nothing for it.
 */
const executionStatusHooks: GraphQLRequestListener<BaseContext> = {
  async didEncounterErrors({ errors, response }) {
    const status = executionStatusOf(errors);
    if (status !== undefined) response.http.status = status;
  },
};
export const executionStatusPlugin: ApolloServerPlugin<BaseContext> = { requestDidStart: async () => executionStatusHooks };

/**
 * The body and status of a request refused by the HTTP layer before GraphQL
 * (malformed JSON, an oversized body, a bad encoding), in GraphQL's error shape:
 * the Express error handler's answer.
 */
export function httpRefusal(status: number): { status: number; body: { errors: GraphQLFormattedError[] } } {
  const message = status === 413 ? 'Request body too large' : status >= 500 ? 'Internal server error' : MALFORMED_BODY_MESSAGE;
  const code = status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
  return { status, body: { errors: [{ message, extensions: { code } }] } };
}
