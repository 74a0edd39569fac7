import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/**
 * The token console. `npm run build` runs `vite build console`: the app is written to
 * dist/console and served by the tokens service at /console/ (src/http/console.ts).
 * `npm run console:dev` serves it with hot reload on :5173, proxying /graphql to :4000.
 */
export default defineConfig({
  base: '/console/',
  // Vite 8 transforms TSX with Oxc: React's automatic runtime, no Babel plugin needed.
  oxc: { jsx: { runtime: 'automatic' } },
  plugins: [precompress()],
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

/** NAME.br and NAME.gz beside every text file over 512 bytes, so the server never compresses at run time. */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'tokengate-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir.startsWith('/') ? config.build.outDir : join(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const file = join(dir, name);
          if (statSync(file).isDirectory()) walk(file);
          else if (['.html', '.js', '.css', '.svg', '.json', '.txt'].includes(extname(name)) && statSync(file).size > 512) {
            const data = readFileSync(file);
            writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
            writeFileSync(`${file}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
          }
        }
      };
      walk(outDir);
    },
  };
}
