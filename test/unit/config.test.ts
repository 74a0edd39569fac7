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

  test('HOST: unset means every interface; an IP address or a host name; anything else stops start-up', () => {
    const load = (HOST?: string) => loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp(), ...(HOST === undefined ? {} : { HOST }) }).host;
    expect(load()).toBeUndefined();
    expect(load('')).toBeUndefined();
    expect(load('127.0.0.1')).toBe('127.0.0.1');
    expect(load(' 0.0.0.0 ')).toBe('0.0.0.0');
    expect(load('::1')).toBe('::1');
    expect(load('[::]')).toBe('::');
    expect(load('localhost')).toBe('localhost');
    expect(load('tokens.internal.example')).toBe('tokens.internal.example');
    for (const bad of ['127.0.0.256', '1.2.3', 'http://localhost', 'host:4000', 'bad host', '-leading.example', '[::1']) {
      expect(() => load(bad)).toThrow(ConfigError);
      expect(() => load(bad)).toThrow(/^HOST must be an IP address .* or a host name/);
    }
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

  test('GATEWAY_HOST: unset means every interface; validated like HOST', () => {
    expect(loadGatewayConfig({ ...base }).host).toBeUndefined();
    expect(loadGatewayConfig({ ...base, GATEWAY_HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(loadGatewayConfig({ ...base, GATEWAY_HOST: '::1' }).host).toBe('::1');
    expect(() => loadGatewayConfig({ ...base, GATEWAY_HOST: '0.0.0.0:4001' })).toThrow(/^GATEWAY_HOST must be an IP address/);
  });

  test('INTROSPECTION: off in production unless set, as on the tokens service', () => {
    expect(loadGatewayConfig({ ...base }).introspection).toBe(true);
    expect(loadGatewayConfig({ ...base, NODE_ENV: 'production' }).introspection).toBe(false);
    expect(loadGatewayConfig({ ...base, NODE_ENV: 'production', INTROSPECTION: 'true' }).introspection).toBe(true);
    expect(loadGatewayConfig({ ...base, INTROSPECTION: 'off' }).introspection).toBe(false);
    expect(() => loadGatewayConfig({ ...base, INTROSPECTION: 'sometimes' })).toThrow(/INTROSPECTION must be true or false/);
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
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, SESSION_SIGNING_KEY_FILE: join(dir, 'short') })).toThrow(
      /SESSION_SIGNING_KEY must be at least 32 characters long \(got 9\)/,
    );
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
    expect(() => loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: dir, GATEWAY_SECRET_FILE: join(dir, 'missing') })).toThrow(
      /GATEWAY_SECRET_FILE names a file that cannot be read \(ENOENT\)/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SIGNING_KEY: KEY, DATA_DIR: dir, GATEWAY_SECRET: direct, IDENTITY_PRIVATE_KEY_FILE: join(dir, 'short') })).toThrow(ConfigError);
  });
});

describe('routers other than ours: the token exchange and the coprocessors', () => {
  const base = () => ({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp() });

  test('defaults: the exchange on outside production (issuer http://localhost:<PORT>), the coprocessors off', () => {
    const c = loadConfig({ ...base(), PORT: '4100' });
    expect(c.exchange).toEqual({ issuer: 'http://localhost:4100', tokenTtlSeconds: 60, audiences: ['supergraph'], perTokenPerMinute: 60 });
    expect(c.coprocessor).toBeNull();
  });

  test('PUBLIC_URL is the issuer (no trailing slash, a path kept); audiences, TTL and rate as set', () => {
    const c = loadConfig({
      ...base(),
      PUBLIC_URL: 'https://api.example.com/tokens/',
      EXCHANGE_AUDIENCES: ' supergraph , reports ,supergraph',
      EXCHANGE_TOKEN_TTL_S: '300',
      EXCHANGE_RATE_LIMIT_PER_MINUTE: '0',
    });
    expect(c.exchange).toEqual({ issuer: 'https://api.example.com/tokens', tokenTtlSeconds: 300, audiences: ['supergraph', 'reports'], perTokenPerMinute: 0 });
  });

  test('production: off without PUBLIC_URL; with it, https (or loopback) and a shared identity key are required', () => {
    const prod = { ...base(), NODE_ENV: 'production' };
    expect(loadConfig(prod).exchange).toBeNull();
    expect(() => loadConfig({ ...prod, PUBLIC_URL: 'https://tokens.example.com' })).toThrow(/IDENTITY_PRIVATE_KEY .* is required in production when PUBLIC_URL is set/);
    const key = { IDENTITY_PRIVATE_KEY: generateIdentityKeyPem() };
    expect(loadConfig({ ...prod, ...key, PUBLIC_URL: 'https://tokens.example.com' }).exchange?.issuer).toBe('https://tokens.example.com');
    expect(() => loadConfig({ ...prod, ...key, PUBLIC_URL: 'http://tokens.example.com' })).toThrow(/PUBLIC_URL must be https:\/\/ in production/);
    expect(loadConfig({ ...prod, ...key, PUBLIC_URL: 'http://localhost:4000' }).exchange?.issuer).toBe('http://localhost:4000');
  });

  test('COPROCESSOR_SECRET turns the coprocessors on, from the variable or its _FILE', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'copro'), `${'c'.repeat(40)}\n`);
    expect(loadConfig({ ...base(), COPROCESSOR_SECRET: 's'.repeat(32), COPROCESSOR_CLIENT_IP_HEADER: 'X-Forwarded-For' }).coprocessor).toEqual({
      secret: 's'.repeat(32),
      clientIpHeader: 'x-forwarded-for',
    });
    expect(loadConfig({ ...base(), COPROCESSOR_SECRET_FILE: join(dir, 'copro') }).coprocessor).toEqual({ secret: 'c'.repeat(40), clientIpHeader: undefined });
  });

  test.each([
    [{ PUBLIC_URL: 'not a url' }, /PUBLIC_URL is not a valid URL/],
    [{ PUBLIC_URL: 'ftp://tokens.example.com' }, /PUBLIC_URL must start with https:\/\//],
    [{ PUBLIC_URL: 'https://tokens.example.com/?x=1' }, /no query, fragment or credentials/],
    [{ PUBLIC_URL: 'https://user:pw@tokens.example.com' }, /no query, fragment or credentials/],
    [{ EXCHANGE_AUDIENCES: 'supergraph,tokens' }, /must not contain "tokens", this service's subgraph name/],
    [{ EXCHANGE_AUDIENCES: 'two words' }, /is not an audience name/],
    [{ EXCHANGE_AUDIENCES: ' , ' }, /at least one audience/],
    [{ EXCHANGE_TOKEN_TTL_S: '1' }, /EXCHANGE_TOKEN_TTL_S must be between 5 and 900/],
    [{ EXCHANGE_TOKEN_TTL_S: '3600' }, /EXCHANGE_TOKEN_TTL_S must be between 5 and 900/],
    [{ EXCHANGE_RATE_LIMIT_PER_MINUTE: '-1' }, /EXCHANGE_RATE_LIMIT_PER_MINUTE must be between 0/],
    [{ COPROCESSOR_SECRET: 'short' }, /COPROCESSOR_SECRET must be at least 32 characters/],
    [{ COPROCESSOR_SECRET: `${'s'.repeat(32)} x` }, /printable ASCII without spaces/],
    [{ COPROCESSOR_CLIENT_IP_HEADER: 'x-forwarded-for' }, /COPROCESSOR_CLIENT_IP_HEADER needs COPROCESSOR_SECRET/],
    [{ COPROCESSOR_SECRET: 's'.repeat(32), COPROCESSOR_CLIENT_IP_HEADER: 'x forwarded' }, /must be a header name/],
  ])('refuses %o with a clear message', (env, message) => {
    const run = () => loadConfig({ ...base(), ...env });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });
});

describe('METRICS_PORT and METRICS_TOKEN: /metrics for the tokens service and the gateway alike', () => {
  const tokens = (env: Record<string, string>) => loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp(), ...env }).metrics;
  const gateway = (env: Record<string, string>) =>
    loadGatewayConfig({ SUPERGRAPH_PATH: 'examples/supergraph.graphql', GATEWAY_SECRET: 's'.repeat(40), IDENTITY_PRIVATE_KEY: generateIdentityKeyPem(), ...env }).metrics;

  test('off by default; a port, a token, or both; the token from METRICS_TOKEN_FILE', () => {
    for (const load of [tokens, gateway]) {
      expect(load({})).toEqual({});
      expect(load({ METRICS_PORT: '9464' })).toEqual({ port: 9464 });
      expect(load({ METRICS_TOKEN: 'm'.repeat(32) })).toEqual({ token: 'm'.repeat(32) });
      expect(load({ METRICS_PORT: '0', METRICS_TOKEN: 'm'.repeat(40) })).toEqual({ port: 0, token: 'm'.repeat(40) });
      const dir = tmp();
      writeFileSync(join(dir, 'metrics-token'), `${'f'.repeat(48)}\n`);
      expect(load({ METRICS_TOKEN_FILE: join(dir, 'metrics-token') })).toEqual({ token: 'f'.repeat(48) });
    }
  });

  test.each([
    [{ METRICS_PORT: 'nine' }, /METRICS_PORT must be a whole number/],
    [{ METRICS_PORT: '70000' }, /METRICS_PORT must be between 0 and 65535/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be at least 32 characters/],
    [{ METRICS_TOKEN: `${'m'.repeat(32)} x` }, /printable ASCII without spaces/],
    [{ METRICS_TOKEN_FILE: '/nonexistent/metrics-token' }, /METRICS_TOKEN_FILE names a file that cannot be read/],
  ])('refuses %o with a clear message (both services)', (env, message) => {
    for (const load of [tokens, gateway]) {
      expect(() => load(env)).toThrow(ConfigError);
      expect(() => load(env)).toThrow(message);
    }
  });
});

describe('OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_SERVICE_NAME: traces only when an endpoint is set', () => {
  const tokens = (env: Record<string, string>) => loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp(), ...env }).tracing;
  const gateway = (env: Record<string, string>) =>
    loadGatewayConfig({ SUPERGRAPH_PATH: 'examples/supergraph.graphql', GATEWAY_SECRET: 's'.repeat(40), IDENTITY_PRIVATE_KEY: generateIdentityKeyPem(), ...env }).tracing;

  test('off without an endpoint (a service name alone turns nothing on); each service has its own default name', () => {
    expect(tokens({})).toBeNull();
    expect(gateway({ OTEL_SERVICE_NAME: 'edge' })).toBeNull();
    expect(tokens({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({ endpoint: 'http://collector:4318', serviceName: 'tokengate-tokens' });
    expect(gateway({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/' })).toEqual({ endpoint: 'https://otel.example.com/', serviceName: 'tokengate-gateway' });
    expect(gateway({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'edge-eu' })?.serviceName).toBe('edge-eu');
  });

  test.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, /OTEL_EXPORTER_OTLP_ENDPOINT is not a valid URL/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' }, /must be an http\(s\) URL \(OTLP over HTTP\)/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'x'.repeat(200) }, /OTEL_SERVICE_NAME must be 1-128 printable ASCII/],
  ])('refuses %o with a clear message (both services)', (env, message) => {
    for (const load of [tokens, gateway]) {
      expect(() => load(env)).toThrow(ConfigError);
      expect(() => load(env)).toThrow(message);
    }
  });
});

describe('fleet mode: REDIS_URL, REDIS_KEY_PREFIX, REDIS_TIMEOUT_MS (tokens service and gateway alike)', () => {
  const gatewayBase = { SUPERGRAPH_PATH: 'examples/supergraph.graphql', GATEWAY_SECRET: 's'.repeat(40), IDENTITY_PRIVATE_KEY: generateIdentityKeyPem() };

  test('unset: one process, no Redis; set: the URL with the default prefix and time-box, read the same by both', () => {
    expect(loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp() }).redis).toBeNull();
    expect(loadGatewayConfig({ ...gatewayBase, DATA_DIR: tmp() }).redis).toBeNull();
    const env = { REDIS_URL: 'redis://:pw@cache:6379/2' };
    const expected = { url: 'redis://:pw@cache:6379/2', keyPrefix: 'tokengate:', timeoutMs: 100 };
    expect(loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp(), ...env }).redis).toEqual(expected);
    expect(loadGatewayConfig({ ...gatewayBase, DATA_DIR: tmp(), ...env }).redis).toEqual(expected);
    expect(loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp(), REDIS_URL: 'rediss://cache:6380', REDIS_KEY_PREFIX: 'prod-eu:', REDIS_TIMEOUT_MS: '25' }).redis).toEqual({
      url: 'rediss://cache:6380',
      keyPrefix: 'prod-eu:',
      timeoutMs: 25,
    });
  });

  test.each([
    [{ REDIS_URL: 'not a url' }, /REDIS_URL must be a URL like redis:\/\/host:6379/],
    [{ REDIS_URL: 'http://cache:6379' }, /REDIS_URL must start with redis:\/\/ or rediss:\/\/, got http:\/\//],
    [{ REDIS_URL: 'redis://cache', REDIS_KEY_PREFIX: 'has space' }, /REDIS_KEY_PREFIX must be 1-64 letters/],
    [{ REDIS_URL: 'redis://cache', REDIS_TIMEOUT_MS: '0' }, /REDIS_TIMEOUT_MS must be between 5 and 10000, got 0/],
    [{ REDIS_URL: 'redis://cache', REDIS_TIMEOUT_MS: 'fast' }, /REDIS_TIMEOUT_MS must be a whole number/],
  ])('%j is refused with a message saying what to set', (env, message) => {
    expect(() => loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp(), ...env })).toThrow(message);
    expect(() => loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp(), ...env })).toThrow(ConfigError);
  });

  test('a refused REDIS_URL is not echoed (it may carry a password)', () => {
    expect(() => loadConfig({ SESSION_SIGNING_KEY: KEY, DATA_DIR: tmp(), REDIS_URL: 'http://user:hunter2@cache' })).toThrow(/^((?!hunter2).)*$/);
  });
});
