import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { Request, Response, Router } from 'express';
import type { Logger } from '../logger';

/**
 * The token console: the single-page app `npm run build` writes to dist/console
 * (console/vite.config.mts), served at /console/ by the tokens service, so it calls
 * /graphql on its own origin and the API's CORS stays closed.
 *
 * Every console response carries a strict Content-Security-Policy: scripts and
 * styles only from this origin (the build emits no inline script or style), API
 * calls only to this origin, no framing, no plug-ins, no form posts elsewhere.
 *
 * The build is small (well under 1 MB), so it is read once at start-up and kept in
 * memory with the Brotli and gzip forms the build wrote beside each file (a file
 * without them is compressed once, on its first request): a request costs a map
 * look-up, never a disk read. Hashed assets are cached for a year; index.html (every
 * client-side route answers it) is revalidated on each load, so a new build shows at once.
 *
 * Mounted by http/routes.ts: /graphql never reaches express (http/request-listener.ts), so API requests never pass through it.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The repository (or image) root: the nearest folder above this file holding package.json. */
function packageRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return resolve(from, '../..');
    dir = up;
  }
  return dir;
}

/** Where the built console lives (dist/console), from src/http (ts-jest) as from dist/src/http. */
export function consoleBuildDir(): string {
  return join(packageRoot(__dirname), 'dist', 'console');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

interface Asset {
  type: string;
  cacheControl: string;
  identity: Buffer;
  compressible: boolean;
  gzip?: Buffer;
  br?: Buffer;
}

/** Files worth compressing; console/vite.config.mts writes NAME.br and NAME.gz for each. */
export const isCompressible = (path: string, size: number) => COMPRESSIBLE.has(extname(path)) && size > 512;

function load(file: string, immutable: boolean): Asset {
  const identity = readFileSync(file);
  const sidecar = (ext: string) => (existsSync(file + ext) ? readFileSync(file + ext) : undefined);
  const compressible = isCompressible(file, identity.length);
  return {
    type: TYPES[extname(file)] ?? 'application/octet-stream',
    // Vite names assets by content hash: a changed file gets a new name.
    cacheControl: immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    identity,
    compressible,
    gzip: compressible ? sidecar('.gz') : undefined,
    br: compressible ? sidecar('.br') : undefined,
  };
}

function compressed(asset: Asset, encoding: 'br' | 'gzip'): Buffer {
  if (encoding === 'br') {
    asset.br ??= brotliCompressSync(asset.identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: asset.identity.length } });
    return asset.br;
  }
  asset.gzip ??= gzipSync(asset.identity, { level: 9 });
  return asset.gzip;
}

/** Every file of the build, keyed by its URL path under /console/. */
export function loadConsoleBuild(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const file = join(d, name);
      if (name.startsWith('.') || name.endsWith('.br') || name.endsWith('.gz')) continue;
      if (statSync(file).isDirectory()) walk(file);
      else {
        const rel = relative(dir, file).split(sep).join('/');
        assets.set(`/${rel}`, load(file, rel.startsWith('assets/')));
      }
    }
  };
  walk(dir);
  return assets;
}

function send(req: Request, res: Response, asset: Asset): void {
  const accepts = String(req.headers['accept-encoding'] ?? '');
  const encoding = !asset.compressible ? undefined : /\bbr\b/.test(accepts) ? 'br' : /\bgzip\b/.test(accepts) ? 'gzip' : undefined;
  const body = encoding ? compressed(asset, encoding) : asset.identity;
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('Cache-Control', asset.cacheControl);
  res.setHeader('Content-Type', asset.type);
  if (asset.compressible) res.setHeader('Vary', 'Accept-Encoding');
  if (encoding) res.setHeader('Content-Encoding', encoding);
  res.setHeader('Content-Length', body.length);
  res.status(200).end(req.method === 'HEAD' ? undefined : body);
}

const NOT_BUILT = Buffer.from(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tokengate console</title></head>
<body><h1>The console is not built</h1><p>Run <code>npm run build</code> (or <code>npm start</code>, which builds first), then restart.</p></body></html>`);

/** The console's routes: / and /console redirect to /console/, the build's files, and index.html for every client-side route. */
export function consoleRoutes(options: { enabled: boolean; logger: Logger; dir?: string }): Router {
  const router = Router();
  if (!options.enabled) return router;
  const dir = options.dir ?? consoleBuildDir();
  const built = existsSync(join(dir, 'index.html'));
  if (!built) options.logger.warn({ dir }, 'CONSOLE is on but the console is not built: run `npm run build`');
  const assets = built ? loadConsoleBuild(dir) : new Map<string, Asset>();
  const index = assets.get('/index.html');

  router.get('/', (_req, res) => res.redirect(302, '/console/'));
  router.get('/console{/*route}', (req, res) => {
    // Express matches /console and /console/ alike: the app's relative URLs need the slash.
    if (req.path === '/console') {
      res.redirect(301, '/console/');
      return;
    }
    const path = req.path.slice('/console'.length);
    const asset = assets.get(path);
    if (asset && path !== '/index.html') return send(req, res, asset);
    // A missing asset is a 404, not the app: a stale index.html must not get HTML for a script.
    if (path.startsWith('/assets/') || extname(path) !== '') {
      res.setHeader('Content-Security-Policy', CONSOLE_CSP);
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    if (!index) {
      res.setHeader('Content-Security-Policy', CONSOLE_CSP);
      res.setHeader('Cache-Control', 'no-cache');
      res.status(503).type('html').send(NOT_BUILT);
      return;
    }
    send(req, res, index);
  });
  return router;
}
