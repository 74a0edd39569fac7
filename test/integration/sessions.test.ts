import { lowPriorityBcrypt } from '../../src/auth/passwords';
import { startTestApp, TestApp } from '../helpers/app';
import { auth, createToken, createWorld, LOGIN, PASSWORD, SIGN_UP, signUp, uniqueEmail, World } from '../helpers/world';
import { clock } from '../../src/common/clock';
import { Account } from '../../src/modules/account/account.entity';
import { User } from '../../src/modules/user/user.entity';

/** signUp, login, refreshSession, logout and me: the session half of the contract. */
let app: TestApp;
let world: World;
beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
});
afterAll(() => app?.stop());

const HOUR = 60 * 60 * 1000;
const ME = '{ me { id email name role status account { id name } } }';
const LOGIN_FULL = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) {
  accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt user { id email role status account { id name } } } }`;
const REFRESH = `mutation($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) {
  accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt user { id email role account { id } } } }`;
const LOGOUT = 'mutation($refreshToken: String!) { logout(refreshToken: $refreshToken) }';
const BAD_LOGIN = 'Invalid e-mail or password';

const signUpInput = (over: Record<string, unknown> = {}) => ({
  accountName: 'Initech',
  email: uniqueEmail('signup'),
  password: PASSWORD,
  name: 'Peter',
  ...over,
});
const accountCount = () => app.db.dataSource.getRepository(Account).count();
const userCount = () => app.db.dataSource.getRepository(User).count();

/** A fresh session (access + refresh token) for an existing user. */
async function login(email: string, password = PASSWORD) {
  const p = (await app.ok(LOGIN_FULL, { email, password })).login;
  return { session: `Bearer ${p.accessToken}`, refreshToken: p.refreshToken as string, payload: p };
}
async function refresh(refreshToken: string) {
  const p = (await app.ok(REFRESH, { refreshToken })).refreshSession;
  return { session: `Bearer ${p.accessToken}`, refreshToken: p.refreshToken as string, payload: p };
}
/** The request is refused as a credential problem: HTTP 401 with UNAUTHENTICATED. */
async function expectUnauthenticated(authorization: string) {
  const res = await app.gql(ME, {}, authorization);
  expect(res.status).toBe(401);
  expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
}
async function expectRefreshRefused(refreshToken: string) {
  const e = await app.fail(REFRESH, { refreshToken });
  expect(e.code).toBe('UNAUTHENTICATED');
  expect(e.data?.refreshSession ?? null).toBeNull();
}
const secondsUntil = (iso: string) => (new Date(iso).getTime() - clock.nowMs()) / 1000;

describe('signUp', () => {
  test('creates an account whose OWNER is signed in with a 1-hour access token and a 24-hour refresh token', async () => {
    const input = signUpInput({ accountName: '  Initech  ', email: `  ${uniqueEmail('Mixed.Case').toUpperCase()} ` });
    const accounts = await accountCount();
    const p = (await app.ok(SIGN_UP.replace('account { id }', 'status createdAt account { id name }'), { input })).signUp;
    expect(p.user).toMatchObject({ email: input.email.trim().toLowerCase(), name: 'Peter', role: 'OWNER', status: 'ACTIVE' });
    expect(p.user.account.name).toBe('Initech');
    expect(p.user.account.id).not.toBe(world.owner.accountId);
    expect(await accountCount()).toBe(accounts + 1);
    expect(secondsUntil(p.accessTokenExpiresAt)).toBeGreaterThan(3600 - 30);
    expect(secondsUntil(p.accessTokenExpiresAt)).toBeLessThanOrEqual(3600);
    expect(secondsUntil(p.refreshTokenExpiresAt)).toBeGreaterThan(86400 - 30);
    expect(secondsUntil(p.refreshTokenExpiresAt)).toBeLessThanOrEqual(86400);

    const me = (await app.ok(ME, {}, `Bearer ${p.accessToken}`)).me;
    expect(me).toEqual({ id: p.user.id, email: p.user.email, name: 'Peter', role: 'OWNER', status: 'ACTIVE', account: p.user.account });
    // The new OWNER is alone in the new account and can sign in with the password (e-mail matched case-insensitively).
    const users = (await app.ok('{ users { totalCount nodes { id } } }', {}, `Bearer ${p.accessToken}`)).users;
    expect(users).toEqual({ totalCount: 1, nodes: [{ id: p.user.id }] });
    expect((await login(input.email.toLowerCase())).payload.user.id).toBe(p.user.id);
  });

  test('a password of exactly 12 characters, or of exactly 72 bytes, is accepted', async () => {
    await app.ok(SIGN_UP, { input: signUpInput({ password: 'abcdefghijkl' }) });
    const multiByte = 'é'.repeat(36); // 36 characters, 72 bytes
    const input = signUpInput({ password: multiByte });
    await app.ok(SIGN_UP, { input });
    expect((await login(input.email, multiByte)).payload.user.email).toBe(input.email);
  });

  test.each([
    ['password', { password: 'abcdefghijk' }, /password.*at least 12 characters/],
    ['password', { password: 'é'.repeat(36) + 'x' }, /password.*72 bytes/], // 37 characters, 73 bytes
    ['password', { password: 'x'.repeat(73) }, /password.*72 bytes/],
    ['email', { email: 'not-an-email' }, /email/],
    ['email', { email: '' }, /email/],
    ['accountName', { accountName: '   ' }, /accountName/],
    ['accountName', { accountName: 'a'.repeat(101) }, /accountName/],
    ['name', { name: '' }, /name/],
    ['name', { name: 'n'.repeat(101) }, /name/],
    ['name', { name: 'line\nbreak' }, /name/],
  ])('%s is validated (%j) and nothing is written', async (field, over, message) => {
    const [accounts, users] = [await accountCount(), await userCount()];
    const input = signUpInput(over);
    const e = await app.fail(SIGN_UP, { input });
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(`${field}:`)).toBe(true);
    expect(e.data).toBeNull();
    expect([await accountCount(), await userCount()]).toEqual([accounts, users]);
  });

  test.each([
    ['a missing field', { name: undefined }, /^Variable "\$input" got an invalid value; Field "name" of required type "String!" was not provided\.$/],
    ['an unknown field', { nickname: 'Pete' }, /^Variable "\$input" got an invalid value; Field "nickname" is not defined by type "SignUpInput"\./],
    ['a field of the wrong type', { name: 42 }, /^Variable "\$input" got an invalid value at "input\.name"; String cannot represent a non string value: 42$/],
  ])('an input the schema refuses (%s) is BAD_USER_INPUT that says why without echoing the password', async (_case, over, message) => {
    const [accounts, users] = [await accountCount(), await userCount()];
    const res = await app.gql(SIGN_UP, { input: signUpInput(over) });
    expect(res.status).toBe(400);
    expect(res.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', expect.stringMatching(message)]]);
    expect(res.raw).not.toContain(PASSWORD);
    expect([await accountCount(), await userCount()]).toEqual([accounts, users]);
  });

  test('a taken e-mail address, in any case and in any account, is CONFLICT and creates no account', async () => {
    const [accounts, users] = [await accountCount(), await userCount()];
    for (const email of [world.member.email, world.stranger.email.toUpperCase()]) {
      const e = await app.fail(SIGN_UP, { input: signUpInput({ email }) });
      expect(e.code).toBe('CONFLICT');
    }
    expect([await accountCount(), await userCount()]).toEqual([accounts, users]);
    // The existing user's password is untouched.
    await login(world.member.email);
  });

  test('concurrent sign-ups with one e-mail address: exactly one succeeds, the others are CONFLICT', async () => {
    const email = uniqueEmail('race');
    const [accounts, users] = [await accountCount(), await userCount()];
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => app.gql(SIGN_UP, { input: signUpInput({ email, accountName: `Race ${i}` }) })));
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.filter((r) => r.errors).map((r) => r.errors![0].extensions?.code)).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT']);
    expect([await accountCount(), await userCount()]).toEqual([accounts + 1, users + 1]);
  });

  test('needs no credentials, and a signed-in caller gets a separate new account', async () => {
    const p = (await app.ok(SIGN_UP, { input: signUpInput() }, world.owner.session)).signUp;
    expect(p.user.role).toBe('OWNER');
    expect(p.user.account.id).not.toBe(world.owner.accountId);
    // The caller's own account did not gain the user.
    const users = (await app.ok('{ users(first: 100) { nodes { id } } }', {}, world.owner.session)).users.nodes.map((u: any) => u.id);
    expect(users).not.toContain(p.user.id);
  });

  test('is FORBIDDEN with a READ_ONLY API token and creates nothing', async () => {
    const ro = await createToken(app, world.owner, { role: 'READ_ONLY' });
    const accounts = await accountCount();
    const input = signUpInput();
    const e = await app.fail(SIGN_UP, { input }, auth.apiKey(ro.secret));
    expect(e.code).toBe('FORBIDDEN');
    expect(await accountCount()).toBe(accounts);
    expect((await app.fail(LOGIN, { email: input.email, password: PASSWORD })).code).toBe('UNAUTHENTICATED');
  });
});

describe('login', () => {
  test('returns a new session for the user; e-mail is matched case- and space-insensitively', async () => {
    const s = await login(`  ${world.admin.email.toUpperCase()}  `);
    expect(s.payload.user).toEqual({
      id: world.admin.id,
      email: world.admin.email,
      role: 'ADMIN',
      status: 'ACTIVE',
      account: { id: world.owner.accountId, name: 'Acme' },
    });
    expect(secondsUntil(s.payload.accessTokenExpiresAt)).toBeGreaterThan(3600 - 30);
    expect(secondsUntil(s.payload.refreshTokenExpiresAt)).toBeGreaterThan(86400 - 30);
    expect((await app.ok(ME, {}, s.session)).me.id).toBe(world.admin.id);
  });

  test('each login is its own session: ending one leaves the others working', async () => {
    const a = await login(world.member.email);
    const b = await login(world.member.email);
    expect(a.refreshToken).not.toBe(b.refreshToken);
    expect(await app.ok(LOGOUT, { refreshToken: a.refreshToken })).toEqual({ logout: true });
    await expectUnauthenticated(a.session);
    expect((await app.ok(ME, {}, b.session)).me.id).toBe(world.member.id);
    expect((await app.ok(ME, {}, world.member.session)).me.id).toBe(world.member.id);
  });

  test('the payload is answered for the user who logged in, not for the credentials sent with the request', async () => {
    const p = (await app.ok(LOGIN_FULL, { email: world.member.email, password: PASSWORD }, world.stranger.session)).login;
    expect(p.user).toMatchObject({ id: world.member.id, email: world.member.email, account: { id: world.member.accountId } });
  });

  test('an unknown e-mail, a wrong password and an over-long password get the same UNAUTHENTICATED answer', async () => {
    const answers = await Promise.all([
      app.fail(LOGIN, { email: uniqueEmail('nobody'), password: PASSWORD }),
      app.fail(LOGIN, { email: world.owner.email, password: 'wrong password, long enough' }),
      app.fail(LOGIN, { email: world.owner.email, password: PASSWORD.toUpperCase() }),
      app.fail(LOGIN, { email: world.owner.email, password: PASSWORD + 'x'.repeat(80) }),
      app.fail(LOGIN, { email: 'x'.repeat(300) + '@example.com', password: PASSWORD }),
    ]);
    for (const a of answers) expect(a).toEqual({ code: 'UNAUTHENTICATED', message: BAD_LOGIN, data: null });
  });

  test('every attempt costs exactly one bcrypt comparison, so timing does not tell a known address from an unknown one', async () => {
    const compare = jest.spyOn(lowPriorityBcrypt, 'compare'); // every comparison goes through the low-priority workers
    try {
      for (const [email, password] of [
        [uniqueEmail('nobody'), PASSWORD],
        [world.owner.email, 'wrong password, long enough'],
        [uniqueEmail('nobody'), 'y'.repeat(200)],
        [world.owner.email, 'y'.repeat(200)], // too long to ever match: still compared
      ]) {
        compare.mockClear();
        expect((await app.fail(LOGIN, { email, password })).message).toBe(BAD_LOGIN);
        expect(compare).toHaveBeenCalledTimes(1);
      }
    } finally {
      compare.mockRestore();
    }
  });

  test('only the exact address matches: one that a database collation would equate (ü/u, ß/ss) is unknown', async () => {
    const base = uniqueEmail('x').split('@')[0];
    const user = await app.ok(SIGN_UP, { input: signUpInput({ email: `jurgen.strasse.${base}@example.com` }) });
    for (const lookalike of [`jürgen.strasse.${base}@example.com`, `jurgen.straße.${base}@example.com`]) {
      expect(await app.fail(LOGIN, { email: lookalike, password: PASSWORD })).toEqual({ code: 'UNAUTHENTICATED', message: BAD_LOGIN, data: null });
    }
    expect((await login(`jurgen.strasse.${base}@example.com`)).payload.user.id).toBe(user.signUp.user.id);
  });

  test.each([
    ['email', { email: '   ', password: PASSWORD }],
    ['password', { email: 'someone@example.com', password: '' }],
  ])('an empty %s is BAD_USER_INPUT naming it', async (field, vars) => {
    const e = await app.fail(LOGIN, vars);
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.message.startsWith(`${field}:`)).toBe(true);
  });

  test('a missing argument is refused by validation before anything runs', async () => {
    const res = await app.gql('mutation { login(email: "a@example.com") { accessToken } }');
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  test('is FORBIDDEN with a READ_ONLY API token', async () => {
    const ro = await createToken(app, world.member, { role: 'READ_ONLY' });
    const e = await app.fail(LOGIN, { email: world.member.email, password: PASSWORD }, auth.apiKey(ro.secret));
    expect(e.code).toBe('FORBIDDEN');
  });

  test('a deactivated user can not log in; with a wrong password they get the generic answer', async () => {
    const u = await signUp(app, 'solo'); // its own account, so the shared world stays intact
    const email = uniqueEmail('leaving');
    const { createUser } = await app.ok(
      'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }',
      { input: { email, name: 'Leaving', password: PASSWORD, role: 'MEMBER' } },
      u.session,
    );
    await app.ok('mutation($id: ID!) { deactivateUser(id: $id) { id } }', { id: createUser.id }, u.session);
    const e = await app.fail(LOGIN, { email, password: PASSWORD });
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.message).toMatch(/deactivated/);
    expect(await app.fail(LOGIN, { email, password: 'wrong password, long enough' })).toEqual({
      code: 'UNAUTHENTICATED',
      message: BAD_LOGIN,
      data: null,
    });
  });
});

describe('refreshSession', () => {
  test('exchanges a refresh token for a new pair that works, for the same user and session', async () => {
    const s = await login(world.member.email);
    const r = await refresh(s.refreshToken);
    expect(r.refreshToken).not.toBe(s.refreshToken);
    expect(r.payload.user).toEqual({ id: world.member.id, email: world.member.email, role: 'MEMBER', account: { id: world.member.accountId } });
    expect(secondsUntil(r.payload.accessTokenExpiresAt)).toBeGreaterThan(3600 - 30);
    expect(secondsUntil(r.payload.refreshTokenExpiresAt)).toBeGreaterThan(86400 - 30);
    expect((await app.ok(ME, {}, r.session)).me.id).toBe(world.member.id);
    // Rotation can go on: each new refresh token works once.
    const r2 = await refresh(r.refreshToken);
    const r3 = await refresh(r2.refreshToken);
    expect((await app.ok(ME, {}, r3.session)).me.id).toBe(world.member.id);
  });

  test('the payload is answered for the refreshed user, whatever credentials the request carries', async () => {
    const s = await login(world.owner.email);
    const p = (await app.ok(REFRESH, { refreshToken: s.refreshToken }, world.stranger.session)).refreshSession;
    expect(p.user).toEqual({ id: world.owner.id, email: world.owner.email, role: 'OWNER', account: { id: world.owner.accountId } });
  });

  test('a used refresh token is refused; reusing it revokes the whole session, newest tokens included', async () => {
    const s = await login(world.admin.email);
    const r1 = await refresh(s.refreshToken);
    const r2 = await refresh(r1.refreshToken);
    const other = await login(world.admin.email); // another session of the same user
    expect((await app.ok(ME, {}, r2.session)).me.id).toBe(world.admin.id);

    await expectRefreshRefused(s.refreshToken); // reuse of a rotated token: theft suspected
    await expectRefreshRefused(r2.refreshToken); // the newest refresh token of that session is dead too
    for (const session of [s.session, r1.session, r2.session]) await expectUnauthenticated(session);
    // Only that session ended.
    expect((await app.ok(ME, {}, other.session)).me.id).toBe(world.admin.id);
    await refresh(other.refreshToken);
  });

  test('reuse of the very last rotated token right after its exchange also ends the session', async () => {
    const s = await login(world.readOnly.email);
    const r = await refresh(s.refreshToken);
    await expectRefreshRefused(s.refreshToken);
    await expectUnauthenticated(r.session);
    await expectRefreshRefused(r.refreshToken);
  });

  test('of concurrent exchanges of one refresh token, exactly one succeeds', async () => {
    const s = await login(world.member.email);
    const results = await Promise.all(Array.from({ length: 3 }, () => app.gql(REFRESH, { refreshToken: s.refreshToken })));
    expect(results.filter((r) => !r.errors).length).toBe(1);
    for (const r of results.filter((x) => x.errors)) expect(r.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('unknown, malformed and foreign-looking refresh tokens are UNAUTHENTICATED; an empty one is BAD_USER_INPUT', async () => {
    const s = await login(world.member.email);
    for (const bad of ['tgr_' + 'A'.repeat(43), 'garbage', s.payload.accessToken, s.refreshToken + 'x', 'tgr_' + 'x'.repeat(200)]) {
      await expectRefreshRefused(bad);
    }
    const e = await app.fail(REFRESH, { refreshToken: '  ' });
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.message.startsWith('refreshToken:')).toBe(true);
    // None of that harmed the genuine token.
    await refresh(s.refreshToken);
  });

  test('is FORBIDDEN with a READ_ONLY API token, and the refresh token is not consumed', async () => {
    const ro = await createToken(app, world.member, { role: 'READ_ONLY' });
    const s = await login(world.member.email);
    expect((await app.fail(REFRESH, { refreshToken: s.refreshToken }, auth.apiKey(ro.secret))).code).toBe('FORBIDDEN');
    await refresh(s.refreshToken);
  });

  test('a logged-out session can not be refreshed', async () => {
    const s = await login(world.member.email);
    await app.ok(LOGOUT, { refreshToken: s.refreshToken });
    await expectRefreshRefused(s.refreshToken);
  });
});

describe('logout', () => {
  test('ends the session at once: its access token is UNAUTHENTICATED and its refresh token refused', async () => {
    const s = await login(world.owner.email);
    const r = await refresh(s.refreshToken);
    expect(await app.ok(LOGOUT, { refreshToken: r.refreshToken }, r.session)).toEqual({ logout: true });
    await expectUnauthenticated(r.session);
    await expectUnauthenticated(s.session);
    await expectRefreshRefused(r.refreshToken);
    // The owner's other sessions are untouched.
    expect((await app.ok(ME, {}, world.owner.session)).me.id).toBe(world.owner.id);
  });

  test('needs no credentials besides the refresh token, and answers true even for an unknown or ended one', async () => {
    const s = await login(world.member.email);
    expect(await app.ok(LOGOUT, { refreshToken: s.refreshToken })).toEqual({ logout: true });
    expect(await app.ok(LOGOUT, { refreshToken: s.refreshToken })).toEqual({ logout: true });
    expect(await app.ok(LOGOUT, { refreshToken: 'tgr_' + 'B'.repeat(43) })).toEqual({ logout: true });
    expect(await app.ok(LOGOUT, { refreshToken: 'not-a-refresh-token' })).toEqual({ logout: true });
    await expectUnauthenticated(s.session);
  });

  test('an empty refresh token is BAD_USER_INPUT', async () => {
    const e = await app.fail(LOGOUT, { refreshToken: '' });
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.message.startsWith('refreshToken:')).toBe(true);
  });

  test('is FORBIDDEN with a READ_ONLY API token and leaves the session alive', async () => {
    const ro = await createToken(app, world.owner, { role: 'READ_ONLY' });
    const s = await login(world.owner.email);
    expect((await app.fail(LOGOUT, { refreshToken: s.refreshToken }, auth.apiKey(ro.secret))).code).toBe('FORBIDDEN');
    expect((await app.ok(ME, {}, s.session)).me.id).toBe(world.owner.id);
    await refresh(s.refreshToken);
  });

  test("another account's user can end a session only by holding its refresh token; their own sessions are unaffected", async () => {
    const s = await login(world.member.email);
    // The stranger's call with the member's refresh token ends the member's session, not the stranger's.
    expect(await app.ok(LOGOUT, { refreshToken: s.refreshToken }, world.stranger.session)).toEqual({ logout: true });
    await expectUnauthenticated(s.session);
    expect((await app.ok(ME, {}, world.stranger.session)).me.id).toBe(world.stranger.id);
  });
});

describe('me', () => {
  test('each role sees its own full record and account', async () => {
    for (const a of [world.owner, world.admin, world.member, world.readOnly]) {
      expect((await app.ok(ME, {}, a.session)).me).toEqual({
        id: a.id,
        email: a.email,
        name: a.name,
        role: a.role,
        status: 'ACTIVE',
        account: { id: world.owner.accountId, name: 'Acme' },
      });
    }
  });

  test("another account's user sees only their own account", async () => {
    expect((await app.ok(ME, {}, world.stranger.session)).me).toMatchObject({
      id: world.stranger.id,
      account: { id: world.stranger.accountId, name: 'Globex' },
    });
    expect(world.stranger.accountId).not.toBe(world.owner.accountId);
  });

  test('an API token answers as its owner, a READ_ONLY one included', async () => {
    const t = await createToken(app, world.admin, { role: 'READ_ONLY' });
    expect((await app.ok(ME, {}, auth.apiKey(t.secret))).me).toMatchObject({ id: world.admin.id, role: 'ADMIN' });
  });

  test('is null when anonymous', async () => {
    const res = await app.gql(ME);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ me: null });
  });

  test('forged, tampered and foreign-key session tokens are UNAUTHENTICATED', async () => {
    const jwt = world.owner.session.slice('Bearer '.length);
    const [header, payload, signature] = jwt.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const asStranger = Buffer.from(JSON.stringify({ ...claims, sub: world.stranger.id })).toString('base64url');
    const { SessionTokens } = await import('../../src/auth/session-tokens');
    const otherKey = await new SessionTokens('another-signing-key-0123456789-abcdefghijklmnop').issueAccessToken(
      { userId: world.owner.id, accountId: world.owner.accountId, sessionId: claims.sid },
      clock.now(),
    );
    const noneAlg = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    for (const bad of [`${header}.${asStranger}.${signature}`, `${header}.${payload}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`, otherKey.token, noneAlg]) {
      await expectUnauthenticated(`Bearer ${bad}`);
    }
    expect((await app.ok(ME, {}, world.owner.session)).me.id).toBe(world.owner.id);
  });
});

describe('expiry (moves the clock: keep last)', () => {
  test('an access token stops after an hour; its refresh token still gives a new pair', async () => {
    const s = await login(world.member.email);
    clock.advance(HOUR - 60_000);
    expect((await app.ok(ME, {}, s.session)).me.id).toBe(world.member.id);
    clock.advance(2 * 60_000);
    await expectUnauthenticated(s.session);
    const r = await refresh(s.refreshToken);
    expect((await app.ok(ME, {}, r.session)).me.id).toBe(world.member.id);
  });

  test('a refresh token stops after 24 hours', async () => {
    const s = await login(world.member.email);
    const fresh = await login(world.member.email);
    clock.advance(23 * HOUR);
    const r = await refresh(fresh.refreshToken); // still inside 24 hours
    clock.advance(HOUR + 60_000);
    await expectRefreshRefused(s.refreshToken);
    // The token issued by the refresh 23 hours in has its own 24 hours.
    await refresh(r.refreshToken);
  });
});
