import { cachedVerifier, CredentialVerifier, followInvalidations, GatewayUser } from '../../src/gateway/auth';
import { TokenCache, VerifiedToken } from '../../src/auth/token-cache';
import { unauthenticated } from '../../src/errors';

const user: GatewayUser = { userId: 'u', accountId: 'a', role: 'MEMBER', via: 'apiToken', tokenId: 't', scopes: ['read', 'write'] };

describe('the gateway auth cache bounds revocation by its TTL', () => {
  test('a credential revoked upstream passes for at most ttlMs, then is refused', async () => {
    let now = 1_000_000;
    let revoked = false;
    let calls = 0;
    const upstream: CredentialVerifier = async () => {
      calls++;
      if (revoked) throw unauthenticated('revoked');
      return user;
    };
    const verify = cachedVerifier(upstream, 5000, () => now);
    expect(await verify('APIKey x', undefined)).toBe(user);
    revoked = true;
    now += 4999;
    expect(await verify('APIKey x', undefined)).toBe(user); // inside the bound
    now += 1;
    await expect(verify('APIKey x', undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(calls).toBe(2);
  });

  test('never outlives the credential, never caches failures, TTL 0 disables it', async () => {
    let now = 0;
    let calls = 0;
    const expiring = cachedVerifier(
      async () => (calls++, { ...user, expiresAtMs: 100 }),
      5000,
      () => now,
    );
    await expiring('APIKey y', undefined);
    now = 100;
    await expiring('APIKey y', undefined);
    expect(calls).toBe(2);

    let fails = 0;
    const failing = cachedVerifier(
      async () => {
        fails++;
        throw unauthenticated();
      },
      5000,
      () => 0,
    );
    await expect(failing('APIKey z', undefined)).rejects.toBeTruthy();
    await expect(failing('APIKey z', undefined)).rejects.toBeTruthy();
    expect(fails).toBe(2);

    let direct = 0;
    const off = cachedVerifier(async () => (direct++, user), 0);
    await off('APIKey w', undefined);
    await off('APIKey w', undefined);
    expect(direct).toBe(2);
  });
});

describe('a gateway in the tokens service process forgets what that service changes', () => {
  const users: Record<string, GatewayUser> = {
    'APIKey t1': { ...user, tokenId: 't1', userId: 'u1', accountId: 'a1' },
    'APIKey t2': { ...user, tokenId: 't2', userId: 'u2', accountId: 'a1' },
    'Bearer s3': { ...user, via: 'session', tokenId: undefined, sessionId: 's3', userId: 'u3', accountId: 'a2' },
  };

  test('token, user, session, account and clear each drop exactly the verdicts they concern', async () => {
    const cache = new TokenCache(5000, 100, () => 0);
    const calls: string[] = [];
    const verify = cachedVerifier(
      async (a) => (calls.push(a!), users[a!]),
      60_000,
      () => 0,
    );
    const unfollow = followInvalidations(cache, verify);
    const all = async () => {
      for (const a of Object.keys(users)) await verify(a, undefined);
    };
    const fresh = async (change: () => void) => {
      await all();
      calls.length = 0;
      change();
      await all();
      return [...calls];
    };
    await all();
    expect(await fresh(() => cache.invalidateToken('t1'))).toEqual(['APIKey t1']);
    expect(await fresh(() => cache.invalidateUser('u2'))).toEqual(['APIKey t2']);
    expect(await fresh(() => cache.sessionEnded('s3'))).toEqual(['Bearer s3']);
    expect(await fresh(() => cache.invalidateAccount('a1'))).toEqual(['APIKey t1', 'APIKey t2']);
    expect(await fresh(() => cache.clear())).toEqual(Object.keys(users));
    unfollow();
    expect(await fresh(() => cache.invalidateToken('t1'))).toEqual([]);
  });
});

describe('the verification cache finds an entry by digest and by secret fingerprint alike', () => {
  const entry = (tokenId: string, fingerprint: string, ownerId = 'o', accountId = 'a') => ({ tokenId, fingerprint, ownerId, accountId }) as unknown as VerifiedToken;

  test('both keys reach the same entry; invalidation, expiry and eviction remove both', () => {
    let now = 0;
    const cache = new TokenCache(1000, 2, () => now);
    const one = entry('t1', 'f1');
    cache.set('d1', one);
    expect(cache.get('d1')).toBe(one);
    expect(cache.getByFingerprint('f1')).toBe(one);
    cache.invalidateToken('t1');
    expect(cache.getByFingerprint('f1')).toBeUndefined();

    cache.set('d1', one);
    now = 1000;
    expect(cache.getByFingerprint('f1')).toBeUndefined();
    expect(cache.get('d1')).toBeUndefined();

    cache.set('d1', one);
    cache.set('d2', entry('t2', 'f2'));
    cache.set('d3', entry('t3', 'f3'));
    expect(cache.size).toBe(2);
    expect(cache.getByFingerprint('f1')).toBeUndefined();
    expect(cache.getByFingerprint('f3')?.tokenId).toBe('t3');
    cache.invalidateUser('o');
    expect(cache.size).toBe(0);
    expect(cache.getByFingerprint('f2')).toBeUndefined();
  });

  test('a listener that throws does not stop the others', () => {
    const cache = new TokenCache(1000, 10, () => 0);
    const seen: unknown[] = [];
    cache.onInvalidate(() => {
      throw new Error('boom');
    });
    cache.onInvalidate((c) => seen.push(c));
    cache.invalidateAccount('a');
    expect(seen).toEqual([{ accountId: 'a' }]);
  });
});
