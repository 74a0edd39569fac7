import type { RunningGateway } from '../../src/gateway/gateway';
import { startSupergraph, Supergraph } from '../helpers/supergraph';
import { auth, createToken, createWorld } from '../helpers/world';

/** The gateway's answers to browsers: CORS only for configured origins, and the tokens service's security headers. */
describe('gateway CORS and security headers', () => {
  let sg: Supergraph;
  let listed: RunningGateway;
  let production: RunningGateway;
  let any: RunningGateway;
  const APP = 'https://app.example.com';
  const EVIL = 'https://evil.example.net';

  beforeAll(async () => {
    sg = await startSupergraph();
    listed = await sg.startGateway('listed', { env: { CORS_ORIGINS: `${APP},https://admin.example.com` } });
    production = await sg.startGateway('production', { env: { NODE_ENV: 'production' } });
    any = await sg.startGateway('any', { env: { CORS_ORIGINS: '*' } });
  });
  afterAll(() => sg?.stop());

  const preflight = (gw: RunningGateway, origin: string) =>
    fetch(gw.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
  const post = (gw: RunningGateway, origin?: string) =>
    fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
      body: JSON.stringify({ query: '{ catalog { name } }' }),
    });

  test('a listed origin gets CORS headers, without credentials; another origin gets none', async () => {
    const ok = await preflight(listed, APP);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    const res = await post(listed, APP);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-expose-headers')).toContain('x-request-id');

    for (const r of [await preflight(listed, EVIL), await post(listed, EVIL)]) {
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
      expect(r.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  test('production without CORS_ORIGINS allows no origin at all', async () => {
    for (const r of [await preflight(production, APP), await post(production, APP)]) {
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  test("'*' allows any origin, never with credentials", async () => {
    const r = await preflight(any, EVIL);
    // Yoga answers '*' by echoing the caller's origin: the same grant for requests without credentials.
    expect([EVIL, '*']).toContain(r.headers.get('access-control-allow-origin'));
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('every answer carries the security headers, refusals included; HSTS in production', async () => {
    // A batched body: refused before any GraphQL work.
    const refused = await fetch(listed.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{"query": "{ catalog { name } }"}]' });
    expect(refused.status).toBe(400);
    for (const r of [await post(listed), refused, await post(production)]) {
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect((await post(listed)).headers.get('strict-transport-security')).toBeNull();
    expect((await post(production)).headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  describe('client address (TRUST_PROXY)', () => {
    const anonymous = (gw: RunningGateway, forwardedFor: string) => sg.gql(gw, '{ catalog { name } }', {}, undefined, { 'x-forwarded-for': forwardedFor });
    const code = (r: { errors?: Array<{ extensions?: { code?: string } }> }) => r.errors?.[0]?.extensions?.code;

    test('behind a trusted proxy each forwarded client has its own anonymous budget', async () => {
      const gw = await sg.startGateway('proxied', { perIp: 1, env: { TRUST_PROXY: 'loopback' } });
      expect((await anonymous(gw, '203.0.113.1')).errors).toBeUndefined();
      expect(code(await anonymous(gw, '203.0.113.1'))).toBe('RATE_LIMITED');
      expect((await anonymous(gw, '203.0.113.2')).errors).toBeUndefined();
    });

    test('without TRUST_PROXY a client cannot pick its address with X-Forwarded-For', async () => {
      const gw = await sg.startGateway('direct', { perIp: 1 });
      expect((await anonymous(gw, '203.0.113.1')).errors).toBeUndefined();
      expect(code(await anonymous(gw, '203.0.113.2'))).toBe('RATE_LIMITED');
    });

    test("a token used through a trusted proxy records the client's address, not the proxy's", async () => {
      const world = await createWorld(sg.app);
      const token = await createToken(sg.app, world.member, { name: 'proxied-usage' });
      const gw = await sg.startGateway('proxied-usage', { env: { TRUST_PROXY: 'loopback' } });
      const res = await sg.gql(gw, '{ catalog { name } }', {}, auth.apiKey(token.secret), { 'x-forwarded-for': '198.51.100.7' });
      expect(res.errors).toBeUndefined();
      await sg.app.server.usage.flush();
      const read = await sg.app.ok('query($id: ID!) { apiToken(id: $id) { lastUsedIps } }', { id: token.id }, world.member.session);
      expect(read.apiToken.lastUsedIps).toEqual(['198.51.100.7']);
    });
  });
});
