import { clock } from '../../src/common/clock';
import { Throttle } from '../../src/modules/throttle/throttle.entity';
import { POLICIES } from '../../src/modules/throttle/throttle.service';
import { startTestApp, TestApp } from '../helpers/app';
import { auth, createToken, createWorld, World } from '../helpers/world';

/*
 * Brute force: counters live in the database (shared by replicas), back off
 * exponentially, and never tell whether an e-mail address exists.
 */
let app: TestApp;
let world: World;
beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
});
afterAll(() => app?.stop());
afterEach(() => clock.reset());

describe('invalid API tokens from one address', () => {
  test('well-formed guesses are counted and lock the address; malformed ones cost nothing', async () => {
    const good = await createToken(app, world.member, { name: 'still-good' });
    const revoked = await createToken(app, world.member, { name: 'guessed' });
    await app.ok('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: revoked.id }, world.member.session);

    for (let i = 0; i < 20; i++) {
      expect((await app.fail('{ me { id } }', {}, auth.apiKey('tgk_not-even-close'))).code).toBe('UNAUTHENTICATED');
    }
    expect(await app.db.dataSource.getRepository(Throttle).count()).toBe(0);

    for (let i = 0; i < POLICIES.tokenPerIp.freeFailures; i++) {
      expect((await app.fail('{ me { id } }', {}, auth.apiKey(revoked.secret))).code).toBe('UNAUTHENTICATED');
    }
    const locked = await app.gql('{ me { id } }', {}, auth.apiKey(revoked.secret));
    expect(locked.status).toBe(429);
    expect(locked.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    // while locked, the address is refused without a look-up, even with a valid token
    const before = app.server.queryLogger.count;
    expect((await app.fail('{ me { id } }', {}, auth.apiKey(good.secret))).code).toBe('RATE_LIMITED');
    expect(app.server.queryLogger.count).toBe(before);
    // sessions are not API-token guesses
    expect((await app.ok('{ me { id } }', {}, world.member.session)).me.id).toBe(world.member.id);

    const row = await app.db.dataSource.getRepository(Throttle).findOneByOrFail({});
    expect(row.key).toMatch(/^token:ip:[0-9a-f]{40}$/);
    expect(row.key).not.toContain('127.0.0.1');

    clock.advance(POLICIES.tokenPerIp.maxLockMs + 1000);
    expect((await app.ok('{ me { id } }', {}, auth.apiKey(good.secret))).me.id).toBe(world.member.id);
  });
});

describe('sign-in brute force', () => {
  const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }';
  const PASSWORD = 'correct horse battery staple';

  test('five failures lock an address, with the same answer whether it exists or not; the lock backs off and ends', async () => {
    const email = world.readOnly.email;
    const ghost = 'nobody-here@example.com';
    for (let i = 0; i < POLICIES.loginPerAccount.freeFailures; i++) {
      expect((await app.fail(LOGIN, { e: email, p: 'wrong password!!' })).code).toBe('UNAUTHENTICATED');
      expect((await app.fail(LOGIN, { e: ghost, p: 'wrong password!!' })).code).toBe('UNAUTHENTICATED');
    }
    // the next failure locks; then even the right password is refused, before any bcrypt work
    await app.fail(LOGIN, { e: email, p: 'wrong password!!' });
    await app.fail(LOGIN, { e: ghost, p: 'wrong password!!' });
    const real = await app.gql(LOGIN, { e: email, p: PASSWORD });
    const fake = await app.gql(LOGIN, { e: ghost, p: PASSWORD });
    expect(real.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    expect(real.data).toBeNull();
    expect(fake.errors?.[0]).toEqual(real.errors?.[0]);
    // other addresses are not affected
    expect((await app.ok(LOGIN, { e: world.admin.email, p: PASSWORD })).login.accessToken).toBeTruthy();

    clock.advance(1500); // first lock: 1 s
    await app.fail(LOGIN, { e: email, p: 'wrong password!!' }); // 7th failure: locked for 2 s
    clock.advance(1500);
    expect((await app.fail(LOGIN, { e: email, p: PASSWORD })).code).toBe('RATE_LIMITED');
    clock.advance(1000);
    expect((await app.ok(LOGIN, { e: email, p: PASSWORD })).login.accessToken).toBeTruthy();
    // success forgets the address's failures
    expect((await app.fail(LOGIN, { e: email, p: 'wrong password!!' })).code).toBe('UNAUTHENTICATED');
  });

  test('many failures across addresses from one client IP lock that IP', async () => {
    for (let i = 0; i < POLICIES.loginPerIp.freeFailures; i++) {
      await app.fail(LOGIN, { e: `stuffing-${i}@example.com`, p: 'wrong password!!' });
    }
    await app.fail(LOGIN, { e: 'stuffing-last@example.com', p: 'wrong password!!' });
    expect((await app.fail(LOGIN, { e: world.owner.email, p: PASSWORD })).code).toBe('RATE_LIMITED');
    clock.advance(POLICIES.loginPerIp.maxLockMs + 1000);
    expect((await app.ok(LOGIN, { e: world.owner.email, p: PASSWORD })).login.accessToken).toBeTruthy();
  });

  test('counters hold no e-mail address or IP in clear', async () => {
    const keys = (await app.db.dataSource.getRepository(Throttle).find()).map((r) => r.key);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k).toMatch(/^[a-z]+:[a-z]+:[0-9a-f]{40}$/);
  });
});
