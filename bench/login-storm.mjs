// `npm run bench:login-storm` (builds first): does a storm of logins starve
// API-token traffic? Issue 6, item 4: the p99 latency of `{ me { id } }` with
// `Authorization: APIKey <secret>` must stay within 2× its unloaded value while
// 50 connections hammer `login`.
//
// One Tokengate child (dist/src/main.js, NODE_ENV=production, BCRYPT_ROUNDS=12
// as in production) on a throwaway MariaDB/MySQL. Set-up through the public API:
// an owner, an API token, and LOGIN_STORM_USERS users. Then, per round:
//   A  `{ me { id } }` + APIKey at a fixed modest rate (BENCH_RATE req/s over
//      BENCH_CONNECTIONS connections): a latency test, not a throughput test;
//   B  the same, while LOGIN_STORM_CONNECTIONS connections send `login` with the
//      *correct* passwords of those users, round-robin. Correct passwords keep
//      the product's brute-force throttle (5 failures per address, 30 per IP)
//      out of the way without weakening it: a success resets nothing it should
//      not, and a failure would lock the bench's IP after 30 attempts.
// Rounds alternate A, B, A, B… so drift on this shared machine hits both alike.
//
// Environment: BENCH_RATE (100), BENCH_CONNECTIONS (4), BENCH_DURATION (10 s),
// BENCH_ROUNDS (1), LOGIN_STORM_CONNECTIONS (50), LOGIN_STORM_USERS (50),
// BENCH_WRITE (1; 0 = don't append to RESULTS.md), BENCH_LABEL (a note for the
// report). BCRYPT_ROUNDS (12), BCRYPT_CONCURRENCY, BCRYPT_QUEUE_LIMIT,
// UV_THREADPOOL_SIZE and LOG_LEVEL are passed to the child when set.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { harness, machineBusyUs, procCpuUs, sh } from './lib.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'bench', 'out'); // git-ignored
const RESULTS = path.join(ROOT, 'bench', 'RESULTS.md');
const { startServer } = require(path.join(ROOT, 'test/support/mysql-server.cjs'));
const mysql = require('mysql2/promise');

const RATE = Number(process.env.BENCH_RATE || 100);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 4);
const DURATION = Number(process.env.BENCH_DURATION || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 1);
const STORM_CONNECTIONS = Number(process.env.LOGIN_STORM_CONNECTIONS || 50);
const USERS = Number(process.env.LOGIN_STORM_USERS || 50);
const WRITE = process.env.BENCH_WRITE !== '0' && !process.argv.includes('--no-write');
const LABEL = process.env.BENCH_LABEL || '';
const TARGET = 2.0;
const SIGNING_KEY = randomBytes(36).toString('base64url');
const PASSWORD = 'bench-password-0123456789';
const { started, log, sleep, cleanups, cleanup, startChild } = harness('login-storm');

// --------------------------------------------------------------- children ---
const startTokengate = (env) => startChild('login-storm-tokengate', ['dist/src/main.js'], env, '/readyz');

async function gql(url, query, variables, authorization) {
  const headers = { 'content-type': 'application/json' };
  if (authorization) headers.authorization = authorization;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  const body = JSON.parse(text);
  if (body.errors?.length) throw new Error(`${url}: ${JSON.stringify(body.errors).slice(0, 500)}`);
  return body.data;
}

async function pool(items, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

// ------------------------------------------------------------------- load ---
/** `{ me { id } }` at a fixed rate; every answer is checked. */
async function measureMe(target, seconds, pid) {
  const cpu0 = procCpuUs(pid);
  const busy0 = machineBusyUs();
  const t0 = process.hrtime.bigint();
  const r = await autocannon({
    url: target.url,
    method: 'POST',
    connections: CONNECTIONS,
    overallRate: RATE,
    duration: seconds,
    headers: target.headers,
    body: target.body,
    expectBody: target.expectBody,
  });
  const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
  return {
    total: r.requests.total,
    rps: r.requests.average,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    bad: r.non2xx + r.errors + r.timeouts + (r.mismatches ?? 0),
    serverCores: (procCpuUs(pid) - cpu0) / wallUs,
    machineCores: (machineBusyUs() - busy0) / wallUs,
  };
}

/** LOGIN_STORM_CONNECTIONS connections sending `login` with correct passwords, round-robin over the users. */
function startStorm(url, users) {
  let n = 0;
  const outcomes = { ok: 0 };
  const LOGIN = 'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }';
  const instance = autocannon({
    url,
    method: 'POST',
    connections: STORM_CONNECTIONS,
    duration: 600, // stopped explicitly
    timeout: 60,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ query: LOGIN, variables: { email: users[n++ % users.length], password: PASSWORD } }) }),
        onResponse: (status, body) => {
          let key = `HTTP ${status}`;
          try {
            const parsed = JSON.parse(body);
            key = parsed.data?.login?.accessToken ? 'ok' : (parsed.errors?.[0]?.extensions?.code ?? key);
          } catch {
            /* keep the status */
          }
          outcomes[key] = (outcomes[key] ?? 0) + 1;
        },
      },
    ],
  });
  const t0 = Date.now();
  const done = new Promise((resolve) => instance.on('done', resolve));
  return {
    outcomes,
    since: () => ({ ...outcomes }),
    elapsed: () => (Date.now() - t0) / 1000,
    stop: async () => {
      instance.stop();
      return done;
    },
  };
}

// ------------------------------------------------------------------- main ---
async function main() {
  if (!existsSync(path.join(ROOT, 'dist/src/main.js'))) throw new Error('dist/src/main.js is missing: run `npm run bench:login-storm` (it builds first)');
  const cpuModel = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const nproc = sh('nproc', []) || String(os.cpus().length);
  const commit = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = sh('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src']) !== '';
  const loadAtStart = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  log(`${nproc} CPUs (${cpuModel}), Node ${process.version}; load average ${loadAtStart}`);

  const db = await startServer();
  cleanups.push(() => db.stop());
  const admin = await mysql.createConnection(db.url);
  const [[{ v: dbVersion }]] = await admin.query('SELECT VERSION() AS v');
  await admin.query('CREATE DATABASE tokengate_storm CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await admin.end();
  const scheme = db.flavour === 'mariadb' ? 'mariadb' : 'mysql';
  log(`${db.flavour} ${dbVersion} on port ${db.port}`);

  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: `${db.url.replace(/^mysql:/, `${scheme}:`)}/tokengate_storm`,
    DB_MIGRATIONS_RUN: 'true',
    SESSION_SIGNING_KEY: SIGNING_KEY,
    DATA_DIR: path.join(OUT, 'data'),
    BCRYPT_ROUNDS: '12',
  };
  for (const k of ['BCRYPT_ROUNDS', 'BCRYPT_CONCURRENCY', 'BCRYPT_QUEUE_LIMIT', 'UV_THREADPOOL_SIZE', 'LOG_LEVEL']) if (process.env[k]) env[k] = process.env[k];
  const settings = ['BCRYPT_ROUNDS', 'BCRYPT_CONCURRENCY', 'BCRYPT_QUEUE_LIMIT', 'UV_THREADPOOL_SIZE'].map((k) => `${k}=${env[k] ?? '(default)'}`).join(', ');
  const tg = await startTokengate(env);
  log(`Tokengate pid ${tg.pid} (${settings})`);

  const signUp = await gql(tg.url, `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`, {
    input: { accountName: 'Storm Inc', email: 'owner@storm.example', name: 'Storm Owner', password: PASSWORD },
  });
  const ownerAuth = `Bearer ${signUp.signUp.accessToken}`;
  const { createApiToken } = await gql(tg.url, `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }`, { input: { name: 'storm' } }, ownerAuth);
  const users = Array.from({ length: USERS }, (_, i) => `user-${i}@storm.example`);
  const t0 = Date.now();
  await pool(users, 4, (email, i) =>
    gql(tg.url, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { email, name: `user ${i}`, password: PASSWORD, role: 'MEMBER' } }, ownerAuth),
  );
  log(`owner, API token and ${USERS} users created (${((Date.now() - t0) / 1000).toFixed(1)} s of bcrypt at cost ${env.BCRYPT_ROUNDS})`);

  const body = JSON.stringify({ query: '{ me { id } }' });
  const headers = { 'content-type': 'application/json', authorization: `APIKey ${createApiToken.secret}` };
  const expectBody = await fetch(tg.url, { method: 'POST', headers, body }).then((r) => r.text());
  if (JSON.parse(expectBody).data?.me?.id !== signUp.signUp.user.id) throw new Error(`Tokengate answered ${expectBody}`);
  const target = { url: tg.url, headers, body, expectBody };

  log('warm-up 3 s');
  await measureMe(target, 3, tg.pid);
  const runs = { A: [], B: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    const a = await measureMe(target, DURATION, tg.pid);
    runs.A.push(a);
    log(
      `round ${round} A unloaded   p50 ${a.p50} ms  p99 ${a.p99} ms  max ${a.max} ms  ${a.rps.toFixed(0)} req/s  server ${a.serverCores.toFixed(2)} CPUs, machine ${a.machineCores.toFixed(2)}${a.bad ? `  (${a.bad} bad)` : ''}`,
    );
    const storm = startStorm(tg.url, users);
    await sleep(2000); // let the storm fill the queue first
    const before = storm.since();
    const tb = storm.elapsed();
    const b = await measureMe(target, DURATION, tg.pid);
    const after = storm.since();
    const seconds = storm.elapsed() - tb;
    await storm.stop();
    const delta = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
    b.loginsPerSecond = delta.ok / seconds;
    b.loginOutcomes = delta;
    runs.B.push(b);
    log(
      `round ${round} B login storm p50 ${b.p50} ms  p99 ${b.p99} ms  max ${b.max} ms  ${b.rps.toFixed(0)} req/s  server ${b.serverCores.toFixed(2)} CPUs, machine ${b.machineCores.toFixed(2)}${b.bad ? `  (${b.bad} bad)` : ''}; ` +
        `logins ${b.loginsPerSecond.toFixed(1)}/s ${JSON.stringify(delta)}`,
    );
    // Stopping autocannon closes its sockets, but logins already queued in the server still run their
    // bcrypt comparison: wait until the server is idle, so the next unloaded phase really is unloaded.
    const drainStart = Date.now();
    for (;;) {
      const c0 = procCpuUs(tg.pid);
      await sleep(500);
      if ((procCpuUs(tg.pid) - c0) / 500e3 < 0.2 || Date.now() - drainStart > 40_000) break;
    }
    log(`storm drained in ${((Date.now() - drainStart) / 1000).toFixed(1)} s`);
  }
  await cleanup();

  const mean = (xs) => xs.reduce((x, y) => x + y, 0) / xs.length;
  const agg = (rs) => ({
    p50: mean(rs.map((r) => r.p50)),
    p99: mean(rs.map((r) => r.p99)),
    max: mean(rs.map((r) => r.max)),
    rps: mean(rs.map((r) => r.rps)),
    bad: rs.reduce((x, r) => x + r.bad, 0),
    serverCores: mean(rs.map((r) => r.serverCores)),
    machineCores: mean(rs.map((r) => r.machineCores)),
  });
  const A = agg(runs.A);
  const B = { ...agg(runs.B), loginsPerSecond: mean(runs.B.map((r) => r.loginsPerSecond)) };
  const ratio = B.p99 / A.p99;
  const outcomes = {};
  for (const r of runs.B) for (const [k, v] of Object.entries(r.loginOutcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
  log(`p99 ratio storm/unloaded = ${ratio.toFixed(2)} (target ≤ ${TARGET}); logins ${B.loginsPerSecond.toFixed(1)}/s`);

  const f1 = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  const rows = [];
  runs.A.forEach((a, i) => {
    const b = runs.B[i];
    rows.push(`| ${i + 1} | unloaded | ${f1(a.p50)} | ${f1(a.p99)} | ${f1(a.max)} | ${a.rps.toFixed(0)} | ${a.bad} | – | ${a.serverCores.toFixed(2)} | ${a.machineCores.toFixed(2)} |`);
    rows.push(
      `| ${i + 1} | login storm | ${f1(b.p50)} | ${f1(b.p99)} | ${f1(b.max)} | ${b.rps.toFixed(0)} | ${b.bad} | ${b.loginsPerSecond.toFixed(1)} | ${b.serverCores.toFixed(2)} | ${b.machineCores.toFixed(2)} |`,
    );
  });
  const stamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const md = [
    `### ${stamp} — ${commit}${dirty ? ' (src/ had uncommitted changes)' : ''}${LABEL ? ` — ${LABEL}` : ''}`,
    '',
    `- Machine: ${nproc} CPUs, ${cpuModel}; Node ${process.version}; ${db.flavour === 'mariadb' ? 'MariaDB' : 'MySQL'} ${dbVersion} on the same machine; load average at start ${loadAtStart}.`,
    `- Tokengate: NODE_ENV=production, ${settings}. \`{ me { id } }\` + APIKey at ${RATE} req/s over ${CONNECTIONS} connections, ${DURATION} s per phase, ${ROUNDS} round(s); ` +
      `storm: ${STORM_CONNECTIONS} connections sending \`login\` with correct passwords for ${USERS} users.`,
    '',
    '| round | phase | p50 ms | p99 ms | max ms | req/s | bad | logins/s | server CPUs | machine CPUs busy |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `**p99 under the storm / unloaded: ${f1(B.p99)} / ${f1(A.p99)} ms = ${ratio.toFixed(2)}** (target ≤ ${TARGET}: ${ratio <= TARGET ? 'met' : 'NOT met'}); ` +
      `login throughput ${B.loginsPerSecond.toFixed(1)}/s; login outcomes ${JSON.stringify(outcomes)}.`,
    '',
  ].join('\n');
  if (WRITE) {
    const header = '## Login storm';
    const existing = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
    if (!existing.split('\n').includes(header))
      appendFileSync(
        RESULTS,
        `\n${header}\n\nAppended by \`npm run bench:login-storm\` (bench/login-storm.mjs): p99 of API-token queries with and without 50 concurrent logins (issue 6, item 4).\n`,
      );
    appendFileSync(RESULTS, '\n' + md);
  }
  process.stdout.write('\n' + md + '\n');
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s${WRITE ? '; appended to bench/RESULTS.md' : ''}`);
}

main().then(
  () => process.exit(0),
  async (err) => {
    process.stderr.write(`[login-storm] failed: ${err.stack ?? err}\n`);
    await cleanup();
    process.exit(1);
  },
);
