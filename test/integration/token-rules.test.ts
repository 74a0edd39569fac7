import { startSupergraph, Supergraph } from '../helpers/supergraph';
import { TestApp } from '../helpers/app';
import { auth, createToken, createWorld, World } from '../helpers/world';
import { setPolicy } from '../helpers/api-tokens';

/** Account.tokenRules: what the console's token form may offer, readable by every user of the account. */
let sg: Supergraph;
let app: TestApp;
let world: World;
beforeAll(async () => {
  sg = await startSupergraph();
  app = sg.app;
  world = await createWorld(app);
});
afterAll(() => sg?.stop());

const RULES = '{ account { id tokenRules { tokenCreation defaultTokenLifetimeDays maxTokenLifetimeDays canCreateTokens } } }';
const rulesOf = async (authorization: string) => (await app.ok(RULES, {}, authorization)).account.tokenRules;

test('every role reads the creation policy and lifetimes; canCreateTokens follows the policy and the caller’s role', async () => {
  expect(await rulesOf(world.member.session)).toEqual({ tokenCreation: 'ALL_MEMBERS', defaultTokenLifetimeDays: 365, maxTokenLifetimeDays: null, canCreateTokens: true });
  expect((await rulesOf(world.readOnly.session)).canCreateTokens).toBe(true);
  await setPolicy(app, world.owner, { tokenCreation: 'ADMINS_ONLY', defaultTokenLifetimeDays: 30, maxTokenLifetimeDays: 90 });
  expect(await rulesOf(world.member.session)).toEqual({ tokenCreation: 'ADMINS_ONLY', defaultTokenLifetimeDays: 30, maxTokenLifetimeDays: 90, canCreateTokens: false });
  expect((await rulesOf(world.readOnly.session)).canCreateTokens).toBe(false);
  expect((await rulesOf(world.admin.session)).canCreateTokens).toBe(true);
  // What it says is what the API does.
  expect((await app.fail('mutation { createApiToken(input: { name: "refused" }) { secret } }', {}, world.member.session)).code).toBe('FORBIDDEN');
  await setPolicy(app, world.owner, { tokenCreation: 'OWNER_ONLY' });
  expect((await rulesOf(world.admin.session)).canCreateTokens).toBe(false);
  expect((await rulesOf(world.owner.session)).canCreateTokens).toBe(true);
  await setPolicy(app, world.owner, { tokenCreation: 'ALL_MEMBERS', defaultTokenLifetimeDays: 365, maxTokenLifetimeDays: null });
});

test('with an API token, canCreateTokens follows the token’s effective role', async () => {
  await setPolicy(app, world.owner, { tokenCreation: 'ADMINS_ONLY' });
  const adminAsMember = await createToken(app, world.admin, { role: 'MEMBER', name: 'capped' });
  expect((await rulesOf(auth.apiKey(adminAsMember.secret))).canCreateTokens).toBe(false);
  await setPolicy(app, world.owner, { tokenCreation: 'ALL_MEMBERS' });
  const readOnly = await createToken(app, world.member, { role: 'READ_ONLY', name: 'reader' });
  expect((await rulesOf(auth.apiKey(readOnly.secret))).canCreateTokens).toBe(true); // the token may read them
});

test('another account’s rules are never shown: each caller sees their own account’s', async () => {
  await setPolicy(app, world.owner, { tokenCreation: 'OWNER_ONLY', maxTokenLifetimeDays: 30, defaultTokenLifetimeDays: 7 });
  expect(await rulesOf(world.stranger.session)).toEqual({ tokenCreation: 'ALL_MEMBERS', defaultTokenLifetimeDays: 365, maxTokenLifetimeDays: null, canCreateTokens: true });
  await setPolicy(app, world.owner, { tokenCreation: 'ALL_MEMBERS', maxTokenLifetimeDays: null, defaultTokenLifetimeDays: 365 });
});

test('unauthenticated: UNAUTHENTICATED; bad input: an unknown field is a validation error naming it', async () => {
  expect((await app.fail(RULES)).code).toBe('UNAUTHENTICATED');
  const bad = await app.fail('{ account { tokenRules { maxActiveTokens } } }', {}, world.member.session);
  expect(bad.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(bad.message).toContain('maxActiveTokens');
});

test('forbidden stays forbidden: the full policy is still for OWNER and ADMIN only', async () => {
  expect((await app.fail('{ account { policy { maxActiveTokens } } }', {}, world.member.session)).code).toBe('FORBIDDEN');
});

test('through the gateway', async () => {
  const gw = await sg.startGateway('rules', { mode: 'filter' });
  const res = await sg.gql(gw, RULES, {}, world.member.session);
  expect(res.errors).toBeUndefined();
  expect(res.data?.account.tokenRules.canCreateTokens).toBe(true);
});
