import { canonicalCidr, ipAllowed, normaliseAllowedCidrs, suggestedRangeOf } from '../../src/common/cidr';
import { RateLimiter } from '../../src/common/rate-limiter';
import { cachedVerifier, CredentialVerifier, GatewayUser } from '../../src/gateway/auth';
import { assertMaySetRateLimit } from '../../src/modules/api-token/api-token.access';
import type { Principal } from '../../src/auth/principal';
import { Role } from '../../src/common/roles';
import { unauthenticated } from '../../src/errors';

/* Issue #16 items 4 and 5: IP allowlists (src/common/cidr.ts), the per-token rate limit rules and the limiter's override. */

describe('canonical CIDR ranges', () => {
  test.each([
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.0.2.1', '192.0.2.1/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8:0000::1/32', '2001:db8::/32'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['::/0', '::/0'],
    ['::ffff:198.51.100.7/128', '198.51.100.7/32'],
    ['fe80::1:2:3:4/64', 'fe80::/64'],
  ])('%s → %s', (input, expected) => expect(canonicalCidr(input)).toBe(expected));

  test.each(['', ' ', '10.0.0.0/33', '::/129', '10.0.0/8', '010.0.0.1/8', '1.2.3.4/+8', '1.2.3.4/8/8', 'fe80::1%eth0', 'example.com/24', '1.2.3.4/ 8', `${'1'.repeat(60)}`])(
    'refuses %j',
    (input) => expect(canonicalCidr(input)).toBeNull(),
  );

  test('a list: at most 20, duplicates once, errors name the position and never echo the entry', () => {
    expect(normaliseAllowedCidrs('allowedCidrs', ['10.0.0.1/8', '10.9.9.9/8', '::1'])).toEqual(['10.0.0.0/8', '::1/128']);
    expect(() =>
      normaliseAllowedCidrs(
        'allowedCidrs',
        Array.from({ length: 21 }, (_, i) => `10.${i}.0.0/16`),
      ),
    ).toThrow(/at most 20/);
    let message = '';
    try {
      normaliseAllowedCidrs('allowedCidrs', ['10.0.0.0/8', '<script>']);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('allowedCidrs[1]');
    expect(message).not.toContain('<script>');
  });
});

describe('ipAllowed', () => {
  const list = Object.freeze(['203.0.113.0/24', '2001:db8:1::/48']);
  test('inside and outside, IPv4-mapped addresses as IPv4, unknown addresses refused', () => {
    expect(ipAllowed(list, '203.0.113.255')).toBe(true);
    expect(ipAllowed(list, '::ffff:203.0.113.4')).toBe(true);
    expect(ipAllowed(list, '203.0.114.0')).toBe(false);
    expect(ipAllowed(list, '2001:db8:1:ffff::1')).toBe(true);
    expect(ipAllowed(list, '2001:db8:2::1')).toBe(false);
    expect(ipAllowed(list, undefined)).toBe(false);
    expect(ipAllowed(list, 'garbage')).toBe(false);
  });
  test('an empty or absent list allows every address, even an unknown one', () => {
    expect(ipAllowed([], undefined)).toBe(true);
    expect(ipAllowed(undefined, '198.51.100.1')).toBe(true);
  });
  test('suggested ranges are the /24 or the /64', () => {
    expect(suggestedRangeOf('198.51.100.77')).toBe('198.51.100.0/24');
    expect(suggestedRangeOf('::ffff:198.51.100.77')).toBe('198.51.100.0/24');
    expect(suggestedRangeOf('2001:db8:a:b:c:d:e:f')).toBe('2001:db8:a:b::/64');
    expect(suggestedRangeOf('')).toBeNull();
  });
});

describe('the gateway auth cache and allowlists', () => {
  test('a cached verdict serves only addresses inside the allowlist; outside, the verifier is asked (and refuses)', async () => {
    const user: GatewayUser = { userId: 'u', accountId: 'a', role: 'MEMBER', via: 'apiToken', tokenId: 't', scopes: ['read'], allowedCidrs: ['192.0.2.0/24'] };
    const asked: Array<string | undefined> = [];
    const upstream: CredentialVerifier = async (_a, ip) => {
      asked.push(ip);
      if (!ipAllowed(user.allowedCidrs, ip)) throw unauthenticated();
      return user;
    };
    const verify = cachedVerifier(upstream, 60_000, () => 0);
    expect(await verify('APIKey x', '192.0.2.1')).toBe(user);
    expect(await verify('APIKey x', '192.0.2.2')).toBe(user);
    await expect(verify('APIKey x', '198.51.100.1')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await verify('APIKey x', '192.0.2.3')).toBe(user); // still cached for the inside
    expect(asked).toEqual(['192.0.2.1', '198.51.100.1']);
  });
});

describe('per-token rate limits', () => {
  test('RateLimiter.hit(key, limit) overrides the configured limit per call', () => {
    const limiter = new RateLimiter(5, 60_000, () => 0);
    expect([1, 2, 3].map(() => limiter.hit('a', 2))).toEqual([true, true, false]);
    expect([1, 2, 3, 4, 5, 6].map(() => limiter.hit('b'))).toEqual([true, true, true, true, true, false]);
  });

  const as = (role: Role): Principal => ({ userId: 'u', accountId: 'a', role, via: 'session', scopes: [] });
  test('OWNER/ADMIN set anything; others only lower what applies now (their own limit, else the default)', () => {
    expect(() => assertMaySetRateLimit(as(Role.ADMIN), 1_000_000, null, 600)).not.toThrow();
    expect(() => assertMaySetRateLimit(as(Role.OWNER), null, 5, 600)).not.toThrow();
    expect(() => assertMaySetRateLimit(as(Role.MEMBER), 600, null, 600)).not.toThrow();
    expect(() => assertMaySetRateLimit(as(Role.MEMBER), 601, null, 600)).toThrow(/raise/);
    expect(() => assertMaySetRateLimit(as(Role.READ_ONLY), 10, 20, 600)).not.toThrow();
    expect(() => assertMaySetRateLimit(as(Role.MEMBER), 21, 20, 600)).toThrow(/raise/);
    expect(() => assertMaySetRateLimit(as(Role.MEMBER), null, 20, 600)).toThrow(/raise/);
    expect(() => assertMaySetRateLimit(as(Role.MEMBER), null, 900, 600)).not.toThrow();
    // Default off: no ceiling for a token without its own limit, but clearing a limit raises it.
    expect(() => assertMaySetRateLimit(as(Role.MEMBER), 50_000, null, 0)).not.toThrow();
    expect(() => assertMaySetRateLimit(as(Role.MEMBER), null, 50, 0)).toThrow(/raise/);
  });
});
