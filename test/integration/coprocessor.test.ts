import { SignJWT } from 'jose';
import { generateIdentityKeyPem, parseIdentityKey } from '../../src/auth/identity-keys';
import { TOKEN_TYPES } from '../../src/auth/exchange-tokens';
import { clock } from '../../src/common/clock';
import { IdentitySigner } from '../../src/gateway/identity-signer';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { POLICIES } from '../../src/modules/throttle/throttle.service';
import { startTestApp, TestApp } from '../helpers/app';
import { generateSecret, REVOKE, setPolicy } from '../helpers/api-tokens';
import { APOLLO_CLAIMS_EXAMPLE_REQUEST, APOLLO_CLAIMS_EXAMPLE_RESPONSE, APOLLO_ROUTER_REQUEST, HIVE_BREAK_EXAMPLE, HIVE_ROUTER_REQUEST, withHeaders } from '../helpers/router-fixtures';
import { auth, createToken, createWorld, World } from '../helpers/world';

/**
 * The Apollo Router and Hive Router coprocessor endpoints, driven with the routers' documented
 * payloads (test/helpers/router-fixtures.ts cites each one): the verdict for valid, refused,
 * revoked, anonymous and malformed requests, and the shared secret.
 */
const SECRET = 'coprocessor-secret-0123456789-abcdefghijklmnopqrstuv';
const ISSUER = 'https://tokens.test.example';
const IDENTITY_KEY = generateIdentityKeyPem();
const JWT_CLAIMS = 'apollo::authentication::jwt_claims';

let app: TestApp;
let world: World;
beforeAll(async () => {
  app = await startTestApp({
    COPROCESSOR_SECRET: SECRET,
    COPROCESSOR_CLIENT_IP_HEADER: 'X-Forwarded-For',
    PUBLIC_URL: ISSUER,
    IDENTITY_PRIVATE_KEY: IDENTITY_KEY,
  });
  world = await createWorld(app);
  await setPolicy(app, world.owner, { maxActiveTokens: 1000 });
});
afterAll(() => app?.stop());
afterEach(() => clock.reset());

type Router = 'apollo' | 'hive';
interface Answer {
  status: number;
  body: any;
  raw: string;
}

async function call(router: Router, payload: unknown, opts: { secret?: 'header' | 'query' | 'none' | { header?: string; query?: string }; raw?: string } = {}): Promise<Answer> {
  const how = opts.secret ?? (router === 'apollo' ? 'query' : 'header');
  let url = `${app.base}/coprocessor/${router}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (how === 'query') url += `?secret=${encodeURIComponent(SECRET)}`;
  else if (how === 'header') headers['x-tokengate-coprocessor-secret'] = SECRET;
  else if (typeof how === 'object') {
    if (how.query !== undefined) url += `?secret=${encodeURIComponent(how.query)}`;
    if (how.header !== undefined) headers['x-tokengate-coprocessor-secret'] = how.header;
  }
  const res = await fetch(url, { method: 'POST', headers, body: opts.raw ?? JSON.stringify(payload) });
  const raw = await res.text();
  let body: any;
  try {
    body = JSON.parse(raw);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, raw };
}

const apollo = (headers: Record<string, string | string[]>, fixture = APOLLO_ROUTER_REQUEST) => call('apollo', withHeaders(fixture, headers));
const hive = (headers: Record<string, string | string[]>) => call('hive', withHeaders(HIVE_ROUTER_REQUEST, headers));

/** A break answer's body, which both protocols carry as a JSON string. */
function brokenWith(a: Answer, status: number, code: string) {
  expect(a.status).toBe(200);
  expect(a.body.control).toEqual({ break: status });
  expect(typeof a.body.body).toBe('string');
  const graphql = JSON.parse(a.body.body);
  expect(graphql.errors).toHaveLength(1);
  expect(graphql.errors[0].extensions.code).toBe(code);
  expect(typeof graphql.errors[0].message).toBe('string');
  return graphql;
}

describe('the shared secret', () => {
  test.each(['apollo', 'hive'] as const)('%s: refused without it or with a wrong one, before the body is read', async (router) => {
    const payload = router === 'apollo' ? APOLLO_ROUTER_REQUEST : HIVE_ROUTER_REQUEST;
    for (const secret of ['none', { header: 'wrong' }, { query: 'wrong' }, { query: SECRET.slice(0, -1) }, { header: '' }] as const) {
      const a = await call(router, payload, { secret });
      expect(a.status).toBe(401);
      expect(a.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    }
    // a malformed body behind a wrong secret is not even parsed
    expect((await call(router, null, { secret: { header: 'wrong' }, raw: '{nope' })).status).toBe(401);
    // in the header or, as the routers can only do, in the URL's query
    expect((await call(router, payload, { secret: 'header' })).status).toBe(200);
    expect((await call(router, payload, { secret: 'query' })).status).toBe(200);
  });

  test('the secret in the query never reaches the log (the access log drops the query)', async () => {
    await call('apollo', APOLLO_ROUTER_REQUEST, { secret: 'query' });
    expect(app.logs.some((l) => l.includes('/coprocessor/apollo'))).toBe(true);
    expect(app.logs.join('\n')).not.toContain(SECRET);
  });
});

describe('Apollo Router (RouterRequest)', () => {
  test('an API token: continue, with its claims in the context for @authenticated / @requiresScopes', async () => {
    const t = await createToken(app, world.member, { environment: 'production' });
    const a = await apollo({ authorization: `APIKey ${t.secret}` });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({
      version: 1,
      stage: 'RouterRequest',
      control: 'continue',
      id: APOLLO_ROUTER_REQUEST.id,
      context: {
        entries: {
          ...APOLLO_ROUTER_REQUEST.context.entries,
          [JWT_CLAIMS]: {
            iss: ISSUER,
            sub: world.member.id,
            acc: world.member.accountId,
            role: 'MEMBER',
            scope: 'read write env:production',
            via: 'apiToken',
            tid: t.id,
            env: 'production',
          },
        },
      },
    });
    // Basic and Bearer work as on /graphql
    for (const authorization of [auth.basic(t.username, t.secret), auth.bearer(t.secret)]) {
      expect((await apollo({ authorization })).body.context.entries[JWT_CLAIMS].tid).toBe(t.id);
    }
  });

  test('the answer has the shape of the documented claims example', async () => {
    const t = await createToken(app, world.readOnly);
    const a = await call('apollo', withHeaders(APOLLO_CLAIMS_EXAMPLE_REQUEST, { authorization: `APIKey ${t.secret}` }));
    expect(Object.keys(a.body).sort()).toEqual(Object.keys(APOLLO_CLAIMS_EXAMPLE_RESPONSE).sort());
    expect(a.body).toMatchObject({ ...APOLLO_CLAIMS_EXAMPLE_RESPONSE, context: { entries: { 'accepts-json': true, [JWT_CLAIMS]: { scope: 'read' } } } });
  });

  test('a session token: continue with the user claims and no token id', async () => {
    const a = await apollo({ authorization: world.admin.session });
    const claims = a.body.context.entries[JWT_CLAIMS];
    expect(claims).toEqual({ iss: ISSUER, sub: world.admin.id, acc: world.admin.accountId, role: 'ADMIN', scope: 'read write admin', via: 'session' });
  });

  test('anonymous: continue with no claims, the context left as it is', async () => {
    const a = await apollo({});
    expect(a.body).toEqual({ version: 1, stage: 'RouterRequest', control: 'continue', id: APOLLO_ROUTER_REQUEST.id });
    // an empty header is no credential either, as on /graphql
    expect((await apollo({ authorization: '' })).body.control).toBe('continue');
  });

  test('a refused credential: break 401 with a GraphQL error body, no claims', async () => {
    for (const authorization of ['APIKey tgk_nope', `APIKey ${generateSecret().secret}`, 'Bearer a.b.c', 'Token abc', ['APIKey a', 'APIKey b']]) {
      const a = await apollo({ authorization });
      brokenWith(a, 401, 'UNAUTHENTICATED');
      expect(a.body).toMatchObject({ version: 1, stage: 'RouterRequest', id: APOLLO_ROUTER_REQUEST.id });
      expect(a.body.context).toBeUndefined();
    }
  });

  test('revocation is immediate: the next request after revokeApiToken breaks, and the refusal is audited', async () => {
    const t = await createToken(app, world.member);
    expect((await apollo({ authorization: `APIKey ${t.secret}` })).body.control).toBe('continue');
    await app.ok(REVOKE, { id: t.id }, world.member.session);
    brokenWith(await apollo({ authorization: `APIKey ${t.secret}`, 'x-forwarded-for': '198.51.100.7' }), 401, 'UNAUTHENTICATED');
    const events = await app.server.dataSource.getRepository(AuditEvent).findBy({ action: 'auth.failed', targetId: t.id });
    expect(events).toEqual([expect.objectContaining({ reason: 'revoked_token', actorTokenId: t.id, ip: '198.51.100.7', userAgent: 'curl/7.79.1' })]);
  });

  test('an exchanged JWT is verified by signature: its own claims; expired or foreign ones break', async () => {
    const t = await createToken(app, world.member);
    const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: t.secret, subject_token_type: TOKEN_TYPES.apiToken, scope: 'read' });
    const { access_token: jwt } = await (await fetch(`${app.base}/oauth/token`, { method: 'POST', body: form })).json();
    const a = await apollo({ authorization: `Bearer ${jwt}` });
    expect(a.body.context.entries[JWT_CLAIMS]).toMatchObject({ iss: ISSUER, aud: 'supergraph', sub: world.member.id, scope: 'read', tid: t.id, jti: expect.any(String) });

    clock.advance(70_000);
    brokenWith(await apollo({ authorization: `Bearer ${jwt}` }), 401, 'UNAUTHENTICATED');
    clock.reset();

    // a gateway identity (same key, issuer tokengate-gateway) is no router credential
    const identity = await new IdentitySigner(parseIdentityKey(IDENTITY_KEY)).sign(
      { userId: world.member.id, accountId: world.member.accountId, role: 'MEMBER', via: 'apiToken', scopes: ['read'] },
      'supergraph',
    );
    brokenWith(await apollo({ authorization: `Bearer ${identity}` }), 401, 'UNAUTHENTICATED');
    // a look-alike signed with another key under our kid
    const keys = parseIdentityKey(IDENTITY_KEY);
    const forged = await new SignJWT({ sub: world.owner.id, acc: world.owner.accountId, role: 'OWNER', scope: 'read write admin' })
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience('supergraph')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(parseIdentityKey(generateIdentityKeyPem()).privateKey);
    brokenWith(await apollo({ authorization: `Bearer ${forged}` }), 401, 'UNAUTHENTICATED');
  });

  test("claims are only ever the credential's own account's", async () => {
    const ours = await createToken(app, world.owner, { role: 'OWNER' });
    const theirs = await createToken(app, world.stranger, { role: 'OWNER' });
    const a = (await apollo({ authorization: `APIKey ${ours.secret}` })).body.context.entries[JWT_CLAIMS];
    const b = (await apollo({ authorization: `APIKey ${theirs.secret}` })).body.context.entries[JWT_CLAIMS];
    expect(a.acc).toBe(world.owner.accountId);
    expect(b.acc).toBe(world.stranger.accountId);
    expect(b.sub).toBe(world.stranger.id);
    // the context the router sent cannot smuggle claims in for an anonymous caller
    const smuggled = structuredClone(APOLLO_ROUTER_REQUEST) as any;
    smuggled.context.entries[JWT_CLAIMS] = { sub: world.owner.id, scope: 'admin' };
    const anon = await call('apollo', smuggled);
    expect(anon.body.context).toBeUndefined();
  });

  test('malformed and wrongly configured payloads: 400 naming the problem, never echoing the input', async () => {
    const bad = await call('apollo', null, { raw: '{"version": 1, "stage": "RouterRequest", "headers": {"authorization": ["APIKey tgk_' });
    expect(bad.status).toBe(400);
    expect(bad.raw).not.toContain('tgk_');
    expect(bad.body.error).toBe('malformed coprocessor request');

    const cases: Array<[unknown, RegExp]> = [
      [[1, 2], /JSON object/],
      [{ ...APOLLO_ROUTER_REQUEST, version: 2 }, /version must be 1/],
      [{ ...APOLLO_ROUTER_REQUEST, stage: 'SupergraphRequest' }, /stage must be RouterRequest/],
      [{ ...APOLLO_ROUTER_REQUEST, id: 42 }, /id must be a string/],
      [APOLLO_CLAIMS_EXAMPLE_REQUEST, /headers are missing: set coprocessor.router.request.headers: true/],
      [{ ...APOLLO_ROUTER_REQUEST, headers: { authorization: [{ evil: 'tgk_x' }] } }, /header value/],
      [{ ...APOLLO_ROUTER_REQUEST, context: 'nope' }, /context must be an object/],
    ];
    for (const [payload, message] of cases) {
      const a = await call('apollo', payload);
      expect(a.status).toBe(400);
      expect(a.body.error_description).toMatch(message);
      expect(a.raw).not.toContain('tgk_x');
    }
    expect((await call('apollo', null, { raw: `{"pad": "${'x'.repeat(300_000)}"}` })).status).toBe(413);
  });
});

describe('Hive Router (router.request)', () => {
  test('valid API token, session or exchanged JWT: continue (the verdict; scopes come from its JWT plugin)', async () => {
    const t = await createToken(app, world.member);
    expect((await hive({ authorization: `APIKey ${t.secret}` })).body).toEqual({ version: 1, control: 'continue' });
    expect((await hive({ authorization: world.member.session })).body).toEqual({ version: 1, control: 'continue' });
    // header values as bare strings (the Go example in Hive's "Writing a Coprocessor") are taken too
    const bare = { ...HIVE_ROUTER_REQUEST, headers: { ...HIVE_ROUTER_REQUEST.headers, authorization: `APIKey ${t.secret}` } };
    expect((await call('hive', bare)).body).toEqual({ version: 1, control: 'continue' });
    // the JWT Hive Router's JWT plugin verifies for scopes passes the coprocessor too, until it expires
    const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: t.secret, subject_token_type: TOKEN_TYPES.apiToken });
    const { access_token: jwt } = await (await fetch(`${app.base}/oauth/token`, { method: 'POST', body: form })).json();
    expect((await hive({ authorization: `Bearer ${jwt}` })).body).toEqual({ version: 1, control: 'continue' });
    clock.advance(66_000); // 60 s life + 5 s of allowed clock skew
    brokenWith(await hive({ authorization: `Bearer ${jwt}` }), 401, 'UNAUTHENTICATED');
  });

  test('anonymous: continue', async () => {
    expect((await hive({})).body).toEqual({ version: 1, control: 'continue' });
  });

  test('a refused or revoked credential: break 401 in the documented shape', async () => {
    const t = await createToken(app, world.member);
    await app.ok(REVOKE, { id: t.id }, world.member.session);
    for (const authorization of [`APIKey ${t.secret}`, 'APIKey tgk_nope', 'Bearer a.b.c']) {
      const a = await hive({ authorization });
      brokenWith(a, 401, 'UNAUTHENTICATED');
      expect(Object.keys(a.body).sort()).toEqual(Object.keys(HIVE_BREAK_EXAMPLE).sort());
      expect(a.body.version).toBe(1);
      expect(a.body.headers).toEqual({ 'content-type': 'application/json' });
    }
  });

  test('malformed payloads: 400', async () => {
    expect((await call('hive', null, { raw: 'not json' })).status).toBe(400);
    for (const [payload, message] of [
      [{ ...HIVE_ROUTER_REQUEST, version: 2 }, /version must be 1/],
      [{ ...HIVE_ROUTER_REQUEST, stage: 'graphql.analysis' }, /stage must be router.request/],
      [{ version: 1, stage: 'router.request', id: 'x' }, /include.headers: true/],
    ] as Array<[unknown, RegExp]>) {
      const a = await call('hive', payload);
      expect(a.status).toBe(400);
      expect(a.body.error_description).toMatch(message);
    }
  });
});

describe('throttle: failures count against the client the router forwards', () => {
  test('the X-Forwarded-For client is locked for guesses after its free failures; its valid tokens, another client and the router are not', async () => {
    const good = await createToken(app, world.member);
    const attacker = { 'x-forwarded-for': '10.0.0.1, 203.0.113.9' }; // the proxy in front of the router appended the last entry
    for (let i = 0; i < POLICIES.tokenPerIp.freeFailures; i++) brokenWith(await apollo({ authorization: `APIKey ${generateSecret().secret}`, ...attacker }), 401, 'UNAUTHENTICATED');
    // the next guess locks the address: further guesses from it are refused at once by both protocols
    brokenWith(await apollo({ authorization: `APIKey ${generateSecret().secret}`, ...attacker }), 429, 'RATE_LIMITED');
    const locked = await hive({ authorization: `APIKey ${generateSecret().secret}`, ...attacker });
    const body = brokenWith(locked, 429, 'RATE_LIMITED');
    expect(body.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    expect(locked.body.headers['retry-after']).toBe(String(body.errors[0].extensions.retryAfterSeconds));
    const apolloLocked = await apollo({ authorization: `APIKey ${generateSecret().secret}`, ...attacker });
    brokenWith(apolloLocked, 429, 'RATE_LIMITED');
    expect(apolloLocked.body.headers).toEqual({ 'content-type': ['application/json'], 'retry-after': [expect.stringMatching(/^\d+$/)] });
    // while a valid token from the locked address keeps working (the lock stops guesses only)
    expect((await hive({ authorization: `APIKey ${good.secret}`, ...attacker })).body.control).toBe('continue');
    expect((await apollo({ authorization: `APIKey ${good.secret}`, ...attacker })).body.control).toBe('continue');
    // someone else behind the same router, and the router's own address, are unaffected
    expect((await apollo({ authorization: `APIKey ${good.secret}`, 'x-forwarded-for': '198.51.100.20' })).body.control).toBe('continue');
    expect((await apollo({ authorization: `APIKey ${good.secret}` })).body.control).toBe('continue');
    expect((await app.ok('{ me { id } }', {}, auth.apiKey(good.secret))).me.id).toBe(world.member.id);
  });
});
