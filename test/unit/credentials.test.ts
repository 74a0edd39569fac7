import { parseAuthorization } from '../../src/auth/credentials';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseAuthorization', () => {
  test('no header, or an empty one, is anonymous', () => {
    expect(parseAuthorization(undefined)).toEqual({ kind: 'none' });
    expect(parseAuthorization('  ')).toEqual({ kind: 'none' });
  });

  test('APIKey <secret> (Gcore form), case-insensitive scheme', () => {
    expect(parseAuthorization('APIKey tgk_abc')).toEqual({ kind: 'apiToken', secret: 'tgk_abc', scheme: 'APIKey' });
    expect(parseAuthorization('apikey tgk_abc')).toMatchObject({ kind: 'apiToken', secret: 'tgk_abc' });
  });

  test('Bearer carries either an API token or a session JWT', () => {
    expect(parseAuthorization('Bearer tgk_abc')).toEqual({ kind: 'apiToken', secret: 'tgk_abc', scheme: 'Bearer' });
    expect(parseAuthorization('Bearer aaa.bbb.ccc')).toEqual({ kind: 'session', jwt: 'aaa.bbb.ccc' });
    expect(parseAuthorization('Bearer nonsense')).toMatchObject({ kind: 'malformed' });
  });

  test('Basic base64(username:secret) (Jenkins / package-manager form)', () => {
    expect(parseAuthorization(`Basic ${b64('tgu_x:tgk_abc')}`)).toEqual({ kind: 'apiToken', secret: 'tgk_abc', username: 'tgu_x', scheme: 'Basic' });
    // the secret may itself contain a colon-free value; only the first colon splits
    expect(parseAuthorization(`Basic ${b64('u:a:b')}`)).toMatchObject({ username: 'u', secret: 'a:b' });
  });

  test.each([
    ['no credentials', 'Bearer'],
    ['two values', 'APIKey a b'],
    ['unknown scheme', 'Token tgk_abc'],
    ['Basic without colon', `Basic ${b64('justatoken')}`],
    ['Basic with empty username', `Basic ${b64(':tgk_abc')}`],
    ['Basic not base64', 'Basic ***'],
    ['oversized', 'Bearer ' + 'a'.repeat(5000)],
  ])('%s is malformed', (_label, header) => {
    expect(parseAuthorization(header)).toMatchObject({ kind: 'malformed' });
  });

  test('repeated Authorization headers are refused', () => {
    expect(parseAuthorization(['APIKey a', 'APIKey b'])).toMatchObject({ kind: 'malformed' });
  });
});
