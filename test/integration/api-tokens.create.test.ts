import { startTestApp, TestApp } from '../helpers/app';
import { addUser, auth, createToken, createWorld, World } from '../helpers/world';
import { CREATE_TOKEN, DAY, DEACTIVATE, DELETE, GET, REGENERATE, REVOKE, setPolicy } from '../helpers/api-tokens';

/** createApiToken: defaults, roles, ownership, policy, validation, names. */
let app: TestApp;
let world: World;
beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
  await setPolicy(app, world.owner, { maxActiveTokens: 1000 });
});
afterAll(() => app?.stop());

let n = 0;
const name = (label: string) => `${label}-${++n}`;
const create = (authorization: string, input: Record<string, unknown>) => app.gql(CREATE_TOKEN, { input: { name: name('t'), ...input } }, authorization);
async function created(authorization: string, input: Record<string, unknown> = {}) {
  const res = await create(authorization, input);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data.createApiToken;
}
async function refused(authorization: string, input: Record<string, unknown>) {
  const res = await create(authorization, input);
  expect(res.errors).toBeDefined();
  expect(res.data?.createApiToken ?? null).toBeNull();
  return { code: res.errors![0].extensions?.code, message: res.errors![0].message };
}
const near = (iso: string | null, expectedMs: number) => {
  expect(iso).not.toBeNull();
  expect(Math.abs(new Date(iso!).getTime() - expectedMs)).toBeLessThan(5 * 60_000);
};

describe('success', () => {
  test("defaults: the owner is the caller, role is the caller's role, expiry 365 days, ACTIVE, secret returned with hint and username", async () => {
    const before = Date.now();
    const { secret, token } = await created(world.member.session, { description: '  CI deploys  ', environment: 'production' });
    expect(secret).toMatch(/^tgk_[0-9A-Za-z]{42}$/);
    expect(token.hint).toMatch(/^tgk_[0-9A-Za-z]{4}$/);
    expect(secret.startsWith(token.hint)).toBe(true);
    expect(token.username).toMatch(/^tgu_[0-9a-z]{16}$/);
    expect(token).toMatchObject({
      role: 'MEMBER',
      status: 'ACTIVE',
      description: 'CI deploys',
      environment: 'production',
      owner: { id: world.member.id },
      createdBy: { id: world.member.id },
      revokedAt: null,
      revokedBy: null,
      lastUsedAt: null,
      useCount: 0,
      expiringSoon: false,
    });
    near(token.expiresAt, before + 365 * DAY);
    // The token works as the member.
    expect((await app.ok('{ me { id role } }', {}, auth.apiKey(secret))).me).toEqual({ id: world.member.id, role: 'MEMBER' });
  });

  test('every secret and username is distinct', async () => {
    const a = await created(world.owner.session);
    const b = await created(world.owner.session);
    expect(a.secret).not.toBe(b.secret);
    expect(a.token.username).not.toBe(b.token.username);
    expect(a.token.id).not.toBe(b.token.id);
  });

  test('an explicit expiresAt is kept; neverExpires gives a token without expiry', async () => {
    const at = new Date(Date.now() + 3 * DAY).toISOString();
    const soon = await created(world.member.session, { expiresAt: at });
    expect(new Date(soon.token.expiresAt).getTime()).toBe(new Date(at).getTime());
    expect(soon.token.expiringSoon).toBe(true);
    const never = await created(world.member.session, { neverExpires: true });
    expect(never.token.expiresAt).toBeNull();
    expect(never.token.expiringSoon).toBe(false);
    const neverFalse = await created(world.member.session, { neverExpires: false });
    expect(neverFalse.token.expiresAt).not.toBeNull();
  });

  test('a lower role may be asked for; READ_ONLY users may create READ_ONLY tokens under ALL_MEMBERS', async () => {
    expect((await created(world.owner.session, { role: 'MEMBER' })).token.role).toBe('MEMBER');
    expect((await created(world.admin.session, { role: 'READ_ONLY' })).token.role).toBe('READ_ONLY');
    const ro = await created(world.readOnly.session);
    expect(ro.token.role).toBe('READ_ONLY');
    expect(ro.token.owner.id).toBe(world.readOnly.id);
  });

  test('an admin issues a token for another user of the account: owner is that user, createdBy the admin, role capped by the owner', async () => {
    const { token } = await created(world.admin.session, { ownerId: world.member.id });
    expect(token.owner.id).toBe(world.member.id);
    expect(token.createdBy.id).toBe(world.admin.id);
    expect(token.role).toBe('MEMBER'); // default = min(issuer ADMIN, owner MEMBER)
    // The owner sees it; so does the issuer.
    expect((await app.ok(GET, { id: token.id }, world.member.session)).apiToken.id).toBe(token.id);
    expect((await app.ok(GET, { id: token.id }, world.admin.session)).apiToken.id).toBe(token.id);
    const forReadOnly = await created(world.owner.session, { ownerId: world.readOnly.id });
    expect(forReadOnly.token.role).toBe('READ_ONLY');
    const ownerForAdmin = await created(world.owner.session, { ownerId: world.admin.id });
    expect(ownerForAdmin.token.role).toBe('ADMIN');
  });

  test('the account default lifetime applies, and null means never expire', async () => {
    try {
      await setPolicy(app, world.owner, { defaultTokenLifetimeDays: 30 });
      const before = Date.now();
      near((await created(world.member.session)).token.expiresAt, before + 30 * DAY);
      await setPolicy(app, world.owner, { defaultTokenLifetimeDays: null });
      expect((await created(world.member.session)).token.expiresAt).toBeNull();
    } finally {
      await setPolicy(app, world.owner, { defaultTokenLifetimeDays: 365 });
    }
  });

  test('maxTokenLifetimeDays: an expiry within it is accepted, one past it and neverExpires are BAD_USER_INPUT', async () => {
    try {
      await setPolicy(app, world.owner, { maxTokenLifetimeDays: 90, defaultTokenLifetimeDays: 60 });
      const before = Date.now();
      near((await created(world.member.session)).token.expiresAt, before + 60 * DAY);
      const within = new Date(Date.now() + 89 * DAY).toISOString();
      expect((await created(world.member.session, { expiresAt: within })).token.expiresAt).toBe(within);
      const past = await refused(world.member.session, { expiresAt: new Date(Date.now() + 91 * DAY).toISOString() });
      expect(past.code).toBe('BAD_USER_INPUT');
      expect(past.message).toMatch(/^expiresAt:.*90 days/);
      const never = await refused(world.owner.session, { neverExpires: true });
      expect(never.code).toBe('BAD_USER_INPUT');
      expect(never.message).toMatch(/^neverExpires:/);
    } finally {
      await setPolicy(app, world.owner, { maxTokenLifetimeDays: null, defaultTokenLifetimeDays: 365 });
    }
  });

  test('a token creates tokens for its owner, never above its own effective role', async () => {
    const memberLevel = await created(world.admin.session, { role: 'MEMBER' });
    const viaToken = auth.bearer(memberLevel.secret);
    const child = await created(viaToken);
    expect(child.token.role).toBe('MEMBER');
    expect(child.token.owner.id).toBe(world.admin.id);
    expect(child.token.createdBy.id).toBe(world.admin.id);
    expect((await refused(viaToken, { role: 'ADMIN' })).code).toBe('FORBIDDEN');
    // A MEMBER-level token of an admin cannot issue for other users either.
    const other = await refused(viaToken, { ownerId: world.member.id });
    expect(other.code).toBe('FORBIDDEN');
  });
});

describe('bad input', () => {
  test.each([
    ['empty name', { name: '' }, /^name:/],
    ['blank name', { name: '   ' }, /^name:/],
    ['name over 100 characters', { name: 'x'.repeat(101) }, /^name:/],
    ['name with a control character', { name: 'a\u0000b' }, /^name:/],
    ['description over 1000 characters', { description: 'd'.repeat(1001) }, /^description:/],
    ['environment with spaces', { environment: 'prod env' }, /^environment:/],
    ['environment over 64 characters', { environment: 'e'.repeat(65) }, /^environment:/],
    ['expiresAt in the past', { expiresAt: new Date(Date.now() - 60_000).toISOString() }, /^expiresAt:/],
    ['expiresAt and neverExpires together', { expiresAt: new Date(Date.now() + DAY).toISOString(), neverExpires: true }, /^neverExpires:/],
  ])('%s is BAD_USER_INPUT naming the field', async (_label, input, message) => {
    const res = await refused(world.member.session, input);
    expect(res.code).toBe('BAD_USER_INPUT');
    expect(res.message).toMatch(message);
  });

  test('a name of exactly 100 characters and a description of 1000 are accepted', async () => {
    const { token } = await created(world.member.session, { name: 'n'.repeat(99) + `${n++ % 10}`, description: 'd'.repeat(1000) });
    expect(token.name).toHaveLength(100);
    expect(token.description).toHaveLength(1000);
  });

  test('an unknown role or a malformed date is refused by the schema', async () => {
    const res = await app.gql(CREATE_TOKEN, { input: { name: 'bad-role', role: 'SUPERUSER' } }, world.owner.session);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const date = await app.gql(CREATE_TOKEN, { input: { name: 'bad-date', expiresAt: 'tomorrow' } }, world.owner.session);
    expect(date.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('issuing for a deactivated user is BAD_USER_INPUT', async () => {
    const gone = await addUser(app, world.owner, 'MEMBER', 'gone');
    await app.ok(DEACTIVATE, { id: gone.id }, world.owner.session);
    const res = await refused(world.admin.session, { ownerId: gone.id });
    expect(res.code).toBe('BAD_USER_INPUT');
    expect(res.message).toMatch(/^ownerId:/);
  });
});

describe('names are unique per owner among tokens that are not deleted', () => {
  test('the same name twice for one owner is CONFLICT; another owner may use it', async () => {
    const shared = name('deploy');
    await created(world.member.session, { name: shared });
    const dup = await refused(world.member.session, { name: shared });
    expect(dup.code).toBe('CONFLICT');
    // Surrounding spaces do not make a different name.
    expect((await refused(world.member.session, { name: `  ${shared} ` })).code).toBe('CONFLICT');
    // An admin issuing for the member hits the same rule.
    expect((await refused(world.admin.session, { name: shared, ownerId: world.member.id })).code).toBe('CONFLICT');
    await created(world.admin.session, { name: shared });
    await created(world.stranger.session, { name: shared });
  });

  test('names compare case-insensitively, the same on every database', async () => {
    const base = name('Deploy');
    await created(world.member.session, { name: base });
    expect((await refused(world.member.session, { name: base.toLowerCase() })).code).toBe('CONFLICT');
    expect((await refused(world.member.session, { name: base.toUpperCase() })).code).toBe('CONFLICT');
    // Accents make a different name (no database collation decides this).
    const cafe = name('cafe');
    await created(world.member.session, { name: cafe });
    expect((await created(world.member.session, { name: cafe.replace('cafe', 'café') })).token.name).toBe(cafe.replace('cafe', 'café'));
  });

  test('a revoked token still holds its name; a deleted one frees it', async () => {
    const reused = name('rotating');
    const first = await created(world.member.session, { name: reused });
    await app.ok(REVOKE, { id: first.token.id }, world.member.session);
    expect((await refused(world.member.session, { name: reused })).code).toBe('CONFLICT');
    await app.ok(DELETE, { id: first.token.id }, world.member.session);
    const second = await created(world.member.session, { name: reused });
    expect(second.token.id).not.toBe(first.token.id);
  });
});

describe('unauthenticated', () => {
  test('no credentials, a bad session and an unknown token are UNAUTHENTICATED', async () => {
    expect((await app.fail(CREATE_TOKEN, { input: { name: 'anon' } })).code).toBe('UNAUTHENTICATED');
    expect((await app.fail(CREATE_TOKEN, { input: { name: 'anon' } }, 'Bearer a.b.c')).code).toBe('UNAUTHENTICATED');
    expect((await app.fail(CREATE_TOKEN, { input: { name: 'anon' } }, auth.apiKey('tgk_nope'))).code).toBe('UNAUTHENTICATED');
  });
});

describe('forbidden', () => {
  test("a role above the caller's own is FORBIDDEN", async () => {
    expect((await refused(world.member.session, { role: 'ADMIN' })).code).toBe('FORBIDDEN');
    expect((await refused(world.admin.session, { role: 'OWNER' })).code).toBe('FORBIDDEN');
    expect((await refused(world.readOnly.session, { role: 'MEMBER' })).code).toBe('FORBIDDEN');
  });

  test("a role above the owner's is FORBIDDEN, even for the account OWNER", async () => {
    expect((await refused(world.owner.session, { ownerId: world.member.id, role: 'ADMIN' })).code).toBe('FORBIDDEN');
    expect((await refused(world.admin.session, { ownerId: world.readOnly.id, role: 'MEMBER' })).code).toBe('FORBIDDEN');
  });

  test('members and read-only users may not issue tokens for another user of their account', async () => {
    expect((await refused(world.member.session, { ownerId: world.admin.id })).code).toBe('FORBIDDEN');
    expect((await refused(world.readOnly.session, { ownerId: world.member.id, role: 'READ_ONLY' })).code).toBe('FORBIDDEN');
  });

  test('tokenCreation ADMINS_ONLY and OWNER_ONLY govern create and regenerate', async () => {
    const memberToken = await created(world.member.session);
    const adminToken = await created(world.admin.session);
    try {
      await setPolicy(app, world.owner, { tokenCreation: 'ADMINS_ONLY' });
      expect((await refused(world.member.session, {})).code).toBe('FORBIDDEN');
      expect((await refused(world.readOnly.session, {})).code).toBe('FORBIDDEN');
      expect((await app.fail(REGENERATE, { id: memberToken.token.id }, world.member.session)).code).toBe('FORBIDDEN');
      await created(world.admin.session);
      // An admin may still issue for a member under ADMINS_ONLY.
      expect((await created(world.admin.session, { ownerId: world.member.id })).token.owner.id).toBe(world.member.id);

      await setPolicy(app, world.owner, { tokenCreation: 'OWNER_ONLY' });
      const adminRefused = await refused(world.admin.session, {});
      expect(adminRefused.code).toBe('FORBIDDEN');
      expect(adminRefused.message).toMatch(/OWNER_ONLY/);
      expect((await app.fail(REGENERATE, { id: adminToken.token.id }, world.admin.session)).code).toBe('FORBIDDEN');
      await created(world.owner.session);
      // The member may still revoke their own token: the policy governs minting only.
      expect((await app.ok(REVOKE, { id: memberToken.token.id }, world.member.session)).revokeApiToken.status).toBe('REVOKED');
    } finally {
      await setPolicy(app, world.owner, { tokenCreation: 'ALL_MEMBERS' });
    }
    expect((await app.ok(REGENERATE, { id: adminToken.token.id }, world.admin.session)).regenerateApiToken.secret).toMatch(/^tgk_/);
  });
});

describe('another account', () => {
  test('issuing for a user of another account is NOT_FOUND, never FORBIDDEN', async () => {
    const res = await refused(world.stranger.session, { ownerId: world.member.id });
    expect(res.code).toBe('NOT_FOUND');
    const back = await refused(world.owner.session, { ownerId: world.stranger.id });
    expect(back.code).toBe('NOT_FOUND');
    // Also for a caller who could not issue for another user anyway.
    expect((await refused(world.member.session, { ownerId: world.stranger.id })).code).toBe('NOT_FOUND');
    expect((await refused(world.member.session, { ownerId: '01890000-0000-7000-8000-000000000000' })).code).toBe('NOT_FOUND');
  });

  test("another account's policy does not apply: the stranger's account keeps its own defaults", async () => {
    try {
      await setPolicy(app, world.owner, { tokenCreation: 'OWNER_ONLY', maxTokenLifetimeDays: 10, defaultTokenLifetimeDays: 10 });
      const { token } = await created(world.stranger.session, { neverExpires: true });
      expect(token.expiresAt).toBeNull();
    } finally {
      await setPolicy(app, world.owner, { tokenCreation: 'ALL_MEMBERS', maxTokenLifetimeDays: null, defaultTokenLifetimeDays: 365 });
    }
  });

  test('the stranger cannot see a token issued in the first account', async () => {
    const t = await createToken(app, world.member);
    expect((await app.ok(GET, { id: t.id }, world.stranger.session)).apiToken).toBeNull();
  });
});
