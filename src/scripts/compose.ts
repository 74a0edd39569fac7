import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { composeSupergraph, loadSubgraphSources } from '../gateway/compose';

/** npm run compose [-- <config=supergraph.config.json> [<out=examples/supergraph.graphql>]] */
const [configArg = 'supergraph.config.json', outArg = 'examples/supergraph.graphql'] = process.argv.slice(2);
try {
  const sdl = composeSupergraph(loadSubgraphSources(resolve(configArg)));
  writeFileSync(resolve(outArg), sdl.endsWith('\n') ? sdl : sdl + '\n');
  process.stdout.write(`wrote ${resolve(outArg)}\n`);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
