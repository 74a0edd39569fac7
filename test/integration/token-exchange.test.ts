import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, JSONWebKeySet } from 'jose';
import { TOKEN_TYPES } from '../../src/auth/exchange-tokens';
import { clock } from '../../src/common/clock';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { POLICIES } from '../../src/modules/throttle/throttle.service';
import { startTestApp, TestApp } from '../helpers/app';
import { DEACTIVATE, generateSecret, REGENERATE, REVOKE, setPolicy } from '../helpers/api-tokens';
import { leaksIn } from '../helpers/secret-registry';
import { auth, createToken, createWorld, World } from '../helpers/world';

/**
 * POST /oauth/token (RFC 8693 token exchange) and the discovery documents: an API token or a
 * session access token in, a short-lived ES256 JWT a router can verify out.
 */
const ISSUER = 'https://tokens.test.example';
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const PER_MINUTE = 5;

let app: TestApp;
let world: World;
let jwks: JSONWebKeySet;
beforeAll(async () => {
  app = await startTestApp({ PUBLIC_URL: `${ISSUER}/`, EXCHANGE_AUDIENCES: 'supergraph, reports-router', EXCHANGE_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE) });
  world = await createWorld(app);
  await setPolicy(app, world.owner, { maxActiveTokens: 1000 });
  jwks = (await (await fetch(`${app.base}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
});
afterAll(() => app?.stop());
afterEach(() => clock.reset());

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, any>;
  raw: string;
}

async function post(body: string, contentType = 'application/x-www-form-urlencoded', method = 'POST'): Promise<Answer> {
  const res = await fetch(`${app.base}/oauth/token`, { method, headers: { 'content-type': contentType }, body: method === 'POST' ? body : undefined });
  const raw = await res.text();
  let parsed: Record<string, any> = {};
  try {
    parsed = JSON.parse(raw);
  } catch {
    /* raw */
  }
  return { status: res.status, headers: res.headers, body: parsed, raw };
}

/** A form-encoded exchange; arrays repeat the parameter. */
function exchange(params: Record<string, string | string[] | undefined>): Promise<Answer> {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of v === undefined ? [] : Array.isArray(v) ? v : [v]) form.append(k, one);
  return post(form.toString());
}

const apiToken = (secret: string, extra: Record<string, string | string[]> = {}) =>
  exchange({ grant_type: GRANT, subject_token: secret, subject_token_type: TOKEN_TYPES.apiToken, ...extra });
const session = (actor: { session: string }, extra: Record<string, string | string[]> = {}) =>
  exchange({ grant_type: GRANT, subject_token: actor.session.replace(/^Bearer /, ''), subject_token_type: TOKEN_TYPES.accessToken, ...extra });

async function verify(jwt: string, audience: string | string[] = 'supergraph') {
  return (await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: ISSUER, audience, algorithms: ['ES256'] })).payload;
}

function refused(a: Answer, status: number, error: string) {
  expect({ status: a.status, error: a.body.error }).toEqual({ status, error });
  expect(typeof a.body.error_description).toBe('string');
  expect(a.body.access_token).toBeUndefined();
  expect(a.headers.get('cache-control')).toBe('no-store');
}

describe('discovery', () => {
  test('RFC 8414 metadata and the OIDC discovery path advertise the issuer, the JWKS and the token endpoint', async () => {
    const a = await fetch(`${app.base}/.well-known/oauth-authorization-server`);
    const b = await fetch(`${app.base}/.well-known/openid-configuration`);
    expect(a.status).toBe(200);
    expect(a.headers.get('cache-control')).toBe('public, max-age=300');
    const doc = await a.json();
    expect(await b.json()).toEqual(doc);
    expect(doc).toEqual({
      issuer: ISSUER, // the trailing slash of PUBLIC_URL is dropped
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      token_endpoint: `${ISSUER}/oauth/token`,
      grant_types_supported: [GRANT],
      token_endpoint_auth_methods_supported: ['none'],
      response_types_supported: [],
      scopes_supported: ['read', 'write', 'admin'],
    });
  });

  test('without COPROCESSOR_SECRET the coprocessor endpoints do not exist', async () => {
    for (const path of ['/coprocessor/apollo', '/coprocessor/hive']) {
      const res = await fetch(`${app.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"version":1}' });
      expect(res.status).toBe(404);
    }
  });
});

describe('exchanging an API token', () => {
  test('answers a JWT signed with the published key, carrying the token effective claims', async () => {
    const t = await createToken(app, world.member, { role: 'MEMBER', environment: 'production' });
    const before = Math.floor(Date.now() / 1000);
    const a = await apiToken(t.secret);
    expect(a.status).toBe(200);
    expect(a.headers.get('cache-control')).toBe('no-store');
    expect(a.headers.get('pragma')).toBe('no-cache');
    expect(a.body).toEqual({
      access_token: expect.any(String),
      issued_token_type: TOKEN_TYPES.accessToken,
      token_type: 'Bearer',
      expires_in: 60,
      scope: 'read write env:production',
    });
    const header = decodeProtectedHeader(a.body.access_token);
    expect(header).toEqual({ alg: 'ES256', kid: jwks.keys[0].kid, typ: 'at+jwt' });
    const claims = await verify(a.body.access_token);
    expect(claims).toEqual({
      iss: ISSUER,
      aud: 'supergraph',
      sub: world.member.id,
      acc: world.member.accountId,
      role: 'MEMBER',
      scope: 'read write env:production',
      via: 'apiToken',
      tid: t.id,
      env: 'production',
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(claims.iat!).toBeGreaterThanOrEqual(before);
    expect(claims.exp! - claims.iat!).toBe(60);
    // every exchange is a new JWT
    const again = await apiToken(t.secret);
    expect((await verify(again.body.access_token)).jti).not.toBe(claims.jti);
    // logged by id, never by value
    expect(app.logs.some((l) => l.includes('"action":"token.exchanged"') && l.includes(t.id))).toBe(true);
    expect(leaksIn(app.logs.join('\n'))).toEqual([]);
  });

  test("the token's role is capped by its owner's role, as on /graphql", async () => {
    const t = await createToken(app, world.admin, { role: 'ADMIN' });
    expect((await verify((await apiToken(t.secret)).body.access_token)).scope).toBe('read write admin');
    const ro = await createToken(app, world.readOnly);
    const claims = await verify((await apiToken(ro.secret)).body.access_token);
    expect({ role: claims.role, scope: claims.scope }).toEqual({ role: 'READ_ONLY', scope: 'read' });
  });

  test('scope narrows the JWT to a subset of the token scopes; anything more is invalid_scope', async () => {
    const t = await createToken(app, world.admin, { role: 'ADMIN', environment: 'staging' });
    const narrow = await apiToken(t.secret, { scope: 'env:staging  read' });
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope).toBe('read env:staging'); // in the token's order, deduplicated
    expect((await verify(narrow.body.access_token)).scope).toBe('read env:staging');

    const member = await createToken(app, world.member);
    refused(await apiToken(member.secret, { scope: 'read admin' }), 400, 'invalid_scope');
    refused(await apiToken(member.secret, { scope: 'env:staging' }), 400, 'invalid_scope');
    refused(await apiToken(member.secret, { scope: '   ' }), 400, 'invalid_scope');
  });

  test('audience: the first configured by default, any listed one on request, nothing else', async () => {
    const t = await createToken(app, world.member);
    const reports = await apiToken(t.secret, { audience: 'reports-router' });
    expect((await verify(reports.body.access_token, 'reports-router')).aud).toBe('reports-router');
    await expect(verify(reports.body.access_token, 'supergraph')).rejects.toThrow();
    const both = await apiToken(t.secret, { audience: ['supergraph', 'reports-router'] });
    expect((await verify(both.body.access_token)).aud).toEqual(['supergraph', 'reports-router']);

    const other = await apiToken(t.secret, { audience: 'billing-router' });
    refused(other, 400, 'invalid_target');
    expect(other.body.error_description).not.toContain('billing-router');
    // the tokens subgraph's own name is never an audience: its gateway identities are signed with the same key
    refused(await apiToken(t.secret, { audience: 'tokens' }), 400, 'invalid_target');
    refused(await apiToken(t.secret, { resource: 'https://api.example.com' }), 400, 'invalid_target');
  });

  test('requested_token_type: access_token or jwt, echoed as issued_token_type', async () => {
    const t = await createToken(app, world.member);
    expect((await apiToken(t.secret, { requested_token_type: TOKEN_TYPES.jwt })).body.issued_token_type).toBe(TOKEN_TYPES.jwt);
    expect((await apiToken(t.secret, { requested_token_type: TOKEN_TYPES.accessToken })).body.issued_token_type).toBe(TOKEN_TYPES.accessToken);
    refused(await apiToken(t.secret, { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }), 400, 'invalid_request');
  });

  test('a JWT never outlives its subject token', async () => {
    const t = await createToken(app, world.member, { expiresAt: new Date(Date.now() + 20_000).toISOString() });
    const a = await apiToken(t.secret);
    const claims = await verify(a.body.access_token);
    expect(claims.exp).toBe(Math.floor(new Date(t.expiresAt!).getTime() / 1000));
    expect(a.body.expires_in).toBeLessThanOrEqual(20);
    expect(a.body.expires_in).toBeGreaterThan(0);
  });

  test('JSON bodies are accepted too; unknown parameters are ignored (RFC 6749 §3.2)', async () => {
    const t = await createToken(app, world.member);
    const a = await post(JSON.stringify({ grant_type: GRANT, subject_token: t.secret, subject_token_type: TOKEN_TYPES.apiToken, client_id: 'my-cli' }), 'application/json');
    expect(a.status).toBe(200);
    expect((await verify(a.body.access_token)).tid).toBe(t.id);
  });
});

describe('exchanging a session access token', () => {
  test('the JWT names the user, no token, and the role scopes; it expires with the session token at the latest', async () => {
    const a = await session(world.admin);
    expect(a.status).toBe(200);
    const claims = await verify(a.body.access_token);
    expect(claims).toMatchObject({ sub: world.admin.id, acc: world.admin.accountId, role: 'ADMIN', via: 'session', scope: 'read write admin' });
    expect(claims.tid).toBeUndefined();
    expect(claims.env).toBeUndefined();
    const sessionExp = decodeJwtExp(world.admin.session.replace(/^Bearer /, ''));
    expect(claims.exp!).toBeLessThanOrEqual(sessionExp);
  });

  test('the wrong subject_token_type for the value is invalid_grant', async () => {
    const t = await createToken(app, world.member);
    refused(await session({ session: `Bearer ${t.secret}` }), 400, 'invalid_grant');
    refused(await apiToken(world.member.session.replace(/^Bearer /, '')), 400, 'invalid_grant');
  });

  test('an exchanged JWT cannot be exchanged again (no lifetime extension)', async () => {
    const jwt = (await session(world.member)).body.access_token;
    refused(await session({ session: `Bearer ${jwt}` }), 400, 'invalid_grant');
  });
});

describe('bad input', () => {
  test.each([
    ['no grant_type', { subject_token: 'x', subject_token_type: TOKEN_TYPES.apiToken }, 'invalid_request'],
    ['another grant', { grant_type: 'password', subject_token: 'x', subject_token_type: TOKEN_TYPES.apiToken }, 'unsupported_grant_type'],
    ['grant_type twice', { grant_type: [GRANT, GRANT], subject_token: 'x', subject_token_type: TOKEN_TYPES.apiToken }, 'invalid_request'],
    ['no subject_token', { grant_type: GRANT, subject_token_type: TOKEN_TYPES.apiToken }, 'invalid_request'],
    ['an empty subject_token', { grant_type: GRANT, subject_token: '', subject_token_type: TOKEN_TYPES.apiToken }, 'invalid_request'],
    ['an oversized subject_token', { grant_type: GRANT, subject_token: 'x'.repeat(5000), subject_token_type: TOKEN_TYPES.apiToken }, 'invalid_request'],
    ['no subject_token_type', { grant_type: GRANT, subject_token: 'x' }, 'invalid_request'],
    ['an unknown subject_token_type', { grant_type: GRANT, subject_token: 'x', subject_token_type: TOKEN_TYPES.jwt }, 'invalid_request'],
    ['an actor_token', { grant_type: GRANT, subject_token: 'x', subject_token_type: TOKEN_TYPES.apiToken, actor_token: 'y', actor_token_type: TOKEN_TYPES.jwt }, 'invalid_request'],
  ])('%s: 400 %s', async (_what, params, error) => {
    refused(await exchange(params as Record<string, string>), 400, error);
  });

  test('a body that is neither a form nor JSON, malformed JSON, an oversized body; GET', async () => {
    refused(await post('grant_type=x', 'text/plain'), 400, 'invalid_request');
    const malformed = await post('{"grant_type": "urn:ietf', 'application/json');
    refused(malformed, 400, 'invalid_request');
    expect(malformed.raw).not.toContain('urn:ietf');
    refused(await post(`subject_token=${'a'.repeat(10_000)}`), 413, 'invalid_request');
    const get = await post('', undefined, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  test('a refusal never repeats the subject token', async () => {
    const t = await createToken(app, world.member);
    const answers = [await apiToken(t.secret, { scope: 'admin' }), await apiToken(`${t.secret}x`), await session({ session: `Bearer ${t.secret}` })];
    for (const a of answers) expect(a.raw).not.toContain(t.secret.slice(8));
  });
});

describe('unauthenticated, revoked, expired, another account', () => {
  test('garbage, unknown and mistyped tokens are invalid_grant', async () => {
    refused(await apiToken('tgk_not-even-close'), 400, 'invalid_grant');
    refused(await apiToken(generateSecret().secret), 400, 'invalid_grant');
    refused(await session({ session: 'Bearer a.b.c' }), 400, 'invalid_grant');
  });

  test('a revoked token can exchange no more; its refusal is audited like any failed authentication', async () => {
    const t = await createToken(app, world.member);
    expect((await apiToken(t.secret)).status).toBe(200);
    await app.ok(REVOKE, { id: t.id }, world.member.session);
    refused(await apiToken(t.secret), 400, 'invalid_grant');
    const events = await app.server.dataSource.getRepository(AuditEvent).findBy({ action: 'auth.failed', targetId: t.id });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'revoked_token', actorId: world.member.id, actorTokenId: t.id, accountId: world.member.accountId });
    expect(events[0].ip).toMatch(/127\.0\.0\.1|::1/);
  });

  test('expired tokens, replaced secrets and deactivated owners are invalid_grant', async () => {
    const soon = await createToken(app, world.member, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    clock.advance(61_000);
    refused(await apiToken(soon.secret), 400, 'invalid_grant');
    clock.reset();

    const rotated = await createToken(app, world.member);
    await app.ok(REGENERATE, { id: rotated.id }, world.member.session);
    refused(await apiToken(rotated.secret), 400, 'invalid_grant');

    const { addUser } = await import('../helpers/world');
    const leaver = await addUser(app, world.owner, 'MEMBER', 'leaver');
    const theirs = await createToken(app, leaver);
    expect((await apiToken(theirs.secret)).status).toBe(200);
    await app.ok(DEACTIVATE, { id: leaver.id }, world.owner.session);
    refused(await apiToken(theirs.secret), 400, 'invalid_grant');
    refused(await session(leaver), 400, 'invalid_grant');
  });

  test("a token only ever yields its own account's claims; another account's scopes are invalid_scope", async () => {
    await app.ok('mutation { createScope(input: { name: "billing:read", minRole: READ_ONLY }) { id } }', {}, world.stranger.session);
    const strangers = await createToken(app, world.stranger, { role: 'OWNER', scopes: ['billing:read'] });
    const theirs = await verify((await apiToken(strangers.secret)).body.access_token);
    expect({ sub: theirs.sub, acc: theirs.acc, scope: theirs.scope }).toEqual({ sub: world.stranger.id, acc: world.stranger.accountId, scope: 'read write admin billing:read' });

    const ours = await createToken(app, world.owner, { role: 'OWNER' });
    refused(await apiToken(ours.secret, { scope: 'billing:read' }), 400, 'invalid_scope');
    const claims = await verify((await apiToken(ours.secret)).body.access_token);
    expect(claims.acc).toBe(world.owner.accountId);
    expect(claims.acc).not.toBe(world.stranger.accountId);
    expect(String(claims.scope).split(' ')).not.toContain('billing:read');
  });
});

describe('rate limits', () => {
  test(`at most ${PER_MINUTE} exchanges a minute per token; other tokens are not affected`, async () => {
    const t = await createToken(app, world.member);
    for (let i = 0; i < PER_MINUTE; i++) expect((await apiToken(t.secret)).status).toBe(200);
    const limited = await apiToken(t.secret);
    refused(limited, 429, 'slow_down');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await apiToken((await createToken(app, world.member)).secret)).status).toBe(200);
    clock.advance(61_000);
    expect((await apiToken(t.secret)).status).toBe(200);
  });

  // Last in the file: it locks this test process's address.
  test('failed exchanges count against the address like failed /graphql requests, and lock both', async () => {
    const good = await createToken(app, world.member);
    // Earlier tests of this file already spent some of the address's free failures (unknown, revoked, expired…).
    const statuses: number[] = [];
    let locked: Answer | undefined;
    for (let i = 0; i <= POLICIES.tokenPerIp.freeFailures && !locked; i++) {
      const a = await apiToken(generateSecret().secret);
      statuses.push(a.status);
      if (a.status === 429) locked = a;
      else refused(a, 400, 'invalid_grant');
    }
    expect(locked).toBeDefined();
    expect(statuses.length).toBeGreaterThan(1);
    refused(locked!, 429, 'slow_down');
    expect(Number(locked!.headers.get('retry-after'))).toBeGreaterThan(0);
    // the lock is the authenticator's: further guesses from this address are refused at both doors,
    // while a valid token from it keeps working at both
    refused(await apiToken(generateSecret().secret), 429, 'slow_down');
    expect((await app.fail('{ me { id } }', {}, auth.apiKey(generateSecret().secret))).code).toBe('RATE_LIMITED');
    expect((await apiToken(good.secret)).status).toBe(200);
    expect((await app.ok('{ me { id } }', {}, auth.apiKey(good.secret))).me.id).toBe(world.member.id);
    clock.advance(POLICIES.tokenPerIp.maxLockMs + 1000);
    refused(await apiToken(generateSecret().secret), 400, 'invalid_grant');
  });
});

function decodeJwtExp(jwt: string): number {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')).exp;
}
