import { lazy, Suspense, useEffect, useMemo, type ReactNode } from 'react';
import { Provider } from 'urql';
import { Redirect, Route, Router, Switch, useLocation, useSearch } from 'wouter';
import { createApiClient } from './client';
import { useSession } from './session';
import { Shell } from './Shell';
import { SignIn, SignUp } from './pages/Auth';
import { Tokens } from './pages/Tokens';
import { CreateToken } from './pages/CreateToken';
import { Loading, Unavailable } from './ui';
import { isAdmin } from './session';

// Screens past the first one load on demand: the sign-in page and the token list stay small.
const TokenDetail = lazy(() => import('./pages/TokenDetail'));
const Users = lazy(() => import('./pages/Users'));
const Policy = lazy(() => import('./pages/Policy'));
const Scopes = lazy(() => import('./pages/Scopes'));
const Webhooks = lazy(() => import('./pages/Webhooks'));
const Audit = lazy(() => import('./pages/Audit'));
const Notifications = lazy(() => import('./pages/Notifications'));
const Profile = lazy(() => import('./pages/Profile'));

export function App() {
  const { session } = useSession();
  const userId = session?.user.id;
  // A new client (and so an empty cache) for every signed-in user.
  const client = useMemo(() => createApiClient(), [userId]);
  return (
    <Provider value={client}>
      <Router base="/console">{session ? <SignedIn /> : <SignedOut />}</Router>
    </Provider>
  );
}

function SignedOut() {
  const [location] = useLocation();
  const search = useSearch();
  return (
    <Switch>
      <Route path="/sign-in" component={SignIn} />
      <Route path="/sign-up" component={SignUp} />
      <Route>
        {/* Any other page needs a session: sign in first, then come back here. */}
        <Redirect to={location === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(location + (search ? `?${search}` : ''))}`} replace />
      </Route>
    </Switch>
  );
}

function SignedIn() {
  const [location] = useLocation();
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [location]);
  return (
    <Shell>
      <Suspense fallback={<Loading />}>
        <Switch>
          <Route path="/tokens" component={Tokens} />
          <Route path="/tokens/new" component={CreateToken} />
          <Route path="/tokens/:id">{(params) => <TokenDetail id={params.id} />}</Route>
          <Route path="/users">{() => <AdminOnly>{<Users />}</AdminOnly>}</Route>
          <Route path="/policy">{() => <AdminOnly>{<Policy />}</AdminOnly>}</Route>
          <Route path="/scopes">{() => <AdminOnly>{<Scopes />}</AdminOnly>}</Route>
          <Route path="/webhooks">{() => <AdminOnly>{<Webhooks />}</AdminOnly>}</Route>
          <Route path="/webhooks/:id">{(params) => <AdminOnly>{<Webhooks selected={params.id} />}</AdminOnly>}</Route>
          <Route path="/audit">{() => <AdminOnly>{<Audit />}</AdminOnly>}</Route>
          <Route path="/notifications" component={Notifications} />
          <Route path="/profile" component={Profile} />
          <Route path="/sign-in">
            <AfterSignIn />
          </Route>
          <Route path="/sign-up">
            <Redirect to="/tokens" replace />
          </Route>
          <Route path="/">
            <Redirect to="/tokens" replace />
          </Route>
          <Route>
            <NotFoundPage />
          </Route>
        </Switch>
      </Suspense>
    </Shell>
  );
}

/** Account administration: not offered to MEMBER and READ_ONLY users (the API refuses them anyway). */
function AdminOnly({ children }: { children: ReactNode }) {
  const { session } = useSession();
  if (!isAdmin(session?.user.role)) return <Unavailable errors={[{ code: 'FORBIDDEN', message: 'Only owners and admins manage the account.' }]} />;
  return <>{children}</>;
}

/** Back to where the visitor was going before signing in (same-origin console paths only). */
function AfterSignIn() {
  const next = new URLSearchParams(useSearch()).get('next');
  const safe = next && /^\/[A-Za-z0-9/_?=&%.-]*$/.test(next) && !next.startsWith('//') ? next : '/tokens';
  return <Redirect to={safe} replace />;
}

function NotFoundPage() {
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>There is no console page at this address.</p>
    </div>
  );
}
