import { startTestApp, TestApp } from '../helpers/app';
import { createWorld, World, CREATE_TOKEN, createToken } from '../helpers/world';
import { LIST, REVOKE, DELETE, setPolicy } from '../helpers/api-tokens';
import { clock } from '../../src/common/clock';

/** maxActiveTokens: exact under concurrency, on both databases. */
let app: TestApp;
let world: World;
beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
});
afterAll(() => app?.stop());

async function activeCount(): Promise<number> {
  const data = await app.ok(LIST, { filter: { status: ['ACTIVE'] }, first: 0 }, world.owner.session);
  return data.apiTokens.totalCount;
}

test('60 simultaneous createApiToken calls against the default limit of 50: exactly 50 succeed, 10 get TOKEN_LIMIT_REACHED', async () => {
  const results = await Promise.all(Array.from({ length: 60 }, (_, i) => app.gql(CREATE_TOKEN, { input: { name: `burst-${i}` } }, [world.owner, world.admin, world.member][i % 3].session)));
  const ok = results.filter((r) => !r.errors && r.data?.createApiToken?.secret);
  const refused = results.filter((r) => r.errors?.[0]?.extensions?.code === 'TOKEN_LIMIT_REACHED');
  expect(ok).toHaveLength(50);
  expect(refused).toHaveLength(10);
  expect(await activeCount()).toBe(50);
  // The stranger's account has its own budget.
  await createToken(app, world.stranger);
});

test('at the limit: a further create is refused with a message and the limit, until a token is revoked', async () => {
  const res = await app.fail(CREATE_TOKEN, { input: { name: 'one-too-many' } }, world.member.session);
  expect(res.code).toBe('TOKEN_LIMIT_REACHED');
  expect(res.message).toMatch(/50/);

  const list = await app.ok(LIST, { filter: { owner: world.member.id }, first: 1 }, world.member.session);
  const victim = list.apiTokens.nodes[0].id;
  await app.ok(REVOKE, { id: victim }, world.member.session);
  await createToken(app, world.member, { name: 'after-revoke' });
  expect((await app.fail(CREATE_TOKEN, { input: { name: 'again-too-many' } }, world.member.session)).code).toBe('TOKEN_LIMIT_REACHED');

  // Deleting the revoked token frees nothing more: it was no longer counted.
  await app.ok(DELETE, { id: victim }, world.member.session);
  expect((await app.fail(CREATE_TOKEN, { input: { name: 'still-too-many' } }, world.member.session)).code).toBe('TOKEN_LIMIT_REACHED');
});

test('a smaller limit set by updateAccountPolicy holds under concurrency too, and expired tokens do not count', async () => {
  const other = await startTestApp();
  try {
    const w = await createWorld(other);
    await other.ok(`mutation { updateAccountPolicy(input: { maxActiveTokens: 3 }) { maxActiveTokens } }`, {}, w.owner.session);
    await createToken(other, w.member, { name: 'short-lived', expiresAt: new Date(Date.now() + 10 * 60_000).toISOString() });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => other.gql(CREATE_TOKEN, { input: { name: `small-${i}` } }, i % 2 ? w.admin.session : w.owner.session)));
    expect(results.filter((r) => !r.errors)).toHaveLength(2);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'TOKEN_LIMIT_REACHED')).toHaveLength(10);

    // Once the short-lived token has expired it no longer counts.
    clock.advance(11 * 60_000);
    await createToken(other, w.member, { name: 'replaces-expired' });
    expect((await other.fail(CREATE_TOKEN, { input: { name: 'over' } }, w.member.session)).code).toBe('TOKEN_LIMIT_REACHED');
    // Three active now (the expired one aside).

    // Raising the limit lets exactly the difference through.
    await setPolicy(other, w.owner, { maxActiveTokens: 5 });
    const more = await Promise.all(Array.from({ length: 6 }, (_, i) => other.gql(CREATE_TOKEN, { input: { name: `more-${i}` } }, w.member.session)));
    expect(more.filter((r) => !r.errors)).toHaveLength(2);
  } finally {
    await other.stop();
  }
});

test('updateAccountPolicy rejects a limit below 1 (BAD_USER_INPUT) and members may not change it (FORBIDDEN)', async () => {
  expect((await app.fail(`mutation { updateAccountPolicy(input: { maxActiveTokens: 0 }) { maxActiveTokens } }`, {}, world.owner.session)).code).toBe('BAD_USER_INPUT');
  expect((await app.fail(`mutation { updateAccountPolicy(input: { maxActiveTokens: 500 }) { maxActiveTokens } }`, {}, world.member.session)).code).toBe('FORBIDDEN');
});

test('simultaneous creates with one name for one owner: exactly one succeeds, the rest are CONFLICT', async () => {
  const other = await startTestApp();
  try {
    const w = await createWorld(other);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => other.gql(CREATE_TOKEN, { input: { name: i % 2 ? 'Same Name' : 'same name', ownerId: w.member.id } }, i % 2 ? w.owner.session : w.admin.session)),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(9);
  } finally {
    await other.stop();
  }
});
