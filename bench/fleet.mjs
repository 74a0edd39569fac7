#!/usr/bin/env node
/**
 * Fleet benchmark (`npm run build` first; `npm run bench:fleet`). One throwaway MariaDB and one
 * throwaway Redis; every server a child process with NODE_ENV=production:
 *   tokens replicas A and B, gateways G1 (in-process auth, shared limits through Redis),
 *   G2 (introspection via B, shared limits) and G3 (in-process auth, in-memory limits, no Redis),
 *   and the inventory example subgraph.
 * (a) Revocation propagation under load: autocannon keeps B, G1 and G2 busy with valid tokens while,
 *     one after another, tokens are revoked on A; for each, the time from A's answer to the first
 *     refusal at B (`me`) and at G1 and G2 (`inventoryViewer`, which only the gateway's own verdict
 *     guards) is measured by polling back to back. All cache TTLs are 60 s: only Redis can explain a
 *     refusal within the measurement. p50/p99 per target, several rounds.
 * (b) Gateway throughput with shared (Redis) rate limits ÷ in-memory limits, interleaved rounds in the
 *     same run: G1 against G3, the same query and an API token whose per-token limit is never reached,
 *     so every request pays the limit's bookkeeping (a Redis round trip for G1).
 * Results are appended to bench/RESULTS.md.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import autocannon from 'autocannon';
import { harness, ROOT, sh } from './lib.mjs';

const require = createRequire(import.meta.url);
const { startServer } = require(join(ROOT, 'test/support/mysql-server.cjs'));
const { startRedis } = require(join(ROOT, 'test/support/redis-server.cjs'));
const dist = (p) => require(join(ROOT, 'dist', p));
const { composeSupergraph } = dist('src/gateway/compose.js');
const { generateIdentityKeyPem } = dist('src/auth/identity-keys.js');
const { INVENTORY_SDL } = dist('examples/inventory/inventory.js');
const mysql = require('mysql2/promise');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const REVOCATIONS = Number(process.env.BENCH_REVOCATIONS || 40);
const DURATION = Number(process.env.BENCH_DURATION_S || 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 8);
const TTL = '60000';
const SECRET = 'bench-gateway-secret-0123456789-abcdefghijklmnop';
const SIGNING = 'bench-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz';
const ME = '{ me { id } }';
const VIEWER = '{ inventoryViewer { userId } }';

const { log, sleep, cleanups, cleanup, startChild } = harness('fleet');

async function post(url, query, variables, authorization, extra = {}) {
  const headers = { 'content-type': 'application/json', ...extra };
  if (authorization) headers.authorization = authorization;
  const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return r.json();
}
async function ok(url, query, variables, authorization) {
  const body = await post(url, query, variables, authorization);
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const median = (xs) => pct(xs, 50);

try {
  const db = await startServer();
  cleanups.push(() => db.stop());
  const admin = await mysql.createConnection(`${db.url}/mysql`);
  await admin.query('CREATE DATABASE bench_fleet CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await admin.end();
  const databaseUrl = `${db.url.replace(/^mysql:/, db.flavour === 'mariadb' ? 'mariadb:' : 'mysql:')}/bench_fleet`;
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-bench-fleet-'));
  const identityKey = generateIdentityKeyPem();
  // TRUST_PROXY: each revoked token is polled from an address of its own (X-Forwarded-For), so the
  // refusals the polling collects never add up to a brute-force lock on one address.
  const common = { NODE_ENV: 'production', LOG_LEVEL: 'warn', TRUST_PROXY: 'true', GATEWAY_SECRET: SECRET, IDENTITY_PRIVATE_KEY: identityKey, SESSION_SIGNING_KEY: SIGNING, DATA_DIR: dir };
  const tokensEnv = {
    ...common,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    TOKEN_CACHE_TTL_MS: TTL,
    BCRYPT_ROUNDS: '10',
    SANDBOX: 'false',
    CONSOLE: 'false',
    NOTIFY_INTERVAL_MS: '0',
    WEBHOOK_DELIVERY_INTERVAL_MS: '0',
  };
  const a = await startChild('fleet-tokens-A', ['dist/src/main.js'], tokensEnv, '/readyz');
  const b = await startChild('fleet-tokens-B', ['dist/src/main.js'], { ...tokensEnv, DB_MIGRATIONS_RUN: 'false' }, '/readyz');
  const inventory = await startChild('fleet-inventory', ['dist/examples/inventory/main.js'], { ...common, TOKENS_JWKS_URL: `${a.base}/.well-known/jwks.json` }, '/healthz', {
    portVar: 'INVENTORY_PORT',
  });
  const subgraph = readFileSync(join(ROOT, 'schema/subgraph.graphql'), 'utf8');
  const supergraph = (tokens, file) => {
    const path = join(dir, file);
    writeFileSync(
      path,
      composeSupergraph([
        { name: 'tokens', url: tokens.url, typeDefs: subgraph },
        { name: 'inventory', url: inventory.url, typeDefs: INVENTORY_SDL },
      ]),
    );
    return path;
  };
  const gatewayEnv = { ...common, GATEWAY_AUTH_CACHE_TTL_MS: TTL, GATEWAY_RATE_LIMIT_PER_TOKEN: '1000000', GATEWAY_RATE_LIMIT_ANONYMOUS_PER_IP: '1000000' };
  const inProcess = { DATABASE_URL: databaseUrl, DB_MIGRATIONS_RUN: 'false', SUPERGRAPH_PATH: supergraph(a, 'a.graphql') };
  const g1 = await startChild('fleet-gateway-G1', ['dist/src/gateway/main.js'], { ...gatewayEnv, ...inProcess, REDIS_URL: redis.url }, '/readyz', { portVar: 'GATEWAY_PORT' });
  const g2 = await startChild(
    'fleet-gateway-G2',
    ['dist/src/gateway/main.js'],
    { ...gatewayEnv, REDIS_URL: redis.url, SUPERGRAPH_PATH: supergraph(b, 'b.graphql'), TOKENS_INTROSPECTION_URL: `${b.base}/internal/introspect` },
    '/readyz',
    { portVar: 'GATEWAY_PORT' },
  );
  const g3 = await startChild('fleet-gateway-G3-memory', ['dist/src/gateway/main.js'], { ...gatewayEnv, ...inProcess }, '/readyz', { portVar: 'GATEWAY_PORT' });
  log('servers up: A, B, inventory, G1 (Redis), G2 (Redis, introspection), G3 (in-memory)');

  const signUp = await ok(a.url, 'mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }', {
    i: { accountName: 'Fleet', email: 'fleet@example.com', password: 'bench password 123', name: 'fleet' },
  });
  const session = `Bearer ${signUp.signUp.accessToken}`;
  const mint = async (name) =>
    `APIKey ${(await ok(a.url, 'mutation($n: String!) { createApiToken(input: { name: $n, role: READ_ONLY }) { secret token { id } } }', { n: name }, session)).createApiToken.secret}`;
  const mintWithId = async (name) => {
    const d = await ok(a.url, 'mutation($n: String!) { createApiToken(input: { name: $n, role: READ_ONLY }) { secret token { id } } }', { n: name }, session);
    return { id: d.createApiToken.token.id, key: `APIKey ${d.createApiToken.secret}` };
  };

  // (a) Propagation under load.
  const loadKey = await mint('load');
  const load = (url, query) =>
    autocannon({ url, method: 'POST', connections: 2, duration: 3600, headers: { 'content-type': 'application/json', authorization: loadKey }, body: JSON.stringify({ query }) });
  let addresses = 0;
  const refusedAt = async (url, query, key, from, ip) => {
    for (;;) {
      // The time the first refused request was sent: a refusal itself costs an audit row and a throttle
      // count (two database writes), which is not propagation. The poll before it, sent one valid
      // request's latency earlier, was still accepted: that is the resolution.
      const sent = performance.now();
      const body = await post(url, query, undefined, key, { 'x-forwarded-for': ip });
      if (body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED') return sent - from;
      if (performance.now() - from > 30_000) throw new Error(`not refused at ${url} within 30 s: ${JSON.stringify(body).slice(0, 300)}`);
    }
  };
  const latencies = { B: [], G1: [], G2: [] };
  const perRound = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const tokens = [];
    for (let i = 0; i < REVOCATIONS; i++) tokens.push(await mintWithId(`r${round}-${i}`));
    for (const t of tokens) {
      await ok(b.url, ME, undefined, t.key);
      await ok(g1.url, VIEWER, undefined, t.key);
      await ok(g2.url, VIEWER, undefined, t.key);
    }
    const loads = [load(b.url, ME), load(g1.url, VIEWER), load(g2.url, VIEWER)];
    await sleep(1000);
    // The floor of the measurement: one valid request's latency at each target under the same load
    // (a refusal is seen one request after the invalidation arrived, at best).
    const probe = { B: [], G1: [], G2: [] };
    for (let i = 0; i < 20; i++) {
      for (const [k, url, q] of [
        ['B', b.url, ME],
        ['G1', g1.url, VIEWER],
        ['G2', g2.url, VIEWER],
      ]) {
        const t0 = performance.now();
        await ok(url, q, undefined, loadKey);
        probe[k].push(performance.now() - t0);
      }
    }
    const round_ = { B: [], G1: [], G2: [] };
    for (const t of tokens) {
      await ok(a.url, 'mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: t.id }, session);
      const from = performance.now();
      const ip = `10.${(++addresses >> 8) & 255}.${addresses & 255}.1`;
      const [atB, atG1, atG2] = await Promise.all([refusedAt(b.url, ME, t.key, from, ip), refusedAt(g1.url, VIEWER, t.key, from, ip), refusedAt(g2.url, VIEWER, t.key, from, ip)]);
      round_.B.push(atB);
      round_.G1.push(atG1);
      round_.G2.push(atG2);
    }
    const served = { B: 0, G1: 0, G2: 0 };
    for (const [i, l] of loads.entries()) {
      l.stop();
      served[['B', 'G1', 'G2'][i]] = (await l).requests.average;
    }
    for (const k of Object.keys(latencies)) latencies[k].push(...round_[k]);
    perRound.push({
      round,
      ...Object.fromEntries(Object.entries(round_).map(([k, xs]) => [k, { p50: median(xs), p99: pct(xs, 99), max: Math.max(...xs), probe: median(probe[k]) }])),
      served,
    });
    log(
      `round ${round}: ${Object.entries(round_)
        .map(([k, xs]) => `${k} p50 ${median(xs).toFixed(1)} ms p99 ${pct(xs, 99).toFixed(1)} ms`)
        .join('; ')}; load req/s B ${served.B}, G1 ${served.G1}, G2 ${served.G2}`,
    );
  }

  // (b) Throughput: shared limits (G1) ÷ in-memory limits (G3), interleaved.
  const tputKey = await mint('throughput');
  const bench = (url) =>
    new Promise((resolve, reject) =>
      autocannon(
        {
          url,
          method: 'POST',
          connections: CONNECTIONS,
          duration: DURATION,
          headers: { 'content-type': 'application/json', authorization: tputKey },
          body: JSON.stringify({ query: VIEWER }),
        },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
  await bench(g1.url);
  await bench(g3.url); // warm-up
  const tput = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? ['shared', 'memory'] : ['memory', 'shared'];
    const r = {};
    for (const which of order) {
      const res = await bench(which === 'shared' ? g1.url : g3.url);
      r[which] = { rps: res.requests.average, p99: res.latency.p99, non2xx: res.non2xx + res.errors };
    }
    r.ratio = r.shared.rps / r.memory.rps;
    tput.push(r);
    log(`throughput round ${round}: shared ${r.shared.rps} req/s, in-memory ${r.memory.rps} req/s, ratio ${r.ratio.toFixed(3)}`);
  }

  const commit = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['status', '--porcelain', 'src']) ? ' (src/ had uncommitted changes)' : '';
  const all = (k) => latencies[k];
  const lines = [
    '',
    `## Fleet: revocation propagation and shared rate limits, ${new Date().toISOString().replace('T', ' ').slice(0, 19)} UTC — ${commit}${dirty} (\`npm run bench:fleet\`)`,
    '',
    `- Machine: ${cpus().length} CPUs, shared with other jobs (load average at the end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}); Node ${process.version}; ${db.flavour} and Redis (\`${sh('redis-server', ['--version']).split(' ').slice(0, 3).join(' ')}\`) throwaway on the same machine.`,
    '- Servers: tokens replicas A and B, gateways G1 (in-process auth) and G2 (introspection via B) with REDIS_URL, G3 like G1 without Redis; inventory subgraph; every cache TTL 60 s; NODE_ENV=production.',
    `- (a) ${ROUNDS} rounds × ${REVOCATIONS} revocations on A, one at a time, while autocannon keeps B, G1 and G2 busy (2 connections each, another token). Latency = A's answer → the sending of the first request refused there, polling back to back from an address per token (TRUST_PROXY), so the resolution is one valid request (its p50 in the table); the refusal's own cost (audit row, throttle count) is left out.`,
    '',
    '| target | round | p50 ms | p99 ms | max ms | one valid request, p50 ms | load on it (req/s) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...perRound.flatMap((r) =>
      ['B', 'G1', 'G2'].map((k) => `| ${k} | ${r.round} | ${r[k].p50.toFixed(1)} | ${r[k].p99.toFixed(1)} | ${r[k].max.toFixed(1)} | ${r[k].probe.toFixed(1)} | ${r.served[k]} |`),
    ),
    ...['B', 'G1', 'G2'].map((k) => `| **${k}** | **all ${all(k).length}** | **${median(all(k)).toFixed(1)}** | **${pct(all(k), 99).toFixed(1)}** | ${Math.max(...all(k)).toFixed(1)} | | |`),
    '',
    `**p99 across every replica and gateway: ${Math.max(...['B', 'G1', 'G2'].map((k) => pct(all(k), 99))).toFixed(1)} ms** (target ≤ 250 ms: ${Math.max(...['B', 'G1', 'G2'].map((k) => pct(all(k), 99))) <= 250 ? 'met' : 'NOT met'}; before fleet mode: p99 ≈ 5,000 ms, the TTL).`,
    '',
    `- (b) Gateway throughput, \`${VIEWER}\` with an API key (limit never reached), ${CONNECTIONS} connections, ${DURATION} s per target per round, interleaved.`,
    '',
    '| round | shared (Redis) req/s | p99 ms | in-memory req/s | p99 ms | ratio |',
    '|---:|---:|---:|---:|---:|---:|',
    ...tput.map((r, i) => `| ${i + 1} | ${r.shared.rps} | ${r.shared.p99} | ${r.memory.rps} | ${r.memory.p99} | ${r.ratio.toFixed(3)} |`),
    '',
    `**Ratio shared ÷ in-memory: median ${median(tput.map((r) => r.ratio)).toFixed(3)}** (target ≥ 0.9: ${median(tput.map((r) => r.ratio)) >= 0.9 ? 'met' : 'NOT met'}); non-2xx: ${tput.reduce((n, r) => n + r.shared.non2xx + r.memory.non2xx, 0)}.`,
    '',
  ];
  appendFileSync(join(ROOT, 'bench/RESULTS.md'), lines.join('\n'));
  log('appended to bench/RESULTS.md');
} finally {
  await cleanup();
}
