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

  // Regenerate with `npm run compose` and `npm run compose -- supergraph.docker.json examples/supergraph.docker.graphql`.
  test.each([
    ['supergraph.config.json', 'examples/supergraph.graphql'],
    ['supergraph.docker.json', 'examples/supergraph.docker.graphql'],
  ])('the committed %s and %s agree with the current SDLs', (config, out) => {
    const sdl = composeSupergraph(loadSubgraphSources(join(__dirname, '../..', config)));
    expect(readFileSync(join(__dirname, '../..', out), 'utf8').trim()).toBe(sdl.trim());
  });

  test('the compose stack supergraph sends the gateway to the compose service names', () => {
    const sdl = readFileSync(join(__dirname, '../../examples/supergraph.docker.graphql'), 'utf8');
    const urls = [...sdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(urls)).toEqual({ tokens: 'http://tokengate:4000/graphql', inventory: 'http://inventory:4002/graphql' });
  });

  describe('a Relay-style subgraph that defines its own PageInfo', () => {
    // What every Relay subgraph writes: the spec's PageInfo, shareable, next to its own connections.
    const relaySdl = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])
      type Query { products(first: Int, after: String): ProductConnection! }
      type ProductConnection { edges: [ProductEdge!]! pageInfo: PageInfo! }
      type ProductEdge { cursor: String! node: Product! }
      type Product @key(fields: "id") { id: ID! name: String! }
      type PageInfo @shareable { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }`;

    test("composes with the tokens subgraph and the inventory example (The Guild's composer, as `npm run compose` uses)", () => {
      const sdl = composeSupergraph([
        { name: 'tokens', url: 'http://tokens/graphql', typeDefs: tokensSdl },
        { name: 'inventory', url: 'http://inventory/graphql', typeDefs: INVENTORY_SDL },
        { name: 'catalog', url: 'http://catalog/graphql', typeDefs: relaySdl },
      ]);
      // One PageInfo in the supergraph, resolvable from both subgraphs, with every Relay field.
      const pageInfo = /type PageInfo[^{]*\{[^}]*\}/.exec(sdl)?.[0] ?? '';
      expect(pageInfo).toMatch(/@join__type\(graph: CATALOG\)/);
      expect(pageInfo).toMatch(/@join__type\(graph: TOKENS\)/);
      for (const field of ['hasNextPage: Boolean!', 'hasPreviousPage: Boolean!', 'startCursor: String', 'endCursor: String']) expect(pageInfo).toContain(field);
      expect(sdl).toMatch(/products\(first: Int, after: String\): ProductConnection! @join__field\(graph: CATALOG\)/);
    });

    test('the tokens subgraph declares PageInfo @shareable, with the four fields of the Relay spec', () => {
      expect(tokensSdl).toMatch(/import: \[[^\]]*"@shareable"/);
      expect(tokensSdl).toMatch(/type PageInfo\s+@shareable\s*\{/);
      for (const field of ['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor']) expect(tokensSdl).toMatch(new RegExp(`^\\s+${field}: `, 'm'));
    });
  });

  test('a conflicting subgraph fails composition with a readable error', () => {
    const bad = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])\ntype User @key(fields: "id") { id: ID! email: Int! }';
    expect(() =>
      composeSupergraph([
        { name: 'tokens', url: 'http://t', typeDefs: tokensSdl },
        { name: 'bad', url: 'http://b', typeDefs: bad },
      ]),
    ).toThrow(CompositionError);
  });
});
