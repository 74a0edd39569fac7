#!/usr/bin/env node
/**
 * `npm run bench:routers` (builds first): what the integrations for other routers cost, against the
 * direct `{ me { id } }` path of the same server in the same run.
 *
 *   direct       POST /graphql `{ me { id } }` with Authorization: APIKey <secret>
 *   exchange     POST /oauth/token (RFC 8693) with the same token: one ES256 signature per request
 *   apollo       POST /coprocessor/apollo, Apollo's documented RouterRequest payload + that Authorization
 *   hive         POST /coprocessor/hive, Hive Router's router.request payload + that Authorization
 *
 * One Tokengate child process (NODE_ENV=production, SQLite, LOG_LEVEL=warn); autocannon drives it from
 * this process. Two measurements:
 *   1. throughput: BENCH_CONNECTIONS (10) connections, BENCH_ROUNDS (4) interleaved rounds of
 *      BENCH_DURATION (6 s) per target after a warm-up; req/s, p50/p99 (ms) and the server's CPU per
 *      request from /proc (steadier than req/s on a shared machine);
 *   2. latency: one connection, BENCH_LATENCY_REQUESTS (3000) requests per target and round in
 *      turn, timed per request in µs (p50/p99): the verdict a router waits for.
 * Appends a section to bench/RESULTS.md unless BENCH_WRITE=0.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { harness, ROOT, machineBusyUs, procCpuUs, sh } from './lib.mjs';

const require = createRequire(import.meta.url);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 10);
const DURATION = Number(process.env.BENCH_DURATION || 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 4);
const WARMUP = Number(process.env.BENCH_WARMUP || 3);
const LATENCY_REQUESTS = Number(process.env.BENCH_LATENCY_REQUESTS || 3000);
const WRITE = process.env.BENCH_WRITE !== '0';
const RESULTS = path.join(ROOT, 'bench', 'RESULTS.md');
const SECRET = 'bench-coprocessor-secret-0123456789-abcdefghij';
const { log, cleanups, cleanup, startChild } = harness('bench:routers');

const selfCpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

async function throughput(target, seconds, pid) {
  const before = { server: procCpuUs(pid), self: selfCpuUs(), machine: machineBusyUs(), t: process.hrtime.bigint() };
  const r = await autocannon({
    url: target.url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: target.headers,
    body: target.body,
    ...(target.expectBody ? { expectBody: target.expectBody } : {}),
  });
  const wallUs = Number(process.hrtime.bigint() - before.t) / 1e3;
  const server = procCpuUs(pid) - before.server;
  const self = selfCpuUs() - before.self;
  const machine = machineBusyUs() - before.machine;
  const n = r.requests.total || 1;
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    bad: r.non2xx + r.errors + r.timeouts + (r.mismatches ?? 0),
    cpu: server / n,
    other: Math.max(0, (machine - server - self) / wallUs),
  };
}

/** One keep-alive connection, requests one after another, each timed in µs. */
async function latency(target, requests) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(target.url);
  const one = () =>
    new Promise((resolve, reject) => {
      const t = process.hrtime.bigint();
      const req = http.request(
        { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', headers: { ...target.headers, 'content-length': Buffer.byteLength(target.body) } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t) / 1e3) : reject(new Error(`${target.name}: HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(target.body);
    });
  const times = [];
  for (let i = 0; i < requests; i++) times.push(await one());
  agent.destroy();
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokengate-bench-routers-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const { generateIdentityKeyPem } = require(path.join(ROOT, 'dist/src/auth/identity-keys.js'));
  const tg = await startChild(
    'tokengate-routers',
    ['dist/src/main.js'],
    {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      SESSION_SIGNING_KEY: 'bench-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz',
      IDENTITY_PRIVATE_KEY: generateIdentityKeyPem(),
      PUBLIC_URL: 'http://localhost',
      EXCHANGE_RATE_LIMIT_PER_MINUTE: '0',
      COPROCESSOR_SECRET: SECRET,
    },
    '/readyz',
  );
  log(`Tokengate pid ${tg.pid} (SQLite under ${dataDir})`);

  const signUp = JSON.parse(
    await post(tg.url, {
      query: 'mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }',
      variables: { i: { accountName: 'Bench', email: 'owner@bench.example', name: 'Bench', password: 'bench-password-0123456789' } },
    }),
  ).data.signUp;
  const created = JSON.parse(
    await post(tg.url, { query: 'mutation { createApiToken(input: { name: "bench", role: MEMBER }) { secret } }' }, { authorization: `Bearer ${signUp.accessToken}` }),
  ).data.createApiToken;
  const authorization = `APIKey ${created.secret}`;

  const meBody = JSON.stringify({ query: '{ me { id } }' });
  const apolloPayload = {
    version: 1,
    stage: 'RouterRequest',
    control: 'continue',
    id: '1b19c05fdafc521016df33148ad63c1b',
    headers: { 'content-type': ['application/json'], host: ['127.0.0.1:4000'], 'user-agent': ['curl/7.79.1'], authorization: [authorization] },
    context: { entries: { 'accepts-json': false, 'accepts-wildcard': true, 'accepts-multipart': false } },
    method: 'POST',
  };
  const hivePayload = { version: 1, stage: 'router.request', id: '6f1c0a52-7f0e-4a59-9b7e-1b9e3c4d2a10', method: 'POST', path: '/graphql', headers: { authorization: [authorization] } };
  const targets = [
    { name: 'direct `{ me { id } }`', url: tg.url, headers: { 'content-type': 'application/json', authorization }, body: meBody },
    {
      name: 'token exchange',
      url: `${tg.base}/oauth/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: created.secret,
        subject_token_type: 'urn:tokengate:params:oauth:token-type:api_token',
      }).toString(),
      check: (text) => JSON.parse(text).token_type === 'Bearer',
    },
    {
      name: 'Apollo coprocessor',
      url: `${tg.base}/coprocessor/apollo?secret=${SECRET}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(apolloPayload),
      check: (t) => JSON.parse(t).control === 'continue',
    },
    {
      name: 'Hive coprocessor',
      url: `${tg.base}/coprocessor/hive`,
      headers: { 'content-type': 'application/json', 'x-tokengate-coprocessor-secret': SECRET },
      body: JSON.stringify(hivePayload),
      check: (t) => JSON.parse(t).control === 'continue',
    },
  ];
  for (const t of targets) {
    const text = await post(t.url, t.body, t.headers);
    if (t.check ? !t.check(text) : !text.includes(signUp.user.id)) throw new Error(`${t.name}: unexpected answer ${text.slice(0, 200)}`);
    // deterministic answers are checked on every request; the exchange's JWT differs each time
    if (t.name !== 'token exchange') t.expectBody = text;
  }

  log(`warm-up ${WARMUP} s per target`);
  for (const t of targets) await throughput(t, WARMUP, tg.pid);
  const loaded = new Map(targets.map((t) => [t.name, []]));
  const quiet = new Map(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? targets : [...targets].reverse();
    for (const t of order) {
      const r = await throughput(t, DURATION, tg.pid);
      loaded.get(t.name).push(r);
      log(`round ${round} ${t.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.cpu.toFixed(0)} µs CPU/req, other load ${r.other.toFixed(2)}, bad ${r.bad}`);
    }
    for (const t of order) {
      const l = await latency(t, LATENCY_REQUESTS);
      quiet.get(t.name).push(l);
      log(`round ${round} ${t.name}: 1 connection p50 ${l.p50.toFixed(0)} µs, p99 ${l.p99.toFixed(0)} µs`);
    }
  }

  const commit = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']) || 'unknown';
  const direct = targets[0].name;
  const lines = [
    `## Routers: token exchange and coprocessor verdicts, ${new Date().toISOString().replace('T', ' ').slice(0, 19)} UTC — ${commit}`,
    '',
    `- Machine: ${sh('nproc', []) || os.cpus().length} CPUs, ${os.cpus()[0]?.model?.trim()}, ${os.type()} ${os.release()}; Node ${process.version}; load average at the end ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}. **Shared with other jobs and noisy**: compare rows of the same run, and CPU per request rather than req/s.`,
    `- One Tokengate child (NODE_ENV=production, SQLite, LOG_LEVEL=warn), one MEMBER API token (cached after the first request); autocannon in this process, ${CONNECTIONS} connections, ${WARMUP} s warm-up, ${ROUNDS} interleaved rounds × ${DURATION} s per target; then per round ${LATENCY_REQUESTS} sequential requests on one keep-alive connection per target, timed in µs.`,
    '',
    '| target | round | req/s | p50 ms | p99 ms | server CPU µs/req | other load (CPUs) | non-2xx / errors / wrong body |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const t of targets) {
    const rs = loaded.get(t.name);
    rs.forEach((r, i) => lines.push(`| ${t.name} | ${i + 1} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.cpu.toFixed(0)} | ${r.other.toFixed(2)} | ${r.bad} |`));
    lines.push(
      `| **${t.name}** | **mean** | **${mean(rs.map((r) => r.rps)).toFixed(0)}** | ${mean(rs.map((r) => r.p50)).toFixed(1)} | ${mean(rs.map((r) => r.p99)).toFixed(1)} | **${mean(rs.map((r) => r.cpu)).toFixed(0)}** | ${mean(rs.map((r) => r.other)).toFixed(2)} | ${rs.reduce((a, r) => a + r.bad, 0)} |`,
    );
  }
  lines.push('', '| target (one connection) | p50 µs per round | p99 µs per round | median p50 | median p99 | p50 vs direct |', '|---|---|---|---:|---:|---:|');
  const directP50 = median(quiet.get(direct).map((l) => l.p50));
  for (const t of targets) {
    const ls = quiet.get(t.name);
    const p50 = median(ls.map((l) => l.p50));
    lines.push(
      `| ${t.name} | ${ls.map((l) => l.p50.toFixed(0)).join(', ')} | ${ls.map((l) => l.p99.toFixed(0)).join(', ')} | ${p50.toFixed(0)} | ${median(ls.map((l) => l.p99)).toFixed(0)} | ${(p50 / directP50).toFixed(2)} |`,
    );
  }
  lines.push('');
  const section = lines.join('\n');
  process.stdout.write(`\n${section}\n`);
  if (WRITE) appendFileSync(RESULTS, `\n${section}\n`);
}

main()
  .then(() => cleanup())
  .catch(async (err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    await cleanup();
    process.exit(1);
  });
