import { CacheInvalidation, InvalidationBus, isInvalidation, kindOf } from '../../src/auth/invalidation-bus';
import { TokenCache, VerifiedToken } from '../../src/auth/token-cache';
import { cachedVerifier, forgetOnInvalidation, GatewayUser } from '../../src/gateway/auth';

const entry = (tokenId: string, ownerId: string, accountId: string): VerifiedToken => ({ tokenId, ownerId, accountId, fingerprint: `fp-${tokenId}` }) as unknown as VerifiedToken;

describe('the invalidation bus: one path for local and fleet invalidations', () => {
  test("a change published here reaches this process's subscribers and the transport; one received is never sent on", () => {
    const bus = new InvalidationBus();
    const heard: Array<[CacheInvalidation, string]> = [];
    const sent: CacheInvalidation[] = [];
    bus.subscribe((c, origin) => heard.push([c, origin]));
    bus.connect({ send: (c) => sent.push(c) });
    bus.publish({ tokenId: 't1' });
    bus.receive({ userId: 'u1' });
    expect(heard).toEqual([
      [{ tokenId: 't1' }, 'local'],
      [{ userId: 'u1' }, 'remote'],
    ]);
    expect(sent).toEqual([{ tokenId: 't1' }]);
  });

  test('a failing subscriber neither stops the others nor the transport', () => {
    const bus = new InvalidationBus();
    const sent: CacheInvalidation[] = [];
    let heard = 0;
    bus.subscribe(() => {
      throw new Error('boom');
    });
    bus.subscribe(() => heard++);
    bus.connect({ send: (c) => sent.push(c) });
    bus.publish({ accountId: 'a' });
    expect(heard).toBe(1);
    expect(sent).toHaveLength(1);
  });

  test('a message from another process drops exactly the cache entries it names (token, user, account, all)', () => {
    const bus = new InvalidationBus();
    const cache = new TokenCache(60_000, 100, () => 0, bus);
    const fill = () => {
      cache.set('d1', entry('t1', 'u1', 'a1'));
      cache.set('d2', entry('t2', 'u2', 'a1'));
      cache.set('d3', entry('t3', 'u3', 'a2'));
    };
    const present = () => ['d1', 'd2', 'd3'].filter((d) => cache.get(d));
    fill();
    bus.receive({ tokenId: 't1' });
    expect(present()).toEqual(['d2', 'd3']);
    fill();
    bus.receive({ userId: 'u2' });
    expect(present()).toEqual(['d1', 'd3']);
    fill();
    bus.receive({ accountId: 'a1' });
    expect(present()).toEqual(['d3']);
    expect(cache.getByFingerprint('fp-t1')).toBeUndefined();
    fill();
    bus.receive({ sessionId: 's' });
    bus.receive({ lockedAddress: '192.0.2.1', until: 1 });
    expect(present()).toEqual(['d1', 'd2', 'd3']);
    bus.receive({ all: true });
    expect(present()).toEqual([]);
  });

  test("a gateway's cached verdicts are forgotten on a remote message, and an address lock forgets nothing", async () => {
    const bus = new InvalidationBus();
    const user: GatewayUser = { userId: 'u', accountId: 'a', role: 'MEMBER', via: 'apiToken', tokenId: 't', scopes: [] };
    let calls = 0;
    const verify = cachedVerifier(
      async () => (calls++, user),
      60_000,
      () => 0,
    );
    forgetOnInvalidation(bus, verify);
    await verify('APIKey x', undefined);
    bus.receive({ lockedAddress: '192.0.2.1', until: 1 });
    await verify('APIKey x', undefined);
    expect(calls).toBe(1);
    bus.receive({ tokenId: 't' });
    await verify('APIKey x', undefined);
    expect(calls).toBe(2);
  });

  test('only well-formed messages are accepted from the wire', () => {
    for (const good of [{ tokenId: 't' }, { userId: 'u' }, { sessionId: 's' }, { accountId: 'a' }, { all: true }, { lockedAddress: '::1', until: 5 }]) {
      expect(isInvalidation(good)).toBe(true);
    }
    for (const bad of [
      null,
      'x',
      {},
      { tokenId: '' },
      { tokenId: 5 },
      { all: false },
      { tokenId: 't', userId: 'u' },
      { lockedAddress: '::1' },
      { lockedAddress: '::1', until: 'soon' },
      { tokenId: 'x'.repeat(200) },
    ]) {
      expect(isInvalidation(bad)).toBe(false);
    }
    expect([{ tokenId: 't' }, { userId: 'u' }, { sessionId: 's' }, { accountId: 'a' }, { all: true }, { lockedAddress: '::1', until: 5 }].map((c) => kindOf(c as CacheInvalidation))).toEqual(
      ['token', 'user', 'session', 'account', 'all', 'address'],
    );
  });

  test('a read that was in flight when an invalidation arrived is not cached (it may predate the change)', () => {
    const bus = new InvalidationBus();
    const cache = new TokenCache(60_000, 100, () => 0, bus);
    const epoch = cache.epoch; // a request starts reading the token
    bus.receive({ tokenId: 't1' }); // the revocation arrives while the read is in flight
    cache.set('d1', entry('t1', 'u1', 'a1'), epoch);
    expect(cache.get('d1')).toBeUndefined();
    cache.set('d1', entry('t1', 'u1', 'a1'), cache.epoch); // a read started after it is cached
    expect(cache.get('d1')).toBeDefined();
    const before = cache.epoch;
    bus.receive({ lockedAddress: '192.0.2.1', until: 1 }); // not an invalidation of any entry
    expect(cache.epoch).toBe(before);
  });

  test('the gateway does not cache a verdict that was being verified when an invalidation arrived', async () => {
    const bus = new InvalidationBus();
    const user: GatewayUser = { userId: 'u', accountId: 'a', role: 'MEMBER', via: 'apiToken', tokenId: 't', scopes: [] };
    let calls = 0;
    let release: () => void = () => undefined;
    const verify = cachedVerifier(
      () => {
        calls++;
        return calls === 1 ? new Promise<GatewayUser>((resolve) => (release = () => resolve(user))) : Promise.resolve(user);
      },
      60_000,
      () => 0,
    );
    forgetOnInvalidation(bus, verify);
    const inFlight = verify('APIKey x', undefined);
    bus.receive({ tokenId: 't' });
    release();
    expect(await inFlight).toBe(user); // answers its own request
    await verify('APIKey x', undefined);
    expect(calls).toBe(2); // but was not cached
    await verify('APIKey x', undefined);
    expect(calls).toBe(2);
  });
});
