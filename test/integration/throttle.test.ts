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
