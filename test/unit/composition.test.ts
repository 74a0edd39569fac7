import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeSupergraph, CompositionError, loadSubgraphSources } from '../../src/gateway/compose';
import { INVENTORY_SDL } from '../../examples/inventory/inventory';

const tokensSdl = readFileSync(join(__dirname, '../../schema/subgraph.graphql'), 'utf8');

describe('supergraph composition', () => {
  test('the committed tokens subgraph SDL composes with the inventory example, keeping the auth directives', () => {
    const sdl = composeSupergraph([
      { name: 'tokens', url: 'http://tokens/graphql', typeDefs: tokensSdl },
      { name: 'inventory', url: 'http://inventory/graphql', typeDefs: INVENTORY_SDL },
    ]);
    expect(sdl).toMatch(/@join__graph\(name: "tokens", url: "http:\/\/tokens\/graphql"\)/);
    expect(sdl).toMatch(/quantity: Int! @requiresScopes\(scopes: \[\["inventory:read"\], \["read"\]\]\)/);
    expect(sdl).toMatch(/items: \[Item!\]! @join__field\(graph: INVENTORY\) @authenticated/);
    expect(sdl).toMatch(/scopes: \[String!\]!/); // ApiToken.scopes from the tokens subgraph
  });

  test('the committed config and examples/supergraph.graphql agree with the current SDLs', () => {
    const sdl = composeSupergraph(loadSubgraphSources(join(__dirname, '../../supergraph.config.json')));
    expect(readFileSync(join(__dirname, '../../examples/supergraph.graphql'), 'utf8').trim()).toBe(sdl.trim());
  });

  test('a conflicting subgraph fails composition with a readable error', () => {
    const bad = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])\ntype User @key(fields: "id") { id: ID! email: Int! }';
    expect(() => composeSupergraph([
      { name: 'tokens', url: 'http://t', typeDefs: tokensSdl },
      { name: 'bad', url: 'http://b', typeDefs: bad },
    ])).toThrow(CompositionError);
  });
});
