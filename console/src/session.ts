import { useSyncExternalStore } from 'react';
import { graphql, type ResultOf } from './graphql';
import { stringifyDocument } from 'urql';

/**
 * The signed-in session lives in this module's memory only: no token is ever written to
 * localStorage, sessionStorage, a cookie or the URL, so nothing a script or an extension
 * reads from storage can replay it. The 1-hour access token is renewed with refreshSession
 * a minute before it expires (refresh tokens are rotated on each use). A reload or a new
 * tab starts signed out: the sign-in page brings you back to the page you were on.
 */
export const SessionFields = graphql(`
  fragment SessionFields on AuthPayload {
    accessToken
    accessTokenExpiresAt
    refreshToken
    refreshTokenExpiresAt
    user { id name email role account { id name } }
  }
`);

const Refresh = graphql(
  `
  mutation RefreshSession($refreshToken: String!) {
    refreshSession(refreshToken: $refreshToken) { ...SessionFields }
  }
`,
  [SessionFields],
);

const Logout = graphql(`
  mutation Logout($refreshToken: String!) { logout(refreshToken: $refreshToken) }
`);

export type SessionPayload = ResultOf<typeof SessionFields>;
export type SessionUser = SessionPayload['user'];
export type Role = SessionUser['role'];

export interface SessionState {
  session: SessionPayload | null;
  /** Why the last session ended without the user asking (shown on the sign-in page). */
  endedBecause: string | null;
}

let state: SessionState = { session: null, endedBecause: null };
const listeners = new Set<() => void>();
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
/** Renew this long before the access token expires. */
const RENEW_MARGIN_MS = 60_000;

function emit(next: SessionState) {
  state = next;
  for (const l of listeners) l();
}

function schedule(payload: SessionPayload) {
  clearTimeout(refreshTimer);
  const due = Date.parse(payload.accessTokenExpiresAt) - Date.now() - RENEW_MARGIN_MS;
  refreshTimer = setTimeout(() => void renew(), Math.max(5_000, due));
}

export const sessionStore = {
  get: () => state,
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  start(payload: SessionPayload) {
    emit({ session: payload, endedBecause: null });
    schedule(payload);
  },
  /** Replace the user part (after a profile change) without touching the tokens. */
  updateUser(user: Partial<SessionUser>) {
    if (state.session) emit({ ...state, session: { ...state.session, user: { ...state.session.user, ...user } } });
  },
  end(reason: string | null = null) {
    clearTimeout(refreshTimer);
    emit({ session: null, endedBecause: reason });
  },
  authorization(): string | undefined {
    return state.session ? `Bearer ${state.session.accessToken}` : undefined;
  },
};

/** POST one operation to /graphql outside urql (session plumbing must not depend on the client it feeds). */
async function post<T>(document: Parameters<typeof stringifyDocument>[0], variables: Record<string, unknown>): Promise<{ data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: stringifyDocument(document), variables }),
  });
  return res.json();
}

let renewing: Promise<boolean> | undefined;

/** Exchange the refresh token for a new pair; on failure the session ends. Concurrent calls share one exchange. */
export function renew(): Promise<boolean> {
  const current = state.session;
  if (!current) return Promise.resolve(false);
  renewing ??= (async () => {
    try {
      const body = await post<ResultOf<typeof Refresh>>(Refresh, { refreshToken: current.refreshToken });
      if (body.data?.refreshSession && state.session === current) {
        sessionStore.start(body.data.refreshSession);
        return true;
      }
      if (state.session === current) sessionStore.end('Your session has ended. Sign in again to continue.');
      return false;
    } catch {
      // Network trouble: keep the session and try again shortly; the access token may still be valid.
      if (state.session === current) refreshTimer = setTimeout(() => void renew(), 15_000);
      return false;
    } finally {
      renewing = undefined;
    }
  })();
  return renewing;
}

export async function signOut(): Promise<void> {
  const current = state.session;
  sessionStore.end(null);
  if (current) {
    try {
      await post(Logout, { refreshToken: current.refreshToken });
    } catch {
      /* the refresh token expires by itself within 24 hours */
    }
  }
}

export function useSession(): SessionState {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
}

const RANK: Record<Role, number> = { READ_ONLY: 0, MEMBER: 1, ADMIN: 2, OWNER: 3 };
export const ROLES: Role[] = ['OWNER', 'ADMIN', 'MEMBER', 'READ_ONLY'];
export const roleAtMost = (role: Role, cap: Role) => RANK[role] <= RANK[cap];
export const isAdmin = (role: Role | undefined) => role === 'OWNER' || role === 'ADMIN';
export const ROLE_LABEL: Record<Role, string> = { OWNER: 'Owner', ADMIN: 'Admin', MEMBER: 'Member', READ_ONLY: 'Read-only' };
