#!/usr/bin/env node
/**
 * node bench/scale.mjs [--accounts 10000 --tokens 1000000 --big-account 100000 --audit 5000000] [--rounds 3]
 *
 * Does cost grow with the work asked for, or with the size of the tables? One
 * run seeds two databases on one throwaway MariaDB server with `npm run seed`:
 * BIG (the scale by default) and SMALL (100 accounts of 100 tokens,
 * five audit events per token), starts a tokens service on each
 * (NODE_ENV=production), and measures the same operations on both, rounds
 * interleaved, then appends a table of BIG ÷ SMALL ratios with their targets
 * to bench/RESULTS.md:
 *
 *   - token verification with the cache off: req/s and p99 (target ≥ 0.9; p99 ≤ 1.1);
 *   - apiTokens(first: 50) of the big account (100,000 tokens) against a
 *     100-token account, per filter and for the last page by cursor: median
 *     server time (target ≤ 2) and SQL statements per request (unchanged),
 *     with and without totalCount;
 *   - auditEvents and notifications, first and last page (≤ 2);
 *   - one scheduler pass (node dist/src/scripts/notify.js) with the same 1,000
 *     tokens due in both databases (≤ 2);
 *   - the usage flush with 10,000 distinct tokens used in one interval: its
 *     time, and p99 latency of the load while flushes run ÷ without (≤ 1.1).
 *
 * Needs `npm run build` first (npm run bench:scale does it). Absolute numbers
 * depend on the machine and its other load; the ratios of one run are what
 * count. --big-db URL / --small-db URL reuse databases seeded earlier.
 * --sections verify,listings,pages,scheduler,flush (the default: all) runs only
 * some of the measurements. --backfill also times the SearchIndex migration on the BIG database (the
 * trigram table moved aside, the migration run as an upgrade runs it, and the
 * rows of 2,000 random tokens checked against the seeder's): minutes on a
 * million tokens.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { harness, ROOT } from './lib.mjs';

const require = createRequire(import.meta.url);
const { startServer } = require(path.join(ROOT, 'test/support/mysql-server.cjs'));
const { seededSecret } = require(path.join(ROOT, 'dist/src/db/seeder.js'));

const { values: opt } = parseArgs({
  options: {
    accounts: { type: 'string', default: '10000' },
    tokens: { type: 'string', default: '1000000' },
    'big-account': { type: 'string', default: '100000' },
    audit: { type: 'string', default: '5000000' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    samples: { type: 'string', default: '30' },
    'big-db': { type: 'string' },
    'small-db': { type: 'string' },
    'no-record': { type: 'boolean', default: false },
    backfill: { type: 'boolean', default: false },
    sections: { type: 'string', default: 'verify,listings,pages,scheduler,flush' },
  },
});
const SEED = 'tokengate';
const SIGNING_KEY = 'bench-scale-signing-key-0123456789-abcdefghij';
const ROUNDS = Number(opt.rounds);
const SECTIONS = new Set(opt.sections.split(','));
const want = (section) => SECTIONS.has(section);
const SECONDS = Number(opt.seconds);
const SAMPLES = Number(opt.samples);
const { log, sleep, cleanups, cleanup, startChild } = harness('scale');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');

function seed(url, args) {
  log(`seeding ${url.replace(/\/\/[^@]*@/, '//')}: ${args.join(' ')}`);
  const started = Date.now();
  const out = execFileSync(process.execPath, ['dist/src/scripts/seed.js', ...args, '--seed', SEED], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, SESSION_SIGNING_KEY: SIGNING_KEY, BCRYPT_ROUNDS: '10', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  const result = JSON.parse(out.toString().trim().split('\n').pop());
  log(`seeded in ${((Date.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify(result)}`);
  return result;
}

async function connect(url) {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  return createConnection({
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1),
    timezone: 'Z',
  });
}

/** Everything one side needs: an OWNER/ADMIN token of the measured account, its users, cursors. */
async function facts(db, accountPick) {
  const [[account]] = await db.query(accountPick);
  const now = new Date();
  const [[admin]] = await db.query(
    "SELECT t.id FROM api_token t JOIN `user` u ON u.id = t.ownerId WHERE t.accountId = ? AND t.storedStatus = 'ACTIVE' AND (t.expiresAt IS NULL OR t.expiresAt > ?) AND t.role IN ('OWNER', 'ADMIN') AND u.role IN ('OWNER', 'ADMIN') AND u.status = 'ACTIVE' AND t.catalogScopes IS NULL LIMIT 1",
    [account.id, now],
  );
  // A user with a typical number of tokens (the median owner), for the owner and issued-by filters.
  const [owners] = await db.query('SELECT ownerId AS id, COUNT(*) AS n FROM api_token WHERE accountId = ? GROUP BY ownerId ORDER BY n', [account.id]);
  const typical = owners[Math.floor(owners.length / 2)].id;
  const [[issuer]] = await db.query('SELECT createdById AS id FROM api_token WHERE accountId = ? AND createdById = ? LIMIT 1', [account.id, typical]);
  const [[oldest]] = await db.query('SELECT id FROM api_token WHERE accountId = ? ORDER BY id ASC LIMIT 1 OFFSET 20', [account.id]);
  const [[oldestEvent]] = await db.query('SELECT id FROM audit_event WHERE accountId = ? ORDER BY id ASC LIMIT 1 OFFSET 20', [account.id]);
  const [[ownerUser]] = await db.query("SELECT u.id FROM `user` u WHERE u.accountId = ? AND u.role = 'OWNER' ORDER BY u.id LIMIT 1", [account.id]);
  const [[oldestNotice]] = await db.query('SELECT id FROM notification WHERE userId = ? ORDER BY id ASC LIMIT 1 OFFSET 20', [ownerUser.id]);
  const [[ownerToken]] = await db.query(
    "SELECT id FROM api_token WHERE ownerId = ? AND storedStatus = 'ACTIVE' AND (expiresAt IS NULL OR expiresAt > ?) AND role = 'OWNER' AND catalogScopes IS NULL LIMIT 1",
    [ownerUser.id, now],
  );
  const [[counts]] = await db.query(
    'SELECT (SELECT COUNT(*) FROM api_token WHERE accountId = ?) AS tokens, (SELECT COUNT(*) FROM audit_event WHERE accountId = ?) AS events, (SELECT COUNT(*) FROM notification WHERE userId = ?) AS notices',
    [account.id, account.id, ownerUser.id],
  );
  const cursor = (id) => Buffer.from(id).toString('base64url');
  return {
    accountId: account.id,
    counts,
    adminAuth: `APIKey ${seededSecret(SEED, admin.id)}`,
    ownerAuth: ownerToken ? `APIKey ${seededSecret(SEED, ownerToken.id)}` : `APIKey ${seededSecret(SEED, admin.id)}`,
    typicalUser: typical,
    issuer: issuer?.id ?? typical,
    lastTokenCursor: cursor(oldest.id),
    lastEventCursor: oldestEvent ? cursor(oldestEvent.id) : null,
    lastNoticeCursor: oldestNotice ? cursor(oldestNotice.id) : null,
  };
}

const LIST = `query($filter: ApiTokenFilter, $after: String) { apiTokens(first: 50, filter: $filter, after: $after) { pageInfo { hasNextPage endCursor } nodes { id name status role environment expiresAt owner { id name } createdBy { id } } } }`;
const LIST_COUNT = LIST.replace('pageInfo {', 'totalCount totalCountIsCapped pageInfo {');
const AUDIT = `query($after: String) { auditEvents(first: 50, after: $after) { pageInfo { endCursor } nodes { id action createdAt } } }`;
const NOTICES = `query($after: String) { notifications(first: 50, after: $after) { pageInfo { endCursor } nodes { id kind } } }`;

async function gql(url, query, variables, authorization) {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  const ms = performance.now() - started;
  if (body.errors) throw new Error(`${query.slice(0, 40)}…: ${JSON.stringify(body.errors).slice(0, 300)}`);
  return { ms, body };
}

async function questions(db) {
  const [[row]] = await db.query("SHOW GLOBAL STATUS LIKE 'Questions'");
  return Number(row.Value);
}

/** The notes of a listing row: rows returned, what totalCount counted, and SQL statements, BIG vs SMALL. */
function asked(res) {
  const [b, s] = [res.big[0], res.small[0]];
  const parts = [`rows ${b.rows} vs ${s.rows}`];
  if (b.counted !== undefined) parts.push(`counted ${b.counted} vs ${s.counted}`);
  parts.push(`statements ${b.statements} vs ${s.statements}${b.statements === s.statements ? '' : ' (DIFFERENT)'}`);
  return parts.join('; ');
}

/** Median latency of `samples` sequential requests (after 3 warm-ups), and the SQL statements one of them sends. */
async function timeQuery(side, query, variables, authorization) {
  for (let i = 0; i < 3; i++) await gql(side.svc.url, query, variables, authorization);
  const before = await questions(side.db);
  const { body } = await gql(side.svc.url, query, variables, authorization);
  const statements = (await questions(side.db)) - before - 1; // minus the SHOW STATUS itself
  const times = [];
  for (let i = 0; i < SAMPLES; i++) times.push((await gql(side.svc.url, query, variables, authorization)).ms);
  // What was asked of each side: the rows of the page, and what totalCount counted (1,000 at most).
  const connection = Object.values(body.data)[0];
  const counted = connection.totalCount === undefined ? undefined : `${connection.totalCount}${connection.totalCountIsCapped ? '+' : ''}`;
  return { ms: median(times), statements, rows: connection.nodes.length, counted };
}

async function load(url, authorization, seconds) {
  const r = await autocannon({
    url,
    connections: 10,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query: '{ me { id } }' }),
  });
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx + r.errors };
}

async function main() {
  const info = {
    node: process.version,
    cpus: os.cpus().length,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
  let bigUrl = opt['big-db'];
  let smallUrl = opt['small-db'];
  let seeded = {};
  if (!bigUrl || !smallUrl) {
    const server = await startServer({
      extraArgs: ['--innodb-buffer-pool-size=6G', '--innodb-log-file-size=1G', '--innodb-doublewrite=0', '--innodb-flush-log-at-trx-commit=2', '--max-allowed-packet=256M'],
    });
    cleanups.push(() => server.stop());
    const admin = await createConnection({ host: '127.0.0.1', port: server.port, user: 'root' });
    for (const name of ['scale_big', 'scale_small']) await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    bigUrl = `mariadb://root@127.0.0.1:${server.port}/scale_big`;
    smallUrl = `mariadb://root@127.0.0.1:${server.port}/scale_small`;
    seeded.small = seed(smallUrl, ['--accounts', '100', '--tokens', '10000', '--big-account', '100', '--audit', '50000', '--spread', 'uniform']);
    seeded.big = seed(bigUrl, ['--accounts', opt.accounts, '--tokens', opt.tokens, '--big-account', opt['big-account'], '--audit', opt.audit]);
  }
  const sides = {};
  for (const [name, url] of [
    ['big', bigUrl],
    ['small', smallUrl],
  ]) {
    const db = await connect(url);
    cleanups.push(() => db.end());
    // BIG: the big account (the first seeded, most tokens); SMALL: any account (all have 100 tokens).
    const f = await facts(db, 'SELECT accountId AS id FROM api_token GROUP BY accountId ORDER BY COUNT(*) DESC LIMIT 1');
    const svc = await startChild(
      `scale-${name}`,
      ['dist/src/main.js'],
      {
        NODE_ENV: 'production',
        DATABASE_URL: url,
        SESSION_SIGNING_KEY: SIGNING_KEY,
        LOG_LEVEL: 'debug',
        TOKEN_CACHE_TTL_MS: '0',
        USAGE_FLUSH_INTERVAL_MS: '600000',
        NOTIFY_INTERVAL_MS: '0',
        WEBHOOK_DELIVERY_INTERVAL_MS: '0',
        DB_MIGRATIONS_RUN: 'false',
      },
      '/readyz',
    );
    sides[name] = { name, url, db, svc, ...f };
    log(`${name}: account with ${f.counts.tokens} tokens, ${f.counts.events} audit events; its owner has ${f.counts.notices} notifications`);
  }
  const { big, small } = sides;
  const rows = [];
  const ratioRow = (what, target, b, s, better, note = '') => {
    const ratio = b / s;
    const ok = better === 'higher' ? ratio >= target : ratio <= target;
    rows.push({ what, big: b, small: s, ratio, target: `${better === 'higher' ? '≥' : '≤'} ${target}`, ok, note });
    log(`${what}: big ${fmt(b)} small ${fmt(s)} ratio ${fmt(ratio)} ${ok ? 'met' : 'NOT met'} ${note}`);
  };

  if (want('verify')) {
    // 1. Verification with the cache off, rounds interleaved.
    log('token verification, cache off');
    await load(big.svc.url, big.adminAuth, 3);
    await load(small.svc.url, small.adminAuth, 3);
    const v = { big: [], small: [] };
    for (let r = 0; r < ROUNDS; r++) for (const side of [big, small]) v[side.name].push(await load(side.svc.url, side.adminAuth, SECONDS));
    ratioRow('verification req/s (TOKEN_CACHE_TTL_MS=0)', 0.9, mean(v.big.map((x) => x.rps)), mean(v.small.map((x) => x.rps)), 'higher');
    ratioRow('verification p99 ms', 1.1, mean(v.big.map((x) => x.p99)), mean(v.small.map((x) => x.p99)), 'lower');
  }

  if (want('listings')) {
    // 2. Listings of the big account vs a 100-token account.
    const filters = {
      'no filter': (s) => ({}),
      'status ACTIVE': () => ({ filter: { status: ['ACTIVE'] } }),
      'role ADMIN': () => ({ filter: { role: ['ADMIN'] } }),
      'issued by a user': (s) => ({ filter: { issuedBy: s.issuer } }),
      'owner a user': (s) => ({ filter: { owner: s.typicalUser } }),
      'environment staging': () => ({ filter: { environment: 'staging' } }),
      'text "billing"': () => ({ filter: { search: 'billing' } }),
      "text, one token's name": (s) => ({ filter: { search: s.rareName } }),
      deleted: () => ({ filter: { status: ['DELETED'] } }),
      'last page by cursor': (s) => ({ after: s.lastTokenCursor }),
    };
    for (const side of [big, small]) {
      const [[t]] = await side.db.query("SELECT name FROM api_token WHERE accountId = ? AND storedStatus <> 'DELETED' ORDER BY id ASC LIMIT 1 OFFSET 7", [side.accountId]);
      side.rareName = t.name;
    }
    for (const [label, vars] of Object.entries(filters)) {
      for (const [suffix, query] of [
        ['', LIST],
        [' + totalCount', LIST_COUNT],
      ]) {
        const res = {};
        for (let r = 0; r < ROUNDS; r++) for (const side of [big, small]) (res[side.name] ??= []).push(await timeQuery(side, query, vars(side), side.adminAuth));
        const b = median(res.big.map((x) => x.ms));
        const s = median(res.small.map((x) => x.ms));
        ratioRow(`apiTokens(first: 50), ${label}${suffix}`, 2, b, s, 'lower', asked(res));
      }
    }
  }

  if (want('pages')) {
    // 3. Audit events and notifications, first and last page.
    for (const [label, query, vars, auth] of [
      ['auditEvents(first: 50)', AUDIT, () => ({}), (s) => s.adminAuth],
      ['auditEvents, last page by cursor', AUDIT, (s) => ({ after: s.lastEventCursor }), (s) => s.adminAuth],
      ['notifications(first: 50), the account owner', NOTICES, () => ({}), (s) => s.ownerAuth],
      ['notifications, last page by cursor', NOTICES, (s) => ({ after: s.lastNoticeCursor }), (s) => s.ownerAuth],
    ]) {
      const res = {};
      for (let r = 0; r < ROUNDS; r++) for (const side of [big, small]) (res[side.name] ??= []).push(await timeQuery(side, query, vars(side), auth(side)));
      ratioRow(label, 2, median(res.big.map((x) => x.ms)), median(res.small.map((x) => x.ms)), 'lower', asked(res));
    }
  }

  if (want('scheduler')) {
    // 4. One scheduler pass with the same 1,000 tokens due on both sides, taken from accounts of ≤ 200 tokens
    // (so each notice has as many recipients on both sides).
    const passes = {};
    for (const side of [big, small]) {
      const now = new Date();
      const [due] = await side.db.query(
        `SELECT t.id FROM api_token t JOIN (SELECT accountId FROM api_token GROUP BY accountId HAVING COUNT(*) <= 200) small ON small.accountId = t.accountId
       WHERE t.storedStatus = 'ACTIVE' AND t.expiresAt > ? ORDER BY t.id LIMIT 1000`,
        [new Date(now.getTime() + 40 * 86_400_000)],
      );
      const ids = due.map((d) => d.id);
      const expires = new Date(now.getTime() + 4 * 86_400_000);
      await side.db.query('UPDATE api_token SET expiresAt = ?, nextNoticeAt = ? WHERE id IN (?)', [expires, new Date(now.getTime() - 60_000), ids]);
      await side.db.query('DELETE FROM token_expiry_notice WHERE tokenId IN (?)', [ids]);
      const started = performance.now();
      const run = spawnSync(process.execPath, ['dist/src/scripts/notify.js'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, DATABASE_URL: side.url, SESSION_SIGNING_KEY: SIGNING_KEY, NODE_ENV: 'production', LOG_LEVEL: 'warn', DB_MIGRATIONS_RUN: 'false' },
        encoding: 'utf8',
      });
      const ms = performance.now() - started;
      if (run.status !== 0) throw new Error(`notify failed on ${side.name}: ${run.stderr}`);
      passes[side.name] = { ms, result: JSON.parse(run.stdout.trim().split('\n').pop()) };
      log(`${side.name}: scheduler pass ${ms.toFixed(0)} ms: ${JSON.stringify(passes[side.name].result)}`);
    }
    ratioRow('scheduler pass (npm run notify), 1,000 due', 2, passes.big.ms, passes.small.ms, 'lower', `notices ${passes.big.result.notices} vs ${passes.small.result.notices}`);
  }

  let flushing;
  let quiet;
  if (want('flush')) {
    // 5. The usage flush with 10,000 distinct tokens per interval (big side): p99 of a load over 10,000 tokens
    // while flushes run (every 5 s) ÷ the same load with no flush, and the time of each flush.
    const [active] = await big.db.query("SELECT id FROM api_token WHERE storedStatus = 'ACTIVE' AND (expiresAt IS NULL OR expiresAt > ?) AND catalogScopes IS NULL LIMIT 10000", [
      new Date(),
    ]);
    const auths = active.map((t) => `APIKey ${seededSecret(SEED, t.id)}`);
    const usageLoad = async (svc, seconds) => {
      let i = 0;
      const r = await autocannon({
        url: svc.url,
        connections: 10,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ me { id } }' }),
        setupClient: (client) => client.setHeaders({ 'content-type': 'application/json', authorization: auths[i++ % auths.length] }),
        requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: auths[i++ % auths.length] } }) }],
      });
      return { rps: r.requests.average, p99: r.latency.p99 };
    };
    // Two services on the BIG database, alike but for the flush: every 5 s, or not within the run. The same
    // logging on both (a line per request at debug; the flushing one's "usage flushed" lines are read below).
    const usageService = (name, flushIntervalMs) =>
      startChild(
        name,
        ['dist/src/main.js'],
        {
          NODE_ENV: 'production',
          DATABASE_URL: big.url,
          SESSION_SIGNING_KEY: SIGNING_KEY,
          LOG_LEVEL: 'debug',
          TOKEN_CACHE_TTL_MS: '5000',
          USAGE_FLUSH_INTERVAL_MS: flushIntervalMs,
          NOTIFY_INTERVAL_MS: '0',
          WEBHOOK_DELIVERY_INTERVAL_MS: '0',
          DB_MIGRATIONS_RUN: 'false',
        },
        '/readyz',
      );
    flushing = await usageService('scale-flush', '5000');
    quiet = await usageService('scale-noflush', '600000');
    await usageLoad(flushing, 3);
    await usageLoad(quiet, 3);
    const u = { flush: [], quiet: [] };
    for (let r = 0; r < ROUNDS; r++) {
      u.flush.push(await usageLoad(flushing, 20));
      u.quiet.push(await usageLoad(quiet, 20));
    }
    await sleep(6000);
    const flushes = readFileSync(flushing.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"usage flushed"'))
      .map((l) => JSON.parse(l));
    const big10k = flushes.filter((f) => f.tokens >= 5000);
    const flushMs = median((big10k.length ? big10k : flushes).map((f) => f.ms));
    const flushTokens = median((big10k.length ? big10k : flushes).map((f) => f.tokens));
    ratioRow(
      'p99 while usage flushes run ÷ no flush (10,000 tokens per interval)',
      1.1,
      mean(u.flush.map((x) => x.p99)),
      mean(u.quiet.map((x) => x.p99)),
      'lower',
      `flush: median ${flushMs} ms for ${flushTokens} tokens (${flushes.length} flushes)`,
    );
  }

  // 6. (--backfill) The SearchIndex migration on the BIG database, as an upgrade from before it runs it: the seeded
  // trigram table is moved aside, the migration creates the table and indexes every token, and its rows must
  // equal the seeder's.
  if (opt.backfill) {
    // No other writer meanwhile: every service this run started stops first (a stopping service flushes its usage).
    for (const svc of [flushing, quiet, big.svc, small.svc]) await svc?.stop();
    const { SearchIndex1796155377235 } = require(path.join(ROOT, 'dist/src/db/migrations/1796155377235-SearchIndex.js'));
    const db = big.db;
    const [[{ tokens }]] = await db.query('SELECT COUNT(*) AS tokens FROM api_token');
    const [[fk]] = await db.query("SELECT CONSTRAINT_NAME AS name FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'api_token_trigram'");
    await db.query(`ALTER TABLE api_token_trigram DROP FOREIGN KEY \`${fk.name}\``);
    await db.query('RENAME TABLE api_token_trigram TO api_token_trigram_seeded');
    log(`SearchIndex migration on ${tokens} tokens`);
    const started = performance.now();
    await new SearchIndex1796155377235().up({ query: async (text, params) => (await db.query(text, params))[0] });
    const ms = performance.now() - started;
    // Spot check, by the tokenId index: the rows of 2,000 random tokens in both tables. (CHECKSUM TABLE of the whole
    // table reads it twice and took over ten minutes here, most of it waiting on the disk.)
    const [sample] = await db.query('SELECT id FROM api_token ORDER BY RAND(7) LIMIT 2000');
    const ids = sample.map((r) => r.id);
    const rowsOf = async (table) =>
      JSON.stringify(
        (await db.query(`SELECT tokenId, COUNT(*) AS n, SUM(trigram) AS s, MIN(accountId) AS a FROM ${table} WHERE tokenId IN (?) GROUP BY tokenId ORDER BY tokenId`, [ids]))[0],
      );
    const same = (await rowsOf('api_token_trigram_seeded')) === (await rowsOf('api_token_trigram'));
    const [[{ n: rowsBuilt }]] = await db.query("SELECT table_rows AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'api_token_trigram'");
    await db.query('DROP TABLE api_token_trigram_seeded');
    log(`SearchIndex migration: ${(ms / 1000).toFixed(1)} s for ${tokens} tokens, ~${rowsBuilt} rows; 2,000 tokens' rows ${same ? 'equal to the seeder' : 'DIFFERENT from the seeder'}`);
    rows.push({
      what: 'SearchIndex migration (upgrade: index every existing token)',
      big: ms / 1000,
      small: NaN,
      ratio: NaN,
      target: '–',
      ok: same,
      note: `${fmt(ms / 1000, 0)} s for ${tokens} tokens (~${rowsBuilt} trigram rows, ${fmt((ms * 1000) / tokens, 0)} µs per token); 2,000 random tokens' rows ${same ? 'equal' : 'NOT equal'} to the seeder's`,
    });
  }

  // Record.
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    } catch {
      return 'unknown';
    }
  })();
  const [[version]] = await big.db.query('SELECT VERSION() AS v');
  const lines = [
    '',
    `## ${new Date().toISOString().replace('T', ' ').slice(0, 19)} UTC — ${commit} — data at scale (bench/scale.mjs)`,
    '',
    `- Machine: ${info.cpus} CPUs, load average at the start ${info.load}; Node ${info.node}; MariaDB ${version.v} (throwaway, 6 GB buffer pool)`,
    `- BIG: ${seeded.big ? JSON.stringify(seeded.big) : bigUrl}; measured account ${big.counts.tokens} tokens, ${big.counts.events} audit events, its owner ${big.counts.notices} notifications`,
    `- SMALL: ${seeded.small ? JSON.stringify(seeded.small) : smallUrl}; measured account ${small.counts.tokens} tokens, ${small.counts.events} audit events, its owner ${small.counts.notices} notifications`,
    `- ${ROUNDS} interleaved rounds; listings: median of ${SAMPLES} sequential requests per round (client-side time on loopback), statements from MariaDB's Questions counter; load: autocannon, 10 connections, ${SECONDS} s.`,
    '',
    '| measurement | BIG | SMALL | BIG ÷ SMALL | target | met | notes |',
    '|---|---:|---:|---:|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${fmt(r.big)} | ${fmt(r.small)} | **${fmt(r.ratio)}** | ${r.target} | ${r.ok ? 'yes' : '**no**'} | ${r.note} |`),
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (!opt['no-record']) appendFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), lines.join('\n') + '\n');
}

main()
  .then(() => cleanup())
  .catch(async (err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    await cleanup();
    process.exit(1);
  });
