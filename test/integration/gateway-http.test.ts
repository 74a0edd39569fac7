import type { RunningGateway } from '../../src/gateway/gateway';
import { startSupergraph, Supergraph } from '../helpers/supergraph';

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
});
