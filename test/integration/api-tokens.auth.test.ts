import { startTestApp, TestApp } from '../helpers/app';
import { auth, createToken, createWorld, CreatedToken, World } from '../helpers/world';
import { countQueries, DAY, DEACTIVATE, generateSecret, LIST, ME, REACTIVATE, relogin, REVOKE, setPolicy, UPDATE_ROLE } from '../helpers/api-tokens';
import { clock } from '../../src/common/clock';

/** Authenticating with API tokens: header forms, refusals without I/O, expiry, role capping, deactivation, READ_ONLY. */
let app: TestApp;
let world: World;
beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
  await setPolicy(app, world.owner, { maxActiveTokens: 1000 });
});
afterAll(() => app?.stop());

const INVALID = 'Invalid, expired or revoked API token';

async function refusedWith(authorization: string) {
  const res = await app.gql(ME, {}, authorization);
  expect(res.status).toBe(401);
  expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  expect(res.data?.me ?? null).toBeNull();
  return res.errors![0].message;
}
/** `me` is the user record: its role is the user's stored role, not the request's effective role. */
const meVia = async (authorization: string) => (await app.ok(ME, {}, authorization)).me;
/** The effective role of a request, observed through what it may do. */
async function effectiveRole(authorization: string): Promise<string> {
  const policy = await app.gql('{ account { policy { maxActiveTokens } } }', {}, authorization);
  if (!policy.errors) return 'ADMIN+';
  expect(policy.errors[0].extensions?.code).toBe('FORBIDDEN');
  const write = await app.gql('mutation { revokeApiToken(id: "00000000-0000-7000-8000-000000000000") { id } }', {}, authorization);
  expect(['NOT_FOUND', 'FORBIDDEN']).toContain(write.errors?.[0].extensions?.code);
  return write.errors![0].extensions!.code === 'NOT_FOUND' ? 'MEMBER' : 'READ_ONLY';
}

describe('header forms', () => {
  let token: CreatedToken;
  beforeAll(async () => {
    token = await createToken(app, world.member);
  });

  test('APIKey, Bearer and Basic(username:secret) all authenticate as the owner with the token role', async () => {
    const expected = { id: world.member.id, role: 'MEMBER' };
    expect(await meVia(auth.apiKey(token.secret))).toEqual(expected);
    expect(await meVia(auth.bearer(token.secret))).toEqual(expected);
    expect(await meVia(auth.basic(token.username, token.secret))).toEqual(expected);
    // Schemes are case-insensitive, as HTTP says.
    expect(await meVia(`apikey ${token.secret}`)).toEqual(expected);
    expect(await meVia(`BEARER ${token.secret}`)).toEqual(expected);
    expect(await meVia(`basic ${Buffer.from(`${token.username}:${token.secret}`).toString('base64')}`)).toEqual(expected);
  });

  test("Basic with the wrong username, or another token's username, is UNAUTHENTICATED", async () => {
    const other = await createToken(app, world.member);
    expect(await refusedWith(auth.basic('tgu_notmine00000000', token.secret))).toBe(INVALID);
    expect(await refusedWith(auth.basic(other.username, token.secret))).toBe(INVALID);
    // Both tokens still work with their own usernames.
    await meVia(auth.basic(other.username, other.secret));
    await meVia(auth.basic(token.username, token.secret));
  });

  test('Basic without a username or a colon, or not base64, is a malformed header', async () => {
    expect(await refusedWith(`Basic ${Buffer.from(`:${token.secret}`).toString('base64')}`)).toMatch(/Malformed/);
    expect(await refusedWith(`Basic ${Buffer.from(token.secret).toString('base64')}`)).toMatch(/Malformed/);
    expect(await refusedWith('Basic ***not-base64***')).toMatch(/Malformed/);
  });

  test('an unsupported scheme, a missing value and two values are malformed', async () => {
    expect(await refusedWith(`Token ${token.secret}`)).toMatch(/Malformed/);
    expect(await refusedWith('APIKey')).toMatch(/Malformed/);
    expect(await refusedWith(`APIKey ${token.secret} ${token.secret}`)).toMatch(/Malformed/);
  });

  test('session access tokens still authenticate next to API tokens', async () => {
    expect(await meVia(world.member.session)).toEqual({ id: world.member.id, role: 'MEMBER' });
  });
});

describe('tampered, garbage and huge secrets are refused without a database query', () => {
  let token: CreatedToken;
  beforeAll(async () => {
    token = await createToken(app, world.owner);
  });

  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

  test.each([
    ['one character changed in the random part', (s: string) => flip(s, 10)],
    ['one character changed in the checksum', (s: string) => flip(s, s.length - 1)],
    ['truncated', (s: string) => s.slice(0, -1)],
    ['one character too many', (s: string) => s + 'A'],
    ['wrong prefix', (s: string) => 'ghp_' + s.slice(4)],
    ['lower-cased', (s: string) => s.toLowerCase()],
    ['garbage', () => 'tgk_hello'],
    ['non-ASCII', (s: string) => s.slice(0, -2) + 'é'],
    ['4000 characters', () => 'tgk_' + 'A'.repeat(3996)],
  ])('%s: UNAUTHENTICATED with every header form, zero SQL statements', async (_label, mutate) => {
    const bad = mutate(token.secret);
    for (const header of [auth.apiKey(bad), auth.bearer(bad), auth.basic(token.username, bad)]) {
      const { result: message, statements } = await countQueries(app, () => refusedWith(header));
      expect(message).toMatch(/Invalid, expired or revoked API token|Malformed/);
      expect(statements).toBe(0);
    }
  });

  test('a header over the size limit is malformed and costs no query; the server stays up', async () => {
    const { result: message, statements } = await countQueries(app, () => refusedWith(`APIKey tgk_${'x'.repeat(5_000)}`));
    expect(message).toMatch(/too long/);
    expect(statements).toBe(0);
    expect(await meVia(auth.apiKey(token.secret))).toEqual({ id: world.owner.id, role: 'OWNER' });
  });

  test('a well-formed secret that was never issued costs exactly one indexed look-up and says nothing more', async () => {
    const { result: message, sql } = await countQueries(app, () => refusedWith(auth.apiKey(generateSecret().secret)));
    expect(message).toBe(INVALID);
    // one token look-up; everything else is the brute-force counter for the caller's address
    expect(sql.filter((q) => /api_token/.test(q))).toHaveLength(1);
    expect(sql.filter((q) => !/api_token|throttle|^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)/i.test(q))).toEqual([]);
  });

  test('me costs the token look-up only, and nothing once the token is cached', async () => {
    const fresh = await createToken(app, world.member, { name: `me-cost-${Date.now()}` });
    app.server.authenticator.cache.clear();
    const cold = await countQueries(app, () => app.ok('{ me { id email role name } }', {}, auth.apiKey(fresh.secret)));
    expect(cold.result.me).toMatchObject({ id: world.member.id, email: world.member.email, role: 'MEMBER' });
    expect(cold.sql).toHaveLength(1);
    expect(cold.sql[0]).toMatch(/api_token/);
    const warm = await countQueries(app, () => app.ok('{ me { id email } }', {}, auth.apiKey(fresh.secret)));
    expect(warm.result.me.id).toBe(world.member.id);
    expect(warm.statements).toBe(0);
  });

  test('the genuine secret still works after all of that', async () => {
    expect(await meVia(auth.apiKey(token.secret))).toEqual({ id: world.owner.id, role: 'OWNER' });
  });
});

describe('effective role = min(token role, owner current role)', () => {
  test('an ADMIN token of a user demoted to MEMBER acts as MEMBER at once, and as ADMIN again after promotion', async () => {
    const admin2 = await (await import('../helpers/world')).addUser(app, world.owner, 'ADMIN', 'demoted');
    const token = await createToken(app, admin2);
    const h = auth.apiKey(token.secret);
    const othersToken = await createToken(app, world.member);
    expect(token.role).toBe('ADMIN');
    expect(await meVia(h)).toEqual({ id: admin2.id, role: 'ADMIN' }); // now cached
    // As ADMIN it sees the whole account.
    expect((await app.ok(LIST, { filter: { owner: world.member.id }, first: 100 }, h)).apiTokens.nodes.map((t: any) => t.id)).toContain(othersToken.id);

    await app.ok(UPDATE_ROLE, { id: admin2.id, role: 'MEMBER' }, world.owner.session);
    expect(await meVia(h)).toEqual({ id: admin2.id, role: 'MEMBER' });
    expect(await effectiveRole(h)).toBe('MEMBER');
    expect((await app.ok(LIST, { filter: { owner: world.member.id }, first: 100 }, h)).apiTokens.totalCount).toBe(0);
    expect((await app.fail(`mutation { createApiToken(input: { name: "as-admin", role: ADMIN }) { secret } }`, {}, h)).code).toBe('FORBIDDEN');
    expect((await app.fail(`mutation { updateAccountPolicy(input: { maxActiveTokens: 7 }) { maxActiveTokens } }`, {}, h)).code).toBe('FORBIDDEN');
    // A token it mints now defaults to MEMBER.
    const minted = await app.ok(`mutation { createApiToken(input: { name: "after-demotion" }) { token { role } } }`, {}, h);
    expect(minted.createApiToken.token.role).toBe('MEMBER');

    await app.ok(UPDATE_ROLE, { id: admin2.id, role: 'ADMIN' }, world.owner.session);
    expect(await meVia(h)).toEqual({ id: admin2.id, role: 'ADMIN' });
    expect(await effectiveRole(h)).toBe('ADMIN+');
  });

  test('a MEMBER token of a user demoted to READ_ONLY may only query', async () => {
    const m2 = await (await import('../helpers/world')).addUser(app, world.owner, 'MEMBER', 'to-readonly');
    const token = await createToken(app, m2);
    const h = auth.bearer(token.secret);
    await meVia(h);
    await app.ok(UPDATE_ROLE, { id: m2.id, role: 'READ_ONLY' }, world.owner.session);
    expect(await meVia(h)).toEqual({ id: m2.id, role: 'READ_ONLY' });
    expect(await effectiveRole(h)).toBe('READ_ONLY');
    expect((await app.fail(REVOKE, { id: token.id }, h)).code).toBe('FORBIDDEN');
    // Their session may still revoke it: READ_ONLY users manage their own tokens.
    const revoked = await app.ok(REVOKE, { id: token.id }, m2.session);
    expect(revoked.revokeApiToken.status).toBe('REVOKED');
  });

  test('a token is never above its own role: a MEMBER token of the OWNER acts as MEMBER', async () => {
    const token = await createToken(app, world.owner, { role: 'MEMBER' });
    // `me` is still the OWNER's user record...
    expect(await meVia(auth.apiKey(token.secret))).toEqual({ id: world.owner.id, role: 'OWNER' });
    // ...but the request acts as MEMBER.
    expect(await effectiveRole(auth.apiKey(token.secret))).toBe('MEMBER');
    expect(await effectiveRole(world.owner.session)).toBe('ADMIN+');
  });
});

describe('deactivation and reactivation', () => {
  test("a deactivated user's tokens and sessions stop at once; reactivation restores unrevoked tokens only", async () => {
    const user = await (await import('../helpers/world')).addUser(app, world.owner, 'MEMBER', 'leaver');
    const kept = await createToken(app, user);
    const revoked = await createToken(app, user);
    await app.ok(REVOKE, { id: revoked.id }, user.session);
    const issuedByAdmin = await createToken(app, world.admin, { ownerId: user.id });
    for (const t of [kept, issuedByAdmin]) await meVia(auth.apiKey(t.secret)); // warm the verification cache

    await app.ok(DEACTIVATE, { id: user.id }, world.admin.session);
    expect(await refusedWith(auth.apiKey(kept.secret))).toBe(INVALID);
    expect(await refusedWith(auth.basic(kept.username, kept.secret))).toBe(INVALID);
    expect(await refusedWith(auth.apiKey(issuedByAdmin.secret))).toBe(INVALID);
    expect((await app.fail(ME, {}, user.session)).code).toBe('UNAUTHENTICATED');

    await app.ok(REACTIVATE, { id: user.id }, world.admin.session);
    expect(await meVia(auth.apiKey(kept.secret))).toEqual({ id: user.id, role: 'MEMBER' });
    expect(await meVia(auth.apiKey(issuedByAdmin.secret))).toEqual({ id: user.id, role: 'MEMBER' });
    expect(await refusedWith(auth.apiKey(revoked.secret))).toBe(INVALID);
  });

  test('deactivating the issuer does not stop a token the issuer made for someone else', async () => {
    const issuer = await (await import('../helpers/world')).addUser(app, world.owner, 'ADMIN', 'issuer');
    const t = await createToken(app, issuer, { ownerId: world.member.id });
    await app.ok(DEACTIVATE, { id: issuer.id }, world.owner.session);
    expect(await meVia(auth.apiKey(t.secret))).toEqual({ id: world.member.id, role: 'MEMBER' });
  });
});

describe('READ_ONLY tokens', () => {
  const MUTATIONS: Array<[string, (ids: Record<string, string>) => string]> = [
    ['createApiToken', () => 'mutation { createApiToken(input: { name: "from-ro", role: READ_ONLY }) { secret } }'],
    ['regenerateApiToken', (ids) => `mutation { regenerateApiToken(id: "${ids.own}") { secret } }`],
    ['revokeApiToken', (ids) => `mutation { revokeApiToken(id: "${ids.own}") { id } }`],
    ['deleteApiToken', (ids) => `mutation { deleteApiToken(id: "${ids.own}") }`],
    ['revokeLeakedApiToken', (ids) => `mutation { revokeLeakedApiToken(secret: "${ids.otherSecret}") }`],
    ['createUser', () => 'mutation { createUser(input: { email: "ro@example.com", name: "ro", password: "correct horse battery staple", role: READ_ONLY }) { id } }'],
    ['updateUserRole', (ids) => `mutation { updateUserRole(id: "${ids.member}", role: READ_ONLY) { id } }`],
    ['deactivateUser', (ids) => `mutation { deactivateUser(id: "${ids.member}") { id } }`],
    ['reactivateUser', (ids) => `mutation { reactivateUser(id: "${ids.member}") { id } }`],
    ['updateAccountPolicy', () => 'mutation { updateAccountPolicy(input: { maxActiveTokens: 3 }) { maxActiveTokens } }'],
    ['logout', (ids) => `mutation { logout(refreshToken: "${ids.refresh}") }`],
    ['login', (ids) => `mutation { login(email: "${ids.email}", password: "correct horse battery staple") { accessToken } }`],
    ['refreshSession', (ids) => `mutation { refreshSession(refreshToken: "${ids.refresh}") { accessToken } }`],
    ['signUp', () => 'mutation { signUp(input: { accountName: "RO", email: "ro-signup@example.com", password: "correct horse battery staple", name: "ro" }) { accessToken } }'],
  ];

  let ro: CreatedToken;
  let ids: Record<string, string>;
  beforeAll(async () => {
    ro = await createToken(app, world.owner, { role: 'READ_ONLY' });
    const other = await createToken(app, world.member);
    ids = { own: ro.id, member: world.member.id, otherSecret: other.secret, refresh: world.owner.refreshToken, email: world.owner.email };
  });

  test('queries work, with the READ_ONLY role', async () => {
    expect(await meVia(auth.apiKey(ro.secret))).toEqual({ id: world.owner.id, role: 'OWNER' });
    expect(await effectiveRole(auth.apiKey(ro.secret))).toBe('READ_ONLY');
    const list = await app.ok(LIST, { first: 100 }, auth.apiKey(ro.secret));
    // READ_ONLY sees only tokens the owner (its user) owns or issued.
    expect(list.apiTokens.nodes.every((t: any) => t.owner.id === world.owner.id || t.createdBy.id === world.owner.id)).toBe(true);
    expect(list.apiTokens.nodes.map((t: any) => t.id)).toContain(ro.id);
  });

  test.each(MUTATIONS)('%s is FORBIDDEN and changes nothing', async (_name, doc) => {
    const res = await app.gql(doc(ids), {}, auth.apiKey(ro.secret));
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(res.errors?.[0].message).toMatch(/READ_ONLY/);
  });

  test('after all that the read-only token, the other token, the member and the session are untouched', async () => {
    expect(await meVia(auth.apiKey(ro.secret))).toEqual({ id: world.owner.id, role: 'OWNER' });
    await meVia(auth.apiKey(ids.otherSecret));
    expect(await meVia(world.member.session)).toEqual({ id: world.member.id, role: 'MEMBER' });
    const policy = await app.ok('{ account { policy { maxActiveTokens } } }', {}, world.owner.session);
    expect(policy.account.policy.maxActiveTokens).toBe(1000);
    const fresh = await relogin(app, world.owner);
    expect((await app.ok('mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }', { r: fresh.refreshToken })).refreshSession.accessToken).toBeTruthy();
  });
});

describe('expiry (moves the clock: keep last)', () => {
  test('a token stops at its expiresAt and reads as EXPIRED; another account cannot see it', async () => {
    const soon = await createToken(app, world.member, { expiresAt: new Date(Date.now() + DAY).toISOString() });
    const later = await createToken(app, world.member, { expiresAt: new Date(Date.now() + 3 * DAY).toISOString() });
    expect(await meVia(auth.apiKey(soon.secret))).toEqual({ id: world.member.id, role: 'MEMBER' }); // cached

    clock.advance(DAY - 60_000);
    expect(await meVia(auth.apiKey(soon.secret))).toEqual({ id: world.member.id, role: 'MEMBER' });
    clock.advance(61_000);
    expect(await refusedWith(auth.apiKey(soon.secret))).toBe(INVALID);
    expect(await refusedWith(auth.basic(soon.username, soon.secret))).toBe(INVALID);
    expect(await meVia(auth.apiKey(later.secret))).toEqual({ id: world.member.id, role: 'MEMBER' });

    const member = await relogin(app, world.member);
    const got = await app.ok('query($id: ID!) { apiToken(id: $id) { status expiringSoon } }', { id: soon.id }, member.session);
    expect(got.apiToken).toEqual({ status: 'EXPIRED', expiringSoon: false });
    const stranger = await relogin(app, world.stranger);
    expect((await app.ok('query($id: ID!) { apiToken(id: $id) { id } }', { id: soon.id }, stranger.session)).apiToken).toBeNull();
  });

  test('session access tokens expire after an hour; API tokens without expiry keep working', async () => {
    const member = await relogin(app, world.member);
    const forever = await createToken(app, member, { neverExpires: true });
    clock.advance(400 * DAY);
    expect((await app.fail(ME, {}, member.session)).code).toBe('UNAUTHENTICATED');
    expect(await meVia(auth.apiKey(forever.secret))).toEqual({ id: world.member.id, role: 'MEMBER' });
  });
});
