import { clock } from '../../src/common/clock';
import { Throttle } from '../../src/modules/throttle/throttle.entity';
import { POLICIES, ThrottleService, throttleKey } from '../../src/modules/throttle/throttle.service';
import { generateSecret } from '../../src/auth/token-format';
import { GqlResponse, startTestApp, TestApp } from '../helpers/app';
import { post } from '../helpers/supergraph';
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
    // while locked, unknown secrets are refused without a look-up; a valid token still works
    expect((await app.fail('{ me { id } }', {}, auth.apiKey(generateSecret().secret))).code).toBe('RATE_LIMITED');
    const before = app.server.queryLogger.count;
    expect((await app.fail('{ me { id } }', {}, auth.apiKey(generateSecret().secret))).code).toBe('RATE_LIMITED');
    expect(app.server.queryLogger.count).toBe(before);
    expect((await app.ok('{ me { id } }', {}, auth.apiKey(good.secret))).me.id).toBe(world.member.id);
    // sessions are not API-token guesses
    expect((await app.ok('{ me { id } }', {}, world.member.session)).me.id).toBe(world.member.id);

    const row = await app.db.dataSource.getRepository(Throttle).findOneByOrFail({});
    expect(row.key).toMatch(/^token:ip:[0-9a-f]{40}$/);
    expect(row.key).not.toContain('127.0.0.1');

    clock.advance(POLICIES.tokenPerIp.maxLockMs + 1000);
    expect((await app.ok('{ me { id } }', {}, auth.apiKey(good.secret))).me.id).toBe(world.member.id);
  });
});

describe('a locked address keeps its valid tokens: the lock stops guesses, not tokens', () => {
  let proxied: TestApp;
  let people: World;
  beforeAll(async () => {
    // Behind a trusted proxy each test speaks from its own address (X-Forwarded-For).
    proxied = await startTestApp({ TRUST_PROXY: 'loopback' });
    people = await createWorld(proxied);
  });
  afterAll(() => proxied?.stop());

  const guess = () => auth.apiKey(generateSecret().secret);
  const code = (r: GqlResponse) => r.errors?.[0]?.extensions?.code;
  const from = (ip: string) => (authorization: string) => post(proxied.url, '{ me { id } }', {}, authorization, { 'x-forwarded-for': ip });
  const secretLookups = (statements: string[]) => statements.filter((q) => /secretHash\s*=/i.test(q));

  /** The attack of the review: well-formed unknown secrets, 50 free, then one after each lock ends (1 s, 2 s … 64 s). */
  async function lockOut(send: (authorization: string) => Promise<GqlResponse>): Promise<void> {
    for (let i = 0; i < POLICIES.tokenPerIp.freeFailures; i++) expect(code(await send(guess()))).toBe('UNAUTHENTICATED');
    for (let lockMs = POLICIES.tokenPerIp.baseLockMs; ; lockMs *= 2) {
      const locked = await send(guess());
      expect([locked.status, code(locked)]).toEqual([429, 'RATE_LIMITED']);
      if (lockMs >= 64_000) return;
      clock.advance(lockMs + 50);
    }
  }

  test("the victim's token, cached or not, in every scheme, and one issued or regenerated after the lock, all work", async () => {
    const send = from('203.0.113.10');
    const cached = await createToken(proxied, people.member, { name: 'victim-cached' });
    const uncached = await createToken(proxied, people.admin, { name: 'victim-uncached' });
    await lockOut(send);
    // Cached just now (the verification cache outlives nothing here: 5 s): answered before the lock, with no SQL.
    expect(code(await send(guess()))).toBe('RATE_LIMITED');
    expect((await proxied.ok('{ me { id } }', {}, auth.apiKey(cached.secret))).me.id).toBe(people.member.id);
    let before = proxied.server.queryLogger.count;
    expect((await send(auth.apiKey(cached.secret))).data.me.id).toBe(people.member.id);
    expect(proxied.server.queryLogger.count).toBe(before);
    // Never used: looked up, because its digest is a stored token's.
    for (const authorization of [auth.apiKey(uncached.secret), auth.bearer(uncached.secret), auth.basic(uncached.username, uncached.secret)]) {
      const res = await send(authorization);
      expect([res.status, res.errors, res.data?.me]).toEqual([200, undefined, { id: people.admin.id }]);
    }
    // Issued after the lock, and a regenerated secret: at once.
    const fresh = await createToken(proxied, people.member, { name: 'victim-fresh' });
    expect((await send(auth.apiKey(fresh.secret))).data.me.id).toBe(people.member.id);
    const regenerated = await proxied.ok('mutation($id: ID!) { regenerateApiToken(id: $id, gracePeriodSeconds: 60) { secret } }', { id: uncached.id }, people.admin.session);
    expect((await send(auth.apiKey(regenerated.regenerateApiToken.secret))).data.me.id).toBe(people.admin.id);
    expect((await send(auth.apiKey(uncached.secret))).data.me.id).toBe(people.admin.id); // the old one, in its grace period
    // A revoked token from the locked address is refused (and its look-up counted), never accepted.
    await proxied.ok('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: fresh.id }, people.member.session);
    expect(code(await send(auth.apiKey(fresh.secret)))).toMatch(/^(RATE_LIMITED|UNAUTHENTICATED)$/);
    // Guesses: still refused, and not one statement.
    before = proxied.server.queryLogger.count;
    for (let i = 0; i < 20; i++) expect(code(await send(guess()))).toBe('RATE_LIMITED');
    expect(proxied.server.queryLogger.count).toBe(before);
    // The lock ends as before.
    clock.advance(POLICIES.tokenPerIp.maxLockMs);
    expect(code(await send(guess()))).toBe('UNAUTHENTICATED');
  });

  test('unknown secrets from a locked address never reach a look-up by secret; the memory is re-read at most once a period', async () => {
    const send = from('203.0.113.11');
    await lockOut(send);
    const { knownSecrets } = proxied.server.authenticator;
    const mark = proxied.server.queryLogger.recent.length;
    const before = proxied.server.queryLogger.count;
    // Concurrent guesses while the memory is stale: one read of it for all of them.
    clock.advance(knownSecrets.refreshMs);
    const answers = await Promise.all(Array.from({ length: 30 }, () => send(guess())));
    expect(answers.map(code)).toEqual(Array(30).fill('RATE_LIMITED'));
    expect(proxied.server.queryLogger.count - before).toBe(1);
    expect(secretLookups(proxied.server.queryLogger.recent.slice(mark))).toEqual([]);
    // Within the period, nothing at all.
    const after = proxied.server.queryLogger.count;
    for (let i = 0; i < 10; i++) expect(code(await send(guess()))).toBe('RATE_LIMITED');
    expect(proxied.server.queryLogger.count).toBe(after);
  });

  test('another address is not locked, and sessions never were', async () => {
    await lockOut(from('203.0.113.12'));
    expect(code(await from('203.0.113.13')(guess()))).toBe('UNAUTHENTICATED');
    expect((await from('203.0.113.12')(people.owner.session)).data.me.id).toBe(people.owner.id);
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

describe('failures counted at once (a race)', () => {
  test('concurrent first failures for many new keys and one shared key all count, none is lost or refused', async () => {
    // Each sign-in failure counts its address and its IP in one transaction. On MySQL a locking read of a
    // missing row takes a gap lock, and two such transactions inserting into the same gap deadlock: one sign-in
    // then failed with INTERNAL_SERVER_ERROR instead of its UNAUTHENTICATED. Here, 24 at once, as a crowd would.
    const throttle = new ThrottleService(app.db.dataSource);
    const shared = throttleKey('race:ip', `198.51.100.${Math.floor(Math.random() * 250)}`);
    const n = 24;
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        throttle.fail([
          { key: throttleKey('race:email', `racer-${i}-${Math.random()}@example.com`), policy: POLICIES.loginPerAccount },
          { key: shared, policy: POLICIES.loginPerIp },
        ]),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const row = await app.db.dataSource.getRepository(Throttle).findOneByOrFail({ key: shared });
    expect(row.failures).toBe(n);
  });
});
