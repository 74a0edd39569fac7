import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchemaFile, printSubgraphFile } from '../../src/schema-printer';
import { buildSubgraph } from '../../src/schema';

test('schema/schema.graphql is current (run `npm run schema` after changing the API)', () => {
  const committed = readFileSync(join(__dirname, '..', '..', 'schema', 'schema.graphql'), 'utf8');
  expect(printSchemaFile()).toBe(committed);
});

test('schema/subgraph.graphql is current (run `npm run schema`)', () => {
  const committed = readFileSync(join(__dirname, '..', '..', 'schema', 'subgraph.graphql'), 'utf8');
  expect(printSubgraphFile()).toBe(committed);
});

test('the subgraph links federation v2.6+ and declares the three entities', () => {
  const sdl = printSubgraphFile();
  expect(sdl).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.(6|7|8|9|1\d)"/);
  for (const entity of ['User', 'Account', 'ApiToken']) expect(sdl).toMatch(new RegExp(`type ${entity}\\s+@key\\(fields: "id"\\)`));
  const served = buildSubgraph().getQueryType()!.getFields();
  expect(Object.keys(served)).toEqual(expect.arrayContaining(['_entities', '_service']));
});

test('the generated schema keeps the public contract names', () => {
  const sdl = printSchemaFile();
  for (const name of [
    'enum Role',
    'enum TokenStatus',
    'enum TokenCreationPolicy',
    'type ApiTokenConnection',
    'type CreatedApiToken',
    'input ApiTokenFilter',
    'createApiToken(input: CreateApiTokenInput!): CreatedApiToken!',
    'deleteApiToken(id: ID!): ID!',
    'revokeApiToken(id: ID!): ApiToken!',
    'first: Int = 20',
    'filter: ApiTokenFilter',
    'gracePeriodSeconds: Int = 0',
    'scalar DateTime',
  ]) {
    expect(sdl).toContain(name);
  }
});
