import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import express, { NextFunction, Request, Response, Router } from 'express';
import type { Logger } from '../logger';

/**
 * The token console: the single-page app `npm run build` writes to dist/console
 * (console/vite.config.ts), served at /console/ by the tokens service, so it calls
 * /graphql on its own origin and the API's CORS stays closed.
 *
 * Every console response carries a strict Content-Security-Policy: scripts and
 * styles only from this origin (the build emits no inline script or style), API
 * calls only to this origin, no framing, no plug-ins, no form posts elsewhere.
 * Hashed assets are cached for a year; index.html is revalidated on every load
 * so a new build is picked up at once.
 *
 * Mounted after /graphql (server.ts), so API requests never pass through it.
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

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tokengate console</title></head>
<body><h1>The console is not built</h1><p>Run <code>npm run build</code> (or <code>npm start</code>, which builds first), then reload.</p></body></html>`;

/** The console's routes: / and /console redirect to /console/, assets, and index.html for every client-side route. */
export function consoleRoutes(options: { enabled: boolean; logger: Logger; dir?: string }): Router {
  const router = Router();
  if (!options.enabled) return router;
  const dir = options.dir ?? consoleBuildDir();
  const indexPath = join(dir, 'index.html');
  let index: string | undefined;
  if (existsSync(indexPath)) index = readFileSync(indexPath, 'utf8');
  else options.logger.warn({ dir }, 'CONSOLE is on but the console is not built: run `npm run build`');

  const headers = (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    next();
  };

  router.get('/', (_req, res) => res.redirect(302, '/console/'));
  router.use(
    '/console',
    headers,
    express.static(dir, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      setHeaders(res, path) {
        // Vite names assets by content hash: a changed file gets a new name.
        res.setHeader('Cache-Control', path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    }),
  );
  // A missing asset is a 404, not the app: a stale index.html must not get HTML for a script.
  router.use('/console/assets', (_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });
  router.get('/console{/*route}', (req, res) => {
    // Express matches /console and /console/ alike: the app's relative URLs need the slash.
    if (!req.path.endsWith('/') && req.path === '/console') {
      res.redirect(301, '/console/');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    if (index === undefined) {
      res.status(503).type('html').send(NOT_BUILT);
      return;
    }
    res.type('html').send(index);
  });
  return router;
}
