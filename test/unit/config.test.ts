import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

const KEY = 'k'.repeat(40);
const tmp = () => mkdtempSync(join(tmpdir(), 'tg-config-'));

describe('loadConfig', () => {
  test('defaults: port 4000, embedded SQLite under ./data, sandbox on outside production', () => {
    const dir = tmp();
    const c = loadConfig({ DATA_DIR: dir, SESSION_SIGNING_KEY: KEY });
    expect(c.port).toBe(4000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.sqlitePath).toBe(join(dir, 'tokengate.sqlite'));
    expect(c.sandbox).toBe(true);
    expect(c.introspection).toBe(true);
    expect(c.bcryptRounds).toBe(12);
  });

  test('production refuses to start without SESSION_SIGNING_KEY and says what to set', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp() })).toThrow(/SESSION_SIGNING_KEY is required in production/);
  });

  test('production turns Sandbox and introspection off by default', () => {
    const c = loadConfig({ NODE_ENV: 'production', SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp() });
    expect(c.sandbox).toBe(false);
    expect(c.introspection).toBe(false);
  });

  test('development generates a signing key once and keeps it private in the data directory', () => {
    const dir = tmp();
    const a = loadConfig({ DATA_DIR: dir });
    const b = loadConfig({ DATA_DIR: dir });
    expect(a.sessionSigningKey.length).toBeGreaterThanOrEqual(32);
    expect(b.sessionSigningKey).toBe(a.sessionSigningKey);
    const file = join(dir, 'session-signing-key');
    expect(readFileSync(file, 'utf8').trim()).toBe(a.sessionSigningKey);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  test.each([
    [{ PORT: 'abc' }, /PORT must be a whole number/],
    [{ PORT: '70000' }, /PORT must be between/],
    [{ BCRYPT_ROUNDS: '8' }, /BCRYPT_ROUNDS must be between 10/],
    [{ SESSION_SIGNING_KEY: 'short' }, /at least 32 characters/],
    [{ DATABASE_URL: 'postgres://x/y' }, /must start with mysql:\/\//],
    [{ DATABASE_URL: 'mysql://host' }, /must name a database/],
    [{ DATABASE_URL: '::::' }, /not a valid URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ SANDBOX: 'maybe' }, /SANDBOX must be true or false/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV must be/],
  ])('refuses %o with a clear message', (env, message) => {
    const run = () => loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp(), ...env });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });

  test('accepts MySQL and MariaDB URLs', () => {
    expect(loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp(), DATABASE_URL: 'mysql://u:p@db:3306/tg' }).databaseUrl).toBe('mysql://u:p@db:3306/tg');
    expect(loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp(), DATABASE_URL: 'mariadb://u@db/tg' }).databaseUrl).toBe('mariadb://u@db/tg');
  });
});
