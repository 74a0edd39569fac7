import { DAY_MS } from '../../src/common/clock';
import { AccountPolicy, POLICY_DEFAULTS, TokenCreationPolicy } from '../../src/modules/account/account.entity';
import { validatePolicy } from '../../src/modules/account/account.service';
import { resolveExpiry } from '../../src/modules/api-token/expiry';
import { AppError } from '../../src/errors';

const now = new Date('2026-11-23T12:00:00.000Z');
const policy = (over: Partial<AccountPolicy> = {}): AccountPolicy => ({ ...POLICY_DEFAULTS, ...over }) as AccountPolicy;

function badInputField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError && e.code === 'BAD_USER_INPUT') return String(e.extensions.field);
    throw e;
  }
  return undefined;
}

describe('resolveExpiry', () => {
  test('defaults to defaultTokenLifetimeDays (365) from now', () => {
    expect(resolveExpiry({}, policy(), now)).toEqual(new Date(now.getTime() + 365 * DAY_MS));
  });

  test('a null default means never, unless a maximum applies', () => {
    expect(resolveExpiry({}, policy({ defaultTokenLifetimeDays: null }), now)).toBeNull();
  });

  test('the default is capped by the maximum', () => {
    expect(resolveExpiry({}, policy({ defaultTokenLifetimeDays: 365, maxTokenLifetimeDays: 30 }), now)).toEqual(new Date(now.getTime() + 30 * DAY_MS));
  });

  test('an explicit future expiry within the maximum is kept', () => {
    const at = new Date(now.getTime() + 10 * DAY_MS);
    expect(resolveExpiry({ expiresAt: at }, policy({ maxTokenLifetimeDays: 10 }), now)).toEqual(at);
  });

  test('neverExpires gives null when the policy allows it', () => {
    expect(resolveExpiry({ neverExpires: true }, policy(), now)).toBeNull();
  });

  test.each([
    ['past expiry', { expiresAt: new Date(now.getTime() - 1) }, policy(), 'expiresAt'],
    ['expiry now', { expiresAt: now }, policy(), 'expiresAt'],
    ['beyond the maximum', { expiresAt: new Date(now.getTime() + 31 * DAY_MS) }, policy({ maxTokenLifetimeDays: 30 }), 'expiresAt'],
    ['never under a maximum', { neverExpires: true }, policy({ maxTokenLifetimeDays: 30 }), 'neverExpires'],
    ['both expiry and never', { neverExpires: true, expiresAt: new Date(now.getTime() + DAY_MS) }, policy(), 'neverExpires'],
    ['invalid date', { expiresAt: new Date('nope') }, policy(), 'expiresAt'],
  ])('refuses %s, naming the field', (_l, req, p, field) => {
    expect(badInputField(() => resolveExpiry(req, p, now))).toBe(field);
  });

  test('regenerate keeps the current expiry when nothing is asked', () => {
    expect(resolveExpiry({}, policy(), now, true)).toBeUndefined();
  });
});

describe('validatePolicy', () => {
  test('the defaults are valid and thresholds are sorted descending', () => {
    expect(validatePolicy(policy({ expiryNotificationDays: [1, 30, 0] })).expiryNotificationDays).toEqual([30, 1, 0]);
    expect(validatePolicy(policy()).tokenCreation).toBe(TokenCreationPolicy.ALL_MEMBERS);
  });

  test.each([
    ['maxActiveTokens 0', { maxActiveTokens: 0 }, 'maxActiveTokens'],
    ['maxActiveTokens too big', { maxActiveTokens: 10_001 }, 'maxActiveTokens'],
    ['negative default lifetime', { defaultTokenLifetimeDays: -1 }, 'defaultTokenLifetimeDays'],
    ['zero max lifetime', { maxTokenLifetimeDays: 0 }, 'maxTokenLifetimeDays'],
    ['default above max', { defaultTokenLifetimeDays: 90, maxTokenLifetimeDays: 30 }, 'defaultTokenLifetimeDays'],
    ['never by default under a max', { defaultTokenLifetimeDays: null, maxTokenLifetimeDays: 30 }, 'defaultTokenLifetimeDays'],
    ['repeated thresholds', { expiryNotificationDays: [5, 5] }, 'expiryNotificationDays'],
    ['negative threshold', { expiryNotificationDays: [-1] }, 'expiryNotificationDays'],
    ['too many thresholds', { expiryNotificationDays: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }, 'expiryNotificationDays'],
  ])('refuses %s', (_l, over, field) => {
    expect(badInputField(() => validatePolicy(policy(over as Partial<AccountPolicy>)))).toBe(field);
  });
});
