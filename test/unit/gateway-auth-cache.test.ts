import { cachedVerifier, CredentialVerifier, GatewayUser } from '../../src/gateway/auth';
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
    const expiring = cachedVerifier(async () => (calls++, { ...user, expiresAtMs: 100 }), 5000, () => now);
    await expiring('APIKey y', undefined);
    now = 100;
    await expiring('APIKey y', undefined);
    expect(calls).toBe(2);

    let fails = 0;
    const failing = cachedVerifier(async () => { fails++; throw unauthenticated(); }, 5000, () => 0);
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
