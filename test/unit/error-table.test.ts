import { GraphQLError, locatedError } from 'graphql';
import pino from 'pino';
import {
  AppError,
  createErrorFormatter,
  ERROR_CODES,
  ERROR_TABLE,
  ErrorCode,
  executionStatusOf,
  FRAMEWORK_CODES,
  httpRefusal,
  httpStatusOf,
  isErrorCode,
  PUBLIC_CODES,
  toRequestError,
} from '../../src/errors';

/** The one error table (src/errors.ts): codes, statuses, public codes and the conversions both servers use. */

test('the code list is the contract vocabulary, each with the status of a request refused with it', () => {
  expect(Object.fromEntries(ERROR_CODES.map((c) => [c, httpStatusOf(c)]))).toEqual({
    UNAUTHENTICATED: 401,
    FORBIDDEN: 403,
    BAD_USER_INPUT: 400,
    NOT_FOUND: 404,
    TOKEN_LIMIT_REACHED: 409,
    CONFLICT: 409,
    RATE_LIMITED: 429,
    SERVICE_UNAVAILABLE: 503,
  });
  expect(ERROR_CODES.filter((c) => 'duringExecution' in ERROR_TABLE[c])).toEqual(['SERVICE_UNAVAILABLE']);
});

test("public codes are Tokengate's and the frameworks', never INTERNAL_SERVER_ERROR", () => {
  for (const c of ERROR_CODES) expect(PUBLIC_CODES.has(c)).toBe(true);
  for (const c of FRAMEWORK_CODES) expect(PUBLIC_CODES.has(c)).toBe(true);
  expect(PUBLIC_CODES.has('INTERNAL_SERVER_ERROR')).toBe(false);
  expect(isErrorCode('GRAPHQL_PARSE_FAILED')).toBe(false);
  expect(isErrorCode('toString')).toBe(false);
  expect(isErrorCode('CONFLICT')).toBe(true);
});

test.each(ERROR_CODES.map((c) => [c]))("a request refused with %s carries the table's status", (code) => {
  const e = toRequestError(new AppError(code as ErrorCode, 'words for the user'));
  expect(e.message).toBe('words for the user');
  expect(e.extensions).toEqual({ code, http: { status: httpStatusOf(code as ErrorCode) } });
});

test('anything else refusing a request is SERVICE_UNAVAILABLE with 503, and says nothing of the cause', () => {
  const e = toRequestError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }), 'Try again');
  expect(e.message).toBe('Try again');
  expect(e.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', http: { status: 503 } });
});

test('raised while an operation runs, only SERVICE_UNAVAILABLE sets the status', () => {
  const inResolver = (err: Error) => locatedError(err, [], ['field']);
  expect(executionStatusOf([inResolver(new AppError('NOT_FOUND', 'x not found'))])).toBeUndefined();
  expect(executionStatusOf([inResolver(new AppError('RATE_LIMITED', 'slow down'))])).toBeUndefined();
  expect(executionStatusOf([inResolver(new Error('bug'))])).toBeUndefined();
  expect(executionStatusOf([inResolver(new AppError('SERVICE_UNAVAILABLE', 'busy'))])).toBe(503);
  const dbDown = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  expect(executionStatusOf([inResolver(new AppError('NOT_FOUND', 'x')), inResolver(dbDown)])).toBe(503);
  expect(executionStatusOf([new GraphQLError('down', { extensions: { code: 'SERVICE_UNAVAILABLE' } })])).toBe(503);
});

test("the formatter keeps a domain error's code and message, and turns a database outage into SERVICE_UNAVAILABLE", () => {
  const format = createErrorFormatter(pino({ level: 'silent' }), { exposeDetails: false });
  const located = locatedError(new AppError('CONFLICT', 'name taken', { field: 'name' }), [], ['f']);
  expect(format(located.toJSON(), located)).toEqual({ message: 'name taken', path: ['f'], locations: undefined, extensions: { field: 'name', code: 'CONFLICT' } });
  const down = locatedError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1'), { code: 'ECONNREFUSED' }), [], ['f']);
  const formatted = format(down.toJSON(), down);
  expect(formatted.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
  expect(formatted.message).not.toContain('10.0.0.1');
  const bug = locatedError(new Error('secret internals'), [], ['f']);
  expect(format(bug.toJSON(), bug)).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
});

test("the HTTP layer's refusals", () => {
  expect(httpRefusal(400)).toEqual({ status: 400, body: { errors: [{ message: 'Malformed request: the body must be JSON', extensions: { code: 'BAD_REQUEST' } }] } });
  expect(httpRefusal(413).body.errors[0]).toEqual({ message: 'Request body too large', extensions: { code: 'BAD_REQUEST' } });
  expect(httpRefusal(500).body.errors[0]).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
});
