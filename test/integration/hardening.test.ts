import { startTestApp, TestApp } from '../helpers/app';
import { createToken, createWorld, World } from '../helpers/world';

const post = (app: TestApp, body: string, headers: Record<string, string> = {}) => fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('query limits, headers and CORS (development defaults)', () => {
  let app: TestApp;
  let world: World;
  beforeAll(async () => {
    app = await startTestApp();
    world = await createWorld(app);
    await createToken(app, world.owner, { name: 'deep' });
  });
  afterAll(() => app?.stop());

  test('the deepest legitimate operation of the contract passes the limits', async () => {
    const data = await app.ok(
      `{ apiTokens(first: 100) { edges { cursor node { id owner { id account { id policy { maxActiveTokens } } } createdBy { id name } revokedBy { id } } } pageInfo { hasNextPage endCursor } totalCount } }`,
      {},
      world.owner.session,
    );
    expect(data.apiTokens.edges[0].node.owner.account.policy.maxActiveTokens).toBe(50);
  });

  test('Sandbox-style introspection is not counted against the limits', async () => {
    const res = await app.gql('{ __schema { types { name fields { name type { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name } } } } } } } } }');
    expect(res.errors).toBeUndefined();
  });

  test('an over-deep query is refused before execution', async () => {
    const res = await app.gql(`{ ${'me { account { '.repeat(6)}id${' } }'.repeat(6)} }`, {}, world.owner.session);
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0].message).toMatch(/depth/i);
    expect(res.data).toBeUndefined();
  });

  test('an alias bomb is refused', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: me { id }`).join(' ');
    const res = await app.gql(`{ ${aliases} }`, {}, world.owner.session);
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0].message).toMatch(/alias/i);
  });

  test('a token flood is refused', async () => {
    const res = await app.gql(`{ me { ${'id '.repeat(3000)} } }`, {}, world.owner.session);
    expect(res.errors?.[0].message).toMatch(/token/i);
  });

  test('a directive flood is refused', async () => {
    const res = await app.gql(`{ me { id ${'@include(if: true) '.repeat(60)} } }`, {}, world.owner.session);
    expect(res.errors?.[0].message).toMatch(/directive/i);
  });

  test('every answer is uncacheable and carries protective headers', async () => {
    const res = await post(app, JSON.stringify({ query: '{ __typename }' }));
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toBeNull();
    // A validator on an answer that may not be stored invites nothing but a hash of every body.
    expect(res.headers.get('etag')).toBeNull();
  });

  test('CORS allows any origin in development, so the embedded Sandbox can call the API', async () => {
    const res = await fetch(app.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://sandbox.embed.apollographql.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });

  test('malformed JSON is a 400 with a JSON error and no stack', async () => {
    const res = await post(app, '{"query": "{ me { id } ');
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text).errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(text).not.toMatch(/at .*\.js|node_modules|SyntaxError/);
  });
});

describe('production: explicit CORS origins, HSTS, limits not exposed', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example.com', QUERY_MAX_COST: '300' });
  });
  afterAll(() => app?.stop());

  test('only configured origins are allowed', async () => {
    const preflight = (origin: string) => fetch(app.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect((await preflight('https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect((await preflight('https://evil.example.net')).headers.get('access-control-allow-origin')).toBeNull();
  });

  test('QUERY_MAX_COST bounds the cost of a query, without saying the limit', async () => {
    const cheap = await app.gql('{ me { id } }');
    expect(cheap.errors).toBeUndefined();
    const wide = Array.from({ length: 10 }, (_, i) => `t${i}: apiTokens { edges { node { owner { account { policy { maxActiveTokens } } } } } }`).join(' ');
    const res = await app.gql(`{ ${wide} }`);
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // aliases (10), depth (7) and tokens are within their limits: only the cost budget refuses it,
    // and production says so without detail.
    expect(res.errors?.[0].message).toBe('Syntax Error: Query validation error.');
  });

  test('HSTS is sent', async () => {
    const res = await post(app, JSON.stringify({ query: '{ __typename }' }));
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  test('limit errors do not reveal the configured limits', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: me { id }`).join(' ');
    const res = await app.gql(`{ ${aliases} }`);
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0].message).not.toMatch(/15|40/);
  });
});

describe('production without CORS_ORIGINS', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ NODE_ENV: 'production' });
  });
  afterAll(() => app?.stop());

  test('no origin is allowed by default', async () => {
    const res = await fetch(app.url, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
