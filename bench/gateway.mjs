#!/usr/bin/env node
/**
 * Gateway benchmark (npm run build first; `node bench/gateway.mjs`).
 * One run, same supergraph and query, three targets:
 *   1. the gateway with Tokengate auth (in-process authenticator, default 5 s
 *      auth cache, @requiresScopes enforcement, signed identity per subgraph call);
 *   2. the same gateway runtime with no auth at all;
 *   3. the inventory subgraph called directly (with the gateway credential and a pre-signed identity).
 * Reports requests/s and ratios and appends/replaces a "## Gateway" section in bench/RESULTS.md.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import autocannon from 'autocannon';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const dist = (p) => require(join(process.cwd(), 'dist', p));
const { loadConfig } = dist('src/config.js');
const { createServer } = dist('src/server.js');
const { parseIdentityKey } = dist('src/auth/identity-keys.js');
const { cachedVerifier, inProcessVerifier, recordUsageOnHit } = dist('src/gateway/auth.js');
const { composeSupergraph } = dist('src/gateway/compose.js');
const { startGateway } = dist('src/gateway/gateway.js');
const { gatewayLimits } = dist('src/gateway/config.js');
const { IdentitySigner } = dist('src/gateway/identity-signer.js');
const { GATEWAY_SECRET_HEADER, IDENTITY_HEADER } = dist('src/subgraph-kit/index.js');
const { INVENTORY_SDL, startInventory } = dist('examples/inventory/inventory.js');

const DURATION = Number(process.env.BENCH_DURATION_S || 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 4);
const QUERY = '{ catalog { id name quantity } }';
const SECRET = 'bench-gateway-secret-0123456789-abcdefghijklmnop';

const dir = mkdtempSync(join(tmpdir(), 'tokengate-bench-'));
const config = loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: dir,
  SQLITE_PATH: join(dir, 'db.sqlite'),
  SESSION_SIGNING_KEY: 'bench-signing-key-0123456789-abcdefghijklmnop',
  GATEWAY_SECRET: SECRET,
  BCRYPT_ROUNDS: '10',
  LOG_LEVEL: 'silent',
});
const tokens = await createServer(config);
const tokensUrl = await tokens.listen(0);
const gql = async (url, query, variables, headers = {}) => {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const body = await r.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
};
const signUp = await gql(tokensUrl, 'mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }', {
  i: { accountName: 'Bench', email: 'bench@example.com', password: 'bench password 123', name: 'bench' },
});
const created = await gql(tokensUrl, 'mutation { createApiToken(input: { name: "bench", role: READ_ONLY }) { secret } }', {}, { authorization: `Bearer ${signUp.signUp.accessToken}` });
const apiKey = `APIKey ${created.createApiToken.secret}`;

const inventory = await startInventory({ jwksUrl: tokensUrl.replace(/\/graphql$/, '/.well-known/jwks.json'), gatewaySecret: SECRET });
const supergraphSdl = composeSupergraph([
  { name: 'tokens', url: tokensUrl, typeDefs: readFileSync('schema/subgraph.graphql', 'utf8') },
  { name: 'inventory', url: inventory.url, typeDefs: INVENTORY_SDL },
]);
const identityKeys = parseIdentityKey(config.identityPrivateKey);
const common = { supergraphSdl, identityKeys, gatewaySecret: SECRET, mode: 'filter', rateLimitPerToken: 0, rateLimitAnonymousPerIp: 0, limits: gatewayLimits(config, false) };
const withAuth = await startGateway({ ...common, verifier: cachedVerifier(inProcessVerifier(tokens.authenticator), 5000, Date.now, 10_000, recordUsageOnHit(tokens.authenticator)) });
const noAuth = await startGateway({ ...common, verifier: null });
const signer = new IdentitySigner(identityKeys, 60);
const resign = () => signer.sign({ userId: 'bench', accountId: 'bench', role: 'READ_ONLY', via: 'apiToken', scopes: ['read'] }, 'inventory');
const identity = await resign();

const targets = {
  'gateway + Tokengate auth': { url: withAuth.url, headers: { authorization: apiKey } },
  'gateway, no auth': { url: noAuth.url, headers: {} },
  'inventory subgraph directly': { url: inventory.url, headers: { [GATEWAY_SECRET_HEADER]: SECRET, [IDENTITY_HEADER]: identity }, resign },
};
for (const [name, t] of Object.entries(targets)) {
  const data = await gql(t.url, QUERY, {}, t.headers);
  if (typeof data.catalog[0].quantity !== 'number') throw new Error(`${name}: unexpected answer`);
}

const run = (t, duration) =>
  new Promise((resolve, reject) =>
    autocannon(
      { url: t.url, method: 'POST', connections: CONNECTIONS, duration, headers: { 'content-type': 'application/json', ...t.headers }, body: JSON.stringify({ query: QUERY }) },
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );

// Everything runs in this one process (and autocannon too), so its CPU time per request is the
// steadier figure on a shared machine: other jobs slow req/s down but barely change CPU per request.
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const totals = Object.fromEntries(Object.keys(targets).map((k) => [k, { requests: 0, seconds: 0, p99: [], non2xx: 0, cpuUs: 0 }]));
for (const t of Object.values(targets)) await run(t, 2); // warm up
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? Object.entries(targets).reverse() : Object.entries(targets);
  for (const [name, t] of order) {
    // Identities live at most 60 s: a fresh one for each direct round.
    if (t.resign) t.headers[IDENTITY_HEADER] = await t.resign();
    const c0 = cpuUs();
    const r = await run(t, DURATION);
    totals[name].cpuUs += cpuUs() - c0;
    totals[name].requests += r.requests.total;
    totals[name].seconds += r.duration;
    totals[name].p99.push(r.latency.p99);
    totals[name].non2xx += r.non2xx + r.errors;
  }
}
const rps = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.requests / v.seconds]));
const auth = rps['gateway + Tokengate auth'];
const bare = rps['gateway, no auth'];
const direct = rps['inventory subgraph directly'];
const cpu = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.cpuUs / v.requests]));
const rows = Object.entries(totals).map(([k, v]) => `| ${k} | ${rps[k].toFixed(0)} | ${cpu[k].toFixed(0)} | ${Math.max(...v.p99)} | ${v.non2xx} |`);
const ratio = auth / bare;
const cpuRatio = cpu['gateway, no auth'] / cpu['gateway + Tokengate auth'];
const section = `## Gateway

\`node bench/gateway.mjs\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} CPU(s), autocannon ${CONNECTIONS} connections, ${ROUNDS}×${DURATION} s per target interleaved, SQLite).
Same supergraph (tokens + examples/inventory) and query \`${QUERY}\` (inventory only; \`quantity\` needs scope \`read\`), a READ_ONLY API token.

| Target | req/s | CPU µs/req (whole process) | worst p99 ms | non-2xx/errors |
|---|---|---|---|---|
${rows.join('\n')}

- **Auth cost: gateway with Tokengate auth / same gateway without auth = ${ratio.toFixed(3)}** by req/s (target ≥ 0.85: ${ratio >= 0.85 ? 'met' : 'NOT met'}); by CPU per request ${cpuRatio.toFixed(3)} (${cpu['gateway, no auth'].toFixed(0)} / ${cpu['gateway + Tokengate auth'].toFixed(0)} µs), which other load on the machine disturbs less.
- Gateway overhead: gateway without auth / direct subgraph = ${(bare / direct).toFixed(3)}; with auth / direct = ${(auth / direct).toFixed(3)}.
- What the auth path costs per request: one SHA-256 of the Authorization header and a cache hit (GATEWAY_AUTH_CACHE_TTL_MS = 5000), generic-auth's authorization verdict (memoised per operation and scope set, src/gateway/memoised-auth.ts), and a cached ES256 identity JWT per subgraph (re-signed every 30 s).
- Everything (load generator included) shares the same ${cpus().length} core(s), so absolute numbers are low; compare the ratios.
`;
process.stdout.write(section + '\n');
const file = 'bench/RESULTS.md';
let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
const re = /\n## Gateway\n[\s\S]*?(?=\n## |$)/;
text = re.test(text) ? text.replace(re, '\n' + section) : text.replace(/\n*$/, '\n\n') + section;
writeFileSync(file, text);
await withAuth.stop();
await noAuth.stop();
await inventory.stop();
await tokens.stop();
process.exit(0);
