// `npm run bench` (builds first): throughput of Tokengate against Apollo Server 5's
// own standalone server, and the number of SQL statements one large listing
// costs. Appends a dated section to bench/RESULTS.md and prints it.
//
//   (a) bench/standalone-server.mjs (startStandaloneServer) answering `{ __typename }`: the baseline
//   (b) bench/bare-server.mjs, the same Apollo behind express 5 + @as-integrations/express5, `{ __typename }`
//   (c) dist/src/main.js on a throwaway MariaDB/MySQL (migrations applied at
//       start) answering `{ me { id } }` with `Authorization: APIKey <secret>`
//
// All run as child processes with NODE_ENV=production; autocannon drives them
// from this process with the same connections and duration, after a warm-up,
// in interleaved rounds (the order rotates each round) so drift hits all alike. Then an in-process createServer() on a second database counts the
// statements of `apiTokens(first: 100)` with owner/createdBy/revokedBy.
// When the ratio is below the target (or with --profile), both servers are run
// once more under --cpu-prof and the profiles are summarised by package.
//
// Environment: BENCH_CONNECTIONS (10), BENCH_DURATION (8 s), BENCH_ROUNDS (5),
// BENCH_WARMUP (5 s), BENCH_PROFILE (auto | 1 | 0), BENCH_WRITE (1; 0 = don't
// append to RESULTS.md). TOKEN_CACHE_TTL_MS, TOKEN_CACHE_MAX_ENTRIES,
// USAGE_FLUSH_INTERVAL_MS and LOG_LEVEL are passed to the Tokengate child when set.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { formatDifference, formatSummary, summariseProfile } from './profile-summary.mjs';
import { harness, machineBusyUs, procCpuUs, sh } from './lib.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench', 'out'); // git-ignored: logs and profiles
const RESULTS = path.join(ROOT, 'bench', 'RESULTS.md');
const { startServer } = require(path.join(ROOT, 'test/support/mysql-server.cjs'));
const mysql = require('mysql2/promise');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 10);
const DURATION = Number(process.env.BENCH_DURATION || 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const WARMUP = Number(process.env.BENCH_WARMUP || 5);
const PROFILE = process.argv.includes('--profile') ? '1' : process.env.BENCH_PROFILE || 'auto';
const WRITE = process.env.BENCH_WRITE !== '0' && !process.argv.includes('--no-write');
const TARGET_RATIO = 0.8;
const TARGET_STATEMENTS = 6;
const SIGNING_KEY = randomBytes(36).toString('base64url'); // ≥ 32 characters, this run only
const PASSWORD = 'bench-password-0123456789';
const { started, log, sleep, cleanups, cleanup, startChild } = harness('bench');

// --------------------------------------------------------------- children ---
async function gql(url, query, variables, authorization) {
  const headers = { 'content-type': 'application/json' };
  if (authorization) headers.authorization = authorization;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (body.errors?.length) throw new Error(`${url}: ${JSON.stringify(body.errors).slice(0, 500)}`);
  return { data: body.data, text };
}

// ------------------------------------------------------------------- load ---
// CPU accounting from /proc (Linux; elsewhere the CPU columns stay empty): the
// server's and the database's CPU per request are far steadier than req/s on a
// shared machine, and "other load" shows how much CPU something else took.
function selfCpuUs() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function load(target, seconds, pids = {}) {
  const before = { server: procCpuUs(pids.server), db: procCpuUs(pids.db), self: selfCpuUs(), machine: machineBusyUs(), t: process.hrtime.bigint() };
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: target.headers,
    body: target.body,
    expectBody: target.expectBody, // every answer is checked, not only the status
  });
  const wallUs = Number(process.hrtime.bigint() - before.t) / 1e3;
  const server = procCpuUs(pids.server) - before.server;
  const db = pids.db ? procCpuUs(pids.db) - before.db : 0;
  const self = selfCpuUs() - before.self;
  const machine = machineBusyUs() - before.machine;
  const n = result.requests.total || 1;
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    avg: result.latency.average,
    bad: result.non2xx + result.errors + result.timeouts + (result.mismatches ?? 0),
    serverCpu: server / n, // µs per request
    dbCpu: db / n,
    loadGenCpu: self / n,
    otherCores: Math.max(0, (machine - server - db - self) / wallUs), // CPUs' worth of work that was not ours
  };
}

// --------------------------------------------------------------- machine ---
function machine() {
  const cpuModel = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const free = sh('free', ['-h']);
  const mem =
    free
      .split('\n')
      .find((l) => l.startsWith('Mem:'))
      ?.split(/\s+/) ?? [];
  return {
    nproc: sh('nproc', []) || String(os.cpus().length),
    cpuModel,
    memTotal: mem[1] ?? `${(os.totalmem() / 2 ** 30).toFixed(1)}Gi`,
    memAvailable: mem[6] ?? '?',
    free,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    autocannon: require('autocannon/package.json').version,
    commit: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: sh('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src']) !== '',
  };
}

// ------------------------------------------------------ SQL statement count ---
async function countListingStatements(databaseUrl) {
  const { loadConfig } = require(path.join(ROOT, 'dist/src/config.js'));
  const { createLogger } = require(path.join(ROOT, 'dist/src/logger.js'));
  const { createServer } = require(path.join(ROOT, 'dist/src/server.js'));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokengate-bench-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    SESSION_SIGNING_KEY: SIGNING_KEY,
    BCRYPT_ROUNDS: '10',
    USAGE_FLUSH_INTERVAL_MS: '600000',
    PORT: '0',
    DATA_DIR: dataDir,
    DB_MIGRATIONS_RUN: 'true',
  });
  const server = await createServer(config, { logger: createLogger('silent') });
  cleanups.push(() => server.stop());
  const url = await server.listen(0);
  const ok = async (q, v, auth) => (await gql(url, q, v, auth)).data;

  const signUp = await ok(`mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`, {
    input: { accountName: 'Bulk Co', email: 'bulk-owner@bench.example', name: 'bulk-owner', password: PASSWORD },
  });
  const owner = { id: signUp.signUp.user.id, auth: `Bearer ${signUp.signUp.accessToken}` };
  await ok(`mutation($input: AccountPolicyInput!) { updateAccountPolicy(input: $input) { maxActiveTokens } }`, { input: { maxActiveTokens: 1000 } }, owner.auth);
  const addUser = async (role, label) => {
    const email = `${label}@bench.example`;
    const created = await ok(`mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { email, name: label, password: PASSWORD, role } }, owner.auth);
    const login = await ok(`mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`, { email, password: PASSWORD });
    return { id: created.createUser.id, auth: `Bearer ${login.login.accessToken}` };
  };
  const admin = await addUser('ADMIN', 'bulk-admin');
  const members = [];
  for (let i = 0; i < 3; i++) members.push(await addUser('MEMBER', `bulk-member-${i}`));
  const people = [owner, admin, ...members];
  const CREATE = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret token { id } } }`;
  const made = [];
  for (let i = 0; i < 100; i++) {
    // An ADMIN may not issue for a user above them (the issuing rule): the OWNER's tokens are the OWNER's own.
    const issuer = i % 2 || i % people.length === 0 ? owner : admin;
    const r = await ok(CREATE, { input: { name: `bulk-${i}`, ownerId: people[i % people.length].id, role: 'MEMBER' } }, issuer.auth);
    made.push(r.createApiToken.token.id);
  }
  for (let i = 0; i < 100; i += 4) await ok(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: made[i] }, (i % 8 || i % people.length === 0 ? owner : admin).auth);
  const reader = (await ok(CREATE, { input: { name: 'reader' } }, owner.auth)).createApiToken.secret;
  await server.usage.flush();

  const LIST = `{ apiTokens(first: 100) { totalCount pageInfo { hasNextPage }
    nodes { id status owner { id name } createdBy { id name } revokedBy { id } } } }`;
  const measure = async (query) => {
    await server.usage.flush();
    const before = server.queryLogger.count;
    const data = await ok(query, {}, `APIKey ${reader}`);
    return { data, statements: server.queryLogger.count - before };
  };
  server.authenticator.cache.clear();
  const cold = await measure(LIST);
  const warm = await measure(LIST);
  const nodes = cold.data.apiTokens.nodes;
  if (nodes.length !== 100 || cold.data.apiTokens.totalCount !== 101) throw new Error(`listing returned ${nodes.length} of ${cold.data.apiTokens.totalCount} tokens, expected 100 of 101`);
  const revoked = nodes.filter((n) => n.revokedBy).length;
  const owners = new Set(nodes.map((n) => n.owner.id)).size;
  const me = await measure(`{ me { id } }`);
  await server.usage.flush();
  return { cold: cold.statements, warm: warm.statements, me: me.statements, revoked, owners };
}

// ------------------------------------------------------------------- main ---
async function main() {
  if (!existsSync(path.join(ROOT, 'dist/src/main.js'))) throw new Error('dist/src/main.js is missing: run `npm run bench` (it builds first)');
  const info = machine();
  const loadAtStart = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  log(`${info.nproc} CPUs (${info.cpuModel}), ${info.memTotal} RAM, Node ${info.node}; ${CONNECTIONS} connections, ${WARMUP} s warm-up, ${ROUNDS} × ${DURATION} s per server`);

  const db = await startServer();
  cleanups.push(() => db.stop());
  const admin = await mysql.createConnection(db.url);
  const [[{ v: dbVersion }]] = await admin.query('SELECT VERSION() AS v');
  await admin.query('CREATE DATABASE tokengate_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await admin.query('CREATE DATABASE tokengate_sql CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await admin.end();
  const scheme = db.flavour === 'mariadb' ? 'mariadb' : 'mysql';
  const dbUrl = (name) => `${db.url.replace(/^mysql:/, `${scheme}:`)}/${name}`;
  log(`${db.flavour} ${dbVersion} on port ${db.port}`);

  const tgEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: dbUrl('tokengate_bench'),
    DB_MIGRATIONS_RUN: 'true',
    SESSION_SIGNING_KEY: SIGNING_KEY,
    DATA_DIR: path.join(OUT, 'data'),
  };
  for (const k of ['TOKEN_CACHE_TTL_MS', 'TOKEN_CACHE_MAX_ENTRIES', 'USAGE_FLUSH_INTERVAL_MS', 'LOG_LEVEL']) if (process.env[k]) tgEnv[k] = process.env[k];
  const bareEnv = { NODE_ENV: 'production' };
  const startBare = (extra = []) => startChild('bare-apollo', [...extra, 'bench/bare-server.mjs'], bareEnv, '/healthz');
  // The standalone server answers every path with Apollo: ready when a GET operation succeeds.
  const startStandalone = (extra = []) =>
    startChild('standalone-apollo', [...extra, 'bench/standalone-server.mjs'], bareEnv, '/graphql?query=%7B__typename%7D', { readyHeaders: { 'apollo-require-preflight': '1' } });
  const startTokengate = (extra = []) => startChild('tokengate', [...extra, 'dist/src/main.js'], tgEnv, '/readyz');

  let standalone = await startStandalone();
  const bare = await startBare();
  let tg = await startTokengate();
  log(`standalone Apollo pid ${standalone.pid}, Apollo + express pid ${bare.pid}, Tokengate pid ${tg.pid} (migrations applied)`);

  // An owner and an API token, through the public API.
  const signUp = await gql(tg.url, `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`, {
    input: { accountName: 'Bench Inc', email: 'owner@bench.example', name: 'Bench Owner', password: PASSWORD },
  });
  const created = await gql(
    tg.url,
    `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret token { id } } }`,
    { input: { name: 'bench' } },
    `Bearer ${signUp.data.signUp.accessToken}`,
  );
  const secret = created.data.createApiToken.secret;
  const userId = signUp.data.signUp.user.id;

  const bareQuery = JSON.stringify({ query: '{ __typename }' });
  const tgQuery = JSON.stringify({ query: '{ me { id } }' });
  const bareCheck = await fetch(bare.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bareQuery }).then((r) => r.text());
  const tgCheck = await fetch(tg.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `APIKey ${secret}` }, body: tgQuery }).then((r) => r.text());
  const standaloneCheck = await fetch(standalone.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bareQuery }).then((r) => r.text());
  if (JSON.parse(bareCheck).data?.__typename !== 'Query') throw new Error(`bare server answered ${bareCheck}`);
  if (JSON.parse(standaloneCheck).data?.__typename !== 'Query') throw new Error(`standalone server answered ${standaloneCheck}`);
  if (JSON.parse(tgCheck).data?.me?.id !== userId) throw new Error(`Tokengate answered ${tgCheck}`);
  const targets = {
    standalone: {
      label: 'Apollo 5 standalone',
      query: '`{ __typename }`',
      url: standalone.url,
      pids: { server: standalone.pid },
      headers: { 'content-type': 'application/json' },
      body: bareQuery,
      expectBody: standaloneCheck,
    },
    bare: {
      label: 'bare Apollo 5 + express 5',
      query: '`{ __typename }`',
      url: bare.url,
      pids: { server: bare.pid },
      headers: { 'content-type': 'application/json' },
      body: bareQuery,
      expectBody: bareCheck,
    },
    tg: {
      label: 'Tokengate (MariaDB)'.replace('MariaDB', db.flavour === 'mariadb' ? 'MariaDB' : 'MySQL'),
      query: '`{ me { id } }` + APIKey',
      url: tg.url,
      pids: { server: tg.pid, db: db.pid },
      headers: { 'content-type': 'application/json', authorization: `APIKey ${secret}` },
      body: tgQuery,
      expectBody: tgCheck,
    },
  };

  log(`warm-up ${WARMUP} s each`);
  const KEYS = ['standalone', 'bare', 'tg'];
  for (const key of KEYS) await load(targets[key], WARMUP, targets[key].pids);

  const runs = { standalone: [], bare: [], tg: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    const shift = (round - 1) % KEYS.length;
    const order = [...KEYS.slice(shift), ...KEYS.slice(0, shift)];
    for (const key of order) {
      const r = await load(targets[key], DURATION, targets[key].pids);
      runs[key].push({ round, ...r });
      log(
        `round ${round} ${targets[key].label.padEnd(26)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ` +
          `server ${r.serverCpu.toFixed(0)} µs CPU/req, db ${r.dbCpu.toFixed(0)}, other load ${r.otherCores.toFixed(2)} CPUs${r.bad ? `  (${r.bad} failed/mismatched)` : ''}`,
      );
    }
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const agg = (rs) => ({
    rps: mean(rs.map((r) => r.rps)),
    p50: mean(rs.map((r) => r.p50)),
    p99: mean(rs.map((r) => r.p99)),
    bad: rs.reduce((a, r) => a + r.bad, 0),
    serverCpu: mean(rs.map((r) => r.serverCpu)),
    dbCpu: mean(rs.map((r) => r.dbCpu)),
    otherCores: mean(rs.map((r) => r.otherCores)),
  });
  const A = { standalone: agg(runs.standalone), bare: agg(runs.bare), tg: agg(runs.tg) };
  const ratio = A.tg.rps / A.standalone.rps;
  const expressRatio = A.bare.rps / A.standalone.rps;
  const tgOverExpress = A.tg.rps / A.bare.rps;
  const roundRatios = runs.tg.map((r, i) => r.rps / runs.standalone[i].rps);
  const cpuRatio = A.standalone.serverCpu / A.tg.serverCpu; // capacity ratio of the Node processes alone
  log(
    `ratio Tokengate/standalone = ${ratio.toFixed(3)} (target ≥ ${TARGET_RATIO}); per round ${roundRatios.map((x) => x.toFixed(3)).join(', ')}; ` +
      `CPU per request ${A.tg.serverCpu.toFixed(0)} µs (+${A.tg.dbCpu.toFixed(0)} µs database) vs ${A.standalone.serverCpu.toFixed(0)} µs; ` +
      `express/standalone ${expressRatio.toFixed(3)}`,
  );

  // Profile both servers under the same load when the target is missed (or asked for).
  let profileText = '';
  if (PROFILE === '1' || (PROFILE === 'auto' && ratio < TARGET_RATIO)) {
    log('profiling: both servers again under --cpu-prof');
    const profDir = path.join(OUT, `profiles-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(profDir, { recursive: true });
    const sections = [];
    const profiles = {};
    for (const key of ['standalone', 'tg']) {
      const dir = path.join(profDir, key);
      const prof = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
      await (key === 'standalone' ? standalone : tg).stop();
      const child = key === 'standalone' ? (standalone = await startStandalone(prof)) : (tg = await startTokengate(prof));
      const target = { ...targets[key], url: child.url, pids: { ...targets[key].pids, server: child.pid } };
      const w = await load(target, 2, target.pids);
      const r = await load(target, DURATION, target.pids);
      await child.stop();
      await child.exited;
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
      const summary = summariseProfile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
      // The profile also covers start-up (module loading) and the set-up and warm-up requests: its CPU is spread over every request served.
      const requests = w.total + r.total + (key === 'tg' ? 1 : 0);
      profiles[key] = { summary, requests };
      sections.push(formatSummary(summary, { requests, title: `${targets[key].label} under --cpu-prof (${r.rps.toFixed(0)} req/s while profiled)` }));
      log(`profile written: ${path.relative(ROOT, path.join(dir, file))}`);
    }
    sections.unshift(formatDifference(profiles.standalone, profiles.tg, { from: 'standalone', to: 'Tokengate' }));
    profileText = sections.join('\n\n');
  }

  log('counting SQL statements for apiTokens(first: 100) (in-process createServer, second database)');
  const sql = await countListingStatements(dbUrl('tokengate_sql'));
  log(`apiTokens(first: 100) with owner/createdBy/revokedBy: ${sql.cold} statements (cold verification cache), ${sql.warm} (warm); { me { id } }: ${sql.me}`);

  await cleanup();

  // ---------------------------------------------------------------- report ---
  const f0 = (x) => x.toFixed(0);
  const f1 = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  const rows = [];
  for (const key of KEYS) {
    const cpu = (r) => `${f0(r.serverCpu)} | ${key === 'tg' ? f0(r.dbCpu) : '–'} | ${r.otherCores.toFixed(2)}`;
    for (const r of runs[key]) rows.push(`| ${targets[key].label} | ${targets[key].query} | ${r.round} | ${f0(r.rps)} | ${f1(r.p50)} | ${f1(r.p99)} | ${cpu(r)} | ${r.bad} |`);
    rows.push(`| **${targets[key].label}** | | **mean** | **${f0(A[key].rps)}** | **${f1(A[key].p50)}** | **${f1(A[key].p99)}** | ${cpu(A[key])} | ${A[key].bad} |`);
  }
  const stamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const md = [
    `## ${stamp} — ${info.commit}${info.dirty ? ' (src/ had uncommitted changes)' : ''}`,
    '',
    `- Machine: ${info.nproc} CPUs (\`nproc\`), ${info.cpuModel}; RAM ${info.memTotal} total, ${info.memAvailable} available (\`free -h\`); ${info.kernel}`,
    `- Node ${info.node}; ${db.flavour === 'mariadb' ? 'MariaDB' : 'MySQL'} ${dbVersion} (throwaway, same machine, migrations applied at start); autocannon ${info.autocannon}`,
    `- Load: ${CONNECTIONS} connections, ${WARMUP} s warm-up per server, then ${ROUNDS} interleaved rounds × ${DURATION} s per server. ` +
      'Servers are child processes with NODE_ENV=production, LOG_LEVEL=warn; autocannon runs in the parent on the same CPUs, so absolute numbers are machine-bound and only the ratio travels.',
    '',
    '| server | query | round | req/s | p50 ms | p99 ms | server CPU µs/req | DB CPU µs/req | other load (CPUs) | non-2xx / errors / wrong body |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `**Ratio Tokengate / Apollo standalone: ${ratio.toFixed(3)}** (mean req/s; target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}); ` +
      `per round ${roundRatios.map((x) => x.toFixed(3)).join(', ')} (median ${median(roundRatios).toFixed(3)}). ` +
      `By CPU per request, which other load disturbs less: standalone ${f0(A.standalone.serverCpu)} µs / Tokengate ${f0(A.tg.serverCpu)} µs = ${cpuRatio.toFixed(3)}, ` +
      `and Tokengate's database spends another ${f0(A.tg.dbCpu)} µs per request on the same CPUs. ` +
      `Apollo + express / standalone: ${expressRatio.toFixed(3)} (req/s), ${(A.standalone.serverCpu / A.bare.serverCpu).toFixed(3)} (CPU); Tokengate / Apollo + express: ${tgOverExpress.toFixed(3)}.`,
    '',
    '"Other load" is CPU time the machine spent outside the two servers, the database and this load generator (other jobs), in CPUs\' worth, from /proc/stat; ' +
      `load average at the start: ${loadAtStart}.`,
    '',
    `**SQL statements for \`apiTokens(first: 100)\`** listing 100 tokens (5 owners, 24 revoked on the page) with \`owner { id name } createdBy { id name } revokedBy { id }\`, ` +
      `authenticated by APIKey: **${sql.cold}** with a cold verification cache, ${sql.warm} warm (target ≤ ${TARGET_STATEMENTS}: ${sql.cold <= TARGET_STATEMENTS ? 'met' : 'NOT met'}). ` +
      `\`{ me { id } }\` with a cached token: ${sql.me} statement(s).`,
    ...(profileText ? ['', '### CPU profiles', '', profileText] : []),
    '',
  ].join('\n');
  if (WRITE) {
    if (!existsSync(RESULTS)) writeFileSync(RESULTS, '# Benchmark results\n\nAppended by `npm run bench` (bench/run.mjs); newest last.\n\n');
    appendFileSync(RESULTS, md + '\n');
  }
  process.stdout.write('\n' + md + '\n');
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s${WRITE ? `; appended to ${path.relative(ROOT, RESULTS)}` : ''}`);
}

main().then(
  () => process.exit(0),
  async (err) => {
    process.stderr.write(`[bench] failed: ${err.stack ?? err}\n`);
    await cleanup();
    process.exit(1);
  },
);
