import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { loadGatewayConfig } from '../../src/gateway/config';
import { parseIdentityKey } from '../../src/auth/identity-keys';
import { loadInventoryConfig } from '../../examples/inventory/config';

/**
 * docker-compose.yml cannot be run here (no Docker engine), so it is checked
 * as Compose itself would read it: against the Compose Specification's JSON
 * schema (test/support/compose-spec/, see its README), with its variables
 * interpolated the way Compose does, and with each service's environment fed
 * to the loader that service runs, which must accept it and read every
 * variable it sets. The `secrets` service's script is run for real, into
 * temporary directories standing for its volumes.
 */
const root = join(__dirname, '../..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const schema = JSON.parse(readFileSync(join(root, 'test/support/compose-spec/compose-spec.json'), 'utf8'));

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  networks?: Record<string, { aliases?: string[] } | null>;
};
type ComposeFile = { services: Record<string, Service>; volumes?: Record<string, unknown> };

/** What `docker compose` does with a value: ${VAR}, ${VAR:-default}, ${VAR-default}, $$ for a literal $. */
function interpolate(value: string, shell: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, name, op, fallback, bare) => {
    if (match === '$$') return '$';
    if (bare) return shell[bare] ?? '';
    const set = shell[name];
    if (op === ':-') return set === undefined || set === '' ? fallback : set;
    if (op === '-') return set === undefined ? fallback : set;
    return set ?? '';
  });
}

function parseCompose(text: string): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

function validator() {
  const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true, strictTypes: false });
  return ajv.compile(schema);
}

const compose = parseCompose(composeText);
const services = compose.services;

const unread = (env: Record<string, string>, read: Set<string>) => Object.keys(env).filter((k) => !read.has(k));

/** One directory per named volume, standing in for Docker's. */
function volumeDirs(): Record<string, string> {
  const base = mkdtempSync(join(tmpdir(), 'tg-compose-'));
  const dirs: Record<string, string> = {};
  for (const name of Object.keys(compose.volumes ?? {})) {
    dirs[name] = join(base, name);
    mkdirSync(dirs[name]);
  }
  return dirs;
}

/** A service's "volume:/path[:ro]" mounts as [container path, host directory]. */
function mounts(service: Service, dirs: Record<string, string>): Array<[string, string]> {
  return (service.volumes ?? []).map((v) => {
    const [volume, path] = v.split(':');
    expect(dirs[volume]).toBeDefined();
    return [path, dirs[volume]];
  });
}

/** Runs the `secrets` service's script with its mount points mapped to the temporary volume directories. */
function runSecretsService(dirs: Record<string, string>): Array<[string, number, number]> {
  const [node, flag, script] = services.secrets.command!;
  expect([node, flag]).toEqual(['node', '-e']);
  let mapped = script;
  for (const [path, dir] of mounts(services.secrets, dirs)) mapped = mapped.split(`'${path}/`).join(`'${dir}/`);
  const log = join(mkdtempSync(join(tmpdir(), 'tg-chown-')), 'chown.json');
  // chown to the image's node user needs root: record the calls instead.
  const preload = join(mkdtempSync(join(tmpdir(), 'tg-preload-')), 'chown.js');
  writeFileSync(
    preload,
    "const fs = require('node:fs'); const calls = []; fs.chownSync = (f, u, g) => { calls.push([f, u, g]); };\n" +
      `process.on('exit', () => fs.writeFileSync(${JSON.stringify(log)}, JSON.stringify(calls)));\n`,
  );
  const run = spawnSync(process.execPath, ['-r', preload, '-e', mapped], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(readFileSync(log, 'utf8'));
}

/** The service's environment as its process would see it, with container paths mapped to the volume directories. */
function environmentOf(name: string, shell: Record<string, string>, dirs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(services[name].environment ?? {})) {
    let value = interpolate(String(raw ?? ''), shell);
    for (const [path, dir] of mounts(services[name], dirs)) if (value.startsWith(`${path}/`)) value = dir + value.slice(path.length);
    env[key] = value;
  }
  return env;
}

/** Runs a loader on an environment and returns what it returned and every variable it read. */
function reading<T>(env: Record<string, string>, load: (env: Record<string, string | undefined>) => T): { result: T; read: Set<string> } {
  const read = new Set<string>();
  const proxy = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') read.add(key);
      return target[key as string];
    },
  });
  return { result: load(proxy), read };
}

describe('docker-compose.yml', () => {
  test('is valid against the Compose Specification schema', () => {
    const validate = validator();
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('the schema check is not vacuous: a misspelt key and a bad dependency condition are refused', () => {
    const validate = validator();
    const broken = parseCompose(composeText);
    (broken.services.tokengate as Record<string, unknown>).enviroment = { A: '1' };
    expect(validate(broken)).toBe(false);
    const badCondition = parseCompose(composeText);
    (badCondition.services.gateway as { depends_on: Record<string, { condition: string }> }).depends_on.tokengate.condition = 'service_ready';
    expect(validate(badCondition)).toBe(false);
  });

  test('uses only ${VAR}, ${VAR:-default} and $$, which the checks below interpolate as Compose does', () => {
    const uses = [...composeText.matchAll(/\$\{[^}]*\}/g)].map((m) => m[0]);
    for (const u of uses) expect(u).toMatch(/^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/);
    expect(interpolate('a${X:-d}b${Y}c$$d', { Y: 'y' })).toBe('adbyc$d');
    expect(interpolate('${X:-d}', { X: '' })).toBe('d');
    expect(interpolate('${X-d}', { X: '' })).toBe('');
  });

  test('publishes no signing key: the session key is generated, like the gateway credential and identity key', () => {
    const env = services.tokengate.environment!;
    expect(env.SESSION_SIGNING_KEY).toBe('${SESSION_SIGNING_KEY:-}');
    expect(composeText).not.toMatch(/INSECURE|dev-only-signing/i);
    // Only the tokens service mounts the session key.
    const holders = Object.entries(services)
      .filter(([, s]) => (s.volumes ?? []).some((v) => v.startsWith('session-secrets:')))
      .map(([n]) => n)
      .sort();
    expect(holders).toEqual(['secrets', 'tokengate', 'tokengate-2']);
  });

  test('the secrets service writes keys each service accepts, private to the node user, and keeps them on later runs', () => {
    const dirs = volumeDirs();
    const chowns = runSecretsService(dirs);
    const files = ['gateway-secrets/gateway-secret', 'gateway-secrets/identity-private-key.pem', 'session-secrets/session-signing-key'];
    const first = files.map((f) => readFileSync(join(dirs[f.split('/')[0]], f.split('/')[1]), 'utf8'));
    for (const f of files) expect(statSync(join(dirs[f.split('/')[0]], f.split('/')[1])).mode & 0o777).toBe(0o400);
    expect(chowns.map(([, uid, gid]) => [uid, gid])).toEqual(files.map(() => [1000, 1000]));
    expect(first[0].length).toBeGreaterThanOrEqual(32);
    expect(() => parseIdentityKey(first[1])).not.toThrow();
    expect(first[2].length).toBeGreaterThanOrEqual(32);
    expect(first[2]).not.toBe(first[0]);

    runSecretsService(dirs);
    expect(files.map((f) => readFileSync(join(dirs[f.split('/')[0]], f.split('/')[1]), 'utf8'))).toEqual(first);
  });

  describe('every variable a service sets is one its configuration reads, and the values load', () => {
    const dirs = volumeDirs();
    beforeAll(() => runSecretsService(dirs));
    const sessionKeyFile = () => readFileSync(join(dirs['session-secrets'], 'session-signing-key'), 'utf8').trim();

    test.each(['tokengate', 'tokengate-2'])('%s (src/config.ts), with the generated session key', (name) => {
      const env = environmentOf(name, {}, dirs);
      const { result, read } = reading(env, loadConfig);
      expect(unread(env, read)).toEqual([]);
      expect(result.env).toBe('production');
      expect(result.sessionSigningKey).toBe(sessionKeyFile());
      expect(result.gatewaySecret).toBe(readFileSync(join(dirs['gateway-secrets'], 'gateway-secret'), 'utf8').trim());
      expect(result.databaseUrl).toBe('mysql://tokengate:tokengate-dev-password@mysql:3306/tokengate');
      expect(result.metrics).toEqual({ port: 9464 });
      expect(result.trustProxy).toBe(1);
      // Replica 1 migrates; replica 2 starts once it is healthy and never does.
      expect(result.runMigrations).toBe(name === 'tokengate');
    });

    test('tokengate: SESSION_SIGNING_KEY set in the shell or .env overrides the generated one', () => {
      const own = 'o'.repeat(48);
      const { result } = reading(environmentOf('tokengate', { SESSION_SIGNING_KEY: own }, dirs), loadConfig);
      expect(result.sessionSigningKey).toBe(own);
    });

    test('tokengate connects as the user, password and database the mysql service creates', () => {
      const shell = { MYSQL_PASSWORD: 'chosen-password' };
      const mysql = Object.fromEntries(Object.entries(services.mysql.environment!).map(([k, v]) => [k, interpolate(String(v), shell)]));
      const url = new URL(environmentOf('tokengate', shell, dirs).DATABASE_URL);
      expect([url.username, url.password, url.pathname.slice(1)]).toEqual([mysql.MYSQL_USER, mysql.MYSQL_PASSWORD, mysql.MYSQL_DATABASE]);
    });

    test.each(['gateway', 'gateway-2'])('%s (src/gateway/config.ts)', (name) => {
      const env = environmentOf(name, { LOG_LEVEL: 'warn' }, dirs);
      const { result, read } = reading(env, loadGatewayConfig);
      expect(unread(env, read)).toEqual([]);
      expect(result.production).toBe(true);
      expect(result.logLevel).toBe('warn');
      expect(result.introspectionUrl).toBe('http://tokengate:4000/internal/introspect');
      expect(result.metrics).toEqual({ port: 9464 });
      expect(result.trustProxy).toBe(1);
    });

    test('inventory (examples/inventory/config.ts)', () => {
      const env = environmentOf('inventory', {}, dirs);
      const { result, read } = reading(env, loadInventoryConfig);
      expect(unread(env, read)).toEqual([]);
      expect(result.port).toBe(4002);
    });

    test('no other service sets variables of ours: the rest are image services (mysql, redis, proxy) or have none (secrets)', () => {
      const built = Object.entries(services)
        .filter(([, s]) => s.build !== undefined)
        .map(([n]) => n)
        .sort();
      expect(built).toEqual(['gateway', 'gateway-2', 'inventory', 'tokengate', 'tokengate-2']);
      expect(services.secrets.environment).toBeUndefined();
      expect(services.mysql.image).toMatch(/^mysql:/);
      expect(services.redis.image).toMatch(/^redis:7\./);
      expect(services.proxy.image).toMatch(/^nginx:1\.(2[89]|[3-9]\d)/);
      for (const name of ['redis', 'proxy']) expect(services[name].environment).toBeUndefined();
    });

    test('a variable no configuration reads is caught', () => {
      const env = { ...environmentOf('tokengate', {}, dirs), SESION_SIGNING_KEY: 'typo' };
      const { read } = reading(env, loadConfig);
      expect(unread(env, read)).toEqual(['SESION_SIGNING_KEY']);
    });
  });

  describe('the fleet: two tokens replicas and two gateways behind one proxy, on one Redis', () => {
    const nginx = readFileSync(join(root, 'deploy/nginx.conf'), 'utf8');
    /** A compose network name for a service: its own, and its aliases. */
    const namesOf = (service: string) => [service, ...(services[service].networks?.default?.aliases ?? [])];
    const resolvesTo = (host: string) =>
      Object.keys(services)
        .filter((n) => namesOf(n).includes(host))
        .sort();
    /** nginx's `upstream NAME { … }` blocks: their `server host:port` lines. */
    const upstreams = new Map(
      [...nginx.matchAll(/upstream (\w+) \{([^}]*)\}/g)].map((m) => [
        m[1],
        [...m[2].matchAll(/^\s*server (\S+):(\d+)( [^;]*)?;/gm)].map((s) => ({ host: s[1], port: s[2], options: s[3] ?? '' })),
      ]),
    );
    /** nginx's `server { listen N; … proxy_pass http://UPSTREAM; }` blocks, by port. */
    const servers = new Map([...nginx.matchAll(/server \{\s*listen (\d+);([\s\S]*?)\n {2}\}/g)].map((m) => [m[1], m[2]]));

    test('every tokens replica and gateway is given the same REDIS_URL, which names the redis service', () => {
      const urls = ['tokengate', 'tokengate-2', 'gateway', 'gateway-2'].map((n) => environmentOf(n, {}, volumeDirs()).REDIS_URL);
      expect(new Set(urls)).toEqual(new Set(['redis://redis:6379']));
      expect(new URL(urls[0]).hostname).toBe('redis');
      expect(Object.keys(services)).toContain('redis');
    });

    test('only the proxy publishes ports, on loopback: 4000 (tokens) and 4001 (gateways); /metrics ports stay inside', () => {
      const publishing = Object.entries(services)
        .filter(([, s]) => (s.ports ?? []).length > 0)
        .map(([n]) => n);
      expect(publishing).toEqual(['proxy']);
      expect(services.proxy.ports).toEqual(['127.0.0.1:4000:4000', '127.0.0.1:4001:4001']);
      expect([...servers.keys()].sort()).toEqual(['4000', '4001']);
    });

    test('the proxy config is mounted from the repository and balances over both replicas of each', () => {
      expect(services.proxy.volumes).toEqual(['./deploy/nginx.conf:/etc/nginx/nginx.conf:ro']);
      expect(servers.get('4001')).toMatch(/proxy_pass http:\/\/gateways;/);
      expect(servers.get('4000')).toMatch(/proxy_pass http:\/\/tokens;/);
      const reached = (upstream: string) =>
        upstreams
          .get(upstream)!
          .flatMap((s) => resolvesTo(s.host))
          .sort();
      expect(reached('gateways')).toEqual(['gateway', 'gateway-2']);
      expect(reached('tokens')).toEqual(['tokengate', 'tokengate-2']);
      // Each upstream port is the port its services listen on, re-resolved through Docker's DNS (a zone, `resolve`).
      for (const s of upstreams.get('gateways')!) expect(s.port).toBe(environmentOf(resolvesTo(s.host)[0], {}, volumeDirs()).GATEWAY_PORT);
      for (const s of upstreams.get('tokens')!) for (const n of resolvesTo(s.host)) expect(s.port).toBe(environmentOf(n, {}, volumeDirs()).PORT);
      for (const list of upstreams.values()) for (const s of list) expect(s.options).toMatch(/\bresolve\b/);
      expect(nginx).toMatch(/^\s*resolver 127\.0\.0\.11\b/m);
    });

    test('the subgraph calls and introspections the gateways make reach both tokens replicas', () => {
      const gateway = environmentOf('gateway', {}, volumeDirs());
      expect(resolvesTo(new URL(gateway.TOKENS_INTROSPECTION_URL).hostname)).toEqual(['tokengate', 'tokengate-2']);
      const supergraph = readFileSync(join(root, gateway.SUPERGRAPH_PATH), 'utf8');
      const tokensUrl = /@join__graph\(name: "tokens", url: "([^"]+)"\)/.exec(supergraph)?.[1];
      expect(resolvesTo(new URL(tokensUrl!).hostname)).toEqual(['tokengate', 'tokengate-2']);
    });

    test('the proxy names the client in X-Forwarded-For itself, which the services trust for one hop', () => {
      expect(nginx).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
      expect(nginx).not.toMatch(/\$proxy_add_x_forwarded_for/);
      for (const n of ['tokengate', 'tokengate-2', 'gateway', 'gateway-2']) expect(environmentOf(n, {}, volumeDirs()).TRUST_PROXY).toBe('1');
    });

    test('the proxy never serves /metrics, and never retries a request that reached a replica', () => {
      for (const body of servers.values()) expect(body).toMatch(/location = \/metrics \{\s*return 404;\s*\}/);
      expect(nginx).toMatch(/^\s*proxy_next_upstream error timeout http_502 http_503;/m);
      expect(nginx).not.toMatch(/^\s*proxy_next_upstream[^;]*non_idempotent/m);
    });

    test('two processes never migrate at once: replica 2 waits for replica 1, which migrates', () => {
      expect(services['tokengate-2'].depends_on).toEqual({ tokengate: { condition: 'service_healthy' } });
      expect(environmentOf('tokengate-2', {}, volumeDirs()).DB_MIGRATIONS_RUN).toBe('false');
      expect(environmentOf('tokengate', {}, volumeDirs()).DB_MIGRATIONS_RUN).toBeUndefined();
      for (const g of ['gateway', 'gateway-2', 'proxy']) {
        expect(Object.keys(services[g].depends_on ?? {})).toEqual(expect.arrayContaining(['tokengate', 'tokengate-2']));
      }
    });
  });
});
