import { existsSync } from 'node:fs';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { startTestApp, TestApp } from '../helpers/app';
import { CONSOLE_CSP, consoleBuildDir } from '../../src/http/console';

/** How the tokens service serves the console's files (the app itself is tested in test/browser). */
let app: TestApp;
let off: TestApp;
beforeAll(async () => {
  if (!existsSync(`${consoleBuildDir()}/index.html`)) throw new Error('the console is not built: run `npm run build` (npm test does it first)');
  app = await startTestApp();
  off = await startTestApp({ CONSOLE: 'false' });
});
afterAll(async () => {
  await app?.stop();
  await off?.stop();
});

const get = (base: string, path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers, redirect: 'manual' });

test('index.html for /console/ and every client-side route, with the strict CSP and no caching without revalidation', async () => {
  for (const path of ['/console/', '/console/tokens', '/console/tokens/0190aaaa-0000-7000-8000-000000000000?x=1']) {
    const res = await get(app.base, path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.text()).toContain('<div id="root"></div>');
  }
  expect(CONSOLE_CSP.split('; ')).toEqual(expect.arrayContaining(["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]));
});

test('/ and /console redirect to /console/', async () => {
  expect((await get(app.base, '/')).headers.get('location')).toBe('/console/');
  const bare = await get(app.base, '/console');
  expect(bare.status).toBe(301);
  expect(bare.headers.get('location')).toBe('/console/');
});

test('hashed assets: cached for a year, Brotli or gzip as the client accepts, identical once decoded', async () => {
  const html = await (await get(app.base, '/console/')).text();
  const script = /src="(\/console\/assets\/index-[\w-]+\.js)"/.exec(html)![1];
  const plain = await get(app.base, script, { 'accept-encoding': 'identity' });
  expect(plain.status).toBe(200);
  expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(plain.headers.get('content-encoding')).toBeNull();
  const body = Buffer.from(await plain.arrayBuffer());
  // fetch would decode by itself: read the raw bytes through node:http instead.
  const raw = async (encoding: string) => {
    const http = await import('node:http');
    return new Promise<{ encoding?: string; bytes: Buffer }>((resolve, reject) => {
      http
        .get(`${app.base}${script}`, { headers: { 'accept-encoding': encoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
        })
        .on('error', reject);
    });
  };
  const br = await raw('gzip, deflate, br');
  expect(br.encoding).toBe('br');
  expect(brotliDecompressSync(br.bytes).equals(body)).toBe(true);
  expect(br.bytes.length).toBeLessThan(body.length / 2);
  const gz = await raw('gzip');
  expect(gz.encoding).toBe('gzip');
  expect(gunzipSync(gz.bytes).equals(body)).toBe(true);
});

test('a missing asset is a plain 404, never the app', async () => {
  for (const path of ['/console/assets/index-missing.js', '/console/nothing.css']) {
    const res = await get(app.base, path);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  }
});

test('CONSOLE=false: nothing under /console/ and no redirect from /', async () => {
  for (const path of ['/', '/console', '/console/', '/console/tokens']) {
    const res = await get(off.base, path);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found' });
  }
  expect((await off.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
});
