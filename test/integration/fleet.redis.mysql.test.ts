import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'prom-client';
import { composeSupergraph } from '../../src/gateway/compose';
import { INVENTORY_SDL, InventoryServer, startInventory } from '../../examples/inventory/inventory';
import { startTestApp, TestApp, TEST_SIGNING_KEY } from '../helpers/app';
import { GATEWAY_SECRET, IDENTITY_KEY_PEM, post } from '../helpers/supergraph';
import { addUser, createToken, CreatedToken, signUp, Actor } from '../helpers/world';
import { generateSecret } from '../../src/auth/token-format';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startRedis } = require('../support/redis-server.cjs');

/*
 * Fleet mode, as deployed: two tokens replicas (A in this process, B a child process running
 * dist/src/main.js) and two gateways (G1 authenticating in-process against the database, G2 through
 * B's /internal/introspect), each a child process running dist/src/gateway/main.js, sharing one
 * MariaDB and one throwaway Redis. Every cache TTL is 60 s, so a change seen elsewhere within the
 * test's wait can only have travelled through Redis. A change made on A is refused at B, G1 and G2
 * (the time it took is printed; bench/fleet.mjs measures its p50/p99 under load); two gateways with
 * a 600/min budget admit exactly 600; with Redis stopped, traffic goes on under per-instance limits;
 * with Redis back, fan-out and shared limits resume, without restarting anything.
 */

type Redis = { url: string; halt(): Promise<void>; restart(): Promise<void>; stop(): Promise<void> };
type Child = { proc: ChildProcess; url: string; base: string; lines: string[] };

const TTL = '60000';
const BUDGET = 600;
const ROOT = join(__dirname, '../..');
const VIEWER = '{ inventoryViewer { userId role } }';
const ME = '{ me { id role } }';

let redis: Redis;
let app: TestApp;
let inventory: InventoryServer;
let b: Child;
let g1: Child;
let g2: Child;
let dir: string;
const children: Child[] = [];
let owner: Actor;

function spawnService(name: string, script: string, env: Record<string, string>, ready: RegExp): Promise<Child> {
  const proc = spawn(process.execPath, [join(ROOT, script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', DATA_DIR: '/nonexistent-tokengate-test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const child = { proc, url: '', base: '', lines };
  children.push(child);
  app.logSources.push({ where: `the log of ${name}`, lines });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${lines.slice(-5).join('\n')}`)), 60_000);
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        lines.push(line);
        if (!child.url && ready.test(line)) {
          const url = (JSON.parse(line) as { url: string }).url;
          child.url = url;
          child.base = url.replace(/\/graphql$/, '');
          clearTimeout(timer);
          resolve(child);
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (!child.url) reject(new Error(`${name} exited with ${code}: ${lines.slice(-5).join('\n')}`));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `check` holds; resolves with the milliseconds it took. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return Date.now() - started;
    await sleep(5);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (the cache TTLs are ${TTL} ms)`);
}

const refusedAt =
  (url: string, authorization: string, query = VIEWER) =>
  async () => {
    const r = await post(url, query, undefined, authorization);
    return r.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
  };
const key = (t: CreatedToken) => `APIKey ${t.secret}`;

/** The token works at B directly, and through both gateways (each gateway caches its verdict, B its entry). */
async function warm(authorization: string): Promise<void> {
  for (const url of [b.url]) expect((await post(url, ME, undefined, authorization)).data?.me?.id).toBeTruthy();
  for (const url of [g1.url, g2.url]) expect((await post(url, VIEWER, undefined, authorization)).data?.inventoryViewer?.userId).toBeTruthy();
}

/** Every place must refuse; the time each took is returned (ms after the change returned). */
async function refusedEverywhere(authorization: string, what: string): Promise<Record<string, number>> {
  const [atB, atG1, atG2] = await Promise.all([
    until(refusedAt(b.url, authorization, ME), `${what} at replica B`),
    until(refusedAt(g1.url, authorization), `${what} at gateway G1`),
    until(refusedAt(g2.url, authorization), `${what} at gateway G2`),
  ]);
  return { B: atB, G1: atG1, G2: atG2 };
}

/** Send `n` requests with this credential, `concurrency` at a time, spread over the URLs in turn; count the answers. */
async function burst(urls: string[], authorization: string, n: number, concurrency = 8): Promise<{ ok: number; limited: number; other: string[] }> {
  let next = 0;
  const out = { ok: 0, limited: 0, other: [] as string[] };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const r = await post(urls[i % urls.length], VIEWER, undefined, authorization);
        if (r.data?.inventoryViewer?.userId) out.ok++;
        else if (r.errors?.[0]?.extensions?.code === 'RATE_LIMITED') out.limited++;
        else out.other.push(`${r.status} ${r.errors?.[0]?.extensions?.code}`);
      }
    }),
  );
  return out;
}

/** The child processes serve /metrics on their main port to this bearer token (METRICS_TOKEN). */
const METRICS_TOKEN = 'fleet-metrics-token-0123456789abcdef';

/** A counter as another process's /metrics shows it (Prometheus text format), summed over the matching series. */
async function scraped(base: string, name: string, labels: Record<string, string>): Promise<number> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  let sum = 0;
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

const counter = async (name: string, labels: Record<string, string>): Promise<number> => {
  const metric = await register.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value ?? 0;
};

beforeAll(async () => {
  redis = await startRedis();
  app = await startTestApp({ GATEWAY_SECRET, IDENTITY_PRIVATE_KEY: IDENTITY_KEY_PEM, REDIS_URL: redis.url, TOKEN_CACHE_TTL_MS: TTL });
  inventory = await startInventory({ jwksUrl: `${app.base}/.well-known/jwks.json`, gatewaySecret: GATEWAY_SECRET });
  const databaseUrl = app.db.databaseUrl!;
  const shared = { GATEWAY_SECRET, IDENTITY_PRIVATE_KEY: IDENTITY_KEY_PEM, REDIS_URL: redis.url, SESSION_SIGNING_KEY: TEST_SIGNING_KEY, METRICS_TOKEN };
  b = await spawnService(
    'tokens replica B',
    'dist/src/main.js',
    {
      ...shared,
      DATABASE_URL: databaseUrl,
      DB_MIGRATIONS_RUN: 'false',
      PORT: '0',
      BCRYPT_ROUNDS: '10',
      TOKEN_CACHE_TTL_MS: TTL,
      USAGE_FLUSH_INTERVAL_MS: '600000',
      NOTIFY_INTERVAL_MS: '0',
      WEBHOOK_DELIVERY_INTERVAL_MS: '0',
      CONSOLE: 'false',
    },
    /tokengate is listening/,
  );
  dir = mkdtempSync(join(tmpdir(), 'tokengate-fleet-'));
  const subgraph = readFileSync(join(ROOT, 'schema/subgraph.graphql'), 'utf8');
  const supergraphFor = (tokensUrl: string, file: string) => {
    const path = join(dir, file);
    writeFileSync(
      path,
      composeSupergraph([
        { name: 'tokens', url: tokensUrl, typeDefs: subgraph },
        { name: 'inventory', url: inventory.url, typeDefs: INVENTORY_SDL },
      ]),
    );
    return path;
  };
  const gateway = { ...shared, GATEWAY_PORT: '0', GATEWAY_AUTH_CACHE_TTL_MS: TTL, GATEWAY_RATE_LIMIT_PER_TOKEN: String(BUDGET), GATEWAY_RATE_LIMIT_ANONYMOUS_PER_IP: '0' };
  [g1, g2] = await Promise.all([
    spawnService(
      'gateway G1',
      'dist/src/gateway/main.js',
      { ...gateway, SUPERGRAPH_PATH: supergraphFor(app.url, 'g1.graphql'), DATABASE_URL: databaseUrl, DB_MIGRATIONS_RUN: 'false' },
      /gateway listening/,
    ),
    spawnService(
      'gateway G2',
      'dist/src/gateway/main.js',
      { ...gateway, SUPERGRAPH_PATH: supergraphFor(b.url, 'g2.graphql'), TOKENS_INTROSPECTION_URL: `${b.base}/internal/introspect` },
      /gateway listening/,
    ),
  ]);
  owner = await signUp(app, 'fleet-owner');
}, 180_000);

afterAll(async () => {
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      const exited = new Promise((r) => c.proc.once('exit', r));
      c.proc.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    }
  }
  await inventory?.stop();
  await app?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

test('a token revoked on replica A is refused at replica B and at both gateways, through Redis, long before any TTL', async () => {
  const token = await createToken(app, owner, { name: 'revoked-elsewhere' });
  await warm(key(token));
  const publishedBefore = await counter('tokengate_invalidations_published_total', { kind: 'token' });
  await app.ok('mutation($id: ID!) { revokeApiToken(id: $id) { id status } }', { id: token.id }, owner.session);
  const took = await refusedEverywhere(key(token), 'revoked token');
  process.stdout.write(`fleet: revoke on A refused after ${JSON.stringify(took)} ms\n`);
  for (const ms of Object.values(took)) expect(ms).toBeLessThan(Number(TTL) / 2);
  expect(await counter('tokengate_invalidations_published_total', { kind: 'token' })).toBe(publishedBefore + 1);
});

test('a user deactivated on A: their token is refused at B and at both gateways; a demoted user acts with the lower role everywhere', async () => {
  const admin = await addUser(app, owner, 'ADMIN', 'fleet-admin');
  const demoted = await addUser(app, owner, 'ADMIN', 'fleet-demoted');
  const adminToken = await createToken(app, admin, { name: 'deactivated-elsewhere' });
  const demotedToken = await createToken(app, demoted, { name: 'demoted-elsewhere', role: 'ADMIN' });
  await warm(key(adminToken));
  await warm(key(demotedToken));

  await app.ok('mutation($id: ID!) { deactivateUser(id: $id) { id status } }', { id: admin.id }, owner.session);
  const took = await refusedEverywhere(key(adminToken), 'deactivated owner');
  process.stdout.write(`fleet: deactivation on A refused after ${JSON.stringify(took)} ms\n`);

  await app.ok('mutation($id: ID!, $role: Role!) { updateUserRole(id: $id, role: $role) { id role } }', { id: demoted.id, role: 'MEMBER' }, owner.session);
  const demotedAt = await Promise.all([
    until(async () => (await post(b.url, ME, undefined, key(demotedToken))).data?.me?.role === 'MEMBER', 'demotion at B'),
    until(async () => (await post(g1.url, VIEWER, undefined, key(demotedToken))).data?.inventoryViewer?.role === 'MEMBER', 'demotion at G1'),
    until(async () => (await post(g2.url, VIEWER, undefined, key(demotedToken))).data?.inventoryViewer?.role === 'MEMBER', 'demotion at G2'),
  ]);
  process.stdout.write(`fleet: demotion on A seen after ${JSON.stringify(demotedAt)} ms\n`);
});

test('a change made on replica B reaches replica A (its invalidation is received and counted here)', async () => {
  const token = await createToken(app, owner, { name: 'revoked-on-b' });
  expect((await app.ok(ME, {}, key(token))).me.id).toBe(owner.id); // cached on A
  const receivedBefore = await counter('tokengate_invalidations_received_total', { kind: 'token' });
  const r = await post(b.url, 'mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: token.id }, owner.session);
  expect(r.data?.revokeApiToken?.id).toBe(token.id);
  await until(async () => (await app.gql(ME, {}, key(token))).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', 'revocation on B at A');
  expect(await counter('tokengate_invalidations_received_total', { kind: 'token' })).toBeGreaterThan(receivedBefore);
  expect(await counter('tokengate_last_invalidation_received_timestamp_seconds', {})).toBeGreaterThan(Date.now() / 1000 - 60);
});

test('/metrics scraped from replica B and both gateways: their received-invalidation counters move when a token is revoked on A', async () => {
  const token = await createToken(app, owner, { name: 'scraped-elsewhere' });
  await warm(key(token));
  const targets = { B: b.base, G1: g1.base, G2: g2.base };
  const before: Record<string, number> = {};
  for (const [name, base] of Object.entries(targets)) before[name] = await scraped(base, 'tokengate_invalidations_received_total', { kind: 'token' });
  await app.ok('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: token.id }, owner.session);
  await refusedEverywhere(key(token), 'revoked token (scraped)');
  for (const [name, base] of Object.entries(targets)) {
    await until(async () => (await scraped(base, 'tokengate_invalidations_received_total', { kind: 'token' })) > before[name], `the counter at ${name}`);
  }
  // Without the metrics credential, nothing.
  expect((await fetch(`${b.base}/metrics`)).status).not.toBe(200);
  expect((await fetch(`${g1.base}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token-wrong-token' } })).status).not.toBe(200);
});

test(`two gateways with a ${BUDGET}/min budget per token admit exactly ${BUDGET} requests between them`, async () => {
  const token = await createToken(app, owner, { name: 'shared-budget' });
  const r = await burst([g1.url, g2.url], key(token), BUDGET + 100);
  expect(r.other).toEqual([]);
  expect(r.ok).toBe(BUDGET);
  expect(r.limited).toBe(100);
});

test('Redis stopped: authentication goes on and limits fall back to per instance; Redis back: fan-out and shared limits resume without restarts', async () => {
  const before = await createToken(app, owner, { name: 'through-the-outage' });
  await warm(key(before));
  const logs = [
    ['G1', g1.lines],
    ['G2', g2.lines],
    ['B', b.lines],
    ['A', app.logs],
  ] as const;
  const loggedBefore = logs.map(([, lines]) => lines.length);
  await redis.halt();
  await sleep(200);

  // Authentication and authorization keep working, on every process; the services stay ready.
  await warm(key(before));
  const fresh = await createToken(app, owner, { name: 'made-during-the-outage' });
  await warm(key(fresh));
  for (const base of [app.base, b.base]) expect((await fetch(`${base}/readyz`)).status).toBe(200);
  for (const g of [g1, g2]) expect((await fetch(`${g.base}/readyz`)).status).toBe(200);

  // Per-instance limits, not none: G1 alone stops at its budget, while G2 still has its own.
  const limited = await createToken(app, owner, { name: 'per-instance-budget' });
  const atG1 = await burst([g1.url], key(limited), BUDGET + 20);
  expect(atG1.other).toEqual([]);
  expect(atG1.ok).toBe(BUDGET);
  expect(atG1.limited).toBe(20);
  const atG2 = await burst([g2.url], key(limited), 20);
  expect(atG2.ok).toBe(20);

  // The outage was logged once per process, however many requests ran meanwhile.
  for (const [i, [name, lines]] of logs.entries()) {
    expect([name, lines.slice(loggedBefore[i]).filter((l) => l.includes('Redis unreachable')).length]).toEqual([name, 1]);
  }

  await redis.restart();
  // Every process subscribes again (and drops its whole cache: it may have missed messages).
  await until(async () => [g1.lines, g2.lines, b.lines, app.logs].every((lines) => lines.some((l) => l.includes('invalidation subscription restored'))), 'subscriptions restored', 20_000);

  const after = await createToken(app, owner, { name: 'after-the-outage' });
  await warm(key(after));
  await app.ok('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: after.id }, owner.session);
  const took = await refusedEverywhere(key(after), 'revocation after Redis came back');
  process.stdout.write(`fleet: revoke after recovery refused after ${JSON.stringify(took)} ms\n`);

  const shared = await createToken(app, owner, { name: 'shared-again' });
  const again = await burst([g1.url, g2.url], key(shared), BUDGET + 40);
  expect(again.other).toEqual([]);
  expect(again.ok).toBe(BUDGET);
  expect(again.limited).toBe(40);
}, 180_000);

test('an address locked for guessing on A is refused at B without a look-up or a count (the fast path is shared); its valid tokens still pass', async () => {
  const counted = async (): Promise<number> => Number((await app.server.dataSource.query("SELECT COALESCE(SUM(failures), 0) AS n FROM throttle WHERE `key` LIKE 'token:ip:%'"))[0].n);
  const valid = await createToken(app, owner, { name: 'from-the-locked-address' });
  // This address's free failures are used up (50 in 5 min; the counter set directly rather than by 50
  // requests), and far enough past them that the next failure locks it for minutes, not 1 s.
  expect((await app.gql(ME, {}, `APIKey ${generateSecret().secret}`)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  await app.server.dataSource.query("UPDATE throttle SET failures = 58 WHERE `key` LIKE 'token:ip:%'");
  const atA = await app.gql(ME, {}, `APIKey ${generateSecret().secret}`);
  expect(atA.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  await sleep(500); // the lock's message reaches B (bench/fleet.mjs measures how fast such messages travel)
  const before = await counted();
  const atB = await post(b.url, ME, undefined, `APIKey ${generateSecret().secret}`);
  expect(atB.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  expect(await counted()).toBe(before); // refused from what A told it: no query, no count
  expect((await post(b.url, ME, undefined, key(valid))).data?.me?.id).toBe(owner.id);
});
