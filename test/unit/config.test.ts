import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { generateIdentityKeyPem } from '../../src/auth/identity-keys';
import { loadGatewayConfig } from '../../src/gateway/config';

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
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp() })).toThrow(/SESSION_SIGNING_KEY \(or SESSION_SIGNING_KEY_FILE\) is required in production/);
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

describe('loadGatewayConfig: the same limit variables as the tokens service', () => {
  const base = { SUPERGRAPH_PATH: 'examples/supergraph.graphql', GATEWAY_SECRET: 's'.repeat(40), IDENTITY_PRIVATE_KEY: generateIdentityKeyPem() };

  test('defaults equal the tokens service defaults; development exposes limits and keeps suggestions', () => {
    const gw = loadGatewayConfig({ ...base, DATA_DIR: tmp() });
    const tokens = loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp() });
    expect(gw.limits).toEqual({ ...tokens.queryLimits, bodyLimitBytes: tokens.bodyLimitBytes, exposeLimits: true, blockFieldSuggestions: false });
    expect(gw.limits).toMatchObject({ maxDepth: 10, maxCost: 25_000, maxAliases: 15, maxDirectives: 50, maxTokens: 2000, bodyLimitBytes: 102_400 });
  });

  test('one setting tunes both; production hides the limits and blocks field suggestions', () => {
    const env = { QUERY_MAX_DEPTH: '7', QUERY_MAX_COST: '900', QUERY_MAX_ALIASES: '3', QUERY_MAX_DIRECTIVES: '4', QUERY_MAX_TOKENS: '500', BODY_LIMIT_BYTES: '4096' };
    const gw = loadGatewayConfig({ ...base, ...env, NODE_ENV: 'production' });
    const tokens = loadConfig({ ...env, SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp() });
    expect(gw.limits).toEqual({ maxDepth: 7, maxCost: 900, maxAliases: 3, maxDirectives: 4, maxTokens: 500, bodyLimitBytes: 4096, exposeLimits: false, blockFieldSuggestions: true });
    expect(tokens.queryLimits).toEqual({ maxDepth: 7, maxCost: 900, maxAliases: 3, maxDirectives: 4, maxTokens: 500 });
    expect(gw.exposeErrors).toBe(false);
  });

  test('an invalid limit stops the gateway with the variable named', () => {
    expect(() => loadGatewayConfig({ ...base, QUERY_MAX_DEPTH: '1' })).toThrow(/QUERY_MAX_DEPTH must be between 2 and 100/);
    expect(() => loadGatewayConfig({ ...base, BODY_LIMIT_BYTES: 'lots' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ ...base, NODE_ENV: 'staging' })).toThrow(/NODE_ENV must be/);
  });
});

describe('secrets from files (SESSION_SIGNING_KEY_FILE, GATEWAY_SECRET_FILE, IDENTITY_PRIVATE_KEY_FILE)', () => {
  test('production takes the session signing key from SESSION_SIGNING_KEY_FILE; SESSION_SIGNING_KEY wins over it', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'session-signing-key'), `${'s'.repeat(48)}\n`);
    const file = { SESSION_SIGNING_KEY_FILE: join(dir, 'session-signing-key') };
    expect(loadConfig({ ...file, NODE_ENV: 'production', DATA_DIR: dir }).sessionSigningKey).toBe('s'.repeat(48));
    expect(loadConfig({ ...file, NODE_ENV: 'production', DATA_DIR: dir, SESSION_SIGNING_KEY: KEY }).sessionSigningKey).toBe(KEY);
    // An empty value (compose's ${SESSION_SIGNING_KEY:-}) counts as unset.
    expect(loadConfig({ ...file, NODE_ENV: 'production', DATA_DIR: dir, SESSION_SIGNING_KEY: '' }).sessionSigningKey).toBe('s'.repeat(48));
  });

  test('a short or unreadable SESSION_SIGNING_KEY_FILE stops start-up with the variable named', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'short'), 'too short');
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, SESSION_SIGNING_KEY_FILE: join(dir, 'short') })).toThrow(/SESSION_SIGNING_KEY must be at least 32 characters long \(got 9\)/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, SESSION_SIGNING_KEY_FILE: join(dir, 'missing') })).toThrow(
      /SESSION_SIGNING_KEY_FILE names a file that cannot be read \(ENOENT\)/,
    );
    // Development never falls back to a generated key when a named file is missing: that would hide the mistake.
    expect(() => loadConfig({ DATA_DIR: dir, SESSION_SIGNING_KEY_FILE: join(dir, 'missing') })).toThrow(ConfigError);
  });


  test('both services read the gateway secret and the identity key from files, as the compose stack does', () => {
    const dir = tmp();
    const pem = generateIdentityKeyPem();
    writeFileSync(join(dir, 'gateway-secret'), `${'g'.repeat(48)}\n`);
    writeFileSync(join(dir, 'identity.pem'), pem);
    const files = { GATEWAY_SECRET_FILE: join(dir, 'gateway-secret'), IDENTITY_PRIVATE_KEY_FILE: join(dir, 'identity.pem') };
    const tokens = loadConfig({ ...files, NODE_ENV: 'production', SESSION_SIGNING_KEY: KEY, DATA_DIR: dir });
    const gw = loadGatewayConfig({ ...files, NODE_ENV: 'production', SUPERGRAPH_PATH: 'x.graphql' });
    expect(tokens.gatewaySecret).toBe('g'.repeat(48));
    expect(gw.gatewaySecret).toBe(tokens.gatewaySecret);
    expect(tokens.identityPrivateKey).toBe(pem.trim());
    expect(gw.identityPrivateKey).toBe(tokens.identityPrivateKey);
  });

  test('the variable itself wins over its _FILE; an unreadable or short file stops start-up', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'short'), 'too short');
    const direct = 'd'.repeat(40);
    expect(loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: dir, GATEWAY_SECRET: direct, GATEWAY_SECRET_FILE: join(dir, 'short') }).gatewaySecret).toBe(direct);
    expect(() => loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: dir, GATEWAY_SECRET_FILE: join(dir, 'short') })).toThrow(/at least 32 characters/);
    expect(() => loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: dir, GATEWAY_SECRET_FILE: join(dir, 'missing') })).toThrow(/GATEWAY_SECRET_FILE names a file that cannot be read \(ENOENT\)/);
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SIGNING_KEY: KEY, DATA_DIR: dir, GATEWAY_SECRET: direct, IDENTITY_PRIVATE_KEY_FILE: join(dir, 'short') })).toThrow(ConfigError);
  });
});
