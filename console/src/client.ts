import { Client, cacheExchange, fetchExchange, mapExchange, type CombinedError } from 'urql';
import { renew, sessionStore } from './session';

/**
 * One urql client per signed-in session (App re-creates it when the user changes, so no
 * cached answer outlives a sign-out). urql's document cache re-fetches every query that
 * returned a type a mutation touched, which keeps lists and badges current after a change.
 */
export function createApiClient(): Client {
  return new Client({
    url: '/graphql',
    requestPolicy: 'cache-and-network',
    preferGetMethod: false,
    fetchOptions: (): RequestInit => {
      const authorization = sessionStore.authorization();
      const headers: Record<string, string> = authorization ? { authorization } : {};
      return { headers };
    },
    exchanges: [
      cacheExchange,
      mapExchange({
        onError(error) {
          // A refused session (expired, revoked elsewhere, user deactivated): try the refresh token once;
          // when that fails too, renew() ends the session and the sign-in page says why.
          if (sessionStore.get().session && error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) void renew();
        },
      }),
      fetchExchange,
    ],
  });
}

export interface ApiError {
  code?: string;
  message: string;
  /** The input field a BAD_USER_INPUT error names. */
  field?: string;
}

/** The API's errors as sentences for people (never a stack, never the raw JSON). */
export function apiErrors(error: CombinedError | undefined | null): ApiError[] {
  if (!error) return [];
  if (error.networkError && error.graphQLErrors.length === 0) {
    return [{ code: 'NETWORK', message: 'The server could not be reached. Check your connection and try again.' }];
  }
  return error.graphQLErrors.map((e) => ({
    code: e.extensions?.code as string | undefined,
    field: e.extensions?.field as string | undefined,
    message: humanise(e.message, e.extensions?.code as string | undefined),
  }));
}

function humanise(message: string, code: string | undefined): string {
  if (code === 'INTERNAL_SERVER_ERROR') return 'Something went wrong on the server. Try again in a moment.';
  if (code === 'SERVICE_UNAVAILABLE' && !message) return 'The service is busy. Try again in a moment.';
  // "input.name: must be …" → "The name must be …"; "input.allowedCidrs[2]: …" → "Entry 3 of the allowed IP ranges …"
  const m = /^(?:input\.)?([A-Za-z]+)(?:\[(\d+)\])?: (.*)$/s.exec(message);
  const label = m && (m[2] === undefined ? fieldLabel(m[1]) : `Entry ${Number(m[2]) + 1} of ${fieldLabel(m[1]).replace(/^The /, 'the ')}`);
  const text = m ? `${label} ${m[3]}` : message;
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

const LABELS: Record<string, string> = {
  expiresAt: 'The expiry date',
  neverExpires: '“Never expires”',
  ownerId: 'The owner',
  gracePeriodSeconds: 'The grace period',
  accountName: 'The account name',
  maxActiveTokens: 'The token limit',
  defaultTokenLifetimeDays: 'The default lifetime',
  maxTokenLifetimeDays: 'The maximum lifetime',
  expiryNotificationDays: 'The notification days',
  minRole: 'The minimum role',
  currentPassword: 'The current password',
  newPassword: 'The new password',
  allowedCidrs: 'The allowed IP ranges',
  rateLimitPerMinute: 'The rate limit',
};

export function fieldLabel(field: string): string {
  return LABELS[field] ?? `The ${field.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`;
}

/** The first error that concerns `field`, and the rest. */
export function splitErrors(errors: ApiError[], fields: string[]): { byField: Record<string, string>; general: string[] } {
  const byField: Record<string, string> = {};
  const general: string[] = [];
  for (const e of errors) {
    const f = e.field?.replace(/^input\./, '').replace(/\[\d+\]$/, '');
    if (f && fields.includes(f) && !byField[f]) byField[f] = e.message;
    else general.push(e.message);
  }
  return { byField, general };
}
