import { startTestApp, TestApp } from '../helpers/app';
import { Actor, addUser, auth, createToken, createWorld, signUp, World } from '../helpers/world';
import { Account } from '../../src/modules/account/account.entity';

/** The account query, Account.policy visibility, and updateAccountPolicy with its defaults and validation. */
let app: TestApp;
let world: World;
beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
});
afterAll(() => app?.stop());

const POLICY_FIELDS = 'maxActiveTokens tokenCreation defaultTokenLifetimeDays maxTokenLifetimeDays expiryNotificationDays';
const ACCOUNT = `{ account { id name policy { ${POLICY_FIELDS} } } }`;
const ACCOUNT_NAME = '{ account { id name } }';
const UPDATE = `mutation($input: AccountPolicyInput!) { updateAccountPolicy(input: $input) { ${POLICY_FIELDS} } }`;
const DEFAULTS = {
  maxActiveTokens: 50,
  tokenCreation: 'ALL_MEMBERS',
  defaultTokenLifetimeDays: 365,
  maxTokenLifetimeDays: null,
  expiryNotificationDays: [30, 10, 5, 1, 0],
};

const policyOf = async (by: Actor | string) => (await app.ok(ACCOUNT, {}, typeof by === 'string' ? by : by.session)).account.policy;
/** The policy as stored, read past the API. */
async function storedPolicy(accountId: string) {
  const a = await app.db.dataSource.getRepository(Account).findOneByOrFail({ id: accountId });
  const { maxActiveTokens, tokenCreation, defaultTokenLifetimeDays, maxTokenLifetimeDays, expiryNotificationDays } = a;
  return { maxActiveTokens, tokenCreation, defaultTokenLifetimeDays, maxTokenLifetimeDays, expiryNotificationDays };
}

describe('account', () => {
  test('every role sees its own account by id and name', async () => {
    for (const a of [world.owner, world.admin, world.member, world.readOnly]) {
      expect((await app.ok(ACCOUNT_NAME, {}, a.session)).account).toEqual({ id: world.owner.accountId, name: 'Acme' });
    }
    const ro = await createToken(app, world.member, { role: 'READ_ONLY' });
    expect((await app.ok(ACCOUNT_NAME, {}, auth.apiKey(ro.secret))).account).toEqual({ id: world.owner.accountId, name: 'Acme' });
  });

  test('another account only ever sees its own account', async () => {
    expect((await app.ok(ACCOUNT_NAME, {}, world.stranger.session)).account).toEqual({ id: world.stranger.accountId, name: 'Globex' });
    expect((await app.ok('{ me { account { id name } } }', {}, world.stranger.session)).me.account).toEqual({
      id: world.stranger.accountId,
      name: 'Globex',
    });
  });

  test('is UNAUTHENTICATED when anonymous', async () => {
    const e = await app.fail(ACCOUNT_NAME);
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.data).toBeNull();
  });
});

describe('Account.policy', () => {
  test('a new account has the documented defaults: 50 / ALL_MEMBERS / 365 / null / [30, 10, 5, 1, 0]', async () => {
    const fresh = await signUp(app, 'fresh', 'Fresh');
    expect(await policyOf(fresh)).toEqual(DEFAULTS);
    expect(await storedPolicy(fresh.accountId)).toEqual(DEFAULTS);
  });

  test('OWNER and ADMIN see it, also through me.account and through an ADMIN API token', async () => {
    for (const a of [world.owner, world.admin]) expect(await policyOf(a)).toEqual(DEFAULTS);
    expect((await app.ok(`{ me { account { policy { ${POLICY_FIELDS} } } } }`, {}, world.admin.session)).me.account.policy).toEqual(DEFAULTS);
    const t = await createToken(app, world.admin, { role: 'ADMIN' });
    expect(await policyOf(auth.apiKey(t.secret))).toEqual(DEFAULTS);
  });

  test('is FORBIDDEN for MEMBER and READ_ONLY, and for an API token whose effective role is below ADMIN', async () => {
    const memberTokenOfOwner = await createToken(app, world.owner, { role: 'MEMBER' });
    const readOnlyTokenOfAdmin = await createToken(app, world.admin, { role: 'READ_ONLY' });
    for (const authorization of [world.member.session, world.readOnly.session, auth.apiKey(memberTokenOfOwner.secret), auth.apiKey(readOnlyTokenOfAdmin.secret)]) {
      for (const doc of [ACCOUNT, '{ account { policy { maxActiveTokens } } }', '{ me { account { policy { tokenCreation } } } }']) {
        const e = await app.fail(doc, {}, authorization);
        expect(e.code).toBe('FORBIDDEN');
      }
      // The rest of the account stays readable.
      expect((await app.ok(ACCOUNT_NAME, {}, authorization)).account.id).toBe(world.owner.accountId);
    }
  });

  test('is UNAUTHENTICATED when anonymous', async () => {
    expect((await app.fail('{ account { policy { maxActiveTokens } } }')).code).toBe('UNAUTHENTICATED');
  });
});

describe('updateAccountPolicy', () => {
  let boss: Actor;
  let deputy: Actor;
  beforeAll(async () => {
    // Its own account: the shared world keeps the defaults for the visibility tests.
    boss = await signUp(app, 'boss', 'Policies');
    deputy = await addUser(app, boss, 'ADMIN', 'deputy');
  });
  afterEach(async () => {
    await app.ok(UPDATE, { input: DEFAULTS }, boss.session);
  });

  test('changes only the fields given; the answer, the account and the database agree', async () => {
    const { updateAccountPolicy } = await app.ok(UPDATE, { input: { maxActiveTokens: 10 } }, boss.session);
    const expected = { ...DEFAULTS, maxActiveTokens: 10 };
    expect(updateAccountPolicy).toEqual(expected);
    expect(await policyOf(boss)).toEqual(expected);
    expect(await policyOf(deputy)).toEqual(expected);
    expect(await storedPolicy(boss.accountId)).toEqual(expected);

    const next = await app.ok(UPDATE, { input: { tokenCreation: 'ADMINS_ONLY' } }, boss.session);
    expect(next.updateAccountPolicy).toEqual({ ...expected, tokenCreation: 'ADMINS_ONLY' });
    const empty = await app.ok(UPDATE, { input: {} }, boss.session);
    expect(empty.updateAccountPolicy).toEqual({ ...expected, tokenCreation: 'ADMINS_ONLY' });
  });

  test('an ADMIN may change every field; notification days come back in descending order', async () => {
    const input = {
      maxActiveTokens: 3,
      tokenCreation: 'OWNER_ONLY',
      defaultTokenLifetimeDays: 30,
      maxTokenLifetimeDays: 90,
      expiryNotificationDays: [1, 14, 0, 7],
    };
    const { updateAccountPolicy } = await app.ok(UPDATE, { input }, deputy.session);
    const expected = { ...input, expiryNotificationDays: [14, 7, 1, 0] };
    expect(updateAccountPolicy).toEqual(expected);
    expect(await policyOf(boss)).toEqual(expected);
    expect(await storedPolicy(boss.accountId)).toEqual(expected);
  });

  test('null clears the nullable lifetimes: no maximum, and tokens never expire by default', async () => {
    await app.ok(UPDATE, { input: { maxTokenLifetimeDays: 90, defaultTokenLifetimeDays: 90 } }, boss.session);
    const cleared = await app.ok(UPDATE, { input: { maxTokenLifetimeDays: null, defaultTokenLifetimeDays: null } }, boss.session);
    expect(cleared.updateAccountPolicy).toEqual({ ...DEFAULTS, defaultTokenLifetimeDays: null, maxTokenLifetimeDays: null });
    expect(await storedPolicy(boss.accountId)).toMatchObject({ defaultTokenLifetimeDays: null, maxTokenLifetimeDays: null });
  });

  test('the bounds are accepted: 1 and 10000 tokens, 1 and 3650 days, no or ten notification days', async () => {
    const cases = [
      { maxActiveTokens: 1, defaultTokenLifetimeDays: 1, maxTokenLifetimeDays: 1, expiryNotificationDays: [] },
      { maxActiveTokens: 10000, defaultTokenLifetimeDays: 3650, maxTokenLifetimeDays: 3650, expiryNotificationDays: [365, 0] },
      { expiryNotificationDays: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
    ];
    for (const input of cases) {
      const { updateAccountPolicy } = await app.ok(UPDATE, { input }, boss.session);
      const expected = { ...input, expiryNotificationDays: [...input.expiryNotificationDays].sort((a, b) => b - a) };
      expect(updateAccountPolicy).toMatchObject(expected);
      expect(await policyOf(boss)).toMatchObject(expected);
    }
  });

  test.each([
    ['maxActiveTokens', { maxActiveTokens: 0 }],
    ['maxActiveTokens', { maxActiveTokens: -5 }],
    ['maxActiveTokens', { maxActiveTokens: 10001 }],
    ['maxActiveTokens', { maxActiveTokens: null }],
    ['tokenCreation', { tokenCreation: null }],
    ['defaultTokenLifetimeDays', { defaultTokenLifetimeDays: 0 }],
    ['defaultTokenLifetimeDays', { defaultTokenLifetimeDays: 3651 }],
    ['maxTokenLifetimeDays', { maxTokenLifetimeDays: 0 }],
    ['maxTokenLifetimeDays', { maxTokenLifetimeDays: -1 }],
    ['maxTokenLifetimeDays', { maxTokenLifetimeDays: 3651 }],
    // A maximum below the current default of 365 days, and "never expire" by default under a maximum.
    ['defaultTokenLifetimeDays', { maxTokenLifetimeDays: 90 }],
    ['defaultTokenLifetimeDays', { maxTokenLifetimeDays: 90, defaultTokenLifetimeDays: 91 }],
    ['defaultTokenLifetimeDays', { maxTokenLifetimeDays: 90, defaultTokenLifetimeDays: null }],
    ['expiryNotificationDays', { expiryNotificationDays: null }],
    ['expiryNotificationDays', { expiryNotificationDays: [-1] }],
    ['expiryNotificationDays', { expiryNotificationDays: [366] }],
    ['expiryNotificationDays', { expiryNotificationDays: [5, 1, 5] }],
    ['expiryNotificationDays', { expiryNotificationDays: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }],
    // Valid fields next to an invalid one are not saved either.
    ['expiryNotificationDays', { maxActiveTokens: 7, tokenCreation: 'OWNER_ONLY', expiryNotificationDays: [400] }],
  ])('%s is validated (%j) and nothing changes', async (field, input) => {
    const e = await app.fail(UPDATE, { input }, boss.session);
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.message.startsWith(`${field}:`)).toBe(true);
    expect(e.data).toBeNull();
    expect(await storedPolicy(boss.accountId)).toEqual(DEFAULTS);
  });

  test('a value the schema does not know is BAD_USER_INPUT', async () => {
    for (const input of [{ tokenCreation: 'EVERYONE' }, { maxActiveTokens: 2.5 }, { expiryNotificationDays: ['soon'] }]) {
      expect((await app.fail(UPDATE, { input }, boss.session)).code).toBe('BAD_USER_INPUT');
    }
    expect(await storedPolicy(boss.accountId)).toEqual(DEFAULTS);
  });

  test('concurrent updates of different fields both stick', async () => {
    const results = await Promise.all([
      app.gql(UPDATE, { input: { maxActiveTokens: 7 } }, boss.session),
      app.gql(UPDATE, { input: { defaultTokenLifetimeDays: 20 } }, deputy.session),
      app.gql(UPDATE, { input: { expiryNotificationDays: [3] } }, boss.session),
    ]);
    for (const r of results) expect(r.errors).toBeUndefined();
    expect(await storedPolicy(boss.accountId)).toEqual({ ...DEFAULTS, maxActiveTokens: 7, defaultTokenLifetimeDays: 20, expiryNotificationDays: [3] });
  });

  test('the new policy governs the next token at once', async () => {
    await app.ok(UPDATE, { input: { defaultTokenLifetimeDays: 30 } }, boss.session);
    const t = await createToken(app, boss);
    const days = (new Date(t.expiresAt!).getTime() - Date.now()) / (24 * 60 * 60 * 1000);
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    await app.ok(UPDATE, { input: { tokenCreation: 'OWNER_ONLY' } }, boss.session);
    expect((await app.fail('mutation { createApiToken(input: { name: "deputy" }) { secret } }', {}, deputy.session)).code).toBe('FORBIDDEN');
  });

  test('is FORBIDDEN for MEMBER and READ_ONLY, and for API tokens acting below ADMIN; nothing changes', async () => {
    const memberTokenOfOwner = await createToken(app, world.owner, { role: 'MEMBER' });
    const readOnlyTokenOfOwner = await createToken(app, world.owner, { role: 'READ_ONLY' });
    for (const authorization of [world.member.session, world.readOnly.session, auth.apiKey(memberTokenOfOwner.secret), auth.apiKey(readOnlyTokenOfOwner.secret)]) {
      const e = await app.fail(UPDATE, { input: { maxActiveTokens: 2 } }, authorization);
      expect(e.code).toBe('FORBIDDEN');
    }
    expect(await storedPolicy(world.owner.accountId)).toEqual(DEFAULTS);
  });

  test('an ADMIN API token of the OWNER may change it', async () => {
    const t = await createToken(app, boss, { role: 'ADMIN' });
    expect((await app.ok(UPDATE, { input: { maxActiveTokens: 12 } }, auth.apiKey(t.secret))).updateAccountPolicy.maxActiveTokens).toBe(12);
    expect((await storedPolicy(boss.accountId)).maxActiveTokens).toBe(12);
  });

  test('is UNAUTHENTICATED when anonymous, and nothing changes', async () => {
    expect((await app.fail(UPDATE, { input: { maxActiveTokens: 2 } })).code).toBe('UNAUTHENTICATED');
    expect(await storedPolicy(boss.accountId)).toEqual(DEFAULTS);
  });

  test("changes only the caller's own account: other accounts keep their policy", async () => {
    await app.ok(UPDATE, { input: { maxActiveTokens: 5, tokenCreation: 'OWNER_ONLY', maxTokenLifetimeDays: 365 } }, world.stranger.session);
    expect(await policyOf(world.stranger)).toEqual({ ...DEFAULTS, maxActiveTokens: 5, tokenCreation: 'OWNER_ONLY', maxTokenLifetimeDays: 365 });
    expect(await policyOf(world.owner)).toEqual(DEFAULTS);
    expect(await storedPolicy(boss.accountId)).toEqual(DEFAULTS);
    await app.ok(UPDATE, { input: DEFAULTS }, world.stranger.session);
  });
});
