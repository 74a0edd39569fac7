import { crc32, digestSecret, generateSecret, generateUsername, hintOf, isWellFormedSecret, SECRET_LENGTH, SECRET_PATTERN } from '../../src/auth/token-format';

describe('API token secrets', () => {
  test('have the tgk_ prefix, a fixed length and match the published scanner pattern', () => {
    const { secret } = generateSecret();
    expect(secret.startsWith('tgk_')).toBe(true);
    expect(secret).toHaveLength(SECRET_LENGTH);
    expect(SECRET_PATTERN.test(secret)).toBe(true);
  });

  test('carry at least 160 random bits beyond what the hint reveals', () => {
    const { secret, hint } = generateSecret();
    const randomChars = SECRET_LENGTH - 'tgk_'.length - 6; // minus prefix and checksum
    const hiddenChars = randomChars - (hint.length - 'tgk_'.length);
    expect(hiddenChars * Math.log2(62)).toBeGreaterThanOrEqual(160);
  });

  test('are unique and their digests are SHA-256 hex', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(generateSecret().secret);
    expect(seen.size).toBe(2000);
    const g = generateSecret();
    expect(g.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(g.digest).toBe(digestSecret(g.secret));
    expect(g.digest).not.toContain(g.secret);
  });

  test('the hint is the prefix plus four characters, and is a prefix of the secret', () => {
    const { secret, hint } = generateSecret();
    expect(hint).toBe(hintOf(secret));
    expect(hint).toHaveLength(8);
    expect(secret.startsWith(hint)).toBe(true);
  });

  test('a generated secret passes the checksum; any single-character change fails it', () => {
    const { secret } = generateSecret();
    expect(isWellFormedSecret(secret)).toBe(true);
    let caught = 0;
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    for (let i = 4; i < secret.length; i++) {
      const replacement = alphabet[(alphabet.indexOf(secret[i]) + 1) % alphabet.length];
      const typo = secret.slice(0, i) + replacement + secret.slice(i + 1);
      if (!isWellFormedSecret(typo)) caught++;
    }
    expect(caught).toBe(secret.length - 4);
  });

  test.each([
    ['empty', ''],
    ['prefix only', 'tgk_'],
    ['wrong prefix', 'ghp_' + 'a'.repeat(42)],
    ['truncated', () => generateSecret().secret.slice(0, -1)],
    ['extended', () => generateSecret().secret + 'a'],
    ['non-base62', 'tgk_' + '-'.repeat(42)],
    ['huge', 'tgk_' + 'a'.repeat(100_000)],
    ['unicode', 'tgk_' + 'é'.repeat(42)],
  ])('refuses %s values', (_label, value) => {
    const v = typeof value === 'function' ? value() : value;
    expect(isWellFormedSecret(v)).toBe(false);
  });

  test('crc32 matches the standard check value', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });

  test('usernames are distinct, lower-case and prefixed', () => {
    const a = generateUsername();
    expect(a).toMatch(/^tgu_[0-9a-z]{16}$/);
    expect(generateUsername()).not.toBe(a);
  });
});
