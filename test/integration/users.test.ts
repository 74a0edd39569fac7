import { startTestApp, TestApp } from '../helpers/app';
import { Actor, addUser, auth, CREATE_USER, createToken, createWorld, LOGIN, PASSWORD, RoleName, signUp, uniqueEmail, World } from '../helpers/world';
import { clock } from '../../src/common/clock';
import { User } from '../../src/modules/user/user.entity';

/** The users connection and the admin mutations on users: createUser, updateUserRole, deactivateUser, reactivateUser. */
let app: TestApp;
let world: World;
beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
  await app.ok('mutation { updateAccountPolicy(input: { maxActiveTokens: 1000 }) { maxActiveTokens } }', {}, world.owner.session);
});
afterAll(() => app?.stop());

const DAY = 24 * 60 * 60 * 1000;
const USERS = `query($first: Int, $after: String) { users(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } nodes { id email name role status account { id } } } }`;
const UPDATE_ROLE = 'mutation($id: ID!, $role: Role!) { updateUserRole(id: $id, role: $role) { id email role status } }';
const DEACTIVATE = 'mutation($id: ID!) { deactivateUser(id: $id) { id email role status } }';
const REACTIVATE = 'mutation($id: ID!) { reactivateUser(id: $id) { id email role status } }';
const REFRESH = 'mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }';
const REVOKE = 'mutation($id: ID!) { revokeApiToken(id: $id) { id status } }';
const ME = '{ me { id role status } }';
const NO_SUCH_ID = '01890000-0000-7000-8000-000000000000';

const userInput = (over: Record<string, unknown> = {}) => ({ email: uniqueEmail('new'), name: 'New Person', password: PASSWORD, role: 'MEMBER', ...over });
const userCount = () => app.db.dataSource.getRepository(User).count();

/** The user's record as an admin of `by`'s account sees it, or undefined. */
async function lookUp(by: Actor, id: string): Promise<any> {
  const nodes = (await app.ok(USERS, { first: 100 }, by.session)).users.nodes;
  return nodes.find((n: any) => n.id === id);
}
async function expectUnauthenticated(authorization: string) {
  const res = await app.gql(ME, {}, authorization);
  expect(res.status).toBe(401);
  expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
}
async function loginFails(email: string) {
  const e = await app.fail(LOGIN, { email, password: PASSWORD });
  expect(e.code).toBe('UNAUTHENTICATED');
}

describe('users', () => {
  test('OWNER and ADMIN see every user of their account, oldest first, and no one else', async () => {
    for (const by of [world.owner, world.admin]) {
      const { users } = await app.ok(USERS, {}, by.session);
      const ids = [world.owner, world.admin, world.member, world.readOnly].map((a) => a.id).sort();
      expect(users.nodes.map((n: any) => n.id)).toEqual(ids);
      expect(users.totalCount).toBe(4);
      expect(users.pageInfo.hasNextPage).toBe(false);
      expect(users.edges.map((e: any) => e.node.id)).toEqual(ids);
      expect(users.nodes.find((n: any) => n.id === world.member.id)).toEqual({
        id: world.member.id,
        email: world.member.email,
        name: 'member',
        role: 'MEMBER',
        status: 'ACTIVE',
        account: { id: world.owner.accountId },
      });
    }
  });

  test('MEMBER and READ_ONLY see only themselves', async () => {
    for (const by of [world.member, world.readOnly]) {
      const { users } = await app.ok(USERS, {}, by.session);
      expect(users.totalCount).toBe(1);
      expect(users.nodes).toEqual([{ id: by.id, email: by.email, name: by.name, role: by.role, status: 'ACTIVE', account: { id: by.accountId } }]);
      expect(users.pageInfo).toEqual({ hasNextPage: false, endCursor: users.edges[0].cursor });
    }
  });

  test("another account sees only its own users: Acme's are absent", async () => {
    const { users } = await app.ok(USERS, {}, world.stranger.session);
    expect(users.totalCount).toBe(1);
    expect(users.nodes.map((n: any) => n.id)).toEqual([world.stranger.id]);
  });

  test("an API token sees what its effective role may see: an OWNER's READ_ONLY token sees only its owner", async () => {
    const adminToken = await createToken(app, world.owner, { role: 'ADMIN' });
    expect((await app.ok(USERS, {}, auth.apiKey(adminToken.secret))).users.totalCount).toBe(4);
    const roToken = await createToken(app, world.owner, { role: 'READ_ONLY' });
    const { users } = await app.ok(USERS, {}, auth.apiKey(roToken.secret));
    expect(users.nodes.map((n: any) => n.id)).toEqual([world.owner.id]);
    expect(users.totalCount).toBe(1);
  });

  test('is UNAUTHENTICATED when anonymous', async () => {
    const e = await app.fail(USERS, {});
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.data).toBeNull();
  });

  test('members see only the id and name of other users, e.g. the admin who issued their token', async () => {
    const t = await createToken(app, world.admin, { ownerId: world.member.id });
    const q = (fields: string) => `query($id: ID!) { apiToken(id: $id) { id createdBy { ${fields} } } }`;
    expect((await app.ok(q('id name'), { id: t.id }, world.member.session)).apiToken.createdBy).toEqual({ id: world.admin.id, name: 'admin' });
    for (const field of ['email', 'role', 'status', 'createdAt', 'account { id }']) {
      const e = await app.fail(q(`id ${field}`), { id: t.id }, world.member.session);
      expect(e.code).toBe('FORBIDDEN');
    }
    // An admin sees everything of the same user.
    expect((await app.ok(q('id email role'), { id: t.id }, world.owner.session)).apiToken.createdBy).toEqual({
      id: world.admin.id,
      email: world.admin.email,
      role: 'ADMIN',
    });
  });

  describe('pagination', () => {
    let boss: Actor;
    let all: string[];
    beforeAll(async () => {
      // A separate account with 25 users, so the page arithmetic does not depend on the other tests.
      boss = await signUp(app, 'boss', 'Paged');
      const created = [];
      for (let i = 0; i < 24; i++) {
        created.push((await app.ok(CREATE_USER, { input: userInput({ name: `user ${i}` }) }, boss.session)).createUser.id);
      }
      all = [boss.id, ...created];
    });

    test('first defaults to 20; totalCount counts every page', async () => {
      const { users } = await app.ok(USERS, {}, boss.session);
      expect(users.nodes).toHaveLength(20);
      expect(users.totalCount).toBe(25);
      expect(users.pageInfo.hasNextPage).toBe(true);
      expect(users.nodes.map((n: any) => n.id)).toEqual(all.slice(0, 20));
    });

    test('walking with first/after visits every user once, in creation order', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const { users }: any = await app.ok(USERS, { first: 7, after }, boss.session);
        pages += 1;
        expect(users.totalCount).toBe(25);
        expect(users.edges.map((e: any) => e.node.id)).toEqual(users.nodes.map((n: any) => n.id));
        expect(users.pageInfo.endCursor).toBe(users.edges[users.edges.length - 1].cursor);
        seen.push(...users.nodes.map((n: any) => n.id));
        if (!users.pageInfo.hasNextPage) break;
        after = users.pageInfo.endCursor;
      }
      expect(pages).toBe(4);
      expect(seen).toEqual(all);
      // A page cursor resumes right after its own edge.
      const { users } = await app.ok(USERS, { first: 100 }, boss.session);
      const tenth = users.edges[9].cursor;
      expect((await app.ok(USERS, { first: 2, after: tenth }, boss.session)).users.nodes.map((n: any) => n.id)).toEqual(all.slice(10, 12));
    });

    test('first: 0 gives an empty page with the total; first: 100 is allowed', async () => {
      const zero = (await app.ok(USERS, { first: 0 }, boss.session)).users;
      expect(zero).toMatchObject({ totalCount: 25, nodes: [], edges: [], pageInfo: { endCursor: null } });
      expect((await app.ok(USERS, { first: 100 }, boss.session)).users.nodes).toHaveLength(25);
    });

    test('a MEMBER of the account still sees only themselves, with a total of 1', async () => {
      const m = await addUser(app, boss, 'MEMBER', 'paged-member');
      const { users } = await app.ok(USERS, { first: 100 }, m.session);
      expect(users.totalCount).toBe(1);
      expect(users.nodes.map((n: any) => n.id)).toEqual([m.id]);
      all.push(m.id);
      expect((await app.ok(USERS, { first: 100 }, boss.session)).users.nodes.map((n: any) => n.id)).toEqual(all);
    });

    test.each([
      ['first', { first: 101 }],
      ['first', { first: -1 }],
      ['after', { after: 'not-a-cursor' }],
      ['after', { after: Buffer.from('not-a-uuid').toString('base64url') }],
      ['after', { after: 'x'.repeat(200) }],
    ])('%s is validated (%j)', async (field, vars) => {
      const e = await app.fail(USERS, vars, boss.session);
      expect(e.code).toBe('BAD_USER_INPUT');
      expect(e.message.startsWith(`${field}:`)).toBe(true);
    });

    test("another account's cursor reveals nothing of that account", async () => {
      const { users } = await app.ok(USERS, { first: 1 }, boss.session);
      const page = (await app.ok(USERS, { first: 100, after: users.pageInfo.endCursor }, world.owner.session)).users;
      for (const n of page.nodes) expect(n.account.id).toBe(world.owner.accountId);
      expect(page.totalCount).toBe(4);
    });
  });
});

describe('createUser', () => {
  test('OWNER may add every role, ADMIN every role up to ADMIN; the new user can log in at once', async () => {
    const cases: Array<[Actor, RoleName]> = [
      [world.owner, 'OWNER'],
      [world.owner, 'ADMIN'],
      [world.admin, 'ADMIN'],
      [world.admin, 'MEMBER'],
      [world.admin, 'READ_ONLY'],
    ];
    for (const [by, role] of cases) {
      const input = userInput({ role, email: `  ${uniqueEmail(`Role.${role}`).toUpperCase()}  `, name: `  ${role} person ` });
      const { createUser } = await app.ok(CREATE_USER, { input }, by.session);
      const email = input.email.trim().toLowerCase();
      expect(createUser).toEqual({ id: expect.any(String), email, name: `${role} person`, role, status: 'ACTIVE' });
      expect(await lookUp(world.owner, createUser.id)).toMatchObject({ email, role, account: { id: world.owner.accountId } });
      const login = (await app.ok(LOGIN, { email, password: PASSWORD })).login;
      expect(login.user).toEqual({ id: createUser.id, role });
    }
  });

  test.each([
    ['email', { email: 'no-at-sign' }, /email/],
    ['email', { email: 'a@b' }, /email/],
    ['name', { name: '  ' }, /name/],
    ['name', { name: 'x'.repeat(101) }, /name/],
    ['password', { password: 'short pass' }, /at least 12 characters/],
    ['password', { password: 'ü'.repeat(37) }, /72 bytes/],
  ])('%s is validated (%j) and no user is created', async (field, over, message) => {
    const before = await userCount();
    const input = userInput(over);
    const e = await app.fail(CREATE_USER, { input }, world.owner.session);
    expect(e).toMatchObject({ code: 'BAD_USER_INPUT', data: null });
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(`${field}:`)).toBe(true);
    expect(await userCount()).toBe(before);
    if (field !== 'email') await loginFails(input.email);
  });

  test('an unknown role is refused by the schema', async () => {
    const e = await app.fail(CREATE_USER, { input: userInput({ role: 'SUPERUSER' }) }, world.owner.session);
    expect(e.code).toBe('BAD_USER_INPUT');
  });

  test('an e-mail address already used, in this or another account and in any case, is CONFLICT; nothing changes', async () => {
    const before = await userCount();
    for (const email of [world.member.email.toUpperCase(), world.stranger.email]) {
      const e = await app.fail(CREATE_USER, { input: userInput({ email, password: 'another password 123' }) }, world.owner.session);
      expect(e.code).toBe('CONFLICT');
    }
    expect(await userCount()).toBe(before);
    // The existing users keep their password and account.
    expect((await app.ok(LOGIN, { email: world.stranger.email, password: PASSWORD })).login.user.id).toBe(world.stranger.id);
    expect(await lookUp(world.owner, world.stranger.id)).toBeUndefined();
  });

  test('concurrent creations with one e-mail address: exactly one succeeds, the others are CONFLICT', async () => {
    const email = uniqueEmail('race');
    const before = await userCount();
    const results = await Promise.all([world.owner, world.admin, world.stranger].map((by) => app.gql(CREATE_USER, { input: userInput({ email }) }, by.session)));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors).map((r) => r.errors![0].extensions?.code)).toEqual(['CONFLICT', 'CONFLICT']);
    expect(await userCount()).toBe(before + 1);
  });

  test('is UNAUTHENTICATED when anonymous', async () => {
    const before = await userCount();
    expect((await app.fail(CREATE_USER, { input: userInput() })).code).toBe('UNAUTHENTICATED');
    expect(await userCount()).toBe(before);
  });

  test("is FORBIDDEN for MEMBER and READ_ONLY, for a READ_ONLY token, and above the creator's role; nothing is created", async () => {
    const roToken = await createToken(app, world.owner, { role: 'READ_ONLY' });
    const adminToken = await createToken(app, world.owner, { role: 'ADMIN' });
    const before = await userCount();
    const cases: Array<[string, RoleName]> = [
      [world.member.session, 'READ_ONLY'],
      [world.readOnly.session, 'READ_ONLY'],
      [auth.apiKey(roToken.secret), 'READ_ONLY'],
      [world.admin.session, 'OWNER'],
      [auth.apiKey(adminToken.secret), 'OWNER'], // the OWNER's ADMIN token acts as ADMIN
    ];
    for (const [authorization, role] of cases) {
      const input = userInput({ role });
      const e = await app.fail(CREATE_USER, { input }, authorization);
      expect(e.code).toBe('FORBIDDEN');
      await loginFails(input.email);
    }
    expect(await userCount()).toBe(before);
  });

  test("a user created by another account's OWNER lands in that account, invisible to this one", async () => {
    const { createUser } = await app.ok(CREATE_USER, { input: userInput() }, world.stranger.session);
    expect(await lookUp(world.owner, createUser.id)).toBeUndefined();
    expect(await lookUp(world.stranger, createUser.id)).toMatchObject({ account: { id: world.stranger.accountId } });
  });
});

describe('updateUserRole', () => {
  test("takes effect at once on the user's sessions and API tokens", async () => {
    const u = await addUser(app, world.owner, 'MEMBER', 'climber');
    const t = await createToken(app, u);
    await app.ok(ME, {}, auth.apiKey(t.secret)); // cached verification
    expect((await app.ok(USERS, {}, u.session)).users.totalCount).toBe(1);

    const { updateUserRole } = await app.ok(UPDATE_ROLE, { id: u.id, role: 'ADMIN' }, world.owner.session);
    expect(updateUserRole).toEqual({ id: u.id, email: u.email, role: 'ADMIN', status: 'ACTIVE' });
    expect((await app.ok(USERS, { first: 100 }, u.session)).users.totalCount).toBeGreaterThan(4);
    expect((await app.ok(ME, {}, u.session)).me.role).toBe('ADMIN');

    await app.ok(UPDATE_ROLE, { id: u.id, role: 'READ_ONLY' }, world.admin.session);
    expect(await lookUp(world.owner, u.id)).toMatchObject({ role: 'READ_ONLY' });
    // The MEMBER token is now capped at READ_ONLY: it may only query.
    expect((await app.fail(REVOKE, { id: t.id }, auth.apiKey(t.secret))).code).toBe('FORBIDDEN');
    expect((await app.ok(ME, {}, auth.apiKey(t.secret))).me.role).toBe('READ_ONLY');
  });

  test('setting the current role again is a no-op that answers the user', async () => {
    const { updateUserRole } = await app.ok(UPDATE_ROLE, { id: world.member.id, role: 'MEMBER' }, world.admin.session);
    expect(updateUserRole).toMatchObject({ id: world.member.id, role: 'MEMBER', status: 'ACTIVE' });
  });

  describe('the account keeps an active OWNER', () => {
    let founder: Actor;
    beforeAll(async () => {
      founder = await signUp(app, 'founder', 'Owners Ltd');
    });

    test('the only OWNER can not demote themself: CONFLICT, role unchanged', async () => {
      const e = await app.fail(UPDATE_ROLE, { id: founder.id, role: 'ADMIN' }, founder.session);
      expect(e.code).toBe('CONFLICT');
      expect(e.message).toMatch(/OWNER/);
      expect((await app.ok(ME, {}, founder.session)).me.role).toBe('OWNER');
    });

    test('a deactivated second OWNER does not count', async () => {
      const second = await addUser(app, founder, 'OWNER', 'second-owner');
      await app.ok(DEACTIVATE, { id: second.id }, founder.session);
      expect((await app.fail(UPDATE_ROLE, { id: founder.id, role: 'MEMBER' }, founder.session)).code).toBe('CONFLICT');
      expect((await app.ok(ME, {}, founder.session)).me.role).toBe('OWNER');
      await app.ok(REACTIVATE, { id: second.id }, founder.session);
    });

    test('with another active OWNER, an OWNER may step down; then the other one is the last', async () => {
      const users = (await app.ok(USERS, {}, founder.session)).users.nodes;
      const second = users.find((n: any) => n.name === 'second-owner');
      expect(second).toMatchObject({ role: 'OWNER', status: 'ACTIVE' });
      expect((await app.ok(UPDATE_ROLE, { id: founder.id, role: 'ADMIN' }, founder.session)).updateUserRole.role).toBe('ADMIN');
      // The founder is now an ADMIN: the remaining OWNER is above them.
      expect((await app.fail(UPDATE_ROLE, { id: second.id, role: 'ADMIN' }, founder.session)).code).toBe('FORBIDDEN');
      const secondSession = `Bearer ${(await app.ok(LOGIN, { email: second.email, password: PASSWORD })).login.accessToken}`;
      expect((await app.fail(UPDATE_ROLE, { id: second.id, role: 'ADMIN' }, secondSession)).code).toBe('CONFLICT');
      expect((await app.fail(DEACTIVATE, { id: second.id }, secondSession)).code).toBe('CONFLICT');
      expect((await app.ok(UPDATE_ROLE, { id: founder.id, role: 'OWNER' }, secondSession)).updateUserRole.role).toBe('OWNER');
    });

    test('two OWNERs demoting themselves at the same time: one succeeds, the other is CONFLICT', async () => {
      const a = await signUp(app, 'duo-a', 'Duo');
      const b = await addUser(app, a, 'OWNER', 'duo-b');
      const results = await Promise.all([a, b].map((o) => app.gql(UPDATE_ROLE, { id: o.id, role: 'ADMIN' }, o.session)));
      expect(results.filter((r) => !r.errors)).toHaveLength(1);
      expect(results.filter((r) => r.errors).map((r) => r.errors![0].extensions?.code)).toEqual(['CONFLICT']);
      const owners = (await app.ok(USERS, {}, a.session)).users.nodes.filter((n: any) => n.role === 'OWNER' && n.status === 'ACTIVE');
      expect(owners).toHaveLength(1);
    });
  });

  test('an ADMIN can neither grant OWNER nor change an OWNER: FORBIDDEN, nothing changes', async () => {
    const u = await addUser(app, world.owner, 'MEMBER', 'hopeful');
    const e = await app.fail(UPDATE_ROLE, { id: u.id, role: 'OWNER' }, world.admin.session);
    expect(e.code).toBe('FORBIDDEN');
    expect((await app.fail(UPDATE_ROLE, { id: world.owner.id, role: 'MEMBER' }, world.admin.session)).code).toBe('FORBIDDEN');
    expect((await app.fail(UPDATE_ROLE, { id: world.admin.id, role: 'OWNER' }, world.admin.session)).code).toBe('FORBIDDEN');
    expect(await lookUp(world.owner, u.id)).toMatchObject({ role: 'MEMBER' });
    expect(await lookUp(world.owner, world.owner.id)).toMatchObject({ role: 'OWNER' });
    expect(await lookUp(world.owner, world.admin.id)).toMatchObject({ role: 'ADMIN' });
  });

  test('is FORBIDDEN for MEMBER, READ_ONLY and a READ_ONLY token, even on themselves', async () => {
    const ro = await createToken(app, world.owner, { role: 'READ_ONLY' });
    const cases: Array<[string, string, RoleName]> = [
      [world.member.session, world.member.id, 'ADMIN'],
      [world.member.session, world.readOnly.id, 'MEMBER'],
      [world.readOnly.session, world.readOnly.id, 'MEMBER'],
      [auth.apiKey(ro.secret), world.member.id, 'READ_ONLY'],
    ];
    for (const [authorization, id, role] of cases) expect((await app.fail(UPDATE_ROLE, { id, role }, authorization)).code).toBe('FORBIDDEN');
    expect(await lookUp(world.owner, world.member.id)).toMatchObject({ role: 'MEMBER' });
    expect(await lookUp(world.owner, world.readOnly.id)).toMatchObject({ role: 'READ_ONLY' });
  });

  test('is UNAUTHENTICATED when anonymous', async () => {
    expect((await app.fail(UPDATE_ROLE, { id: world.member.id, role: 'ADMIN' })).code).toBe('UNAUTHENTICATED');
    expect(await lookUp(world.owner, world.member.id)).toMatchObject({ role: 'MEMBER' });
  });

  test('an unknown role is refused by the schema; an unknown or malformed id is NOT_FOUND', async () => {
    expect((await app.fail(UPDATE_ROLE, { id: world.member.id, role: 'GOD' }, world.owner.session)).code).toBe('BAD_USER_INPUT');
    expect((await app.fail(UPDATE_ROLE, { id: NO_SUCH_ID, role: 'ADMIN' }, world.owner.session)).code).toBe('NOT_FOUND');
    expect((await app.fail(UPDATE_ROLE, { id: 'nope', role: 'ADMIN' }, world.owner.session)).code).toBe('NOT_FOUND');
  });

  test("another account's user is NOT_FOUND, never FORBIDDEN, and is untouched", async () => {
    expect(await app.fail(UPDATE_ROLE, { id: world.member.id, role: 'READ_ONLY' }, world.stranger.session)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await app.fail(UPDATE_ROLE, { id: world.owner.id, role: 'MEMBER' }, world.stranger.session)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await app.fail(UPDATE_ROLE, { id: world.stranger.id, role: 'MEMBER' }, world.owner.session)).toMatchObject({ code: 'NOT_FOUND' });
    // Even for an admin who could not touch the target anyway: absence comes first.
    expect(await app.fail(UPDATE_ROLE, { id: world.stranger.id, role: 'OWNER' }, world.admin.session)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await lookUp(world.owner, world.member.id)).toMatchObject({ role: 'MEMBER' });
    expect((await app.ok(ME, {}, world.stranger.session)).me.role).toBe('OWNER');
  });
});

describe('deactivateUser and reactivateUser', () => {
  test("deactivation stops the user's sessions, refresh tokens, API tokens and logins at once; reactivation restores unrevoked tokens only", async () => {
    const u = await addUser(app, world.owner, 'MEMBER', 'leaver');
    const kept = await createToken(app, u);
    const revoked = await createToken(app, u);
    await app.ok(REVOKE, { id: revoked.id }, u.session);
    const issuedForThem = await createToken(app, world.admin, { ownerId: u.id });
    for (const t of [kept, issuedForThem]) await app.ok(ME, {}, auth.apiKey(t.secret)); // warm the verification cache

    const { deactivateUser } = await app.ok(DEACTIVATE, { id: u.id }, world.admin.session);
    expect(deactivateUser).toEqual({ id: u.id, email: u.email, role: 'MEMBER', status: 'DEACTIVATED' });
    await expectUnauthenticated(u.session);
    await expectUnauthenticated(auth.apiKey(kept.secret));
    await expectUnauthenticated(auth.basic(kept.username, kept.secret));
    await expectUnauthenticated(auth.apiKey(issuedForThem.secret));
    expect((await app.fail(REFRESH, { r: u.refreshToken })).code).toBe('UNAUTHENTICATED');
    await loginFails(u.email);
    // Still listed for admins, as DEACTIVATED.
    expect(await lookUp(world.owner, u.id)).toMatchObject({ status: 'DEACTIVATED' });

    const { reactivateUser } = await app.ok(REACTIVATE, { id: u.id }, world.admin.session);
    expect(reactivateUser).toEqual({ id: u.id, email: u.email, role: 'MEMBER', status: 'ACTIVE' });
    expect((await app.ok(ME, {}, auth.apiKey(kept.secret))).me).toEqual({ id: u.id, role: 'MEMBER', status: 'ACTIVE' });
    expect((await app.ok(ME, {}, auth.apiKey(issuedForThem.secret))).me.id).toBe(u.id);
    await expectUnauthenticated(auth.apiKey(revoked.secret));
    // Sessions stay ended: the user logs in again.
    await expectUnauthenticated(u.session);
    expect((await app.fail(REFRESH, { r: u.refreshToken })).code).toBe('UNAUTHENTICATED');
    const login = (await app.ok(LOGIN, { email: u.email, password: PASSWORD })).login;
    expect((await app.ok(ME, {}, `Bearer ${login.accessToken}`)).me.id).toBe(u.id);
  });

  test('both are idempotent', async () => {
    const u = await addUser(app, world.owner, 'READ_ONLY', 'twice');
    await app.ok(DEACTIVATE, { id: u.id }, world.owner.session);
    expect((await app.ok(DEACTIVATE, { id: u.id }, world.owner.session)).deactivateUser.status).toBe('DEACTIVATED');
    await app.ok(REACTIVATE, { id: u.id }, world.owner.session);
    expect((await app.ok(REACTIVATE, { id: u.id }, world.owner.session)).reactivateUser.status).toBe('ACTIVE');
    expect((await app.ok(REACTIVATE, { id: world.member.id }, world.owner.session)).reactivateUser.status).toBe('ACTIVE');
  });

  test('an ADMIN may deactivate another ADMIN, not an OWNER; MEMBER and READ_ONLY may do neither', async () => {
    const a2 = await addUser(app, world.owner, 'ADMIN', 'admin-two');
    await app.ok(DEACTIVATE, { id: a2.id }, world.admin.session);
    await app.ok(REACTIVATE, { id: a2.id }, world.admin.session);
    const ro = await createToken(app, world.owner, { role: 'READ_ONLY' });
    const cases: Array<[string, string]> = [
      [world.admin.session, world.owner.id],
      [world.member.session, world.readOnly.id],
      [world.member.session, world.member.id],
      [world.readOnly.session, world.member.id],
      [auth.apiKey(ro.secret), world.member.id],
    ];
    for (const [authorization, id] of cases) {
      expect((await app.fail(DEACTIVATE, { id }, authorization)).code).toBe('FORBIDDEN');
      expect((await app.fail(REACTIVATE, { id }, authorization)).code).toBe('FORBIDDEN');
    }
    for (const a of [world.owner, world.member, world.readOnly]) expect((await app.ok(ME, {}, a.session)).me.status).toBe('ACTIVE');
  });

  test('an ADMIN can not reactivate a deactivated OWNER', async () => {
    const o2 = await addUser(app, world.owner, 'OWNER', 'owner-two');
    await app.ok(DEACTIVATE, { id: o2.id }, world.owner.session);
    expect((await app.fail(REACTIVATE, { id: o2.id }, world.admin.session)).code).toBe('FORBIDDEN');
    expect(await lookUp(world.owner, o2.id)).toMatchObject({ status: 'DEACTIVATED' });
  });

  test('the last active OWNER can not be deactivated: CONFLICT; with another OWNER they can, and their session ends', async () => {
    const founder = await signUp(app, 'lonely', 'Lonely Co');
    expect((await app.fail(DEACTIVATE, { id: founder.id }, founder.session)).code).toBe('CONFLICT');
    expect((await app.ok(ME, {}, founder.session)).me.status).toBe('ACTIVE');
    const other = await addUser(app, founder, 'OWNER', 'co-founder');
    await app.ok(DEACTIVATE, { id: founder.id }, founder.session);
    await expectUnauthenticated(founder.session);
    expect((await app.fail(DEACTIVATE, { id: other.id }, other.session)).code).toBe('CONFLICT');
    await app.ok(REACTIVATE, { id: founder.id }, other.session);
  });

  test('are UNAUTHENTICATED when anonymous', async () => {
    expect((await app.fail(DEACTIVATE, { id: world.member.id })).code).toBe('UNAUTHENTICATED');
    expect((await app.fail(REACTIVATE, { id: world.member.id })).code).toBe('UNAUTHENTICATED');
    expect((await app.ok(ME, {}, world.member.session)).me.status).toBe('ACTIVE');
  });

  test('an unknown or malformed id is NOT_FOUND', async () => {
    for (const doc of [DEACTIVATE, REACTIVATE]) {
      expect((await app.fail(doc, { id: NO_SUCH_ID }, world.owner.session)).code).toBe('NOT_FOUND');
      expect((await app.fail(doc, { id: 'nope' }, world.owner.session)).code).toBe('NOT_FOUND');
    }
  });

  test("another account's user is NOT_FOUND, never FORBIDDEN, and keeps working", async () => {
    const t = await createToken(app, world.member);
    for (const doc of [DEACTIVATE, REACTIVATE]) {
      expect((await app.fail(doc, { id: world.member.id }, world.stranger.session)).code).toBe('NOT_FOUND');
      expect((await app.fail(doc, { id: world.owner.id }, world.stranger.session)).code).toBe('NOT_FOUND');
      expect((await app.fail(doc, { id: world.stranger.id }, world.admin.session)).code).toBe('NOT_FOUND');
    }
    expect((await app.ok(ME, {}, world.member.session)).me.status).toBe('ACTIVE');
    expect((await app.ok(ME, {}, auth.apiKey(t.secret))).me.id).toBe(world.member.id);
    expect((await app.ok(ME, {}, world.stranger.session)).me.status).toBe('ACTIVE');
  });

  test('reactivation does not revive a token that expired meanwhile (moves the clock: keep last)', async () => {
    const u = await addUser(app, world.owner, 'MEMBER', 'sabbatical');
    const short = await createToken(app, u, { expiresAt: new Date(clock.nowMs() + DAY).toISOString() });
    const lasting = await createToken(app, u, { neverExpires: true });
    await app.ok(DEACTIVATE, { id: u.id }, world.owner.session);
    clock.advance(2 * DAY);
    const owner = (await app.ok(LOGIN, { email: world.owner.email, password: PASSWORD })).login.accessToken;
    await app.ok(REACTIVATE, { id: u.id }, `Bearer ${owner}`);
    await expectUnauthenticated(auth.apiKey(short.secret));
    expect((await app.ok(ME, {}, auth.apiKey(lasting.secret))).me.id).toBe(u.id);
  });
});
