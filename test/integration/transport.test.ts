import { startTestApp, TestApp } from '../helpers/app';
import { signUp } from '../helpers/world';

describe('operations endpoints and transport (development defaults)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  test('GET /healthz and /readyz answer 200 while the database answers', async () => {
    const health = await fetch(`${app.base}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${app.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  test('every response carries a request id; a sane incoming one is kept, a hostile one replaced', async () => {
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    const hostile = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'a'.repeat(500) },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('Apollo Sandbox is served to browsers at GET /graphql', async () => {
    const res = await fetch(app.url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/sandbox/i);
  });

  test('a malformed Authorization header is UNAUTHENTICATED with HTTP 401, even for public fields', async () => {
    const res = await app.gql('{ me { id } }', {}, 'Bearer');
    expect(res.status).toBe(401);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.errors?.[0].message).toMatch(/Malformed Authorization header/);
  });

  test('an anonymous caller gets null from me and UNAUTHENTICATED elsewhere', async () => {
    expect((await app.ok('{ me { id } }')).me).toBeNull();
    for (const q of ['{ account { id } }', '{ apiTokens { totalCount } }', '{ users { totalCount } }', '{ apiToken(id: "x") { id } }']) {
      expect((await app.fail(q)).code).toBe('UNAUTHENTICATED');
    }
  });

  test('CSRF prevention: a simple cross-site GET query without a preflight header is refused', async () => {
    const res = await fetch(`${app.url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF/i);
  });

  test('mutations are never executed over GET', async () => {
    const q = encodeURIComponent('mutation { logout(refreshToken: "x") }');
    const res = await fetch(`${app.url}?query=${q}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(405);
  });

  test('federated inline traces are not handed to clients who ask for them', async () => {
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'apollo-federation-include-trace': 'ftv1' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    const body = await res.json();
    expect(body.data).toEqual({ me: null });
    expect(body.extensions?.ftv1).toBeUndefined();
  });

  test('unknown routes are 404 JSON, not a stack', async () => {
    const res = await fetch(`${app.base}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found' });
  });

  test('a body over the size limit is refused without crashing', async () => {
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', variables: { junk: 'x'.repeat(200_000) } }),
    });
    expect(res.status).toBe(413);
    expect((await fetch(`${app.base}/healthz`)).status).toBe(200);
  });

  test('/readyz turns 503 when the database stops answering', async () => {
    await signUp(app, 'before-outage');
    await app.db.dataSource.destroy();
    const ready = await fetch(`${app.base}/readyz`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${app.base}/healthz`)).status).toBe(200);
  });
});

/** Mistakes graphql-js answers with "Did you mean …?" in development: an argument, an enum value, an input field. */
const SUGGESTING: [string, string, Record<string, unknown>][] = [
  ['an argument', '{ apiTokens(firts: 1) { totalCount } }', {}],
  ['an enum value', '{ apiTokens(filter: { status: [ACTIV] }) { totalCount } }', {}],
  ['an input field in a variable', 'query($f: ApiTokenFilter) { apiTokens(filter: $f) { totalCount } }', { f: { serch: 'x' } }],
];

describe('development errors keep suggestions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  test.each(SUGGESTING)('for %s', async (_what, query, variables) => {
    const res = await app.gql(query, variables);
    expect(res.errors?.[0].message).toMatch(/Did you mean .*("first"|"ACTIVE"|"search")/);
  });
});

describe('production error hygiene', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ NODE_ENV: 'production' });
  });
  afterAll(() => app?.stop());

  test('Sandbox is off and anonymous callers cannot introspect', async () => {
    const res = await app.gql('{ __schema { queryType { name } } }');
    expect(res.status).toBe(401);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.errors?.[0].message).toMatch(/introspection/i);
    expect(res.data).toBeUndefined();
    const typeQuery = await app.gql('{ __type(name: "ApiToken") { fields { name } } }');
    expect(typeQuery.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const page = await fetch(app.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/sandbox/i);
  });

  test('OWNER and ADMIN may introspect (Sandbox with a token); members may not; __typename is always fine', async () => {
    const owner = await signUp(app, 'introspect');
    const data = await app.ok('{ __schema { queryType { name } } }', {}, owner.session);
    expect(data.__schema.queryType.name).toBe('Query');
    const member = await app.ok(
      'mutation { createUser(input: { email: "m-introspect@example.com", name: "M", password: "correct horse battery", role: MEMBER }) { id } }',
      {},
      owner.session,
    );
    expect(member.createUser.id).toBeTruthy();
    const login = await app.ok('mutation { login(email: "m-introspect@example.com", password: "correct horse battery") { accessToken } }');
    const denied = await app.gql('{ __schema { types { name } } }', {}, `Bearer ${login.login.accessToken}`);
    expect(denied.status).toBe(403);
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await app.ok('{ __typename }')).__typename).toBe('Query');
  });

  test('validation errors give no "did you mean" suggestions and no stack trace', async () => {
    const res = await app.gql('{ apiTokenz { totalCount } }');
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0].message).toBe('Cannot query field "apiTokenz" on type "Query".');
    expect(res.raw).not.toMatch(/Did you mean/);
    expect(res.raw).not.toMatch(/stacktrace|at .*\.js:\d+/);
  });

  test.each(SUGGESTING)('no suggestion for %s either', async (_what, query, variables) => {
    const res = await app.gql(query, variables);
    expect(res.errors?.[0].extensions?.code).toMatch(/^(GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT)$/);
    expect(res.raw).not.toMatch(/Did you mean|"first"|"ACTIVE"|"search"/);
  });

  test('bad input names the field, without internals', async () => {
    const res = await app.gql('mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }', {
      i: { accountName: 'A', email: 'not-an-email', password: 'correct horse battery', name: 'N' },
    });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/^email:/);
    expect(res.raw).not.toMatch(/stacktrace/);
  });

  test('a database failure is SERVICE_UNAVAILABLE or INTERNAL_SERVER_ERROR with no SQL, path or stack', async () => {
    const owner = await signUp(app, 'prod');
    await app.db.dataSource.destroy();
    const res = await app.gql('{ apiTokens { totalCount } }', {}, owner.session);
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(['SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']).toContain(res.errors?.[0].extensions?.code);
    expect(res.raw).not.toMatch(/SELECT|stacktrace|node_modules|\/src\//i);
    expect((await fetch(`${app.base}/healthz`)).status).toBe(200);
  });
});
