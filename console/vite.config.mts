import { defineConfig } from 'vite';

/**
 * The token console. `npm run build` runs `vite build console`: the app is written to
 * dist/console and served by the tokens service at /console/ (src/http/console.ts).
 * `npm run console:dev` serves it with hot reload on :5173, proxying /graphql to :4000.
 */
export default defineConfig({
  base: '/console/',
  // Vite 8 transforms TSX with Oxc: React's automatic runtime, no Babel plugin needed.
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    // The strict CSP allows no inline script: no preload polyfill snippet, no inlined assets.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: { proxy: { '/graphql': 'http://localhost:4000' } },
});
